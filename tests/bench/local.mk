# ccbus-bench: built by make check, run by make bench.
