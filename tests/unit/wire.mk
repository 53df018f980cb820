# Check unit tests (wire): framing and the decoder, header parsing, the
# msgpack <-> json_t codec.
check_PROGRAMS += tests/unit/test_wire tests/unit/test_header \
	tests/unit/test_codec
TESTS += tests/unit/test_wire tests/unit/test_header tests/unit/test_codec

WIRE_TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JANSSON_CFLAGS) \
	$(MSGPACK_CFLAGS)
WIRE_TEST_LIBS = libcc/libcc.la $(CHECK_LIBS) $(JANSSON_LIBS) \
	$(MSGPACK_LIBS)

tests_unit_test_wire_SOURCES = tests/unit/test_wire.c \
	tests/unit/wire_testutil.h
tests_unit_test_wire_CFLAGS = $(WIRE_TEST_CFLAGS)
tests_unit_test_wire_LDADD = $(WIRE_TEST_LIBS)

tests_unit_test_header_SOURCES = tests/unit/test_header.c \
	tests/unit/wire_testutil.h
tests_unit_test_header_CFLAGS = $(WIRE_TEST_CFLAGS)
tests_unit_test_header_LDADD = $(WIRE_TEST_LIBS)

tests_unit_test_codec_SOURCES = tests/unit/test_codec.c \
	tests/unit/wire_testutil.h
tests_unit_test_codec_CFLAGS = $(WIRE_TEST_CFLAGS)
tests_unit_test_codec_LDADD = $(WIRE_TEST_LIBS)
