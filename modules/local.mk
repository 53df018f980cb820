# Example modules: programs the boss starts by name from pkglibexecdir.
# They use only the installed libcc API, as a module outside this tree
# would.
pkglibexec_PROGRAMS += modules/hello/hello
modules_hello_hello_SOURCES = modules/hello/hello.c
modules_hello_hello_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JANSSON_CFLAGS)
modules_hello_hello_LDADD = libcc/libcc.la $(LIBEVENT_LIBS) $(JANSSON_LIBS)
