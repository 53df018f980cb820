/*
 * Data against a module spec (CONFIG.md section 1): the type of every
 * value, list elements, maps and named_sets recursively, item formats,
 * unknown and missing items; and the defaults that fill in what data
 * leaves out. The spec has passed spec_check.c, so its items are trusted
 * here.
 *
 * Every message starts with the full path of the value, "Module/item/sub"
 * with "[i]" for a list element ("Hello/peers[2] should be a string"); the
 * format checker validates item defaults with the same code, the path then
 * in quotes after a lead ("item_default for 'peers[1]' should be a
 * string").
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cc/error.h"
#include "spec-internal.h"
#include "wire-internal.h"

#define VPATH_MAX	512

struct vctx {
	char		 path[VPATH_MAX];
	size_t		 len;
	bool		 full;
	const char	*lead;		/* NULL: the path is not quoted */
	char		*err;
	size_t		 errlen;
};

static int validate_value(struct vctx *, const json_t *, const json_t *);
static int walk_list(struct vctx *, const json_t *, const json_t *);
static int walk_map(struct vctx *, const json_t *, const json_t *);
static int walk_named_set(struct vctx *, const json_t *, const json_t *);
static int walk_string(struct vctx *, const json_t *, const json_t *);

static bool is_integer(const json_t *v) { return json_is_integer(v); }
static bool is_real(const json_t *v) { return json_is_number(v); }
static bool is_boolean(const json_t *v) { return json_is_boolean(v); }
static bool is_string(const json_t *v) { return json_is_string(v); }
static bool is_list(const json_t *v) { return json_is_array(v); }
static bool is_object(const json_t *v) { return json_is_object(v); }
static bool is_any(const json_t *v) { (void)v; return true; }

/* Indexed by enum libcc_spec_type. */
static const struct vtype {
	const char	*name;
	const char	*noun;
	bool		(*ok)(const json_t *);
	int		(*walk)(struct vctx *, const json_t *, const json_t *);
} vtypes[LIBCC_ST_NTYPES] = {
	{ "integer", "an integer", is_integer, NULL },
	{ "real", "a real", is_real, NULL },
	{ "boolean", "a boolean", is_boolean, NULL },
	{ "string", "a string", is_string, walk_string },
	{ "list", "a list", is_list, walk_list },
	{ "map", "a map", is_object, walk_map },
	{ "named_set", "a named_set", is_object, walk_named_set },
	{ "any", "anything", is_any, NULL },
};

const char libcc_spec_type_names[] =
    "integer, real, boolean, string, list, map, named_set, any";

/*
 * Digits stand for the letters YMDhms of the pattern; the rest must match.
 * Seconds go to 60 for a leap second.
 */
static const struct vformat {
	const char	*name;
	const char	*pattern;
} vformats[] = {
	{ "date-time", "YYYY-MM-DDThh:mm:ssZ" },
	{ "date", "YYYY-MM-DD" },
	{ "time", "hh:mm:ss" },
};
#define NVFORMATS	(sizeof(vformats) / sizeof(vformats[0]))

const char libcc_spec_format_names[] = "date-time, date, time";

int
libcc_spec_type_lookup(const char *name)
{
	int t;

	for (t = 0; t < LIBCC_ST_NTYPES; t++)
		if (strcmp(vtypes[t].name, name) == 0)
			return t;
	return -1;
}

int
libcc_spec_item_type(const json_t *item)
{
	const char *name = json_string_value(json_object_get(item,
	    "item_type"));

	return name == NULL ? -1 : libcc_spec_type_lookup(name);
}

static const struct vformat *
format_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < NVFORMATS; i++)
		if (strcmp(vformats[i].name, name) == 0)
			return &vformats[i];
	return NULL;
}

bool
libcc_spec_format_known(const char *name)
{
	return format_lookup(name) != NULL;
}

