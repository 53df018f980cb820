# ccbus-msgq as a configured module: a raw client plays the config
# manager (PROTOCOL.md 9); also msgq's bounded decoding of command bodies.
check_PROGRAMS += tests/integration/test_msgq_config
TESTS += tests/integration/test_msgq_config

tests_integration_test_msgq_config_SOURCES = \
	tests/integration/test_msgq_config.c
tests_integration_test_msgq_config_CFLAGS = $(ITEST_CFLAGS)
tests_integration_test_msgq_config_LDADD = $(ITEST_LDADD)
