/*
 * Unit tests of the spec layer: every rule of the spec format with its
 * exact message, every rule of data validation (types, lists, maps,
 * named_sets, formats, unknown and missing items, paths), command
 * arguments, defaults, cc_spec_load() on good, missing and corrupt files,
 * and the specs shipped in specs/ (found through CCBUS_SRCDIR).
 *
 * JSON in the tables is written with single quotes, turned into double
 * quotes before parsing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "cc/error.h"
#include "cc/spec.h"

static json_t *
j(const char *text)
{
	char buf[4096];
	json_error_t jerr;
	json_t *v;
	size_t i;

	ck_assert_uint_lt(strlen(text), sizeof(buf));
	for (i = 0; text[i] != '\0'; i++)
		buf[i] = text[i] == '\'' ? '"' : text[i];
	buf[i] = '\0';
	v = json_loads(buf, JSON_DECODE_ANY, &jerr);
	ck_assert_msg(v != NULL, "bad test JSON %s: %s", text, jerr.text);
	return v;
}

static struct cc_spec *
spec(const char *text)
{
	struct cc_spec *s;
	char err[512] = "";
	json_t *v = j(text);

	ck_assert_msg(cc_spec_from_json(v, &s, err, sizeof(err)) == CC_OK,
	    "%s: %s", text, err);
	json_decref(v);
	return s;
}

#define MOD(rest)	"{'module_name': 'M'" rest "}"
#define CFG(items)	MOD(", 'config_data': [" items "]")
#define CMD(cmds)	MOD(", 'commands': [" cmds "]")
#define STA(items)	MOD(", 'statistics': [" items "]")
#define OPT		"'item_optional': true"
#define STR(n)		"{'item_name': '" n "', 'item_type': 'string', " OPT "}"

static const struct bad_spec {
	const char	*json;
	const char	*why;
} bad_specs[] = {
	{ "[]", "module_spec should be a map" },
	{ "{'module_spec': 1}", "module_spec should be a map" },
	{ "{}", "module_spec: module_name missing" },
	{ "{'module_name': 1}", "module_spec: module_name should be a string" },
	{ "{'module_name': ''}", "module_spec: module_name is empty" },
	{ MOD(", 'module_description': 1"),
	  "module_description should be a string" },
	{ MOD(", 'config_data': {}"), "config_data should be a list" },
	{ MOD(", 'commands': 1"), "commands should be a list" },
	{ MOD(", 'statistics': 's'"), "statistics should be a list" },
	{ MOD(", 'colour': 1"), "unknown field 'colour' in module_spec" },
	/* items */
	{ CFG("1"), "config_data[0] should be a map" },
	{ CFG("{'item_type': 'string', " OPT "}"),
	  "config_data[0]: item_name missing" },
	{ CFG(STR("a") ", {'item_name': 3, 'item_type': 'string', " OPT "}"),
	  "config_data[1]: item_name should be a string" },
	{ CFG("{'item_name': '', 'item_type': 'string', " OPT "}"),
	  "config_data[0]: item_name is empty" },
	{ CFG("{'item_name': 'x', " OPT "}"), "item 'x': item_type missing" },
	{ CFG("{'item_name': 'x', 'item_type': 1, " OPT "}"),
	  "item 'x': item_type should be a string" },
	{ CFG("{'item_name': 'x', 'item_type': 'float', " OPT "}"),
	  "item 'x': item_type 'float' is not one of integer, real, boolean, "
	  "string, list, map, named_set, any" },
	{ CFG("{'item_name': 'x', 'item_type': 'string'}"),
	  "item 'x': item_optional missing" },
	{ CFG("{'item_name': 'x', 'item_type': 'string', "
	  "'item_optional': 'yes'}"),
	  "item 'x': item_optional should be a boolean" },
	{ CFG("{'item_name': 'x', 'item_type': 'string', "
	  "'item_optional': false}"), "item 'x': item_default missing" },
	{ CFG("{'item_name': 'interval', 'item_type': 'real', "
	  "'item_optional': false, 'item_default': 'a'}"),
	  "item_default for 'interval' should be a real" },
	{ CFG("{'item_name': 'x', 'item_type': 'integer', " OPT ", "
	  "'item_default': 1.5}"), "item_default for 'x' should be an integer" },
	{ CFG("{'item_name': 'x', 'item_type': 'integer', " OPT ", "
	  "'item_default': false}"),
	  "item_default for 'x' should be an integer" },
	{ CFG("{'item_name': 'x', 'item_type': 'boolean', " OPT ", "
	  "'item_default': 1}"), "item_default for 'x' should be a boolean" },
	{ CFG("{'item_name': 'x', 'item_type': 'string', " OPT ", "
	  "'item_default': null}"), "item_default for 'x' should be a string" },
	{ CFG("{'item_name': 'peers', 'item_type': 'list', " OPT "}"),
	  "item 'peers': list_item_spec missing" },
	{ CFG("{'item_name': 'm', 'item_type': 'map', " OPT "}"),
	  "item 'm': map_item_spec missing" },
	{ CFG("{'item_name': 'n', 'item_type': 'named_set', " OPT "}"),
	  "item 'n': named_set_item_spec missing" },
	{ CFG("{'item_name': 'peers', 'item_type': 'list', " OPT ", "
	  "'list_item_spec': []}"),
	  "item 'peers': list_item_spec should be a map" },
	{ CFG("{'item_name': 'm', 'item_type': 'map', " OPT ", "
	  "'map_item_spec': {}}"), "item 'm': map_item_spec should be a list" },
	{ CFG("{'item_name': 'x', 'item_type': 'string', " OPT ", "
	  "'list_item_spec': " STR("y") "}"),
	  "item 'x': list_item_spec is only for list items" },
	{ CFG("{'item_name': 'x', 'item_type': 'integer', " OPT ", "
	  "'item_format': 'date'}"),
	  "item 'x': item_format is only for string items" },
	{ CFG("{'item_name': 'x', 'item_type': 'string', " OPT ", "
	  "'item_format': 'week'}"),
	  "item 'x': item_format 'week' is not one of date-time, date, time" },
	{ CFG("{'item_name': 'x', 'item_type': 'string', " OPT ", "
	  "'item_description': 1}"),
	  "item 'x': item_description should be a string" },
	{ CFG("{'item_name': 'x', 'item_type': 'string', " OPT ", "
	  "'colour': 1}"), "unknown field 'colour' in item 'x'" },
	{ CFG(STR("x") ", " STR("y") ", " STR("x")), "duplicate item 'x'" },
	{ CFG("{'item_name': 'm', 'item_type': 'map', " OPT ", "
	  "'map_item_spec': [{'item_name': 'k', 'item_type': 'strin', "
	  OPT "}]}"),
	  "item 'm/k': item_type 'strin' is not one of integer, real, boolean, "
	  "string, list, map, named_set, any" },
	{ CFG("{'item_name': 'peers', 'item_type': 'list', " OPT ", "
	  "'list_item_spec': {'item_type': 'string', " OPT "}}"),
	  "item 'peers': list_item_spec: item_name missing" },
	{ CFG("{'item_name': 'm', 'item_type': 'map', " OPT ", "
	  "'map_item_spec': [" STR("a") ", {}]}"),
	  "item 'm': map_item_spec[1]: item_name missing" },
	{ CFG("{'item_name': 'm', 'item_type': 'map', " OPT ", "
	  "'map_item_spec': [" STR("a") ", " STR("a") "]}"),
	  "duplicate item 'm/a'" },
	{ CFG("{'item_name': 'peers', 'item_type': 'list', " OPT ", "
	  "'item_default': ['a', 1], 'list_item_spec': " STR("peer") "}"),
	  "item_default for 'peers[1]' should be a string" },
	{ CFG("{'item_name': 'peers', 'item_type': 'list', " OPT ", "
	  "'list_item_spec': {'item_name': 'peer', 'item_type': 'string', "
	  "'item_optional': false, 'item_default': 1}}"),
	  "item_default for 'peers/peer' should be a string" },
	{ CFG("{'item_name': 'm', 'item_type': 'map', " OPT ", "
	  "'item_default': {'z': 1}, 'map_item_spec': [" STR("a") "]}"),
	  "item_default for 'm': unknown item 'z'" },
	/* Found by fuzz_spec's invariant: a list default's elements are not
	 * filled with defaults, so they must be complete. */
	{ CFG("{'item_name': 'l', 'item_type': 'list', " OPT ", "
	  "'item_default': [{}], 'list_item_spec': {'item_name': 'e', "
	  "'item_type': 'map', 'item_optional': false, 'item_default': {}, "
	  "'map_item_spec': [{'item_name': 'k', 'item_type': 'string', "
	  "'item_optional': false, 'item_default': 'v'}]}}"),
	  "item_default for 'l[0]': non-optional item 'k' missing" },
	{ CFG("{'item_name': 'm', 'item_type': 'map', " OPT ", "
	  "'item_default': {'a': 1}, 'map_item_spec': [" STR("a") "]}"),
	  "item_default for 'm/a' should be a string" },
	{ CFG("{'item_name': 'n', 'item_type': 'named_set', " OPT ", "
	  "'item_default': {'foo': 'x'}, 'named_set_item_spec': "
	  "{'item_name': 'v', 'item_type': 'integer', " OPT "}}"),
	  "item_default for 'n/foo' should be an integer" },
	{ CFG("{'item_name': 'd', 'item_type': 'string', " OPT ", "
	  "'item_format': 'date', 'item_default': '2020-13-01'}"),
	  "item_default for 'd' should be a date (YYYY-MM-DD)" },
	/* commands */
	{ CMD("1"), "commands[0] should be a map" },
	{ CMD("{}"), "commands[0]: command_name missing" },
	{ CMD("{'command_name': 1, 'command_args': []}"),
	  "commands[0]: command_name should be a string" },
	{ CMD("{'command_name': '', 'command_args': []}"),
	  "commands[0]: command_name is empty" },
	{ CMD("{'command_name': 'echo'}"), "command 'echo': command_args missing" },
	{ CMD("{'command_name': 'echo', 'command_args': {}}"),
	  "command 'echo': command_args should be a list" },
	{ CMD("{'command_name': 'echo', 'command_args': [], "
	  "'command_description': 1}"),
	  "command 'echo': command_description should be a string" },
	{ CMD("{'command_name': 'echo', 'command_args': [], 'colour': 1}"),
	  "unknown field 'colour' in command 'echo'" },
	{ CMD("{'command_name': 'echo', 'command_args': []}, "
	  "{'command_name': 'echo', 'command_args': []}"),
	  "duplicate command 'echo'" },
	{ CMD("{'command_name': 'echo', 'command_args': [{'item_name': 'text', "
	  "'item_type': 'string', 'item_optional': false}]}"),
	  "command 'echo': item 'text': item_default missing" },
	{ CMD("{'command_name': 'echo', 'command_args': [{'item_name': 'text', "
	  "'item_type': 'string', 'item_optional': false, 'item_default': 1}]}"),
	  "command 'echo': item_default for 'text' should be a string" },
	{ CMD("{'command_name': 'echo', 'command_args': [{}]}"),
	  "command 'echo': command_args[0]: item_name missing" },
	{ CMD("{'command_name': 'echo', 'command_args': [" STR("a") ", "
	  STR("a") "]}"), "command 'echo': duplicate item 'a'" },
	/* statistics */
	{ STA("{'item_name': 'n', 'item_type': 'integer', " OPT ", "
	  "'item_description': 'd'}"), "statistics: item 'n': item_title missing" },
	{ STA("{'item_name': 'n', 'item_type': 'integer', " OPT ", "
	  "'item_title': 't'}"),
	  "statistics: item 'n': item_description missing" },
	{ STA("{'item_name': 'n', 'item_type': 'integer', " OPT ", "
	  "'item_title': 1, 'item_description': 'd'}"),
	  "statistics: item 'n': item_title should be a string" },
	{ STA("{'item_name': 'n', 'item_type': 'integer', 'item_optional': "
	  "false, 'item_default': 'z', 'item_title': 't', "
	  "'item_description': 'd'}"),
	  "statistics: item_default for 'n' should be an integer" },
};

