/*
 * A module after msgq restarted (BOSS.md 6): the session has reconnected
 * on its own, with a new lname and its subscriptions (the module's group,
 * followed modules, notification topics) given again; this file makes the
 * config manager know the module again, without the module's code doing
 * anything and without ever blocking the loop.
 *
 * In order, each step an async call retried with back-off (50 ms doubling
 * to 1 s) until it succeeds, because the config manager may be
 * reconnecting too: module_spec (the config manager then knows the new
 * lname), get_config for the module, then get_config for each followed
 * module. A configuration that changed meanwhile reaches the handlers as
 * a diff, like a config_update; a refusal keeps the module's current
 * configuration (nobody waits for that answer). A config_update that
 * arrives between a get_config and its answer is newer than the answer:
 * the answer is then ignored.
 *
 * While this runs, cc_module_status() stays CC_OK and cc_module_error()
 * says what was last tried. A module that cannot register again keeps
 * trying, once a second at most, until it is stopped.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cc/error.h"
#include "cc/message.h"
#include "cc/session.h"
#include "cc/spec.h"
#include "module-internal.h"

#define REFETCH_BACKOFF_MIN	50	/* ms */
#define REFETCH_BACKOFF_MAX	1000

static void refetch_run(struct cc_module *, struct libcc_refetch *);

static void
refetch_free(struct libcc_refetch *rf)
{
	if (rf->timer != NULL)
		event_free(rf->timer);
	free(rf);
}

static void
refetch_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct libcc_refetch *rf = arg;

	refetch_run(rf->m, rf);
}

static struct libcc_refetch *
refetch_new(struct cc_module *m, const char *module,
    enum libcc_refetch_step step)
{
	size_t len = strlen(module) + 1;
	struct libcc_refetch *rf;

	if ((rf = calloc(1, sizeof(*rf) + len)) == NULL)
		return NULL;
	memcpy(rf->module, module, len);
	rf->m = m;
	rf->step = step;
	if ((rf->timer = evtimer_new(m->base, refetch_timer_cb, rf)) == NULL) {
		free(rf);
		return NULL;
	}
	LIST_INSERT_HEAD(&m->refetches, rf, entry);
	return rf;
}

/* Give every exchange up: the module stops, or the connection is lost. */
void
libcc_refetches_clear(struct cc_module *m)
{
	struct libcc_refetch *rf;

	while ((rf = LIST_FIRST(&m->refetches)) != NULL) {
		LIST_REMOVE(rf, entry);
		if (rf->calling)
			rf->m = NULL;	/* its callback frees it */
		else
			refetch_free(rf);
	}
}

/* Try rf again after its back-off. */
static void
refetch_later(struct cc_module *m, struct libcc_refetch *rf)
{
	struct timeval tv;

	if (rf->backoff == 0)
		rf->backoff = REFETCH_BACKOFF_MIN;
	tv.tv_sec = rf->backoff / 1000;
	tv.tv_usec = (rf->backoff % 1000) * 1000;
	evtimer_add(rf->timer, &tv);
	rf->backoff *= 2;
	if (rf->backoff > REFETCH_BACKOFF_MAX)
		rf->backoff = REFETCH_BACKOFF_MAX;
}

/* The module's own configuration, fetched again: offer what changed. */
static void
apply_own(struct cc_module *m, const json_t *stored)
{
	const char *name = cc_spec_module_name(m->spec), *why;
	json_t *full, *diff, *answer = NULL;
	char err[512];

	if ((full = libcc_config_merge(m->spec, stored, err, sizeof(err))) ==
	    NULL) {
		libcc_module_seterr(m, CC_EINVAL, "the stored configuration "
		    "of %s does not match its spec: %s", name, err);
		return;
	}
	if ((diff = libcc_config_diff(m->config, full)) == NULL) {
		json_decref(full);
		return;
	}
	if (json_object_size(diff) > 0 && m->config_cb != NULL) {
		libcc_module_enter(m);
		answer = m->config_cb(m, diff, m->arg);
		libcc_module_leave(m);
	}
	json_decref(diff);
	if (libcc_answer_refuses(answer, &why)) {
		libcc_module_seterr(m, CC_EANSWER, "%s: configuration changed "
		    "while msgq was away refused: %s", name, why);
		json_decref(full);
	} else {
		json_decref(m->config);
		m->config = full;
	}
	json_decref(answer);
}

/* A followed module's configuration, fetched again. */
static void
apply_remote(struct cc_module *m, struct libcc_remote *rm,
    const json_t *stored)
{
	json_t *full, *diff;
	char err[512];

	if ((full = libcc_config_merge(rm->spec, stored, err, sizeof(err))) ==
	    NULL || (diff = libcc_config_diff(rm->config, full)) == NULL) {
		json_decref(full);
		return;
	}
	json_decref(rm->config);
	rm->config = full;
	if (json_object_size(diff) > 0 && rm->cb != NULL) {
		libcc_module_enter(m);
		rm->cb(m, rm->name, diff, rm->arg);
		libcc_module_leave(m);
	}
	json_decref(diff);
}

/* get_config's answer for rf: applied unless a config_update came since
 * it was asked for. Returns false for an answer of the wrong shape. */
static bool
apply_config(struct cc_module *m, struct libcc_refetch *rf,
    struct cc_msg *answer)
{
	struct libcc_remote *rm = NULL;
	json_t *body, *value;
	int rcode;

