# libcc: the client library. Only cc_* symbols are exported; helpers
# shared between libcc's files are named libcc_* and stay private.
# The wire layer's sources are listed in
# libcc/wire.mk, the session layer's in libcc/session.mk.
lib_LTLIBRARIES += libcc/libcc.la
libcc_libcc_la_SOURCES =
libcc_libcc_la_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(MSGPACK_CFLAGS) $(JANSSON_CFLAGS)
libcc_libcc_la_LIBADD = $(LIBEVENT_LIBS) $(MSGPACK_LIBS) $(JANSSON_LIBS)
libcc_libcc_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0 -no-undefined \
	-export-symbols-regex '^cc_'

ccincludedir = $(includedir)/cc
ccinclude_HEADERS = libcc/cc/cc.h libcc/cc/error.h libcc/cc/wire.h \
	libcc/cc/codec.h libcc/cc/message.h libcc/cc/session.h \
	libcc/cc/spec.h libcc/cc/module.h

pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = libcc/libcc.pc

include libcc/wire.mk
include libcc/session.mk
include libcc/spec.mk
include libcc/module.mk
