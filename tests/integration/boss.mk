# Integration tests of ccbus, the boss: the real daemons, hello and a
# fake component whose behaviour the tests choose by options.
check_PROGRAMS += tests/integration/fake_component
tests_integration_fake_component_SOURCES = tests/integration/fake_component.c
tests_integration_fake_component_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(JANSSON_CFLAGS)
tests_integration_fake_component_LDADD = libcc/libcc.la $(LIBEVENT_LIBS) \
	$(JANSSON_LIBS)

BOSS_ITESTS = \
	tests/integration/test_boss \
	tests/integration/test_boss_supervise
check_PROGRAMS += $(BOSS_ITESTS)
TESTS += $(BOSS_ITESTS)
noinst_HEADERS += tests/integration/test_boss.h

tests_integration_test_boss_SOURCES = tests/integration/test_boss.c
tests_integration_test_boss_CFLAGS = $(ITEST_CFLAGS)
tests_integration_test_boss_LDADD = $(ITEST_LDADD)

tests_integration_test_boss_supervise_SOURCES = \
	tests/integration/test_boss_supervise.c
tests_integration_test_boss_supervise_CFLAGS = $(ITEST_CFLAGS)
tests_integration_test_boss_supervise_LDADD = $(ITEST_LDADD)
