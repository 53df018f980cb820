/*
 * cc_module_start(): the start of a module's life cycle (CONFIG.md 3,
 * steps 1 to 3), one blocking step after the other, each bounded by the
 * caller's timeout. Whatever arrives on the bus meanwhile (a command, an
 * early config_update) is queued by the session and reaches the
 * dispatcher once the session is attached, at the end.
 *
 * A failure undoes everything: a config manager that already has the spec
 * gets `stopping`, the session is closed, the module can be started again.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc/error.h"
#include "cc/message.h"
#include "cc/session.h"
#include "cc/spec.h"
#include "module-internal.h"

/* A bare file name is looked up in the spec directory. */
static int
start_load_spec(struct cc_module *m)
{
	char path[PATH_MAX], why[512];
	const char *spec = m->spec_arg;
	int r;

	if (spec == NULL || *spec == '\0')
		return libcc_module_seterr(m, CC_EINVAL, "no module spec "
		    "given");
	if (strchr(spec, '/') == NULL) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s",
		    cc_spec_dir(), spec) >= sizeof(path))
			return libcc_module_seterr(m, CC_EINVAL, "module spec "
			    "%s/%s: path too long", cc_spec_dir(), spec);
		spec = path;
	}
	why[0] = '\0';
	if ((r = cc_spec_load(spec, &m->spec, why, sizeof(why))) != CC_OK)
		return libcc_module_seterr(m, r, "module spec %s", why);
	return CC_OK;
}

static int
start_connect(struct cc_module *m, const char *socket)
{
	const char *name = cc_spec_module_name(m->spec);
	int r;

	if ((m->session = cc_session_new()) == NULL)
		return libcc_module_seterr(m, CC_ENOMEM, "%s: out of memory",
		    name);
	if ((r = cc_session_connect(m->session, socket, m->timeout_ms)) !=
	    CC_OK)
		return libcc_module_seterr(m, r, "%s: %s", name,
		    cc_session_error(m->session));
	/* msgq handles our frames in order: the subscription is active
	 * before the config manager sees module_spec. */
	return libcc_group_subscribe(m, name);
}

static int
start_register(struct cc_module *m)
{
	const char *name = cc_spec_module_name(m->spec);
	int r;

	r = cc_command(m->session, LIBCC_CFGMGR_GROUP, "module_spec",
	    cc_spec_json(m->spec), m->timeout_ms, NULL);
	if (r != CC_OK)
		return libcc_module_callerr(m, r, "module_spec", name);
	m->registered = true;
	return CC_OK;
}

/* The stored configuration, with defaults, offered to config_cb. */
static int
start_config(struct cc_module *m)
{
	const char *name = cc_spec_module_name(m->spec), *why;
	json_t *full, *answer = NULL;
	int r;

	if ((r = libcc_config_fetch(m, name, m->spec, m->timeout_ms,
	    &full)) != CC_OK)
		return r;
	if (m->config_cb != NULL) {
		libcc_module_enter(m);
		answer = m->config_cb(m, full, m->arg);
		libcc_module_leave(m);
	}
	if (libcc_answer_refuses(answer, &why)) {
		r = libcc_module_seterr(m, CC_EANSWER, "%s: config refused: "
		    "%s", name, why);
		json_decref(answer);
		json_decref(full);
		return r;
	}
	json_decref(answer);
	json_decref(m->config);
	m->config = full;
	return CC_OK;
}

static int
start_attach(struct cc_module *m)
{
	int r;

	/* From now on a lost connection is the session's to restore and
	 * module_reconnect.c's to register again (BOSS.md 6). */
	cc_session_set_reconnect(m->session, true, libcc_module_reconnect_cb,
	    m);
	r = cc_session_attach(m->session, m->base, libcc_module_msg_cb,
	    libcc_module_err_cb, m);
	if (r != CC_OK)
		return libcc_module_seterr(m, r, "%s: cannot attach to the "
		    "event base: %s", cc_spec_module_name(m->spec),
		    cc_session_error(m->session));
	return CC_OK;
}

/* Forget what an earlier start left, for a fresh one. */
static void
start_reset(struct cc_module *m, int timeout_ms)
{
	cc_spec_free(m->spec);
	m->spec = NULL;
	json_decref(m->config);
	m->config = NULL;
	m->timeout_ms = timeout_ms;
	m->stopping_sent = false;
	m->updates = 0;
	m->status = CC_OK;
	m->err[0] = '\0';
}

int
cc_module_start(struct cc_module *m, const char *socket, int timeout_ms)
{
	int r;

	if (m->state != LIBCC_MODULE_IDLE)
		return libcc_module_seterr(m, CC_ESTATE, "%s is already "
		    "started", cc_module_name(m));
	start_reset(m, timeout_ms);
	m->state = LIBCC_MODULE_STARTING;
	if ((r = start_load_spec(m)) != CC_OK ||
	    (r = start_connect(m, socket)) != CC_OK ||
	    (r = start_register(m)) != CC_OK ||
	    (r = start_config(m)) != CC_OK ||
	    (r = start_attach(m)) != CC_OK) {
		libcc_module_leave_bus(m);
		cc_spec_free(m->spec);
		m->spec = NULL;
		return r;
	}
	m->state = LIBCC_MODULE_RUNNING;
	return CC_OK;
}
