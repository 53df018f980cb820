/*
 * The rules of the module spec format (CONFIG.md section 1), checked
 * before a spec is used: the top-level fields, every item of config_data,
 * of every command's command_args and of statistics, recursively into
 * list, map and named_set sub-items. Item defaults are validated with the
 * data validator, so that a default is held to exactly what data is.
 *
 * Unknown fields are rejected, in the module_spec object, in commands and
 * in items: a misspelt optional field ("item_optinal") would otherwise be
 * silently ignored. Every message names the item (by its path of names,
 * "components/component/kind") and the rule.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cc/error.h"
#include "spec-internal.h"
#include "wire-internal.h"

#define LABEL_MAX	256
#define DEPTH_MAX	32

enum ftype {
	FT_STRING,
	FT_BOOL,
	FT_LIST,
	FT_MAP,
	FT_ANY,
};

static const char *const ftype_nouns[] = {
	"a string", "a boolean", "a list", "a map", "anything",
};

struct check {
	char		*err;
	size_t		 errlen;
	const char	*prefix;	/* "", "command 'x': ", "statistics: " */
	int		 depth;
};

/*
 * Known item fields. only: the one item type the field belongs to (-1:
 * every type); sub: the field is that type's required sub-item spec.
 */
static const struct item_field {
	const char	*name;
	enum ftype	 type;
	int		 only;
	bool		 sub;
} item_fields[] = {
	{ "item_name", FT_STRING, -1, false },
	{ "item_type", FT_STRING, -1, false },
	{ "item_optional", FT_BOOL, -1, false },
	{ "item_default", FT_ANY, -1, false },
	{ "item_description", FT_STRING, -1, false },
	{ "item_title", FT_STRING, -1, false },
	{ "item_format", FT_STRING, LIBCC_ST_STRING, false },
	{ "list_item_spec", FT_MAP, LIBCC_ST_LIST, true },
	{ "map_item_spec", FT_LIST, LIBCC_ST_MAP, true },
	{ "named_set_item_spec", FT_MAP, LIBCC_ST_NAMED_SET, true },
};
#define NITEM_FIELDS	(sizeof(item_fields) / sizeof(item_fields[0]))

static const char *const type_names[LIBCC_ST_NTYPES] = {
	"integer", "real", "boolean", "string", "list", "map", "named_set",
	"any",
};

static int check_items(struct check *, const json_t *, const char *,
    const char *, bool);
static int check_item(struct check *, const json_t *, const char *,
    const char *, bool, const char **);

static int fail(struct check *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* The message, after the check's prefix; always CC_EINVAL. */
static int
fail(struct check *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	libcc_errf(c->err, c->errlen, "%s%s", c->prefix, msg);
	return CC_EINVAL;
}

static bool
ftype_ok(enum ftype t, const json_t *v)
{
	switch (t) {
	case FT_STRING:
		return json_is_string(v);
	case FT_BOOL:
		return json_is_boolean(v);
	case FT_LIST:
		return json_is_array(v);
	case FT_MAP:
		return json_is_object(v);
	default:
		return true;
	}
}

static const struct item_field *
item_field(const char *name)
{
	size_t i;

	for (i = 0; i < NITEM_FIELDS; i++)
		if (strcmp(item_fields[i].name, name) == 0)
			return &item_fields[i];
	return NULL;
}

/* A string field that must be there and not empty; where names the
 * object ("config_data[2]"). */
static int
check_name(struct check *c, const json_t *obj, const char *field,
    const char *where, const char **out)
{
	const json_t *v = json_object_get(obj, field);

	if (v == NULL)
		return fail(c, "%s: %s missing", where, field);
	if (!json_is_string(v))
		return fail(c, "%s: %s should be a string", where, field);
	if (json_string_length(v) == 0)
		return fail(c, "%s: %s is empty", where, field);
	*out = json_string_value(v);
	return CC_OK;
}

static int
check_type(struct check *c, const json_t *item, const char *label, int *t)
{
	const json_t *v = json_object_get(item, "item_type");

	if (v == NULL)
		return fail(c, "item '%s': item_type missing", label);
	if (!json_is_string(v))
		return fail(c, "item '%s': item_type should be a string",
		    label);
	if ((*t = libcc_spec_type_lookup(json_string_value(v))) < 0)
		return fail(c, "item '%s': item_type '%s' is not one of %s",
		    label, json_string_value(v), libcc_spec_type_names);
	return CC_OK;
}

/* Each field: known, of its JSON type, allowed for the item's type. */
static int
check_fields(struct check *c, const json_t *item, const char *label, int t)
{
	const struct item_field *f;
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)item, key, v) {
		if ((f = item_field(key)) == NULL)
			return fail(c, "unknown field '%s' in item '%s'", key,
			    label);
		if (!ftype_ok(f->type, v))
			return fail(c, "item '%s': %s should be %s", label,
			    key, ftype_nouns[f->type]);
		if (f->only != -1 && f->only != t)
			return fail(c, "item '%s': %s is only for %s items",
			    label, key, type_names[f->only]);
	}
	if (!json_is_boolean(json_object_get(item, "item_optional")))
		return fail(c, "item '%s': item_optional missing", label);
	return CC_OK;
}

