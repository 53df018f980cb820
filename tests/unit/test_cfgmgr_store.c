/*
 * Unit tests of ccbus-cfgmgr's configuration file (cfgmgr_store.c): a
 * save/load round trip (mode 0600, no temporary file left), every reason
 * to refuse a file with its message and the file's bytes unchanged, a
 * missing file, --clear-config's backup names, and a save that cannot
 * write. Each test works in its own temporary directory.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "cfgmgr.h"

static char dir[64];
static char path[128];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cfgmgr-store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ccbus-config.db", dir);
}

static int
remove_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(p);
	return 0;
}

static void
teardown(void)
{
	nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void
write_file(const char *p, const char *text)
{
	FILE *fp = fopen(p, "w");

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fputs(text, fp) >= 0, 1);
	ck_assert_int_eq(fclose(fp), 0);
}

/* The file's bytes (malloc'd, NUL-terminated), NULL if unreadable. */
static char *
read_file(const char *p)
{
	FILE *fp = fopen(p, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	if (fp == NULL) {
		free(buf);
		return NULL;
	}
	n = fread(buf, 1, 65535, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static bool
exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

START_TEST(test_round_trip)
{
	/* 0.1 + 0.2 needs all 17 digits to come back exactly. */
	json_t *mods = json_pack("{s:{s:s, s:f, s:[s,s]}, s:{s:I}, s:{s:f}}",
	    "Hello", "greeting", "hi", "interval", 2.5, "peers", "a", "b",
	    "Msgq", "max_frame", (json_int_t)1048576, "Odd", "x", 0.1 + 0.2),
	    *got;
	char err[CFGMGR_ERRLEN] = "", tmp[160];
	struct stat st;

	ck_assert_msg(cfgmgr_store_save(path, mods, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert(!exists(tmp));
	ck_assert_msg(cfgmgr_store_load(path, &got, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert(json_equal(got, mods));
	json_decref(got);
	/* Saving again replaces the content, with the same mode. */
	json_object_del(mods, "Msgq");
	ck_assert_int_eq(cfgmgr_store_save(path, mods, err, sizeof(err)), 0);
	ck_assert_int_eq(cfgmgr_store_load(path, &got, err, sizeof(err)), 0);
	ck_assert(json_equal(got, mods));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	json_decref(got);
	json_decref(mods);
}
END_TEST

/* The file holds the version, sorted and indented keys, and reals as
 * people write them. */
START_TEST(test_saved_text)
{
	json_t *mods = json_pack("{s:{s:i}, s:{s:f}}", "Zeta", "z", 1,
	    "Alpha", "a", 0.3);
	char err[CFGMGR_ERRLEN] = "", *text;

	ck_assert_int_eq(cfgmgr_store_save(path, mods, err, sizeof(err)), 0);
	text = read_file(path);
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, "{\n  \"Alpha\": {\n    \"a\": 0.3\n  },\n"
	    "  \"Zeta\": {\n    \"z\": 1\n  },\n  \"version\": 1\n}\n");
	free(text);
	json_decref(mods);
}
END_TEST

START_TEST(test_missing_file)
{
	char err[CFGMGR_ERRLEN] = "";
	json_t *got;

	ck_assert_int_eq(cfgmgr_store_load(path, &got, err, sizeof(err)), 0);
	ck_assert(json_is_object(got));
	ck_assert_uint_eq(json_object_size(got), 0);
	ck_assert(!exists(path));
	json_decref(got);
}
END_TEST

static const struct refusal {
	const char	*content;
	const char	*why;		/* after "<path>: " */
} refusals[] = {
	{ "hello", "not JSON: line 1, column 5: '[' or '{' expected "
	    "near 'hello'" },
	{ "{\"version\": 1, \"Hello\": {\"greeting\": \"h",
	    "not JSON: line 1, column 39: premature end of input near "
	    "'\"h'" },
	{ "[1, 2]", "the top level is not a JSON object" },
	{ "{\"Hello\": {}}", "no \"version\"" },
	{ "{\"version\": \"1\"}", "\"version\" is not an integer" },
	{ "{\"version\": 1.0}", "\"version\" is not an integer" },
	{ "{\"version\": 2}", "written by a newer ccbus-cfgmgr (version 2, "
	    "this one reads 1)" },
	{ "{\"version\": 0}", "unknown version 0" },
	{ "{\"version\": 1, \"Hello\": [1]}",
	    "the configuration of Hello is not a map" },
	{ "{\"version\": 1, \"Hello\": {}, \"Hello\": {}}",
	    "not JSON: line 1, column 35: duplicate object key near "
	    "'\"Hello\"'" },
};

START_TEST(test_refused)
{
	const struct refusal *r = &refusals[_i];
	char err[CFGMGR_ERRLEN] = "", want[CFGMGR_ERRLEN], *after;
	json_t *got = (json_t *)1;

	write_file(path, r->content);
	ck_assert_int_eq(cfgmgr_store_load(path, &got, err, sizeof(err)), -1);
	ck_assert_ptr_null(got);
	snprintf(want, sizeof(want), "%s: %s", path, r->why);
	ck_assert_str_eq(err, want);
	after = read_file(path);
	ck_assert_ptr_nonnull(after);
	ck_assert_str_eq(after, r->content);
	free(after);
}
END_TEST

START_TEST(test_directory_refused)
{
	char err[CFGMGR_ERRLEN] = "", want[CFGMGR_ERRLEN];
	struct stat st;
	json_t *got;

	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(cfgmgr_store_load(path, &got, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: %s", path, strerror(EISDIR));
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
}
END_TEST

START_TEST(test_unreadable_refused)
{
	char err[CFGMGR_ERRLEN] = "", want[CFGMGR_ERRLEN];
	json_t *got;

	/* root reads any file: nothing to check then. */
	if (geteuid() == 0)
		return;
	write_file(path, "{\"version\": 1}");
	ck_assert_int_eq(chmod(path, 0), 0);
	ck_assert_int_eq(cfgmgr_store_load(path, &got, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: %s", path, strerror(EACCES));
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(test_clear)
{
	char err[CFGMGR_ERRLEN] = "", bak[160], want[160], *text;

	/* Nothing to clear. */
	ck_assert_int_eq(cfgmgr_store_clear(path, bak, sizeof(bak), err,
	    sizeof(err)), 0);
	write_file(path, "first");
	ck_assert_int_eq(cfgmgr_store_clear(path, bak, sizeof(bak), err,
	    sizeof(err)), 1);
	snprintf(want, sizeof(want), "%s.bak", path);
	ck_assert_str_eq(bak, want);
	ck_assert(!exists(path));
	/* .bak is taken: .bak.1, and .bak keeps its bytes. */
	write_file(path, "second");
	ck_assert_int_eq(cfgmgr_store_clear(path, bak, sizeof(bak), err,
	    sizeof(err)), 1);
	snprintf(want, sizeof(want), "%s.bak.1", path);
	ck_assert_str_eq(bak, want);
	write_file(path, "third");
	ck_assert_int_eq(cfgmgr_store_clear(path, bak, sizeof(bak), err,
	    sizeof(err)), 1);
	snprintf(want, sizeof(want), "%s.bak.2", path);
	ck_assert_str_eq(bak, want);
	snprintf(want, sizeof(want), "%s.bak", path);
	ck_assert_str_eq(text = read_file(want), "first");
	free(text);
	snprintf(want, sizeof(want), "%s.bak.1", path);
	ck_assert_str_eq(text = read_file(want), "second");
	free(text);
	snprintf(want, sizeof(want), "%s.bak.2", path);
	ck_assert_str_eq(text = read_file(want), "third");
	free(text);
}
END_TEST

/* A save that cannot write its temporary file reports it, leaves the old
 * file as it was and no temporary file. */
START_TEST(test_save_fails)
{
	json_t *mods = json_pack("{s:{s:s}}", "Hello", "greeting", "x");
	char err[CFGMGR_ERRLEN] = "", tmp[160], *text;

	write_file(path, "{\"version\": 1}");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	/* A directory where the temporary file goes: open() fails. */
	ck_assert_int_eq(mkdir(tmp, 0700), 0);
	ck_assert_int_eq(cfgmgr_store_save(path, mods, err, sizeof(err)), -1);
	ck_assert_msg(strncmp(err, tmp, strlen(tmp)) == 0 &&
	    strstr(err, strerror(EISDIR)) != NULL, "%s", err);
	ck_assert_str_eq(text = read_file(path), "{\"version\": 1}");
	free(text);
	json_decref(mods);
}
END_TEST

START_TEST(test_mkdir)
{
	char sub[160], err[CFGMGR_ERRLEN] = "";
	struct stat st;

	snprintf(sub, sizeof(sub), "%s/data", dir);
	ck_assert_int_eq(cfgmgr_store_mkdir(sub, err, sizeof(err)), 0);
	ck_assert_int_eq(stat(sub, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0077, 0);
	/* Existing: fine. Only the last component is created. */
	ck_assert_int_eq(cfgmgr_store_mkdir(sub, err, sizeof(err)), 0);
	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	ck_assert_int_eq(cfgmgr_store_mkdir(sub, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, strerror(ENOENT)) != NULL, "%s", err);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite *s = suite_create("cfgmgr_store");
	TCase *tc = tcase_create("store");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_saved_text);
	tcase_add_test(tc, test_missing_file);
	tcase_add_loop_test(tc, test_refused, 0,
	    sizeof(refusals) / sizeof(refusals[0]));
	tcase_add_test(tc, test_directory_refused);
	tcase_add_test(tc, test_unreadable_refused);
	tcase_add_test(tc, test_clear);
	tcase_add_test(tc, test_save_fails);
	tcase_add_test(tc, test_mkdir);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(store_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
