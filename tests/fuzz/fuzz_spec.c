/*
 * Fuzz target: module specs (cc/spec.h). The input is JSON text, read as
 * cc_spec_load() reads a spec file (duplicate keys refused), then given to
 * cc_spec_from_json(), as cfgmgr does with the spec a module sends.
 *
 * A spec that loads must be usable: a module name, its lists, its own
 * JSON loading again, and defaults that make a complete, valid
 * configuration (every non-optional item has a default that matches its
 * type, CONFIG.md section 1) which filling in again does not change.
 * Every command it names is found, and validating a call without
 * arguments answers, one way or the other.
 */
#include <string.h>

#include <cc/error.h>
#include <cc/spec.h>

#include "fuzz.h"

static void
check_reload(const struct cc_spec *s)
{
	struct cc_spec *again;
	char err[512] = "";
	int rc;

	rc = cc_spec_from_json(cc_spec_json(s), &again, err, sizeof(err));
	FUZZ_REQUIRE(rc == CC_OK || rc == CC_ENOMEM, "a loaded spec's own "
	    "JSON is refused: %s", err);
	if (rc == CC_OK)
		FUZZ_REQUIRE(strcmp(cc_spec_module_name(again),
		    cc_spec_module_name(s)) == 0, "reloaded with another name");
	cc_spec_free(again);
}

static void
check_defaults(const struct cc_spec *s)
{
	json_t *defaults, *again;
	char err[512] = "";

	if ((defaults = cc_spec_with_defaults(s, NULL)) == NULL)
		return;
	FUZZ_REQUIRE(cc_spec_validate_config(s, defaults, true, err,
	    sizeof(err)) == CC_OK, "the defaults are not a valid "
	    "configuration: %s", err);
	if ((again = cc_spec_with_defaults(s, defaults)) != NULL) {
		FUZZ_REQUIRE(json_equal(defaults, again),
		    "filling in defaults twice changes the configuration");
		json_decref(again);
	}
	json_decref(defaults);
}

static void
check_commands(const struct cc_spec *s)
{
	const json_t *cmd;
	const char *name;
	char err[512];
	size_t i;
	int rc;

	json_array_foreach(cc_spec_commands(s), i, cmd) {
		name = json_string_value(json_object_get(cmd, "command_name"));
		FUZZ_REQUIRE(name != NULL && cc_spec_has_command(s, name),
		    "command %zu not found by its name", i);
		err[0] = '\0';
		rc = cc_spec_validate_command(s, name, NULL, err, sizeof(err));
		FUZZ_REQUIRE(rc == CC_OK || rc == CC_ENOMEM ||
		    (rc == CC_EINVAL && err[0] != '\0'),
		    "cc_spec_validate_command returned %d", rc);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_spec *s;
	json_error_t jerr;
	char err[512] = "";
	const char *name;
	json_t *j;
	int rc;

	j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL)
		return 0;
	rc = cc_spec_from_json(j, &s, err, sizeof(err));
	json_decref(j);
	FUZZ_REQUIRE(rc == CC_OK || rc == CC_ENOMEM ||
	    (rc == CC_EINVAL && err[0] != '\0'),
	    "cc_spec_from_json returned %d", rc);
	if (rc != CC_OK)
		return 0;
	name = cc_spec_module_name(s);
	FUZZ_REQUIRE(name != NULL && name[0] != '\0', "a spec without a name");
	FUZZ_REQUIRE(json_is_array(cc_spec_config_items(s)) &&
	    json_is_array(cc_spec_commands(s)) &&
	    json_is_array(cc_spec_statistics(s)), "a spec list is not a list");
	check_reload(s);
	check_defaults(s);
	check_commands(s);
	cc_spec_free(s);
	return 0;
}
