# Fuzz targets: one per parser of untrusted input in libcc, each using
# libcc's public API only. Normally each is linked with a small mutation
# driver (fuzz_main.c) and make check runs it on its seed corpus,
# tests/fuzz/corpus/<target>/, then on DEFAULT_RUNS mutations of it; built
# with --enable-fuzzing (clang) they are libFuzzer programs instead, not
# tests: `make fuzz` builds them, `./dev.sh fuzz` runs them.
FUZZ_TARGETS = tests/fuzz/fuzz_decoder tests/fuzz/fuzz_header \
	tests/fuzz/fuzz_codec tests/fuzz/fuzz_message tests/fuzz/fuzz_spec
check_PROGRAMS += $(FUZZ_TARGETS)
noinst_HEADERS += tests/fuzz/fuzz.h
EXTRA_DIST += tests/fuzz/corpus tests/fuzz/make_corpus.py \
	tests/fuzz/fuzz_spec.dict

if FUZZING
FUZZ_DRIVER =
FUZZ_ENGINE = -fsanitize=fuzzer
else
FUZZ_DRIVER = tests/fuzz/fuzz_main.c
FUZZ_ENGINE =
TESTS += $(FUZZ_TARGETS)
endif

# -no-install: the programs run from the build tree without libtool's
# wrapper script, which libFuzzer's -fork and -jobs modes re-execute.
FUZZ_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(FUZZ_ENGINE)
FUZZ_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_ENGINE) -no-install
FUZZ_LDADD = libcc/libcc.la $(JANSSON_LIBS)

tests_fuzz_fuzz_decoder_SOURCES = tests/fuzz/fuzz_decoder.c \
	tests/fuzz/fuzz_checks.c $(FUZZ_DRIVER)
tests_fuzz_fuzz_decoder_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_decoder_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_decoder_LDADD = $(FUZZ_LDADD)

tests_fuzz_fuzz_header_SOURCES = tests/fuzz/fuzz_header.c \
	tests/fuzz/fuzz_checks.c $(FUZZ_DRIVER)
tests_fuzz_fuzz_header_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_header_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_header_LDADD = $(FUZZ_LDADD)

tests_fuzz_fuzz_codec_SOURCES = tests/fuzz/fuzz_codec.c \
	tests/fuzz/fuzz_checks.c $(FUZZ_DRIVER)
tests_fuzz_fuzz_codec_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_codec_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_codec_LDADD = $(FUZZ_LDADD)

tests_fuzz_fuzz_message_SOURCES = tests/fuzz/fuzz_message.c \
	tests/fuzz/fuzz_checks.c $(FUZZ_DRIVER)
tests_fuzz_fuzz_message_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_message_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_message_LDADD = $(FUZZ_LDADD)

tests_fuzz_fuzz_spec_SOURCES = tests/fuzz/fuzz_spec.c \
	tests/fuzz/fuzz_checks.c $(FUZZ_DRIVER)
tests_fuzz_fuzz_spec_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_spec_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_spec_LDADD = $(FUZZ_LDADD)

# The targets alone, without the rest of the tests (./dev.sh fuzz).
.PHONY: fuzz
fuzz: $(FUZZ_TARGETS)
