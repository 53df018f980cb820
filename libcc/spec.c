/*
 * struct cc_spec: a module spec that passed every rule of CONFIG.md
 * section 1 (spec_check.c), loaded from a file or taken from a JSON
 * value, and the entry points that validate data and fill in defaults
 * against it (spec_validate.c). The spec keeps its own deep copy of the
 * JSON, so that nobody can change it behind the checks.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc/error.h"
#include "cc/spec.h"
#include "spec-internal.h"
#include "wire-internal.h"

struct cc_spec {
	json_t		*json;		/* the inner module_spec object */
	json_t		*empty;		/* for a list the spec leaves out */
	const char	*name;
	const json_t	*config;
	const json_t	*commands;
	const json_t	*statistics;
};

const char *
cc_spec_dir(void)
{
	const char *env = getenv("CCBUS_SPECDIR");

	return env != NULL && *env != '\0' ? env : CCBUS_SPECDIR;
}

int
cc_spec_load(const char *path, struct cc_spec **out, char *err,
    size_t errlen)
{
	char why[256];
	json_error_t jerr;
	json_t *j;
	FILE *fp;
	int rc;

	*out = NULL;
	if ((fp = fopen(path, "r")) == NULL) {
		libcc_errf(err, errlen, "%s: %s", path, strerror(errno));
		return CC_ESYS;
	}
	j = json_loadf(fp, JSON_REJECT_DUPLICATES, &jerr);
	fclose(fp);
	if (j == NULL) {
		libcc_errf(err, errlen, "%s:%d:%d: %s", path, jerr.line,
		    jerr.column, jerr.text);
		return CC_EDECODE;
	}
	rc = cc_spec_from_json(j, out, why, sizeof(why));
	json_decref(j);
	if (rc != CC_OK)
		libcc_errf(err, errlen, "%s: %s", path, why);
	return rc;
}

static const json_t *
list_or_empty(const struct cc_spec *s, const char *key)
{
	const json_t *v = json_object_get(s->json, key);

	return v != NULL ? v : s->empty;
}

int
cc_spec_from_json(const json_t *spec, struct cc_spec **out, char *err,
    size_t errlen)
{
	const json_t *inner = json_object_get(spec, "module_spec");
	struct cc_spec *s;
	int rc;

	*out = NULL;
	if (inner == NULL)
		inner = spec;
	if ((rc = libcc_spec_check(inner, err, errlen)) != CC_OK)
		return rc;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->json = json_deep_copy(inner)) == NULL ||
	    (s->empty = json_array()) == NULL) {
		cc_spec_free(s);
		libcc_errf(err, errlen, "out of memory");
		return CC_ENOMEM;
	}
	s->name = json_string_value(json_object_get(s->json, "module_name"));
	s->config = list_or_empty(s, "config_data");
	s->commands = list_or_empty(s, "commands");
	s->statistics = list_or_empty(s, "statistics");
	*out = s;
	return CC_OK;
}

void
cc_spec_free(struct cc_spec *s)
{
	if (s == NULL)
		return;
	json_decref(s->json);
	json_decref(s->empty);
	free(s);
}

const char *
cc_spec_module_name(const struct cc_spec *s)
{
	return s->name;
}

const json_t *
cc_spec_json(const struct cc_spec *s)
{
	return s->json;
}

const json_t *
cc_spec_config_items(const struct cc_spec *s)
{
	return s->config;
}

const json_t *
cc_spec_commands(const struct cc_spec *s)
{
	return s->commands;
}

const json_t *
cc_spec_statistics(const struct cc_spec *s)
{
	return s->statistics;
}

int
cc_spec_validate_config(const struct cc_spec *s, const json_t *data,
    bool full, char *err, size_t errlen)
{
	return libcc_spec_validate_items(s->config, data, full, s->name, err,
	    errlen);
}

static const json_t *
find_command(const struct cc_spec *s, const char *name)
{
	const json_t *cmd;
	size_t i;

	json_array_foreach(s->commands, i, cmd) {
		if (strcmp(json_string_value(json_object_get(cmd,
		    "command_name")), name) == 0)
			return cmd;
	}
	return NULL;
}

bool
cc_spec_has_command(const struct cc_spec *s, const char *name)
{
	return find_command(s, name) != NULL;
}

int
cc_spec_validate_command(const struct cc_spec *s, const char *name,
    const json_t *args, char *err, size_t errlen)
{
	const json_t *cmd = find_command(s, name);
	char path[256];
	json_t *none;
	int rc;

	if (cmd == NULL) {
		libcc_errf(err, errlen, "Unknown command: %s", name);
		return CC_EINVAL;
	}
	snprintf(path, sizeof(path), "%s/%s", s->name, name);
	if (args != NULL)
		return libcc_spec_validate_items(json_object_get(cmd,
		    "command_args"), args, true, path, err, errlen);
	if ((none = json_object()) == NULL) {
		libcc_errf(err, errlen, "out of memory");
		return CC_ENOMEM;
	}
	rc = libcc_spec_validate_items(json_object_get(cmd, "command_args"),
	    none, true, path, err, errlen);
	json_decref(none);
	return rc;
}

json_t *
cc_spec_with_defaults(const struct cc_spec *s, const json_t *data)
{
	return libcc_spec_fill_defaults(s->config, data);
}
