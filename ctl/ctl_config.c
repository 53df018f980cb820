/*
 * `ccbusctl config show|set|unset|spec`. This file: the dispatch, `show`
 * (stored values over the spec's defaults, each default marked) and
 * `spec` (the items of a module's configuration, readable).
 * ctl_config_set.c holds set and unset.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static int config_show(struct ctl *, int, char **);
static int config_spec(struct ctl *, int, char **);

static const struct {
	const char	*name;
	int		(*fn)(struct ctl *, int, char **);
} subs[] = {
	{ "show",	config_show },
	{ "set",	ctl_config_set },
	{ "unset",	ctl_config_unset },
	{ "spec",	config_spec },
};

int
ctl_cmd_config(struct ctl *c, int argc, char **argv)
{
	for (size_t i = 0; argc > 0 && i < sizeof(subs) / sizeof(subs[0]);
	    i++)
		if (strcmp(argv[0], subs[i].name) == 0)
			return subs[i].fn(c, argc - 1, argv + 1);
	return ctl_fail(CTL_USAGE, "usage: %s config show [MODULE[/PATH]] | "
	    "set MODULE/PATH VALUE ... | unset MODULE/PATH ... | "
	    "spec MODULE", CTL_PROGNAME);
}

static const char *
str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "";
}

/* The module's configuration with the defaults filled in (new ref). */
static json_t *
with_defaults(const json_t *spec, const json_t *stored)
{
	struct cc_spec *s;
	char err[256];
	json_t *full;

	if (cc_spec_from_json(spec, &s, err, sizeof(err)) != CC_OK)
		return json_deep_copy(stored);
	full = cc_spec_with_defaults(s, stored);
	cc_spec_free(s);
	return full;
}

/*
 * The lines of `config show`, [path, value text, mark] each, collected
 * first so that the value column lines up across modules. A non-empty
 * map or named_set is shown one line per member (Boss/components/hello/
 * kind), recursively; lists and scalars as JSON on one line.
 */
static void
add_lines(json_t *lines, const char *path, const json_t *v, const char *mark)
{
	const char *k;
	json_t *sub;
	char *text;

	if (json_is_object(v) && json_object_size(v) > 0) {
		json_object_foreach((json_t *)v, k, sub) {
			char *p = NULL;

			if (asprintf(&p, "%s/%s", path, k) == -1)
				continue;
			add_lines(lines, p, sub, mark);
			free(p);
		}
		return;
	}
	text = v != NULL ? ctl_json_text(v, false) : NULL;
	json_array_append_new(lines, json_pack("[s, s, s]", path,
	    text != NULL ? text : "(not set)", mark));
	free(text);
}

static void
print_lines(const json_t *lines)
{
	const json_t *l;
	size_t i;
	int w = 0;

	json_array_foreach(lines, i, l)
		if ((int)strlen(json_string_value(json_array_get(l, 0))) > w)
			w = (int)strlen(json_string_value(json_array_get(l, 0)));
	json_array_foreach(lines, i, l) {
		const char *mark = json_string_value(json_array_get(l, 2));

		ctl_pad(stdout, json_string_value(json_array_get(l, 0)), w + 2);
		printf("%s%s%s\n", json_string_value(json_array_get(l, 1)),
		    *mark != '\0' ? "  " : "", mark);
	}
}

/* One module's items: PATH VALUE, "(default)" where not stored. */
static void
show_module(json_t *lines, const json_t *spec, const json_t *stored,
    const json_t *full)
{
	const char *module = str(spec, "module_name"), *k;
	const json_t *items = json_object_get(spec, "config_data"), *it, *v;
	char path[512];
	size_t i;

	json_array_foreach(items, i, it) {
		k = str(it, "item_name");
		snprintf(path, sizeof(path), "%s/%s", module, k);
		add_lines(lines, path, json_object_get(full, k),
		    json_object_get(stored, k) != NULL ||
		    json_object_get(full, k) == NULL ? "" : "(default)");
	}
	json_object_foreach((json_t *)stored, k, v)
		if (ctl_item_spec(items, k) == NULL) {
			snprintf(path, sizeof(path), "%s/%s", module, k);
			add_lines(lines, path, v, "(not in the spec)");
		}
}

/* Every module that has configuration items, by name. */
static int
show_all(struct ctl *c)
{
	json_t *stored, *out = json_object(), *lines = json_array();
	const char **list;
	int r;

	if ((r = ctl_call(c, "ConfigManager", "get_config", NULL, &stored)) !=
	    CTL_OK) {
		json_decref(out);
		json_decref(lines);
		return r;
	}
	list = ctl_module_list(c);
	for (const char **m = list; m != NULL && *m != NULL; m++) {
		const json_t *spec = json_object_get(c->specs, *m);
		json_t *st = json_object_get(stored, *m);

		if (json_array_size(json_object_get(spec, "config_data")) == 0 &&
		    st == NULL)
			continue;
		json_object_set_new(out, *m, with_defaults(spec, st));
		show_module(lines, spec, st, json_object_get(out, *m));
	}
	if (c->json)
		ctl_print_json(out);
	else
		print_lines(lines);
	free(list);
	json_decref(lines);
	json_decref(out);
	json_decref(stored);
	return CTL_OK;
}