START_TEST(test_bad_spec)
{
	const struct bad_spec *b = &bad_specs[_i];
	struct cc_spec *s = (struct cc_spec *)1;
	char err[512] = "";
	json_t *v = j(b->json);

	ck_assert_int_eq(cc_spec_from_json(v, &s, err, sizeof(err)),
	    CC_EINVAL);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, b->why);
	json_decref(v);
}
END_TEST

static const char hello[] = "{'module_spec': {"
    "'module_name': 'Hello', 'module_description': 'Example module',"
    "'config_data': ["
    " {'item_name': 'greeting', 'item_type': 'string',"
    "  'item_optional': false, 'item_default': 'hello'},"
    " {'item_name': 'interval', 'item_type': 'real',"
    "  'item_optional': false, 'item_default': 1.0},"
    " {'item_name': 'peers', 'item_type': 'list', 'item_optional': true,"
    "  'list_item_spec': {'item_name': 'peer', 'item_type': 'string',"
    "   'item_optional': false, 'item_default': ''}}],"
    "'commands': ["
    " {'command_name': 'echo', 'command_description': 'Answer',"
    "  'command_args': [{'item_name': 'text', 'item_type': 'string',"
    "   'item_optional': false, 'item_default': ''}]},"
    " {'command_name': 'getstats', 'command_args': []}],"
    "'statistics': ["
    " {'item_name': 'echoes', 'item_type': 'integer', 'item_optional': false,"
    "  'item_default': 0, 'item_title': 'Echoes',"
    "  'item_description': 'Echo commands answered'}]}}";