/* The sub-item spec a list, map or named_set needs, checked in turn. */
static int
check_sub(struct check *c, const json_t *item, const char *label, int t)
{
	char where[LABEL_MAX + 64], parent[LABEL_MAX + 1];
	const char *name;
	const json_t *sub;
	size_t i;
	int rc;

	for (i = 0; i < NITEM_FIELDS; i++)
		if (item_fields[i].sub && item_fields[i].only == t)
			break;
	if (i == NITEM_FIELDS)
		return CC_OK;
	if ((sub = json_object_get(item, item_fields[i].name)) == NULL)
		return fail(c, "item '%s': %s missing", label,
		    item_fields[i].name);
	if (c->depth >= DEPTH_MAX)
		return fail(c, "item '%s': items nested deeper than %d",
		    label, DEPTH_MAX);
	snprintf(where, sizeof(where), "item '%s': %s", label,
	    item_fields[i].name);
	snprintf(parent, sizeof(parent), "%s/", label);
	c->depth++;
	if (t == LIBCC_ST_MAP)
		rc = check_items(c, sub, where, parent, false);
	else
		rc = check_item(c, sub, where, parent, false, &name);
	c->depth--;
	return rc;
}

static int
check_default(struct check *c, const json_t *item, const char *label)
{
	char lead[128];

	if (json_object_get(item, "item_default") == NULL) {
		if (json_is_true(json_object_get(item, "item_optional")))
			return CC_OK;
		return fail(c, "item '%s': item_default missing", label);
	}
	snprintf(lead, sizeof(lead), "%sitem_default for ", c->prefix);
	return libcc_spec_validate_default(item, lead, label, c->err,
	    c->errlen);
}

static int
check_item(struct check *c, const json_t *item, const char *where,
    const char *parent, bool stats, const char **name)
{
	char label[LABEL_MAX];
	const json_t *fmt;
	int rc, t = -1;

	if (!json_is_object(item))
		return fail(c, "%s should be a map", where);
	if ((rc = check_name(c, item, "item_name", where, name)) != CC_OK)
		return rc;
	snprintf(label, sizeof(label), "%s%s", parent, *name);
	if ((rc = check_type(c, item, label, &t)) != CC_OK ||
	    (rc = check_fields(c, item, label, t)) != CC_OK ||
	    (rc = check_sub(c, item, label, t)) != CC_OK)
		return rc;
	fmt = json_object_get(item, "item_format");
	if (fmt != NULL && !libcc_spec_format_known(json_string_value(fmt)))
		return fail(c, "item '%s': item_format '%s' is not one of %s",
		    label, json_string_value(fmt), libcc_spec_format_names);
	if (stats && json_object_get(item, "item_title") == NULL)
		return fail(c, "item '%s': item_title missing", label);
	if (stats && json_object_get(item, "item_description") == NULL)
		return fail(c, "item '%s': item_description missing", label);
	return check_default(c, item, label);
}

/* A list of items (where names it, "config_data"), names unique. */
static int
check_items(struct check *c, const json_t *items, const char *where,
    const char *parent, bool stats)
{
	char w[LABEL_MAX + 80];
	const char *name;
	size_t i, j;
	int rc;

	for (i = 0; i < json_array_size(items); i++) {
		snprintf(w, sizeof(w), "%s[%zu]", where, i);
		rc = check_item(c, json_array_get(items, i), w, parent, stats,
		    &name);
		if (rc != CC_OK)
			return rc;
		for (j = 0; j < i; j++)
			if (strcmp(name, json_string_value(json_object_get(
			    json_array_get(items, j), "item_name"))) == 0)
				return fail(c, "duplicate item '%s%s'", parent,
				    name);
	}
	return CC_OK;
}

