# Check unit tests (spec): the format rules, data and command validation,
# defaults, loading files, and the specs shipped in specs/.
check_PROGRAMS += tests/unit/test_spec
TESTS += tests/unit/test_spec

tests_unit_test_spec_SOURCES = tests/unit/test_spec.c
tests_unit_test_spec_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_spec_LDADD = libcc/libcc.la $(CHECK_LIBS) $(JANSSON_LIBS)
