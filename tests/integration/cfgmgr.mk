# Integration tests of ccbus-cfgmgr: a real msgq and a real cfgmgr, raw
# clients playing the boss, the modules and the operator; and the
# crash-safety rounds (SIGKILL while set_config calls stream in).
CFGMGR_ITESTS = \
	tests/integration/test_cfgmgr \
	tests/integration/test_cfgmgr_crash
check_PROGRAMS += $(CFGMGR_ITESTS)
TESTS += $(CFGMGR_ITESTS)

tests_integration_test_cfgmgr_SOURCES = tests/integration/test_cfgmgr.c
tests_integration_test_cfgmgr_CFLAGS = $(ITEST_CFLAGS)
tests_integration_test_cfgmgr_LDADD = $(ITEST_LDADD)

tests_integration_test_cfgmgr_crash_SOURCES = \
	tests/integration/test_cfgmgr_crash.c
tests_integration_test_cfgmgr_crash_CFLAGS = $(ITEST_CFLAGS)
tests_integration_test_cfgmgr_crash_LDADD = $(ITEST_LDADD)
