/*
 * `ccbusctl config set MODULE/PATH VALUE ...` and `config unset
 * MODULE/PATH ...`: every pair of one command line goes to the config
 * manager in one set_config, [{M1: {...}, M2: {...}}], so that they are
 * committed together or not at all.
 *
 * cfgmgr replaces an item whole (its merge is one level deep), so a path
 * inside an item (Boss/components/hello/kind) is applied here to the
 * item's current value (stored, else the spec's default) and the whole
 * item is sent. Several paths into one item build on each other.
 */
#include "config.h"

#include <string.h>

#include "ctl.h"

struct change {
	struct ctl	*c;
	json_t		*changes;	/* {M: {item: value}} */
	json_t		*stored;	/* {M: stored values}, fetched once */
};

/* The stored values of module (borrowed) and CTL_OK, else the exit
 * status of the failed get_config and NULL. */
static const json_t *
stored_of(struct change *ch, const char *module, int *status)
{
	json_t *args, *v;

	*status = CTL_OK;
	if ((v = json_object_get(ch->stored, module)) != NULL)
		return v;
	args = json_pack("{s:s}", "module_name", module);
	*status = ctl_call(ch->c, "ConfigManager", "get_config", args, &v);
	json_decref(args);
	if (*status != CTL_OK) {
		json_decref(v);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		v = json_object();
	}
	json_object_set_new(ch->stored, module, v);
	return v;
}

/* What the item is now, to change a part of it (new reference): this
 * command's change, else the stored value, else the spec's default,
 * else an empty list or map. NULL if get_config failed (*status). */
static json_t *
item_now(struct change *ch, const json_t *spec, const char *module,
    const char *name, int *status)
{
	const json_t *mod = json_object_get(ch->changes, module), *stored;
	const json_t *item = ctl_item_spec(json_object_get(spec,
	    "config_data"), name), *v;
	const char *t = json_string_value(json_object_get(item, "item_type"));

	*status = CTL_OK;
	if ((v = json_object_get(mod, name)) != NULL && !json_is_null(v))
		return json_deep_copy(v);
	if ((stored = stored_of(ch, module, status)) == NULL)
		return NULL;
	if ((v = json_object_get(stored, name)) != NULL ||
	    (v = json_object_get(item, "item_default")) != NULL)
		return json_deep_copy(v);
	return t != NULL && strcmp(t, "list") == 0 ? json_array() :
	    json_object();
}

static json_t *
module_changes(struct change *ch, const char *module)
{
	json_t *mod = json_object_get(ch->changes, module);

	if (mod == NULL) {
		mod = json_object();
		json_object_set_new(ch->changes, module, mod);
	}
	return mod;
}

/* VALUE as JSON, else a string; a string where the spec says string
 * unless it is written as a JSON string ("\"42\""). */
static json_t *
parse_value(const json_t *spec, const struct ctl_path *p, const char *text)
{
	const json_t *item = ctl_item_spec(json_object_get(spec,
	    "config_data"), p->parts[1]);
	const json_t *at = ctl_spec_at(item, p->parts + 2, p->n - 2);
	const char *t = json_string_value(json_object_get(at, "item_type"));
	json_t *v = NULL;

	if (t == NULL || strcmp(t, "string") != 0 || text[0] == '"')
		v = json_loads(text, JSON_DECODE_ANY, NULL);
	if (v == NULL)
		return json_string(text);
	/* 2 for a real is 2.0: stored as the type the spec says. */
	if (t != NULL && strcmp(t, "real") == 0 && json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		json_decref(v);
		v = json_real((double)i);
	}
	return v;
}

/* unset MODULE: null for every stored item. */
static int
unset_module(struct change *ch, const char *module)
{
	const json_t *stored;
	const char *k;
	json_t *v;
	int r;

	if ((stored = stored_of(ch, module, &r)) == NULL)
		return r;
	json_object_foreach((json_t *)stored, k, v)
		json_object_set_new(module_changes(ch, module), k,
		    json_null());
	return CTL_OK;
}

/* A path inside an item: change the item's current value there (v
 * stolen; NULL: remove), and the whole item becomes the change. */
static int
apply_inside(struct change *ch, const json_t *spec, const char *module,
    const struct ctl_path *p, json_t *v, const char *text)
{
	json_t *item;
	int r;

	if ((item = item_now(ch, spec, module, p->parts[1], &r)) == NULL) {
		json_decref(v);
		return r;
	}
	if ((v != NULL ? ctl_path_set(item, p->parts + 2, p->n - 2, v) :
	    ctl_path_remove(item, p->parts + 2, p->n - 2)) == -1) {
		json_decref(item);
		return ctl_fail(CTL_ERROR, v != NULL ? "%s: cannot set it: a "
		    "part of the path is not a map or list, or no such list "
		    "element" : "%s is not set", text);
	}
	json_object_set_new(module_changes(ch, module), p->parts[1], item);
	return CTL_OK;
}

/* Apply one path (vtext NULL: unset) to ch; an exit status. */
static int
apply(struct change *ch, const char *text, const char *vtext)
{
	const json_t *spec;
	const char *module;
	struct ctl_path p;
	json_t *v = NULL;
	int r;

	if (ctl_path_parse(&p, text) == -1 || (p.n < 2 && vtext != NULL)) {
		ctl_path_clear(&p);
		return ctl_fail(CTL_USAGE, "bad path '%s' (MODULE/item/...)",
		    text);
	}
	if ((r = ctl_module_resolve(ch->c, p.parts[0], &spec)) == CTL_OK) {
		module = json_string_value(json_object_get(spec,
		    "module_name"));
		if (vtext != NULL)
			v = parse_value(spec, &p, vtext);
		if (p.n == 1)
			r = unset_module(ch, module);
		else if (p.n == 2)
			json_object_set_new(module_changes(ch, module),
			    p.parts[1], v != NULL ? v : json_null());
		else
			r = apply_inside(ch, spec, module, &p, v, text);
	}
	ctl_path_clear(&p);
	return r;
}

static int
commit(struct change *ch)
{
	json_t *args = json_pack("[O]", ch->changes), *v;
	int r = ctl_call(ch->c, "ConfigManager", "set_config", args, &v);

	json_decref(args);
	json_decref(v);
	return r;
}

static int
config_change(struct ctl *c, int argc, char **argv, bool set)
{
	struct change ch = { c, json_object(), json_object() };
	int r = CTL_OK;

	for (int i = 0; r == CTL_OK && i < argc; i += set ? 2 : 1)
		r = apply(&ch, argv[i], set ? argv[i + 1] : NULL);
	if (r == CTL_OK)
		r = commit(&ch);
	json_decref(ch.changes);
	json_decref(ch.stored);
	return r;
}

int
ctl_config_set(struct ctl *c, int argc, char **argv)
{
	if (argc == 0 || argc % 2 != 0)
		return ctl_fail(CTL_USAGE, "usage: %s config set MODULE/PATH "
		    "VALUE [MODULE/PATH VALUE ...]", CTL_PROGNAME);
	return config_change(c, argc, argv, true);
}

int
ctl_config_unset(struct ctl *c, int argc, char **argv)
{
	if (argc == 0)
		return ctl_fail(CTL_USAGE, "usage: %s config unset "
		    "MODULE[/PATH] ...", CTL_PROGNAME);
	return config_change(c, argc, argv, false);
}
