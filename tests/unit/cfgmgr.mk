# Check unit tests (cfgmgr): the configuration file and set_config's
# merge, linked against cfgmgr's convenience library (no daemon process).
CFGMGR_UTESTS = tests/unit/test_cfgmgr_store tests/unit/test_cfgmgr_merge
check_PROGRAMS += $(CFGMGR_UTESTS)
TESTS += $(CFGMGR_UTESTS)

CFGMGR_UTEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/cfgmgr
CFGMGR_UTEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(JANSSON_CFLAGS)
CFGMGR_UTEST_LDADD = cfgmgr/libcfgmgr.la $(CHECK_LIBS) $(LIBEVENT_LIBS) \
	$(JANSSON_LIBS)

tests_unit_test_cfgmgr_store_SOURCES = tests/unit/test_cfgmgr_store.c
tests_unit_test_cfgmgr_store_CPPFLAGS = $(CFGMGR_UTEST_CPPFLAGS)
tests_unit_test_cfgmgr_store_CFLAGS = $(CFGMGR_UTEST_CFLAGS)
tests_unit_test_cfgmgr_store_LDADD = $(CFGMGR_UTEST_LDADD)

tests_unit_test_cfgmgr_merge_SOURCES = tests/unit/test_cfgmgr_merge.c
tests_unit_test_cfgmgr_merge_CPPFLAGS = $(CFGMGR_UTEST_CPPFLAGS)
tests_unit_test_cfgmgr_merge_CFLAGS = $(CFGMGR_UTEST_CFLAGS)
tests_unit_test_cfgmgr_merge_LDADD = $(CFGMGR_UTEST_LDADD)