START_TEST(test_good_spec)
{
	struct cc_spec *s = spec(hello);
	json_t *outer = j(hello);
	json_t *inner = json_object_get(outer, "module_spec");
	struct cc_spec *s2;
	char err[256];

	ck_assert_str_eq(cc_spec_module_name(s), "Hello");
	ck_assert_uint_eq(json_array_size(cc_spec_config_items(s)), 3);
	ck_assert_uint_eq(json_array_size(cc_spec_commands(s)), 2);
	ck_assert_uint_eq(json_array_size(cc_spec_statistics(s)), 1);
	ck_assert(json_equal((json_t *)cc_spec_json(s), inner));
	ck_assert_int_eq(cc_spec_from_json(inner, &s2, err, sizeof(err)),
	    CC_OK);
	ck_assert_str_eq(cc_spec_module_name(s2), "Hello");
	cc_spec_free(s2);
	json_decref(outer);
	cc_spec_free(s);
	cc_spec_free(NULL);
}
END_TEST

START_TEST(test_minimal_spec)
{
	struct cc_spec *s = spec(MOD(""));

	ck_assert_uint_eq(json_array_size(cc_spec_config_items(s)), 0);
	ck_assert_uint_eq(json_array_size(cc_spec_commands(s)), 0);
	ck_assert_uint_eq(json_array_size(cc_spec_statistics(s)), 0);
	ck_assert(!cc_spec_has_command(s, "echo"));
	cc_spec_free(s);
}
END_TEST