	if (cc_msg_body(answer, &body, NULL, 0) != CC_OK ||
	    cc_answer_parse(body, &rcode, &value) != CC_OK ||
	    (value != NULL && !json_is_object(value)))
		return false;
	if (strcmp(rf->module, cc_spec_module_name(m->spec)) == 0) {
		if (rf->updates == m->updates)
			apply_own(m, value);
	} else if ((rm = libcc_remote_find(m, rf->module)) != NULL &&
	    rf->updates == rm->updates)
		apply_remote(m, rm, value);
	return true;
}

/* The module itself is registered and configured: its followed modules
 * now. */
static void
refetch_remotes(struct cc_module *m)
{
	struct libcc_remote *rm;
	struct libcc_refetch *rf;
	static const struct timeval now = { 0, 0 };

	LIST_FOREACH(rm, &m->remotes, entry) {
		if ((rf = refetch_new(m, rm->name, LIBCC_REFETCH_CONFIG)) ==
		    NULL) {
			libcc_module_seterr(m, CC_ENOMEM, "out of memory");
			continue;
		}
		evtimer_add(rf->timer, &now);
	}
}

/* What to do with rf after a step. */
enum refetch_next {
	REFETCH_DONE,		/* finished, or given up: free it */
	REFETCH_NOW,		/* the next step, at once */
	REFETCH_LATER,		/* this step again, after the back-off */
};

/* The outcome of a step of rf, which is off the list while this runs. */
static enum refetch_next
refetch_step_done(struct cc_module *m, struct libcc_refetch *rf,
    int status, struct cc_msg *answer)
{
	const char *what = rf->step == LIBCC_REFETCH_SPEC ? "module_spec" :
	    "get_config";

	if (status == CC_OK && rf->step == LIBCC_REFETCH_CONFIG &&
	    !apply_config(m, rf, answer))
		status = libcc_module_seterr(m, CC_EPROTO, "%s for %s: the "
		    "config manager's answer is not a map", what, rf->module);
	else if (status != CC_OK)
		libcc_module_callerr(m, status, what, rf->module);
	/* Lost: the session reconnects and this starts over. */
	if (m->state != LIBCC_MODULE_RUNNING || status == CC_ECONNLOST ||
	    status == CC_ESTATE)
		return REFETCH_DONE;
	if (status != CC_OK)
		return REFETCH_LATER;
	if (rf->step == LIBCC_REFETCH_SPEC) {
		m->registered = true;
		m->stopping_sent = false;
		rf->step = LIBCC_REFETCH_CONFIG;
		rf->backoff = 0;
		return REFETCH_NOW;
	}
	if (strcmp(rf->module, cc_spec_module_name(m->spec)) == 0)
		refetch_remotes(m);
	return REFETCH_DONE;
}

static void
refetch_cb(struct cc_session *s, int status, struct cc_msg *answer,
    void *arg)
{
	struct libcc_refetch *rf = arg;
	struct cc_module *m = rf->m;
	enum refetch_next next;

	rf->calling = false;
	if (m == NULL) {
		refetch_free(rf);
		return;
	}
	/* In hand while the handlers run: a stop from one of them clears
	 * the list without it. */
	LIST_REMOVE(rf, entry);
	next = refetch_step_done(m, rf, status, answer);
	if (next == REFETCH_DONE || m->state != LIBCC_MODULE_RUNNING) {
		refetch_free(rf);
		return;
	}
	LIST_INSERT_HEAD(&m->refetches, rf, entry);
	if (next == REFETCH_NOW)
		refetch_run(m, rf);
	else
		refetch_later(m, rf);
}

/* Send rf's command; a failure to send is retried later, except a lost
 * connection, after which the session reconnects and this starts over. */
static void
refetch_run(struct cc_module *m, struct libcc_refetch *rf)
{
	struct libcc_remote *rm;
	const char *name;
	json_t *args = NULL, *cmd;
	int r = CC_ENOMEM, timeout;

	timeout = m->timeout_ms > 0 ? m->timeout_ms : CC_DEFAULT_TIMEOUT;
	if (rf->step == LIBCC_REFETCH_SPEC) {
		name = "module_spec";
		cmd = cc_command_new(name, cc_spec_json(m->spec));
	} else {
		name = "get_config";
		args = json_pack("{s:s}", "module_name", rf->module);
		cmd = args != NULL ? cc_command_new(name, args) : NULL;
		rm = libcc_remote_find(m, rf->module);
		rf->updates = rm != NULL ? rm->updates : m->updates;
	}
	if (cmd != NULL)
		r = cc_call_async(m->session, LIBCC_CFGMGR_GROUP, NULL, NULL,
		    cmd, timeout, refetch_cb, rf);
	json_decref(cmd);
	json_decref(args);
	if (r == CC_OK) {
		rf->calling = true;
		return;
	}
	libcc_module_callerr(m, r, name, rf->module);
	if (r == CC_ECONNLOST) {
		LIST_REMOVE(rf, entry);
		refetch_free(rf);
	} else
		refetch_later(m, rf);
}

/* The session is connected again (its reconnect callback). */
void
libcc_module_reconnect_cb(struct cc_session *s, void *arg)
{
	struct cc_module *m = arg;
	struct libcc_refetch *rf;

	if (m->state != LIBCC_MODULE_RUNNING)
		return;
	libcc_refetches_clear(m);
	m->registered = false;
	if ((rf = refetch_new(m, cc_spec_module_name(m->spec),
	    LIBCC_REFETCH_SPEC)) == NULL) {
		libcc_module_seterr(m, CC_ENOMEM, "%s: out of memory "
		    "registering again", cc_spec_module_name(m->spec));
		return;
	}
	refetch_run(m, rf);
}
