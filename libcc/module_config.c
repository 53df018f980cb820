/*
 * Configurations as the module layer sees them: fetched from the config
 * manager, merged with the spec's defaults and checked in full, reduced
 * to what changed, read by path; and the module's own config_update.
 *
 * A configuration here is always full: the stored values (which leave out
 * what equals a default) with the spec's defaults filled in, so that two
 * of them can be compared key by key.
 */
#include "config.h"

#include <string.h>

#include "cc/error.h"
#include "cc/message.h"
#include "cc/session.h"
#include "cc/spec.h"
#include "module-internal.h"

/*
 * data (borrowed, a map) with the defaults of spec filled in, checked as
 * a full configuration. CC_OK and a new reference in *out; CC_EINVAL with
 * the reason ("Hello/interval should be a real") in err; CC_ENOMEM.
 */
static int
config_merge(const struct cc_spec *spec, const json_t *data, json_t **out,
    char *err, size_t errlen)
{
	json_t *full;
	int r;

	*out = NULL;
	if ((full = cc_spec_with_defaults(spec, data)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return CC_ENOMEM;
	}
	if ((r = cc_spec_validate_config(spec, full, true, err, errlen)) !=
	    CC_OK) {
		json_decref(full);
		return r;
	}
	*out = full;
	return CC_OK;
}

json_t *
libcc_config_merge(const struct cc_spec *spec, const json_t *data,
    char *err, size_t errlen)
{
	json_t *full;

	return config_merge(spec, data, &full, err, errlen) == CC_OK ? full :
	    NULL;
}

/*
 * The full configuration of module (spec: its spec) from the config
 * manager, waiting at most timeout_ms: CC_OK and a new reference in *out,
 * or an error named in cc_module_error(). The config manager answers [0]
 * or [0, {}] for a module it has no stored values for.
 */
int
libcc_config_fetch(struct cc_module *m, const char *module,
    const struct cc_spec *spec, int timeout_ms, json_t **out)
{
	json_t *args, *stored = NULL;
	char err[512];
	int r;

	*out = NULL;
	if ((args = json_pack("{s:s}", "module_name", module)) == NULL)
		return libcc_module_seterr(m, CC_ENOMEM, "out of memory");
	r = cc_command(m->session, LIBCC_CFGMGR_GROUP, "get_config", args,
	    timeout_ms, &stored);
	json_decref(args);
	if (r != CC_OK)
		return libcc_module_callerr(m, r, "get_config", module);
	if (stored != NULL && !json_is_object(stored)) {
		json_decref(stored);
		return libcc_module_seterr(m, CC_EPROTO, "get_config for %s: "
		    "the config manager's answer is not a map", module);
	}
	r = config_merge(spec, stored, out, err, sizeof(err));
	json_decref(stored);
	if (r != CC_OK)
		return libcc_module_seterr(m, r, "the stored configuration of "
		    "%s does not match its spec: %s", module, err);
	return CC_OK;
}

/*
 * The items of now whose value differs from before (both full
 * configurations; before may be NULL). An item now lacks can only be an
 * optional one without a default that was removed: it appears as null.
 * NULL on ENOMEM.
 */
json_t *
libcc_config_diff(const json_t *before, const json_t *now)
{
	const char *key;
	json_t *diff, *v;

	if ((diff = json_object()) == NULL)
		return NULL;
	json_object_foreach((json_t *)now, key, v) {
		if (!json_equal(json_object_get(before, key), v) &&
		    json_object_set(diff, key, v) == -1)
			goto fail;
	}
	json_object_foreach((json_t *)before, key, v) {
		if (json_object_get(now, key) == NULL &&
		    json_object_set_new(diff, key, json_null()) == -1)
			goto fail;
	}
	return diff;
fail:
	json_decref(diff);
	return NULL;
}

/* "a/b/c" through nested objects (maps and named_sets alike); NULL or ""
 * is the whole configuration. */
const json_t *
libcc_config_lookup(const json_t *config, const char *path)
{
	const char *end;
	size_t len;

	if (config == NULL || path == NULL)
		return config;
	while (*path != '\0' && config != NULL) {
		end = strchr(path, '/');
		len = end != NULL ? (size_t)(end - path) : strlen(path);
		config = json_object_getn(config, path, len);
		path += len;
		if (*path == '/')
			path++;
	}
	return config;
}

/* The handler's refusal as the answer to send: its own if it is one. */
static json_t *
refusal(json_t *answer, const char *why)
{
	json_t *value;
	int rcode;

	if (cc_answer_parse(answer, &rcode, &value) == CC_OK)
		return answer;
	json_decref(answer);
	return cc_answer_error(1, "%s", why);
}

/*
 * The module's own config_update: args are the module's stored values
 * (CONFIG.md 2, set_config step 3). Returns the answer to send: [1,
 * reason] for an invalid configuration or the handler's refusal, which
 * keep the current one; [0] when it was taken, or nothing changed (the
 * handler is then not called).
 */
json_t *
libcc_module_config_update(struct cc_module *m, const json_t *args)
{
	json_t *merged, *diff, *answer = NULL;
	const char *why;
	char err[512];

	if (!json_is_object(args))
		return cc_answer_error(1, "%s: config_update needs a map",
		    cc_spec_module_name(m->spec));
	if (config_merge(m->spec, args, &merged, err, sizeof(err)) != CC_OK)
		return cc_answer_error(1, "%s", err);
	if ((diff = libcc_config_diff(m->config, merged)) == NULL) {
		json_decref(merged);
		return cc_answer_error(1, "%s: out of memory",
		    cc_spec_module_name(m->spec));
	}
	if (json_object_size(diff) > 0 && m->config_cb != NULL)
		answer = m->config_cb(m, diff, m->arg);
	json_decref(diff);
	if (libcc_answer_refuses(answer, &why)) {
		json_decref(merged);
		return refusal(answer, why);
	}
	json_decref(answer);
	json_decref(m->config);
	m->config = merged;
	return cc_answer_new(0, NULL);
}