static const char *const command_fields[] = {
	"command_name", "command_description", "command_args",
};

static int
check_command(struct check *c, const json_t *cmd, const char *where,
    const char **name)
{
	char prefix[LABEL_MAX];
	const json_t *args, *desc;
	const char *key;
	json_t *v;
	size_t i;
	int rc;

	if (!json_is_object(cmd))
		return fail(c, "%s should be a map", where);
	if ((rc = check_name(c, cmd, "command_name", where, name)) != CC_OK)
		return rc;
	json_object_foreach((json_t *)cmd, key, v) {
		for (i = 0; i < 3; i++)
			if (strcmp(key, command_fields[i]) == 0)
				break;
		if (i == 3)
			return fail(c, "unknown field '%s' in command '%s'",
			    key, *name);
	}
	desc = json_object_get(cmd, "command_description");
	if (desc != NULL && !json_is_string(desc))
		return fail(c, "command '%s': command_description should be "
		    "a string", *name);
	if ((args = json_object_get(cmd, "command_args")) == NULL)
		return fail(c, "command '%s': command_args missing", *name);
	if (!json_is_array(args))
		return fail(c, "command '%s': command_args should be a list",
		    *name);
	snprintf(prefix, sizeof(prefix), "command '%s': ", *name);
	c->prefix = prefix;
	rc = check_items(c, args, "command_args", "", false);
	c->prefix = "";
	return rc;
}

static int
check_commands(struct check *c, const json_t *cmds)
{
	char w[64];
	const char *name;
	size_t i, j;
	int rc;

	for (i = 0; i < json_array_size(cmds); i++) {
		snprintf(w, sizeof(w), "commands[%zu]", i);
		rc = check_command(c, json_array_get(cmds, i), w, &name);
		if (rc != CC_OK)
			return rc;
		for (j = 0; j < i; j++)
			if (strcmp(name, json_string_value(json_object_get(
			    json_array_get(cmds, j), "command_name"))) == 0)
				return fail(c, "duplicate command '%s'", name);
	}
	return CC_OK;
}

static int
check_config(struct check *c, const json_t *items)
{
	return check_items(c, items, "config_data", "", false);
}

static int
check_statistics(struct check *c, const json_t *items)
{
	int rc;

	c->prefix = "statistics: ";
	rc = check_items(c, items, "statistics", "", true);
	c->prefix = "";
	return rc;
}

static const struct top_field {
	const char	*name;
	enum ftype	 type;
	int		(*check)(struct check *, const json_t *);
} top_fields[] = {
	{ "module_name", FT_STRING, NULL },
	{ "module_description", FT_STRING, NULL },
	{ "config_data", FT_LIST, check_config },
	{ "commands", FT_LIST, check_commands },
	{ "statistics", FT_LIST, check_statistics },
};
#define NTOP_FIELDS	(sizeof(top_fields) / sizeof(top_fields[0]))

int
libcc_spec_check(const json_t *spec, char *err, size_t errlen)
{
	struct check c = { err, errlen, "", 0 };
	const char *key, *name;
	const json_t *v;
	size_t i;
	int rc;

	if (!json_is_object(spec))
		return fail(&c, "module_spec should be a map");
	if ((rc = check_name(&c, spec, "module_name", "module_spec",
	    &name)) != CC_OK)
		return rc;
	json_object_foreach((json_t *)spec, key, v) {
		for (i = 0; i < NTOP_FIELDS; i++)
			if (strcmp(key, top_fields[i].name) == 0)
				break;
		if (i == NTOP_FIELDS)
			return fail(&c, "unknown field '%s' in module_spec",
			    key);
		if (!ftype_ok(top_fields[i].type, v))
			return fail(&c, "%s should be %s", key,
			    ftype_nouns[top_fields[i].type]);
	}
	for (i = 0; i < NTOP_FIELDS; i++) {
		v = json_object_get(spec, top_fields[i].name);
		if (v != NULL && top_fields[i].check != NULL &&
		    (rc = top_fields[i].check(&c, v)) != CC_OK)
			return rc;
	}
	return CC_OK;
}