START_TEST(test_too_deep)
{
	char text[4096] = "{'module_name': 'M', 'config_data': [";
	struct cc_spec *s;
	char err[512];
	json_t *v;
	int i;

	for (i = 0; i < 40; i++)
		strcat(text, "{'item_name': 'l', 'item_type': 'list', "
		    OPT ", 'list_item_spec': ");
	strcat(text, STR("x"));
	for (i = 0; i < 40; i++)
		strcat(text, "}");
	strcat(text, "]}");
	v = j(text);
	ck_assert_int_eq(cc_spec_from_json(v, &s, err, sizeof(err)),
	    CC_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "': items nested deeper than 32"));
	json_decref(v);
}
END_TEST

#define ITEM(n, t)	"{'item_name': '" n "', 'item_type': '" t "', " OPT
static const char vspec[] = CFG(
    ITEM("i", "integer") "}, " ITEM("r", "real") "}, "
    ITEM("b", "boolean") "}, "
    "{'item_name': 's', 'item_type': 'string', 'item_optional': false, "
    " 'item_default': 'x'}, "
    ITEM("l", "list") ", 'list_item_spec': " STR("e") "}, "
    ITEM("m", "map") ", 'map_item_spec': ["
    " {'item_name': 'a', 'item_type': 'string', 'item_optional': false, "
    "  'item_default': ''}, "
    ITEM("o", "integer") "}, "
    ITEM("mm", "map") ", 'map_item_spec': ["
    "  {'item_name': 'z', 'item_type': 'boolean', 'item_optional': false, "
    "   'item_default': false}]}]}, "
    ITEM("n", "named_set") ", 'named_set_item_spec': " ITEM("v", "integer")
    "}}, "
    ITEM("ns", "named_set") ", 'named_set_item_spec': " ITEM("c", "map")
    ", 'map_item_spec': [{'item_name': 'k', 'item_type': 'string', "
    "  'item_optional': false, 'item_default': ''}]}}, "
    ITEM("a", "any") "}, "
    ITEM("dt", "string") ", 'item_format': 'date-time'}, "
    ITEM("d", "string") ", 'item_format': 'date'}, "
    ITEM("t", "string") ", 'item_format': 'time'}, "
    ITEM("lm", "list") ", 'list_item_spec': " ITEM("e", "map")
    ", 'map_item_spec': [{'item_name': 'q', 'item_type': 'integer', "
    "  'item_optional': false, 'item_default': 0}]}}");

