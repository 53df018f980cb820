# ccbus-bench: built by make check (not run by it), run by make bench.
check_PROGRAMS += tests/bench/ccbus-bench
tests_bench_ccbus_bench_SOURCES = tests/bench/ccbus-bench.c
tests_bench_ccbus_bench_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests/support \
	$(JANSSON_CFLAGS)
tests_bench_ccbus_bench_LDADD = tests/support/libtest.la libcc/libcc.la \
	$(JANSSON_LIBS)

# The daemon must be built too: the bench starts its own.
bench: tests/bench/ccbus-bench$(EXEEXT) msgq/ccbus-msgq$(EXEEXT)
	CCBUS_BUILDDIR='$(abs_top_builddir)' \
		tests/bench/ccbus-bench$(EXEEXT) all
.PHONY: bench
