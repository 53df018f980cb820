# ccbus-bench: built by make check (not run by it), run by make bench.
check_PROGRAMS += tests/bench/ccbus-bench
tests_bench_ccbus_bench_SOURCES = tests/bench/ccbus-bench.c \
	tests/bench/bench_boss.c tests/bench/bench_boss.h
tests_bench_ccbus_bench_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests/support \
	$(JANSSON_CFLAGS)
tests_bench_ccbus_bench_LDADD = tests/support/libtest.la libcc/libcc.la \
	$(JANSSON_LIBS)

# The daemons must be built too: the bench starts its own (msgq alone,
# and the whole suite for the boss's modes).
bench: tests/bench/ccbus-bench$(EXEEXT) msgq/ccbus-msgq$(EXEEXT) \
	cfgmgr/ccbus-cfgmgr$(EXEEXT) boss/ccbus$(EXEEXT) \
	tests/integration/fake_component$(EXEEXT)
	CCBUS_BUILDDIR='$(abs_top_builddir)' \
	CCBUS_SRCDIR='$(abs_top_srcdir)' \
	CCBUS_SPECDIR='$(abs_top_srcdir)/specs' \
		tests/bench/ccbus-bench$(EXEEXT) all
.PHONY: bench
