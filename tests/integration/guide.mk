# The module writer's guide (doc/writing-modules.md): its module,
# doc/examples/counter, built from the file the guide quotes, and the test
# that runs it against msgq + cfgmgr and checks that the guide's code
# blocks are that file. Then the manual pages' lint (skipped without groff).
check_PROGRAMS += doc/examples/counter/counter tests/integration/test_guide
TESTS += tests/integration/test_guide tests/integration/test_manpages

# Built like a module outside this tree: only the installed libcc API.
doc_examples_counter_counter_SOURCES = doc/examples/counter/counter.c
doc_examples_counter_counter_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(JANSSON_CFLAGS)
doc_examples_counter_counter_LDADD = libcc/libcc.la $(LIBEVENT_LIBS) \
	$(JANSSON_LIBS)

tests_integration_test_guide_SOURCES = tests/integration/test_guide.c
tests_integration_test_guide_CFLAGS = $(ITEST_CFLAGS)
tests_integration_test_guide_LDADD = $(ITEST_LDADD)

EXTRA_DIST += tests/integration/test_manpages

# The guide's build line against the installed libcc (`make installcheck`,
# which `make distcheck` runs): the module must compile and link with
# nothing but pkg-config's flags, and run (a bad option: exit 64).
installcheck-local: installcheck-guide
installcheck-guide:
	$(AM_V_GEN)PKG_CONFIG_PATH='$(libdir)/pkgconfig'$${PKG_CONFIG_PATH:+:$$PKG_CONFIG_PATH}; \
	export PKG_CONFIG_PATH; \
	$(CC) $(SAN_CFLAGS) -Wall -Wextra -Wno-unused-parameter -Werror \
	    -o guide-counter$(EXEEXT) $(srcdir)/doc/examples/counter/counter.c \
	    `$(PKG_CONFIG) --cflags --libs libcc libevent jansson` || exit 1; \
	LD_LIBRARY_PATH='$(libdir)' ./guide-counter$(EXEEXT) -x 2>/dev/null; \
	st=$$?; rm -f guide-counter$(EXEEXT); \
	test $$st -eq 64 || { echo "guide-counter -x: exit $$st, not 64"; exit 1; }
.PHONY: installcheck-guide
CLEANFILES += guide-counter$(EXEEXT)