/* The value at p in module spec's configuration. */
static int
show_path(const json_t *spec, const json_t *stored, json_t *full,
    const struct ctl_path *p, const char *text)
{
	const char *module = str(spec, "module_name");
	const json_t *item = ctl_item_spec(json_object_get(spec,
	    "config_data"), p->parts[1]);
	json_t *v = ctl_path_get(full, p->parts + 1, p->n - 1);

	if (item == NULL && json_object_get(stored, p->parts[1]) == NULL)
		return ctl_fail(CTL_ERROR, "%s has no configuration item %s",
		    module, p->parts[1]);
	if (v == NULL)
		return ctl_fail(CTL_ERROR, "%s is not set", text);
	ctl_print_json(v);
	return CTL_OK;
}

static int
config_show(struct ctl *c, int argc, char **argv)
{
	const json_t *spec;
	json_t *args, *stored, *full;
	struct ctl_path p;
	int r;

	if (argc > 1)
		return ctl_fail(CTL_USAGE, "usage: %s config show "
		    "[MODULE[/PATH]]", CTL_PROGNAME);
	if ((r = ctl_specs(c, false)) != CTL_OK)
		return r;
	if (argc == 0)
		return show_all(c);
	if (ctl_path_parse(&p, argv[0]) == -1) {
		ctl_path_clear(&p);
		return ctl_fail(CTL_USAGE, "bad path '%s' (MODULE/item/...)",
		    argv[0]);
	}
	if ((r = ctl_module_resolve(c, p.parts[0], &spec)) != CTL_OK) {
		ctl_path_clear(&p);
		return r;
	}
	args = json_pack("{s:s}", "module_name", str(spec, "module_name"));
	r = ctl_call(c, "ConfigManager", "get_config", args, &stored);
	json_decref(args);
	if (r == CTL_OK) {
		full = with_defaults(spec, stored);
		if (p.n > 1)
			r = show_path(spec, stored, full, &p, argv[0]);
		else if (c->json)
			ctl_print_json(full);
		else {
			json_t *lines = json_array();

			show_module(lines, spec, stored, full);
			print_lines(lines);
			json_decref(lines);
		}
		json_decref(full);
	}
	json_decref(stored);
	ctl_path_clear(&p);
	return r;
}

/* "list of string", "named_set of map", "integer" */
static void
type_words(char *buf, size_t len, const json_t *item)
{
	const char *t = str(item, "item_type");
	const json_t *elem = json_object_get(item, strcmp(t, "list") == 0 ?
	    "list_item_spec" : "named_set_item_spec");

	if (elem != NULL && (strcmp(t, "list") == 0 ||
	    strcmp(t, "named_set") == 0))
		snprintf(buf, len, "%s of %s", t, str(elem, "item_type"));
	else
		snprintf(buf, len, "%s", t);
}

static void spec_items(const char *prefix, const json_t *items);

/* One item: PATH TYPE[, optional][, default X], its description below;
 * then what is inside it, with NAME / N standing for any key / index. */
static void
spec_item(const char *prefix, const json_t *item)
{
	const json_t *def = json_object_get(item, "item_default"), *elem;
	char path[512], type[128], *d;
	const char *t = str(item, "item_type");

	snprintf(path, sizeof(path), "%s%s", prefix, str(item, "item_name"));
	type_words(type, sizeof(type), item);
	d = def != NULL ? ctl_json_text(def, false) : NULL;
	printf("%s  %s%s%s%s\n", path, type,
	    json_is_true(json_object_get(item, "item_optional")) ?
	    ", optional" : "", d != NULL ? ", default " : "",
	    d != NULL ? d : "");
	free(d);
	if (*str(item, "item_description") != '\0')
		printf("    %s\n", str(item, "item_description"));
	if (strlen(path) + 8 > sizeof(path))
		return;		/* nested beyond any sane spec */
	if (strcmp(t, "map") == 0) {
		strcat(path, "/");
		spec_items(path, json_object_get(item, "map_item_spec"));
	} else if ((elem = json_object_get(item, strcmp(t, "list") == 0 ?
	    "list_item_spec" : "named_set_item_spec")) != NULL &&
	    strcmp(str(elem, "item_type"), "map") == 0) {
		strcat(path, strcmp(t, "list") == 0 ? "/N/" : "/NAME/");
		spec_items(path, json_object_get(elem, "map_item_spec"));
	}
}

static void
spec_items(const char *prefix, const json_t *items)
{
	const json_t *item;
	size_t i;

	json_array_foreach(items, i, item)
		spec_item(prefix, item);
}

static int
config_spec(struct ctl *c, int argc, char **argv)
{
	const json_t *spec, *items;
	char prefix[256];
	int r;

	if (argc != 1)
		return ctl_fail(CTL_USAGE, "usage: %s config spec MODULE",
		    CTL_PROGNAME);
	if ((r = ctl_module_resolve(c, argv[0], &spec)) != CTL_OK)
		return r;
	if (c->json) {
		ctl_print_json(spec);
		return CTL_OK;
	}
	items = json_object_get(spec, "config_data");
	printf("%s%s%s\n", str(spec, "module_name"),
	    *str(spec, "module_description") != '\0' ? ": " : "",
	    str(spec, "module_description"));
	if (json_array_size(items) == 0)
		printf("  (no configuration items)\n");
	snprintf(prefix, sizeof(prefix), "%s/", str(spec, "module_name"));
	spec_items(prefix, items);
	return CTL_OK;
}