static void vfail(struct vctx *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
vfail(struct vctx *c, const char *fmt, ...)
{
	char rule[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rule, sizeof(rule), fmt, ap);
	va_end(ap);
	if (c->lead != NULL)
		libcc_errf(c->err, c->errlen, "%s'%s'%s", c->lead, c->path,
		    rule);
	else
		libcc_errf(c->err, c->errlen, "%s%s", c->path, rule);
}

static size_t path_push(struct vctx *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Append to the path (truncated if it gets long); returns the old length
 * for path_pop(). */
static size_t
path_push(struct vctx *c, const char *fmt, ...)
{
	size_t old = c->len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(c->path + old, sizeof(c->path) - old, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->len = old + (size_t)n;
	if (c->len >= sizeof(c->path))
		c->len = sizeof(c->path) - 1;
	return old;
}

static void
path_pop(struct vctx *c, size_t old)
{
	c->len = old;
	c->path[old] = '\0';
}

static int
validate_value(struct vctx *c, const json_t *item, const json_t *value)
{
	int t = libcc_spec_item_type(item);

	if (t < 0)
		return CC_OK;
	if (!vtypes[t].ok(value)) {
		vfail(c, " should be %s", vtypes[t].noun);
		return CC_EINVAL;
	}
	return vtypes[t].walk == NULL ? CC_OK : vtypes[t].walk(c, item, value);
}

static const json_t *
find_item(const json_t *items, const char *name)
{
	const json_t *item;
	size_t i;

	json_array_foreach(items, i, item) {
		const char *n = json_string_value(json_object_get(item,
		    "item_name"));

		if (n != NULL && strcmp(n, name) == 0)
			return item;
	}
	return NULL;
}

/* Validate value against item, its path extended by "/name" or, for name
 * NULL, by "[index]". */
static int
validate_child(struct vctx *c, const json_t *item, const json_t *value,
    const char *name, size_t index)
{
	size_t old;
	int rc;

	old = name != NULL ? path_push(c, "/%s", name) :
	    path_push(c, "[%zu]", index);
	rc = validate_value(c, item, value);
	path_pop(c, old);
	return rc;
}

/* Unknown keys first: a misspelt key then reads as such, not as the
 * missing item it was meant to be. */
static int
validate_object(struct vctx *c, const json_t *items, const json_t *obj)
{
	const json_t *item, *v;
	const char *key;
	size_t i;
	int rc;

	json_object_foreach((json_t *)obj, key, v) {
		if (find_item(items, key) == NULL) {
			vfail(c, ": unknown item '%s'", key);
			return CC_EINVAL;
		}
	}
	json_array_foreach(items, i, item) {
		const char *name = json_string_value(json_object_get(item,
		    "item_name"));

		if (name == NULL)
			continue;
		if ((v = json_object_get(obj, name)) == NULL) {
			if (c->full && !json_is_true(json_object_get(item,
			    "item_optional"))) {
				vfail(c, ": non-optional item '%s' missing",
				    name);
				return CC_EINVAL;
			}
			continue;
		}
		if ((rc = validate_child(c, item, v, name, 0)) != CC_OK)
			return rc;
	}
	return CC_OK;
}

static int
walk_map(struct vctx *c, const json_t *item, const json_t *value)
{
	return validate_object(c, json_object_get(item, "map_item_spec"),
	    value);
}

/* List elements get no defaults filled in (spec.h): each must be
 * complete, even in a partial check or a default. */
static int
walk_list(struct vctx *c, const json_t *item, const json_t *value)
{
	const json_t *sub = json_object_get(item, "list_item_spec");
	bool full = c->full;
	const json_t *v;
	size_t i;
	int rc = CC_OK;

	c->full = true;
	json_array_foreach(value, i, v)
		if ((rc = validate_child(c, sub, v, NULL, i)) != CC_OK)
			break;
	c->full = full;
	return rc;
}

static int
walk_named_set(struct vctx *c, const json_t *item, const json_t *value)
{
	const json_t *sub = json_object_get(item, "named_set_item_spec");
	const char *key;
	json_t *v;
	int rc;

	json_object_foreach((json_t *)value, key, v)
		if ((rc = validate_child(c, sub, v, key, 0)) != CC_OK)
			return rc;
	return CC_OK;
}

static int
digits(const char *s, size_t n)
{
	int v = 0;

	while (n-- > 0)
		v = v * 10 + (*s++ - '0');
	return v;
}

/* The number under the letters ll of the pattern; -1 if it has none. */
static int
field(const char *s, const char *pattern, const char *ll)
{
	const char *p = strstr(pattern, ll);

	return p == NULL ? -1 : digits(s + (p - pattern), strlen(ll));
}

static int
month_days(int year, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

static bool
format_ok(const struct vformat *f, const char *s)
{
	const char *p;
	int y, mo, d, h, mi, sec;

	if (strlen(s) != strlen(f->pattern))
		return false;
	for (p = f->pattern; *p != '\0'; p++, s++) {
		if (strchr("YMDhms", *p) != NULL ? (*s < '0' || *s > '9') :
		    *s != *p)
			return false;
	}
	s -= strlen(f->pattern);
	y = field(s, f->pattern, "YYYY");
	mo = field(s, f->pattern, "MM");
	d = field(s, f->pattern, "DD");
	h = field(s, f->pattern, "hh");
	mi = field(s, f->pattern, "mm");
	sec = field(s, f->pattern, "ss");
	if (mo != -1 && (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo)))
		return false;
	return h <= 23 && mi <= 59 && sec <= 60;
}

static int
walk_string(struct vctx *c, const json_t *item, const json_t *value)
{
	const char *name = json_string_value(json_object_get(item,
	    "item_format"));
	const struct vformat *f;

	if (name == NULL || (f = format_lookup(name)) == NULL)
		return CC_OK;
	if (!format_ok(f, json_string_value(value))) {
		vfail(c, " should be a %s (%s)", f->name, f->pattern);
		return CC_EINVAL;
	}
	return CC_OK;
}

int
libcc_spec_validate_items(const json_t *items, const json_t *data,
    bool full, const char *path, char *err, size_t errlen)
{
	struct vctx c;

	memset(&c, 0, sizeof(c));
	c.full = full;
	c.err = err;
	c.errlen = errlen;
	path_push(&c, "%s", path);
	if (!json_is_object(data)) {
		vfail(&c, " should be a map");
		return CC_EINVAL;
	}
	return validate_object(&c, items, data);
}

/*
 * A partial check: a map default may leave out sub-items, which then get
 * their own defaults (every non-optional item has one); list elements,
 * which get none, must be complete (walk_list).
 */
int
libcc_spec_validate_default(const json_t *item, const char *lead,
    const char *name, char *err, size_t errlen)
{
	const json_t *def = json_object_get(item, "item_default");
	struct vctx c;

	if (def == NULL)
		return CC_OK;
	memset(&c, 0, sizeof(c));
	c.lead = lead;
	c.err = err;
	c.errlen = errlen;
	path_push(&c, "%s", name);
	return validate_value(&c, item, def);
}

static int fill_object(const json_t *, json_t *);

/* A map value gets its missing sub-items; so does every map value of a
 * named_set, which is a map of maps under names the spec cannot list. */
static int
fill_value(const json_t *item, json_t *v)
{
	const json_t *sub;
	const char *key;
	json_t *w;

	switch (libcc_spec_item_type(item)) {
	case LIBCC_ST_MAP:
		return json_is_object(v) ?
		    fill_object(json_object_get(item, "map_item_spec"), v) : 0;
	case LIBCC_ST_NAMED_SET:
		sub = json_object_get(item, "named_set_item_spec");
		if (!json_is_object(v))
			return 0;
		json_object_foreach(v, key, w)
			if (fill_value(sub, w) == -1)
				return -1;
		return 0;
	default:
		return 0;
	}
}

static int
fill_object(const json_t *items, json_t *obj)
{
	const json_t *item, *def;
	size_t i;
	json_t *v;

	json_array_foreach(items, i, item) {
		const char *name = json_string_value(json_object_get(item,
		    "item_name"));

		if (name == NULL)
			continue;
		v = json_object_get(obj, name);
		def = json_object_get(item, "item_default");
		if (v == NULL && def != NULL) {
			if ((v = json_deep_copy(def)) == NULL ||
			    json_object_set_new(obj, name, v) == -1)
				return -1;
		}
		if (v != NULL && fill_value(item, v) == -1)
			return -1;
	}
	return 0;
}

json_t *
libcc_spec_fill_defaults(const json_t *items, const json_t *data)
{
	json_t *out;

	out = data == NULL ? json_object() : json_deep_copy(data);
	if (out == NULL)
		return NULL;
	if (json_is_object(out) && fill_object(items, out) == -1) {
		json_decref(out);
		return NULL;
	}
	return out;
}
