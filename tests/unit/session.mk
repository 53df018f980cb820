# Check unit tests (session): message bodies and accessors, and sessions
# against a fake broker thread. They link libcc's objects rather than the
# shared library, whose exports stop at cc_*, to reach two internals:
# making a cc_msg from a frame, and a short send timeout.
check_PROGRAMS += tests/unit/test_message tests/unit/test_session \
	tests/unit/test_session_event
TESTS += tests/unit/test_message tests/unit/test_session \
	tests/unit/test_session_event

SESSION_TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(MSGPACK_CFLAGS) $(JANSSON_CFLAGS)
SESSION_TEST_LIBS = $(libcc_libcc_la_OBJECTS) $(CHECK_LIBS) \
	$(LIBEVENT_LIBS) $(MSGPACK_LIBS) $(JANSSON_LIBS)

tests_unit_test_message_SOURCES = tests/unit/test_message.c
tests_unit_test_message_CFLAGS = $(SESSION_TEST_CFLAGS)
tests_unit_test_message_LDADD = $(SESSION_TEST_LIBS)

tests_unit_test_session_SOURCES = tests/unit/test_session.c \
	tests/unit/fake_broker.c tests/unit/fake_broker.h
tests_unit_test_session_CFLAGS = $(SESSION_TEST_CFLAGS) -pthread
tests_unit_test_session_LDFLAGS = $(AM_LDFLAGS) -pthread
tests_unit_test_session_LDADD = $(SESSION_TEST_LIBS)

tests_unit_test_session_event_SOURCES = tests/unit/test_session_event.c \
	tests/unit/fake_broker.c tests/unit/fake_broker.h
tests_unit_test_session_event_CFLAGS = $(SESSION_TEST_CFLAGS) -pthread
tests_unit_test_session_event_LDFLAGS = $(AM_LDFLAGS) -pthread
tests_unit_test_session_event_LDADD = $(SESSION_TEST_LIBS)
