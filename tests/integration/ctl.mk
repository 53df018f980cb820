# ccbusctl against a real suite (ccbus with msgq, cfgmgr and hello, as
# test_boss.h starts it); the program is run as a process.
check_PROGRAMS += tests/integration/test_ctl
TESTS += tests/integration/test_ctl
tests_integration_test_ctl_SOURCES = tests/integration/test_ctl.c
tests_integration_test_ctl_CFLAGS = $(ITEST_CFLAGS)
tests_integration_test_ctl_LDADD = $(ITEST_LDADD)
