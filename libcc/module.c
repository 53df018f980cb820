/*
 * struct cc_module: its life cycle (new, free, stop), its accessors, its
 * error string, and leaving the bus in order (`stopping` to the config
 * manager, then detach and close). Starting is in module_start.c, what
 * happens while it runs in module_dispatch.c.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cc/error.h"
#include "cc/message.h"
#include "cc/session.h"
#include "module-internal.h"

struct cc_module *
cc_module_new(struct event_base *base, const char *spec,
    cc_config_cb config_cb, cc_command_cb command_cb, void *arg)
{
	struct cc_module *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if (spec != NULL && (m->spec_arg = strdup(spec)) == NULL) {
		free(m);
		return NULL;
	}
	m->base = base;
	m->config_cb = config_cb;
	m->command_cb = command_cb;
	m->arg = arg;
	m->state = LIBCC_MODULE_IDLE;
	LIST_INIT(&m->groups);
	LIST_INIT(&m->remotes);
	LIST_INIT(&m->topics);
	LIST_INIT(&m->refetches);
	return m;
}

void
cc_module_free(struct cc_module *m)
{
	if (m == NULL)
		return;
	libcc_module_leave_bus(m);
	cc_spec_free(m->spec);
	json_decref(m->config);
	free(m->spec_arg);
	free(m);
}

void
cc_module_set_shutdown_cb(struct cc_module *m, cc_shutdown_cb cb, void *arg)
{
	m->shutdown_cb = cb;
	m->shutdown_arg = arg;
}

void
cc_module_stop(struct cc_module *m)
{
	if (m->state != LIBCC_MODULE_RUNNING)
		return;
	if (m->depth > 0) {
		m->stop_pending = true;
		return;
	}
	libcc_module_leave_bus(m);
}

int
libcc_module_seterr(struct cc_module *m, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
	return status;
}

/*
 * A call to the config manager about module failed with r: say so in
 * words ("module_spec for Hello: no config manager on the bus at /x").
 * The session's own words for a missing recipient name only the group.
 */
int
libcc_module_callerr(struct cc_module *m, int r, const char *what,
    const char *module)
{
	const char *path = cc_session_path(m->session);

	if (r == CC_ENORECIPIENT)
		return libcc_module_seterr(m, r, "%s for %s: no config manager "
		    "on the bus at %s", what, module, path != NULL ? path :
		    "(unknown)");
	if (r == CC_EANSWER)
		return libcc_module_seterr(m, r, "%s for %s: refused by the "
		    "config manager: %s", what, module,
		    cc_session_error(m->session));
	return libcc_module_seterr(m, r, "%s for %s: %s", what, module,
	    cc_session_error(m->session));
}

void
libcc_module_enter(struct cc_module *m)
{
	m->depth++;
}

void
libcc_module_leave(struct cc_module *m)
{
	if (--m->depth > 0 || !m->stop_pending)
		return;
	m->stop_pending = false;
	cc_module_stop(m);
}

int
libcc_module_send_stopping(struct cc_module *m)
{
	json_t *args, *cmd;
	int r = CC_ENOMEM;

	args = json_pack("{s:s}", "module_name", cc_spec_module_name(m->spec));
	if (args != NULL && (cmd = cc_command_new("stopping", args)) != NULL) {
		/* Never answered (CONFIG.md 2): no want_answer. */
		r = cc_send(m->session, LIBCC_CFGMGR_GROUP, NULL, NULL, cmd, 0,
		    NULL);
		json_decref(cmd);
	}
	json_decref(args);
	if (r == CC_OK)
		m->stopping_sent = true;
	return r;
}

/*
 * Tell the config manager (if it knows us), flush, close, forget every
 * subscription. The spec and the last configuration stay readable.
 * Detaching flushes the queued bytes, `stopping` among them.
 */
void
libcc_module_leave_bus(struct cc_module *m)
{
	/* Before the detach, which completes their calls. */
	libcc_refetches_clear(m);
	if (m->session != NULL) {
		if (m->registered && !m->stopping_sent &&
		    cc_session_connected(m->session))
			(void)libcc_module_send_stopping(m);
		cc_session_detach(m->session);
		/* Inside the session's callback the session defers this. */
		cc_session_free(m->session);
		m->session = NULL;
	}
	libcc_remotes_clear(m);
	libcc_topics_clear(m);
	libcc_groups_clear(m);
	m->registered = false;
	m->stop_pending = false;
	m->state = LIBCC_MODULE_IDLE;
}

/* The module must leave its loop: a shutdown for this process. */
void
libcc_module_shutdown(struct cc_module *m)
{
	if (m->shutdown_cb == NULL) {
		if (m->base != NULL)
			event_base_loopexit(m->base, NULL);
		return;
	}
	libcc_module_enter(m);
	m->shutdown_cb(m, m->shutdown_arg);
	libcc_module_leave(m);
}

const char *
cc_module_error(const struct cc_module *m)
{
	return m->err;
}

int
cc_module_status(const struct cc_module *m)
{
	return m->status;
}

const char *
cc_module_name(const struct cc_module *m)
{
	return m->spec != NULL ? cc_spec_module_name(m->spec) : NULL;
}

const struct cc_spec *
cc_module_spec(const struct cc_module *m)
{
	return m->spec;
}

struct cc_session *
cc_module_session(struct cc_module *m)
{
	return m->session;
}

const json_t *
cc_module_config(const struct cc_module *m)
{
	return m->config;
}

const json_t *
cc_module_get_value(const struct cc_module *m, const char *path)
{
	return libcc_config_lookup(m->config, path);
}
