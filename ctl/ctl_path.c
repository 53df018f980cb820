/*
 * Paths into the configuration: MODULE/item/key/... A part is a map key
 * (a map or named_set item's key) or, in a list, an element's index
 * from 0. The same parts walk the values and the spec that describes
 * them.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* 0, or -1 for an empty part, too many parts or no memory. */
int
ctl_path_parse(struct ctl_path *p, const char *text)
{
	char *s;

	memset(p, 0, sizeof(*p));
	if ((p->buf = strdup(text)) == NULL)
		return -1;
	for (s = p->buf; ; s++) {
		if (p->n == (int)(sizeof(p->parts) / sizeof(p->parts[0])))
			return -1;
		p->parts[p->n++] = s;
		if ((s = strchr(s, '/')) == NULL)
			break;
		*s = '\0';
	}
	for (int i = 0; i < p->n; i++)
		if (*p->parts[i] == '\0')
			return -1;
	return 0;
}

void
ctl_path_clear(struct ctl_path *p)
{
	free(p->buf);
	p->buf = NULL;
}

/* The index a part names in array a, -1 if none (may equal the size). */
static long
index_of(const json_t *a, const char *part)
{
	char *end;
	long i;

	errno = 0;
	i = strtol(part, &end, 10);
	if (*part < '0' || *part > '9' || *end != '\0' || errno != 0 ||
	    (size_t)i > json_array_size(a))
		return -1;
	return i;
}

static json_t *
child(json_t *v, const char *part)
{
	long i;

	if (json_is_object(v))
		return json_object_get(v, part);
	if (json_is_array(v) && (i = index_of(v, part)) != -1)
		return json_array_get(v, (size_t)i);
	return NULL;
}

/* The value at parts (borrowed), NULL if there is none. */
json_t *
ctl_path_get(json_t *v, char *const *parts, int n)
{
	for (int i = 0; i < n && v != NULL; i++)
		v = child(v, parts[i]);
	return v;
}

/* Set the value at parts (n >= 1) to value (stolen), making the maps on
 * the way where keys are missing. 0 or -1 (not a container, no such
 * list element). */
int
ctl_path_set(json_t *v, char *const *parts, int n, json_t *value)
{
	json_t *next;
	long i;

	for (int k = 0; k < n - 1 && v != NULL; k++) {
		if (json_is_object(v) && json_object_get(v, parts[k]) == NULL)
			json_object_set_new(v, parts[k], json_object());
		next = child(v, parts[k]);
		v = next;
	}
	if (json_is_object(v))
		return json_object_set_new(v, parts[n - 1], value);
	if (json_is_array(v) && (i = index_of(v, parts[n - 1])) != -1)
		return (size_t)i == json_array_size(v) ?
		    json_array_append_new(v, value) :
		    json_array_set_new(v, (size_t)i, value);
	json_decref(value);
	return -1;
}

/* Remove the value at parts (n >= 1): 0, or -1 if there is none. */
int
ctl_path_remove(json_t *v, char *const *parts, int n)
{
	long i;

	v = ctl_path_get(v, parts, n - 1);
	if (json_is_object(v))
		return json_object_del(v, parts[n - 1]);
	if (json_is_array(v) && (i = index_of(v, parts[n - 1])) != -1 &&
	    (size_t)i < json_array_size(v))
		return json_array_remove(v, (size_t)i);
	return -1;
}

/* The element of list (borrowed) whose string field key is name, or
 * NULL: an item of a list of item specs, a command of a spec, a client
 * of msgq's clients list. */
const json_t *
ctl_named(const json_t *list, const char *key, const char *name)
{
	const json_t *e, *k;
	size_t i;

	json_array_foreach(list, i, e)
		if (json_is_string(k = json_object_get(e, key)) &&
		    strcmp(json_string_value(k), name) == 0)
			return e;
	return NULL;
}

const json_t *
ctl_item_spec(const json_t *items, const char *name)
{
	return ctl_named(items, "item_name", name);
}

/* The item spec that describes the value parts[0..n-1] lead to from the
 * value spec describes (borrowed), or NULL where the spec has none:
 * a map's member by name, a named_set's or a list's element spec. */
const json_t *
ctl_spec_at(const json_t *spec, char *const *parts, int n)
{
	for (int i = 0; i < n && spec != NULL; i++) {
		const char *t = json_string_value(json_object_get(spec,
		    "item_type"));

		if (t == NULL)
			return NULL;
		if (strcmp(t, "map") == 0)
			spec = ctl_item_spec(json_object_get(spec,
			    "map_item_spec"), parts[i]);
		else if (strcmp(t, "named_set") == 0)
			spec = json_object_get(spec, "named_set_item_spec");
		else if (strcmp(t, "list") == 0)
			spec = json_object_get(spec, "list_item_spec");
		else
			return NULL;
	}
	return spec;
}
