/*
 * Module specs (CONFIG.md section 1): load a spec file, check it against
 * every rule of the format, validate configuration data and command
 * arguments against it, fill in defaults.
 *
 * Every error message names the item and the rule, with the full path of
 * the value for data ("Boss/components/hello/kind should be a string"),
 * so that a user can find the mistake.
 */
#ifndef CC_SPEC_H
#define CC_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The directory of the installed spec files: $CCBUS_SPECDIR if set and
 * not empty, else the compiled default ($(datadir)/ccbus/specs). Borrowed.
 */
const char *cc_spec_dir(void);

/* A module spec that passed every rule. Immutable. */
struct cc_spec;

/*
 * Load the spec file at path: a JSON object {"module_spec": {...}}.
 * Returns CC_OK and a new spec in *out; CC_ESYS if the file cannot be
 * read, CC_EDECODE if it is not JSON (the message names the file, line and
 * column), CC_EINVAL if it breaks a rule of the format ("item_default for
 * 'interval' should be a real"); the reason in err when err is not NULL.
 */
int cc_spec_load(const char *path, struct cc_spec **out, char *err,
    size_t errlen);

/*
 * The same from a JSON value (borrowed): either {"module_spec": {...}} or
 * the inner object itself (as sent in the module_spec command). CC_OK,
 * CC_EINVAL with the reason, CC_ENOMEM.
 */
int cc_spec_from_json(const json_t *spec, struct cc_spec **out, char *err,
    size_t errlen);

void cc_spec_free(struct cc_spec *s);	/* NULL is a no-op */

/* The module's name (borrowed). */
const char *cc_spec_module_name(const struct cc_spec *s);
/* The inner module_spec object (borrowed), e.g. to send in the
 * module_spec command. */
const json_t *cc_spec_json(const struct cc_spec *s);
/* The spec's config_data / commands / statistics lists (borrowed; an empty
 * array when the spec has none). */
const json_t *cc_spec_config_items(const struct cc_spec *s);
const json_t *cc_spec_commands(const struct cc_spec *s);
const json_t *cc_spec_statistics(const struct cc_spec *s);

/*
 * Validate configuration data (a JSON object, borrowed) against the spec's
 * config_data. full: every non-optional item must be present
 * ("non-optional item X missing"); otherwise data may be partial (an
 * update), except inside list elements, which get no defaults (see
 * cc_spec_with_defaults()) and must always be complete. A spec's
 * item_default is checked the same way when the spec is loaded. Keys not in the spec: "unknown item X". Types per CONFIG.md:
 * an integer is accepted where a real is expected, not the reverse; `any`
 * accepts anything; lists, maps and named_sets are checked element by
 * element. Messages start with the full path, "Module/item/sub".
 * Returns CC_OK or CC_EINVAL with the first problem in err.
 */
int cc_spec_validate_config(const struct cc_spec *s, const json_t *data,
    bool full, char *err, size_t errlen);

/* Is name one of the spec's commands? */
bool cc_spec_has_command(const struct cc_spec *s, const char *name);

/*
 * Validate a command's arguments (args may be NULL: no arguments) against
 * its command_args, as a full check (every non-optional argument
 * present). Returns CC_OK, CC_EINVAL with the problem ("Unknown command:
 * X" for a command not in the spec; "Hello/echo/text should be a string"),
 * or CC_ENOMEM.
 */
int cc_spec_validate_command(const struct cc_spec *s, const char *name,
    const json_t *args, char *err, size_t errlen);

/*
 * The full configuration: data (borrowed, may be NULL) with every missing
 * item that has a default filled in, recursively into maps and into the
 * map values of named_sets (not into list elements). Returns a new
 * reference, NULL on ENOMEM. Does not validate.
 */
json_t *cc_spec_with_defaults(const struct cc_spec *s, const json_t *data);

#ifdef __cplusplus
}
#endif
#endif
