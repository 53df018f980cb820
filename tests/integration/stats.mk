# The stats module end to end (the default suite under ccbus, and msgq +
# cfgmgr + stats alone), and msgq's getstats.
check_PROGRAMS += tests/integration/test_stats
TESTS += tests/integration/test_stats
tests_integration_test_stats_SOURCES = tests/integration/test_stats.c
tests_integration_test_stats_CFLAGS = $(ITEST_CFLAGS)
tests_integration_test_stats_LDADD = $(ITEST_LDADD)