static const struct vcase {
	const char	*data;
	int		 full;
	const char	*why;	/* NULL: valid */
} vcases[] = {
	{ "{'s': 'y'}", 1, NULL },
	{ "{}", 0, NULL },
	{ "{}", 1, "M: non-optional item 's' missing" },
	{ "[]", 0, "M should be a map" },
	{ "{'colour': 1}", 0, "M: unknown item 'colour'" },
	{ "{'i': 1}", 0, NULL },
	{ "{'i': -7}", 0, NULL },
	{ "{'i': 1.5}", 0, "M/i should be an integer" },
	{ "{'i': 1.0}", 0, "M/i should be an integer" },
	{ "{'i': true}", 0, "M/i should be an integer" },
	{ "{'i': '1'}", 0, "M/i should be an integer" },
	{ "{'i': null}", 0, "M/i should be an integer" },
	{ "{'r': 1}", 0, NULL },
	{ "{'r': 1.5}", 0, NULL },
	{ "{'r': '1'}", 0, "M/r should be a real" },
	{ "{'r': false}", 0, "M/r should be a real" },
	{ "{'b': true}", 0, NULL },
	{ "{'b': 0}", 0, "M/b should be a boolean" },
	{ "{'s': 1}", 0, "M/s should be a string" },
	{ "{'s': null}", 0, "M/s should be a string" },
	{ "{'l': []}", 0, NULL },
	{ "{'l': ['a', 'b']}", 0, NULL },
	{ "{'l': 'a'}", 0, "M/l should be a list" },
	{ "{'l': ['a', 'b', 3]}", 0, "M/l[2] should be a string" },
	{ "{'s': '', 'm': {'a': ''}}", 1, NULL },
	{ "{'m': {}}", 0, NULL },
	{ "{'s': '', 'm': {}}", 1, "M/m: non-optional item 'a' missing" },
	{ "{'m': []}", 0, "M/m should be a map" },
	{ "{'m': {'a': '', 'zz': 1}}", 0, "M/m: unknown item 'zz'" },
	{ "{'m': {'a': 1}}", 0, "M/m/a should be a string" },
	{ "{'m': {'o': 1.5}}", 0, "M/m/o should be an integer" },
	{ "{'m': {'mm': {'z': 1}}}", 0, "M/m/mm/z should be a boolean" },
	{ "{'m': {'mm': {}}}", 0, NULL },
	{ "{'s': '', 'm': {'a': '', 'mm': {}}}", 1,
	  "M/m/mm: non-optional item 'z' missing" },
	{ "{'n': {}}", 0, NULL },
	{ "{'n': {'x': 1, 'y': 2}}", 0, NULL },
	{ "{'n': {'x': 1, 'y': '2'}}", 0, "M/n/y should be an integer" },
	{ "{'n': []}", 0, "M/n should be a named_set" },
	{ "{'s': '', 'ns': {'h': {'k': 'v'}}}", 1, NULL },
	{ "{'ns': {'h': {}}}", 0, NULL },
	{ "{'s': '', 'ns': {'h': {}}}", 1,
	  "M/ns/h: non-optional item 'k' missing" },
	{ "{'ns': {'h': {'kind': 1}}}", 0, "M/ns/h: unknown item 'kind'" },
	{ "{'ns': {'h': 1}}", 0, "M/ns/h should be a map" },
	{ "{'a': null}", 0, NULL },
	{ "{'a': [1, {'x': null}, 'z']}", 0, NULL },
	{ "{'dt': '2024-02-29T23:59:60Z'}", 0, NULL },
	{ "{'dt': '2023-02-29T00:00:00Z'}", 0,
	  "M/dt should be a date-time (YYYY-MM-DDThh:mm:ssZ)" },
	{ "{'dt': '2024-01-01 00:00:00'}", 0,
	  "M/dt should be a date-time (YYYY-MM-DDThh:mm:ssZ)" },
	{ "{'dt': '2024-01-01T24:00:00Z'}", 0,
	  "M/dt should be a date-time (YYYY-MM-DDThh:mm:ssZ)" },
	{ "{'dt': '2024-01-01T00:00:00'}", 0,
	  "M/dt should be a date-time (YYYY-MM-DDThh:mm:ssZ)" },
	{ "{'d': '2024-12-31'}", 0, NULL },
	{ "{'d': '2000-02-29'}", 0, NULL },
	{ "{'d': '1900-02-29'}", 0, "M/d should be a date (YYYY-MM-DD)" },
	{ "{'d': '2024-1-31'}", 0, "M/d should be a date (YYYY-MM-DD)" },
	{ "{'d': '2024-04-31'}", 0, "M/d should be a date (YYYY-MM-DD)" },
	{ "{'d': '2024-00-10'}", 0, "M/d should be a date (YYYY-MM-DD)" },
	{ "{'d': 20240101}", 0, "M/d should be a string" },
	{ "{'t': '00:00:00'}", 0, NULL },
	{ "{'t': '23:59:59'}", 0, NULL },
	{ "{'t': '12:60:00'}", 0, "M/t should be a time (hh:mm:ss)" },
	{ "{'t': '1:00:00'}", 0, "M/t should be a time (hh:mm:ss)" },
	{ "{'t': '01:00:0a'}", 0, "M/t should be a time (hh:mm:ss)" },
	{ "{'s': '', 'lm': [{'q': 1}, {}]}", 1,
	  "M/lm[1]: non-optional item 'q' missing" },
	/* List elements get no defaults: complete even in a partial check. */
	{ "{'lm': [{'q': 1}, {}]}", 0,
	  "M/lm[1]: non-optional item 'q' missing" },
	{ "{'lm': [{'q': 1}]}", 0, NULL },
	{ "{'lm': [{'q': '1'}]}", 0, "M/lm[0]/q should be an integer" },
};

