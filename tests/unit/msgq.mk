# Check unit tests (msgq): the subscription table, the hash table, the
# no-recipient rewrite, output queue accounting and the settings, linked
# against msgq's convenience library (no broker process).
check_PROGRAMS += tests/unit/test_subs
TESTS += tests/unit/test_subs

tests_unit_test_subs_SOURCES = tests/unit/test_subs.c
tests_unit_test_subs_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/msgq
tests_unit_test_subs_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	$(LIBEVENT_CFLAGS) $(MSGPACK_CFLAGS)
tests_unit_test_subs_LDADD = msgq/libmsgq.la $(CHECK_LIBS) \
	$(LIBEVENT_LIBS) $(MSGPACK_LIBS)
