/*
 * Unit tests of set_config's merge (cfgmgr_merge): each key of the
 * changes replaces that item whole, null removes it, the inputs are left
 * as they were. JSON in the table is written with single quotes.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "cfgmgr.h"

static json_t *
j(const char *text)
{
	char buf[512];
	json_error_t e;
	json_t *v;
	size_t i;

	ck_assert_uint_lt(strlen(text), sizeof(buf));
	for (i = 0; text[i] != '\0'; i++)
		buf[i] = text[i] == '\'' ? '"' : text[i];
	buf[i] = '\0';
	v = json_loads(buf, 0, &e);
	ck_assert_msg(v != NULL, "bad test JSON %s: %s", text, e.text);
	return v;
}

static const struct merge_case {
	const char	*values;
	const char	*changes;
	const char	*want;
} cases[] = {
	{ "{}", "{}", "{}" },
	{ "{}", "{'a': 1}", "{'a': 1}" },
	{ "{'a': 1}", "{'a': 2}", "{'a': 2}" },
	{ "{'a': 1, 'b': 2}", "{'a': null}", "{'b': 2}" },
	{ "{'a': 1}", "{'nosuch': null}", "{'a': 1}" },
	{ "{'a': 1}", "{'b': 'x'}", "{'a': 1, 'b': 'x'}" },
	/* One level deep: a map is replaced, not merged into. */
	{ "{'m': {'x': 1, 'y': 2}}", "{'m': {'x': 3}}", "{'m': {'x': 3}}" },
	{ "{'l': [1, 2]}", "{'l': [3]}", "{'l': [3]}" },
	{ "{'m': {'x': 1}}", "{'m': {'x': null}}", "{'m': {'x': null}}" },
};

START_TEST(test_merge)
{
	const struct merge_case *c = &cases[_i];
	json_t *values = j(c->values), *changes = j(c->changes);
	json_t *want = j(c->want), *v0 = json_deep_copy(values);
	json_t *c0 = json_deep_copy(changes), *got;
	char *text;

	got = cfgmgr_merge(values, changes);
	text = json_dumps(got, JSON_SORT_KEYS);
	ck_assert_msg(json_equal(got, want), "%s + %s: got %s, want %s",
	    c->values, c->changes, text, c->want);
	free(text);
	ck_assert(json_equal(values, v0));
	ck_assert(json_equal(changes, c0));
	/* A copy: changing the result leaves the inputs alone. */
	json_object_set_new(got, "extra", json_true());
	ck_assert(json_equal(values, v0));
	json_decref(got);
	json_decref(want);
	json_decref(values);
	json_decref(changes);
	json_decref(v0);
	json_decref(c0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cfgmgr_merge");
	TCase *tc = tcase_create("merge");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_merge, 0,
	    sizeof(cases) / sizeof(cases[0]));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
