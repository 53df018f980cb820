# common: what the daemons share and libcc must not contain (logging,
# x-allocators). A convenience library, never installed.
noinst_LTLIBRARIES += common/libcommon.la
common_libcommon_la_SOURCES = common/log.c common/log.h \
	common/xmalloc.c common/xmalloc.h