START_TEST(test_validate)
{
	const struct vcase *c = &vcases[_i];
	struct cc_spec *s = spec(vspec);
	json_t *data = j(c->data);
	char err[512] = "";
	int rc;

	rc = cc_spec_validate_config(s, data, c->full, err, sizeof(err));
	if (c->why == NULL) {
		ck_assert_msg(rc == CC_OK, "%s: %s", c->data, err);
	} else {
		ck_assert_int_eq(rc, CC_EINVAL);
		ck_assert_str_eq(err, c->why);
	}
	json_decref(data);
	cc_spec_free(s);
}
END_TEST

static const struct ccase {
	const char	*name;
	const char	*args;	/* NULL: no arguments */
	const char	*why;
} ccases[] = {
	{ "nope", NULL, "Unknown command: nope" },
	{ "nope", "{}", "Unknown command: nope" },
	{ "echo", "{'text': 'hi'}", NULL },
	{ "echo", NULL, "Hello/echo: non-optional item 'text' missing" },
	{ "echo", "{}", "Hello/echo: non-optional item 'text' missing" },
	{ "echo", "{'text': 1}", "Hello/echo/text should be a string" },
	{ "echo", "{'text': 'a', 'x': 1}", "Hello/echo: unknown item 'x'" },
	{ "echo", "['hi']", "Hello/echo should be a map" },
	{ "getstats", NULL, NULL },
	{ "getstats", "{}", NULL },
	{ "getstats", "{'x': 1}", "Hello/getstats: unknown item 'x'" },
};

