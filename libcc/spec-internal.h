/*
 * Private to libcc's spec layer: the item types and formats of CONFIG.md
 * section 1, shared by the format checker (spec_check.c) and the data
 * validator (spec_validate.c). Not installed; every symbol here is
 * libcc_* and stays out of the shared object's exports.
 */
#ifndef LIBCC_SPEC_INTERNAL_H
#define LIBCC_SPEC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

enum libcc_spec_type {
	LIBCC_ST_INTEGER,
	LIBCC_ST_REAL,
	LIBCC_ST_BOOLEAN,
	LIBCC_ST_STRING,
	LIBCC_ST_LIST,
	LIBCC_ST_MAP,
	LIBCC_ST_NAMED_SET,
	LIBCC_ST_ANY,
	LIBCC_ST_NTYPES
};

/* For messages: "integer, real, ..., any" and "date-time, date, time". */
extern const char libcc_spec_type_names[];
extern const char libcc_spec_format_names[];

/* The type named name, or -1. */
int libcc_spec_type_lookup(const char *name);
/* The type of a checked item (its item_type), or -1 if it has none. */
int libcc_spec_item_type(const json_t *item);
/* Is name one of the item formats? */
bool libcc_spec_format_known(const char *name);

/*
 * Check a module_spec object (the inner one) against every rule of the
 * format. CC_OK or CC_EINVAL with the rule broken in err.
 */
int libcc_spec_check(const json_t *spec, char *err, size_t errlen);

/*
 * Validate data against a list of checked items, as the members of one
 * object whose path is path ("Hello", "Hello/echo"). CC_OK or CC_EINVAL.
 */
int libcc_spec_validate_items(const json_t *items, const json_t *data,
    bool full, const char *path, char *err, size_t errlen);

/*
 * Validate the item_default of a checked item against the item itself.
 * The message reads lead, then the path of the value in quotes, then the
 * rule: "item_default for 'peers[1]' should be a string" with lead
 * "item_default for " and name "peers".
 */
int libcc_spec_validate_default(const json_t *item, const char *lead,
    const char *name, char *err, size_t errlen);

/*
 * A deep copy of data (NULL: an empty object) in which every item of
 * items that is missing and has a default gets a copy of it, recursively
 * into map values and the map values of named_sets. NULL on ENOMEM.
 */
json_t *libcc_spec_fill_defaults(const json_t *items, const json_t *data);

#endif
