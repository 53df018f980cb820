# Automatic reconnection after msgq dies and is restarted on the same
# socket: a libcc session, in-process modules and a real ccbus-cfgmgr.
check_PROGRAMS += tests/integration/test_reconnect
TESTS += tests/integration/test_reconnect
tests_integration_test_reconnect_SOURCES = \
	tests/integration/test_reconnect.c
tests_integration_test_reconnect_CFLAGS = $(ITEST_CFLAGS) $(LIBEVENT_CFLAGS)
tests_integration_test_reconnect_LDADD = $(ITEST_LDADD) $(LIBEVENT_LIBS)
