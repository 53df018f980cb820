# Example modules: programs the boss starts by name from pkglibexecdir.
# They use only the installed libcc API, as a module outside this tree
# would.
pkglibexec_PROGRAMS += modules/hello/hello
modules_hello_hello_SOURCES = modules/hello/hello.c
modules_hello_hello_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JANSSON_CFLAGS)
modules_hello_hello_LDADD = libcc/libcc.la $(LIBEVENT_LIBS) $(JANSSON_LIBS)

# The stats module: collects every module's statistics (getstats).
pkglibexec_PROGRAMS += modules/stats/stats
modules_stats_stats_SOURCES = \
	modules/stats/stats.h \
	modules/stats/stats.c \
	modules/stats/stats_collect.c \
	modules/stats/stats_cmd.c
modules_stats_stats_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JANSSON_CFLAGS)
modules_stats_stats_LDADD = libcc/libcc.la $(LIBEVENT_LIBS) $(JANSSON_LIBS)
