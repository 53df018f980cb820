/*
 * Following another module's configuration (CONFIG.md 3, step 6): its
 * spec and stored values come from the config manager, its later changes
 * from the config_updates the config manager sends to its group, which
 * this module also joins. Only the followed module answers those: a
 * follower that did would answer for it (CONFIG.md 2, set_config).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cc/error.h"
#include "cc/message.h"
#include "cc/session.h"
#include "cc/spec.h"
#include "module-internal.h"

struct libcc_remote *
libcc_remote_find(const struct cc_module *m, const char *module)
{
	struct libcc_remote *rm;

	LIST_FOREACH(rm, &m->remotes, entry)
		if (strcmp(rm->name, module) == 0)
			return rm;
	return NULL;
}

static void
remote_free(struct libcc_remote *rm)
{
	cc_spec_free(rm->spec);
	json_decref(rm->config);
	free(rm);
}

/* The followed module's spec; [0, {}] means the config manager has none. */
static int
remote_spec(struct cc_module *m, const char *module, struct cc_spec **out,
    int timeout_ms)
{
	json_t *args, *value = NULL;
	char err[512];
	int r;

	if ((args = json_pack("{s:s}", "module_name", module)) == NULL)
		return libcc_module_seterr(m, CC_ENOMEM, "out of memory");
	r = cc_command(m->session, LIBCC_CFGMGR_GROUP, "get_module_spec",
	    args, timeout_ms, &value);
	json_decref(args);
	if (r != CC_OK)
		return libcc_module_callerr(m, r, "get_module_spec", module);
	if (!json_is_object(value) || json_object_size(value) == 0)
		r = libcc_module_seterr(m, CC_EINVAL, "cannot follow %s: the "
		    "config manager has no spec for it", module);
	else if ((r = cc_spec_from_json(value, out, err, sizeof(err))) !=
	    CC_OK)
		r = libcc_module_seterr(m, r == CC_ENOMEM ? r : CC_EPROTO,
		    "get_module_spec for %s: %s", module, err);
	json_decref(value);
	return r;
}

/* Spec and full configuration into rm. */
static int
remote_fetch(struct cc_module *m, struct libcc_remote *rm, int timeout_ms)
{
	int r;

	if ((r = remote_spec(m, rm->name, &rm->spec, timeout_ms)) != CC_OK)
		return r;
	return libcc_config_fetch(m, rm->name, rm->spec, timeout_ms,
	    &rm->config);
}

static int
remote_check(struct cc_module *m, const char *module)
{
	if (m->state != LIBCC_MODULE_RUNNING)
		return libcc_module_seterr(m, CC_ESTATE, "cannot follow %s: "
		    "the module is not started", module);
	if (strcmp(module, cc_spec_module_name(m->spec)) == 0)
		return libcc_module_seterr(m, CC_EINVAL, "cannot follow %s: "
		    "it is this module", module);
	if (libcc_remote_find(m, module) != NULL)
		return libcc_module_seterr(m, CC_ESTATE, "%s is already "
		    "followed", module);
	return CC_OK;
}

/*
 * Subscribed before the fetch: an update sent meanwhile is queued and then
 * compared with what the fetch got, so it is neither lost nor repeated.
 */
int
cc_module_add_remote_config(struct cc_module *m, const char *module,
    cc_remote_config_cb cb, void *arg, int timeout_ms)
{
	size_t len = strlen(module) + 1;
	struct libcc_remote *rm;
	int r;

	if ((r = remote_check(m, module)) != CC_OK)
		return r;
	if ((rm = calloc(1, sizeof(*rm) + len)) == NULL)
		return libcc_module_seterr(m, CC_ENOMEM, "out of memory");
	memcpy(rm->name, module, len);
	rm->cb = cb;
	rm->arg = arg;
	if ((r = libcc_group_subscribe(m, module)) != CC_OK ||
	    (r = remote_fetch(m, rm, timeout_ms)) != CC_OK) {
		libcc_group_unsubscribe(m, module);
		remote_free(rm);
		return r;
	}
	LIST_INSERT_HEAD(&m->remotes, rm, entry);
	if (cb != NULL) {
		libcc_module_enter(m);
		cb(m, rm->name, rm->config, arg);
		libcc_module_leave(m);
	}
	return CC_OK;
}

int
cc_module_remove_remote_config(struct cc_module *m, const char *module)
{
	struct libcc_remote *rm;

	if ((rm = libcc_remote_find(m, module)) == NULL)
		return libcc_module_seterr(m, CC_EINVAL, "%s is not "
		    "followed", module);
	LIST_REMOVE(rm, entry);
	libcc_group_unsubscribe(m, module);
	remote_free(rm);
	return CC_OK;
}

const json_t *
cc_module_get_remote_value(const struct cc_module *m, const char *module,
    const char *path)
{
	struct libcc_remote *rm = libcc_remote_find(m, module);

	return rm != NULL ? libcc_config_lookup(rm->config, path) : NULL;
}

/* A config_update seen on a followed module's group: an invalid one is
 * the real module's to refuse, and changes nothing here. */
void
libcc_remote_update(struct cc_module *m, struct libcc_remote *rm,
    const json_t *args)
{
	json_t *merged, *diff;
	char err[512];

	/* Newer than a get_config asked for before it (module_reconnect.c). */
	rm->updates++;
	if ((merged = libcc_config_merge(rm->spec, args, err, sizeof(err))) ==
	    NULL)
		return;
	if ((diff = libcc_config_diff(rm->config, merged)) == NULL) {
		json_decref(merged);
		return;
	}
	json_decref(rm->config);
	rm->config = merged;
	if (json_object_size(diff) > 0 && rm->cb != NULL)
		rm->cb(m, rm->name, diff, rm->arg);
	json_decref(diff);
}

void
libcc_remotes_clear(struct cc_module *m)
{
	struct libcc_remote *rm;

	while ((rm = LIST_FIRST(&m->remotes)) != NULL) {
		LIST_REMOVE(rm, entry);
		remote_free(rm);
	}
}
