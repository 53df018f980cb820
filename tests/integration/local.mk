# Integration tests: real daemons on temporary sockets. Each program starts
# its own ccbus-msgq from $(CCBUS_BUILDDIR) (AM_TESTS_ENVIRONMENT) through
# the helpers in tests/support/.
check_LTLIBRARIES += tests/support/libtest.la
tests_support_libtest_la_SOURCES = tests/support/testlib.c \
	tests/support/testlib.h
tests_support_libtest_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_support_libtest_la_LIBADD = libcc/libcc.la $(JANSSON_LIBS)

ITEST_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests/support \
	$(CHECK_CFLAGS) $(JANSSON_CFLAGS)
ITEST_LDADD = tests/support/libtest.la libcc/libcc.la \
	$(CHECK_LIBS) $(JANSSON_LIBS)

noinst_HEADERS += tests/integration/itest.h tests/integration/suite.h

ITESTS = \
	tests/integration/test_msgq_routing \
	tests/integration/test_msgq_errors \
	tests/integration/test_msgq_limits \
	tests/integration/test_msgq_lifecycle \
	tests/integration/test_msgq_commands \
	tests/integration/test_session
check_PROGRAMS += $(ITESTS)
TESTS += $(ITESTS)

tests_integration_test_msgq_routing_SOURCES = \
	tests/integration/test_msgq_routing.c
tests_integration_test_msgq_routing_CFLAGS = $(ITEST_CFLAGS)
tests_integration_test_msgq_routing_LDADD = $(ITEST_LDADD)

tests_integration_test_msgq_errors_SOURCES = \
	tests/integration/test_msgq_errors.c
tests_integration_test_msgq_errors_CFLAGS = $(ITEST_CFLAGS)
tests_integration_test_msgq_errors_LDADD = $(ITEST_LDADD)

tests_integration_test_msgq_limits_SOURCES = \
	tests/integration/test_msgq_limits.c
tests_integration_test_msgq_limits_CFLAGS = $(ITEST_CFLAGS)
tests_integration_test_msgq_limits_LDADD = $(ITEST_LDADD)

tests_integration_test_msgq_lifecycle_SOURCES = \
	tests/integration/test_msgq_lifecycle.c
tests_integration_test_msgq_lifecycle_CFLAGS = $(ITEST_CFLAGS)
tests_integration_test_msgq_lifecycle_LDADD = $(ITEST_LDADD)

tests_integration_test_msgq_commands_SOURCES = \
	tests/integration/test_msgq_commands.c
tests_integration_test_msgq_commands_CFLAGS = $(ITEST_CFLAGS)
tests_integration_test_msgq_commands_LDADD = $(ITEST_LDADD)

tests_integration_test_session_SOURCES = \
	tests/integration/test_session.c
tests_integration_test_session_CFLAGS = $(ITEST_CFLAGS) $(LIBEVENT_CFLAGS)
tests_integration_test_session_LDADD = $(ITEST_LDADD) $(LIBEVENT_LIBS)

# An independent client written from the protocol specification alone
# (python3, standard library only: its own msgpack codec and framing).
TEST_EXTENSIONS = .py
PY_LOG_COMPILER = python3
TESTS += tests/integration/test_independent_client.py
EXTRA_DIST += tests/integration/test_independent_client.py

include tests/integration/cfgmgr.mk
include tests/integration/module.mk
include tests/integration/msgq_config.mk

# The configuration end to end: msgq + cfgmgr + modules (module API in
# process, modules/hello as a process).
check_PROGRAMS += tests/integration/test_config_suite
TESTS += tests/integration/test_config_suite
tests_integration_test_config_suite_SOURCES = \
	tests/integration/test_config_suite.c
tests_integration_test_config_suite_CFLAGS = $(ITEST_CFLAGS) $(LIBEVENT_CFLAGS)
tests_integration_test_config_suite_LDADD = $(ITEST_LDADD) $(LIBEVENT_LIBS)
include tests/integration/reconnect.mk
include tests/integration/boss.mk
include tests/integration/ctl.mk
include tests/integration/stats.mk
include tests/integration/guide.mk