START_TEST(test_command)
{
	const struct ccase *c = &ccases[_i];
	struct cc_spec *s = spec(hello);
	json_t *args = c->args == NULL ? NULL : j(c->args);
	char err[512] = "";
	int rc;

	ck_assert(cc_spec_has_command(s, c->name) ==
	    (strcmp(c->name, "nope") != 0));
	rc = cc_spec_validate_command(s, c->name, args, err, sizeof(err));
	if (c->why == NULL) {
		ck_assert_msg(rc == CC_OK, "%s: %s", c->name, err);
	} else {
		ck_assert_int_eq(rc, CC_EINVAL);
		ck_assert_str_eq(err, c->why);
	}
	json_decref(args);
	cc_spec_free(s);
}
END_TEST

static const char dspec[] = CFG(
    "{'item_name': 'g', 'item_type': 'string', 'item_optional': false,"
    " 'item_default': 'hello'}, "
    ITEM("p", "list") ", 'item_default': ['a'], "
    "'list_item_spec': " STR("e") "}, "
    ITEM("nodef", "integer") "}, "
    ITEM("m", "map") ", 'item_default': {}, 'map_item_spec': ["
    " {'item_name': 'a', 'item_type': 'string', 'item_optional': false,"
    "  'item_default': 'x'}, "
    ITEM("b", "integer") "}, "
    ITEM("c", "integer") ", 'item_default': 3}]}, "
    ITEM("ns", "named_set") ", 'item_default': {'one': {}}, "
    "'named_set_item_spec': " ITEM("v", "map") ", 'map_item_spec': ["
    ITEM("k", "string") ", 'item_default': 'kk'}]}}");

static const struct dcase {
	const char	*data;	/* NULL: none */
	const char	*want;
} dcases[] = {
	{ NULL, "{'g': 'hello', 'p': ['a'], 'm': {'a': 'x', 'c': 3}, "
	  "'ns': {'one': {'k': 'kk'}}}" },
	{ "{}", "{'g': 'hello', 'p': ['a'], 'm': {'a': 'x', 'c': 3}, "
	  "'ns': {'one': {'k': 'kk'}}}" },
	{ "{'g': 'hi', 'p': [], 'nodef': 5, 'm': {'c': 4}, 'ns': {}}",
	  "{'g': 'hi', 'p': [], 'nodef': 5, 'm': {'a': 'x', 'c': 4}, "
	  "'ns': {}}" },
	{ "{'m': {'a': 'y', 'b': 1}, 'ns': {'two': {'k': 'z'}, 'three': {}}}",
	  "{'g': 'hello', 'p': ['a'], 'm': {'a': 'y', 'b': 1, 'c': 3}, "
	  "'ns': {'two': {'k': 'z'}, 'three': {'k': 'kk'}}}" },
};

START_TEST(test_defaults)
{
	const struct dcase *c = &dcases[_i];
	struct cc_spec *s = spec(dspec);
	json_t *data = c->data == NULL ? NULL : j(c->data);
	json_t *want = j(c->want), *got;
	char *text;

	got = cc_spec_with_defaults(s, data);
	ck_assert_ptr_nonnull(got);
	text = json_dumps(got, JSON_SORT_KEYS);
	ck_assert_msg(json_equal(got, want), "%s", text);
	free(text);
	if (data != NULL)
		ck_assert_ptr_ne(got, data);
	json_decref(got);
	json_decref(data);
	json_decref(want);
	cc_spec_free(s);
}
END_TEST

/* The filled-in list is a copy: changing it leaves the spec alone. */
START_TEST(test_defaults_copied)
{
	struct cc_spec *s = spec(dspec);
	json_t *a = cc_spec_with_defaults(s, NULL), *b;
	const json_t *def = json_object_get(json_array_get(
	    cc_spec_config_items(s), 1), "item_default");

	ck_assert_ptr_ne(json_object_get(a, "p"), def);
	json_array_append_new(json_object_get(a, "p"), json_string("b"));
	b = cc_spec_with_defaults(s, NULL);
	ck_assert_uint_eq(json_array_size(json_object_get(b, "p")), 1);
	ck_assert_uint_eq(json_array_size(def), 1);
	json_decref(a);
	json_decref(b);
	cc_spec_free(s);
}
END_TEST

