# ccbus, the boss: starts, supervises and stops the suite. Its logic is a
# convenience library; main.c is thin. Installed in bin: it is what users
# run.
noinst_LTLIBRARIES += boss/libboss.la
boss_libboss_la_SOURCES = \
	boss/boss.h \
	boss/boss.c \
	boss/boss_component.c \
	boss/boss_config.c \
	boss/boss_sm.c \
	boss/boss_policy.c \
	boss/boss_proc.c \
	boss/boss_output.c \
	boss/boss_reap.c \
	boss/boss_ready.c \
	boss/boss_stop.c \
	boss/boss_cmd.c
boss_libboss_la_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JANSSON_CFLAGS)
boss_libboss_la_LIBADD = libcc/libcc.la common/libcommon.la \
	$(LIBEVENT_LIBS) $(JANSSON_LIBS)

bin_PROGRAMS += boss/ccbus
boss_ccbus_SOURCES = boss/main.c
boss_ccbus_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JANSSON_CFLAGS)
boss_ccbus_LDADD = boss/libboss.la

EXTRA_DIST += doc/boss-notes.md
