# ccbus-cfgmgr: the configuration manager. Its logic is a convenience
# library that the unit tests link; main.c is thin.
noinst_LTLIBRARIES += cfgmgr/libcfgmgr.la
cfgmgr_libcfgmgr_la_SOURCES = \
	cfgmgr/cfgmgr.h \
	cfgmgr/cfgmgr.c \
	cfgmgr/cfgmgr_store.c \
	cfgmgr/cfgmgr_module.c \
	cfgmgr/cfgmgr_cmd.c \
	cfgmgr/cfgmgr_set.c
cfgmgr_libcfgmgr_la_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(JANSSON_CFLAGS)
cfgmgr_libcfgmgr_la_LIBADD = libcc/libcc.la common/libcommon.la \
	$(LIBEVENT_LIBS) $(JANSSON_LIBS)

pkglibexec_PROGRAMS += cfgmgr/ccbus-cfgmgr
cfgmgr_ccbus_cfgmgr_SOURCES = cfgmgr/main.c
cfgmgr_ccbus_cfgmgr_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(JANSSON_CFLAGS)
cfgmgr_ccbus_cfgmgr_LDADD = cfgmgr/libcfgmgr.la

EXTRA_DIST += doc/config-notes.md