static void
write_temp(char *path, const char *text)
{
	int fd;

	strcpy(path, "/tmp/test_spec.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
}

START_TEST(test_load_good)
{
	char path[64], err[512] = "";
	struct cc_spec *s;
	json_t *v = j(hello);
	char *text = json_dumps(v, JSON_INDENT(2));

	write_temp(path, text);
	ck_assert_int_eq(cc_spec_load(path, &s, err, sizeof(err)), CC_OK);
	ck_assert_str_eq(cc_spec_module_name(s), "Hello");
	cc_spec_free(s);
	unlink(path);
	free(text);
	json_decref(v);
}
END_TEST

START_TEST(test_load_missing)
{
	const char *path = "/nonexistent/dir/hello.spec";
	struct cc_spec *s = (struct cc_spec *)1;
	char err[512] = "";

	ck_assert_int_eq(cc_spec_load(path, &s, err, sizeof(err)), CC_ESYS);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err,
	    "/nonexistent/dir/hello.spec: No such file or directory");
}
END_TEST

START_TEST(test_load_corrupt)
{
	char path[64], err[512] = "", want[128];
	struct cc_spec *s = (struct cc_spec *)1;

	write_temp(path, "{\"module_spec\": {\n  \"module_name\": \"M\",\n"
	    "  \"config_data\": [,]\n}}\n");
	ck_assert_int_eq(cc_spec_load(path, &s, err, sizeof(err)),
	    CC_EDECODE);
	ck_assert_ptr_null(s);
	snprintf(want, sizeof(want), "%s:3:", path);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
	unlink(path);
}
END_TEST

START_TEST(test_load_bad_rule)
{
	char path[64], err[512] = "", want[128];
	struct cc_spec *s = (struct cc_spec *)1;

	write_temp(path, "{\"module_spec\": {\"module_name\": \"M\", "
	    "\"commands\": [{\"command_name\": \"echo\"}]}}");
	ck_assert_int_eq(cc_spec_load(path, &s, err, sizeof(err)), CC_EINVAL);
	ck_assert_ptr_null(s);
	snprintf(want, sizeof(want), "%s: command 'echo': command_args missing",
	    path);
	ck_assert_str_eq(err, want);
	unlink(path);
}
END_TEST

static const char *const shipped[] = {
	"msgq.spec", "cfgmgr.spec", "boss.spec", "hello.spec",
};

/* Each spec in specs/ loads, and its defaults make a valid config. */
START_TEST(test_shipped)
{
	const char *srcdir = getenv("CCBUS_SRCDIR");
	char path[1024], err[512] = "";
	struct cc_spec *s;
	json_t *full;

	snprintf(path, sizeof(path), "%s/specs/%s",
	    srcdir != NULL ? srcdir : "..", shipped[_i]);
	ck_assert_msg(cc_spec_load(path, &s, err, sizeof(err)) == CC_OK,
	    "%s", err);
	full = cc_spec_with_defaults(s, NULL);
	ck_assert_ptr_nonnull(full);
	ck_assert_msg(cc_spec_validate_config(s, full, true, err,
	    sizeof(err)) == CC_OK, "%s: %s", path, err);
	json_decref(full);
	cc_spec_free(s);
}
END_TEST

#define N(a)	((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
spec_suite(void)
{
	Suite *s = suite_create("spec");
	TCase *tc;

	tc = tcase_create("format");
	tcase_add_loop_test(tc, test_bad_spec, 0, N(bad_specs));
	tcase_add_test(tc, test_good_spec);
	tcase_add_test(tc, test_minimal_spec);
	tcase_add_test(tc, test_too_deep);
	suite_add_tcase(s, tc);
	tc = tcase_create("validate");
	tcase_add_loop_test(tc, test_validate, 0, N(vcases));
	tcase_add_loop_test(tc, test_command, 0, N(ccases));
	suite_add_tcase(s, tc);
	tc = tcase_create("defaults");
	tcase_add_loop_test(tc, test_defaults, 0, N(dcases));
	tcase_add_test(tc, test_defaults_copied);
	suite_add_tcase(s, tc);
	tc = tcase_create("load");
	tcase_add_test(tc, test_load_good);
	tcase_add_test(tc, test_load_missing);
	tcase_add_test(tc, test_load_corrupt);
	tcase_add_test(tc, test_load_bad_rule);
	tcase_add_loop_test(tc, test_shipped, 0, N(shipped));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(spec_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
