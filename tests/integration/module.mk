# libcc's module API and the example module hello against a real msgq,
# with the config manager scripted by the test (a thread while a module
# in the test process starts: hence -pthread).
check_PROGRAMS += tests/integration/test_module
TESTS += tests/integration/test_module

tests_integration_test_module_SOURCES = tests/integration/test_module.c
tests_integration_test_module_CFLAGS = $(ITEST_CFLAGS) $(LIBEVENT_CFLAGS) \
	-pthread
tests_integration_test_module_LDADD = $(ITEST_LDADD) $(LIBEVENT_LIBS) \
	-lpthread
