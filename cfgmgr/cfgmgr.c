/*
 * The config manager's context: start-up in the order that makes cfgmgr
 * safe to rely on (the file first, so that a bad one stops everything
 * before cfgmgr is visible on the bus; then the installed specs, so that
 * modules that never ran can be configured; then the bus), the receive
 * callback that routes membership notifications and commands, what
 * happens when msgq restarts (the session reconnects by itself; cfgmgr
 * forgets the old lnames and tells the boss again), and the end of the
 * loop.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cfgmgr.h"
#include "log.h"
#include "xmalloc.h"

struct cfgmgr *
cfgmgr_new(struct event_base *base, const struct cfgmgr_opts *opts)
{
	struct cfgmgr *cm = xcalloc(1, sizeof(*cm));

	cm->base = base;
	cm->sockpath = opts->sockpath;
	cm->datapath = xstrdup(opts->datapath);
	cm->path = xasprintf("%s/%s", opts->datapath, opts->filename);
	cm->clear = opts->clear;
	TAILQ_INIT(&cm->modules);
	TAILQ_INIT(&cm->pending);
	if ((cm->session = cc_session_new()) == NULL)
		fatalx("out of memory");
	return cm;
}

/* The file, after --clear-config's rename: 0, or 2 with err. */
static int
load_file(struct cfgmgr *cm, char *err, size_t errlen)
{
	char bak[CFGMGR_ERRLEN], why[CFGMGR_ERRLEN];
	json_t *stored;
	int r;

	if (cm->clear) {
		if ((r = cfgmgr_store_clear(cm->path, bak, sizeof(bak), why,
		    sizeof(why))) == -1) {
			snprintf(err, errlen, "--clear-config: %s", why);
			return 2;
		}
		if (r == 1)
			log_warnx("--clear-config: %s renamed to %s; starting "
			    "with an empty configuration", cm->path, bak);
	}
	if (cfgmgr_store_load(cm->path, &stored, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "cannot load the configuration: %s",
		    why);
		return 2;
	}
	cfgmgr_modules_load_values(&cm->modules, stored);
	log_info("configuration loaded from %s (%zu modules)", cm->path,
	    json_object_size(stored));
	json_decref(stored);
	return 0;
}

int
cfgmgr_load(struct cfgmgr *cm, char *err, size_t errlen)
{
	struct cfgmgr_module *self;
	int r;

	if (cfgmgr_store_mkdir(cm->datapath, err, errlen) == -1)
		return 1;
	if ((r = load_file(cm, err, errlen)) != 0)
		return r;
	cfgmgr_modules_load_specs(&cm->modules, cc_spec_dir());
	self = cfgmgr_module_find(&cm->modules, CFGMGR_MODULE);
	if (self == NULL || self->spec == NULL) {
		snprintf(err, errlen, "no spec for module %s in %s "
		    "(cfgmgr.spec)", CFGMGR_MODULE, cc_spec_dir());
		return 1;
	}
	return 0;
}

/* A cc_members notification: forget modules whose client went away. */
static void
members_note(struct cfgmgr *cm, const json_t *body)
{
	struct cfgmgr_module *m;
	const char *event, *lname;
	json_t *params;

	if (cc_notification_parse(body, &event, &params) != CC_OK ||
	    strcmp(event, "disconnected") != 0 ||
	    (lname = json_string_value(json_object_get(params, "client"))) ==
	    NULL)
		return;
	TAILQ_FOREACH(m, &cm->modules, entry)
		if (m->lname != NULL && strcmp(m->lname, lname) == 0) {
			log_info("module %s is not running: %s disconnected",
			    m->name, lname);
			cfgmgr_module_set_running(m, NULL);
			cfgmgr_set_module_gone(cm, m);
		}
}

/*
 * Every message received, borrowed from libcc's dispatcher. Answers that
 * match a call of ours went to its callback; the others come late and
 * are dropped, as are bodies that are not commands (PROTOCOL.md 7).
 */
static void
msg_cb(struct cc_session *s, struct cc_msg *msg, void *arg)
{
	struct cfgmgr *cm = arg;
	const char *group = cc_msg_group(msg), *name;
	json_t *body, *args;
	char err[256];

	if (cm->quitting || cc_msg_is_answer(msg))
		return;
	if (cc_msg_body(msg, &body, err, sizeof(err)) != CC_OK) {
		log_warnx("undecodable body from %s: %s", cc_msg_from(msg) !=
		    NULL ? cc_msg_from(msg) : "(no sender)", err);
		return;
	}
	if (group != NULL && strcmp(group, CFGMGR_MEMBERS_GROUP) == 0)
		members_note(cm, body);
	else if (cc_command_parse(body, &name, &args) == CC_OK)
		cfgmgr_cmd_dispatch(cm, msg, name, args);
}

/*
 * msgq went away: the session reconnects on its own (reconnect_cb). The
 * set_config in progress has already been refused through its call's
 * CC_ECONNLOST; those waiting came from lnames that are gone with the
 * old msgq, so they are dropped unanswered rather than run while nobody
 * can be asked.
 */
static void
err_cb(struct cc_session *s, int status, void *arg)
{
	struct cfgmgr *cm = arg;

	log_warnx("lost the connection to msgq: %s; reconnecting",
	    cc_session_error(s));
	cfgmgr_set_drop_pending(cm);
}

/* {"running": "ConfigManager"} to the boss; nobody listening is fine. */
static void
tell_boss(struct cfgmgr *cm)
{
	json_t *body = json_pack("{s:s}", "running", CFGMGR_MODULE);

	if (body == NULL)
		fatalx("out of memory");
	if (cc_send(cm->session, CFGMGR_BOSS_GROUP, NULL, NULL, body, 0,
	    NULL) != CC_OK)
		log_warnx("cannot tell the boss: %s",
		    cc_session_error(cm->session));
	json_decref(body);
}

/*
 * Connected to a new msgq, subscribed again (the session did both). The
 * lnames of the old one mean nothing here: every module counts as not
 * running until it registers again, which libcc does for it, except msgq
 * itself ("msgq" is msgq's lname on every bus). msgq registers anew
 * anyway, as group ConfigManager has just gained its member.
 */
static void
reconnect_cb(struct cc_session *s, void *arg)
{
	struct cfgmgr *cm = arg;
	struct cfgmgr_module *m;

	if (cm->quitting)
		return;
	log_info("reconnected: %s on msgq at %s", cc_session_lname(s),
	    cc_session_path(s));
	TAILQ_FOREACH(m, &cm->modules, entry)
		if (m->lname != NULL && strcmp(m->lname,
		    CFGMGR_MSGQ_LNAME) != 0) {
			cfgmgr_module_set_running(m, NULL);
			cfgmgr_set_module_gone(cm, m);
		}
	tell_boss(cm);
}

int
cfgmgr_start(struct cfgmgr *cm, char *err, size_t errlen)
{
	struct cc_session *s = cm->session;

	if (cc_session_connect(s, cm->sockpath, CC_DEFAULT_TIMEOUT) != CC_OK) {
		snprintf(err, errlen, "cannot connect to msgq: %s",
		    cc_session_error(s));
		return -1;
	}
	/* If msgq restarts, the session connects again by itself and
	 * subscribes again to both groups (BOSS.md 6). */
	cc_session_set_reconnect(s, true, reconnect_cb, cm);
	/* The ping returns once both subscriptions are active. */
	if (cc_subscribe(s, CFGMGR_MEMBERS_GROUP, NULL) != CC_OK ||
	    cc_subscribe(s, CFGMGR_MODULE, NULL) != CC_OK ||
	    cc_ping(s, NULL, 0, CC_DEFAULT_TIMEOUT, NULL, NULL) != CC_OK ||
	    cc_session_attach(s, cm->base, msg_cb, err_cb, cm) != CC_OK) {
		snprintf(err, errlen, "cannot subscribe on msgq at %s: %s",
		    cc_session_path(s), cc_session_error(s));
		return -1;
	}
	log_info("ready: %s on msgq at %s, configuration in %s",
	    cc_session_lname(s), cc_session_path(s), cm->path);
	tell_boss(cm);
	return 0;
}

int
cfgmgr_run(struct cfgmgr *cm)
{
	if (event_base_dispatch(cm->base) == -1)
		fatalx("the event loop failed");
	return cm->status;
}

void
cfgmgr_stop(struct cfgmgr *cm, int status, const char *why)
{
	if (cm->quitting)
		return;
	log_info("stopping: %s", why);
	cm->quitting = true;
	cm->status = status;
	event_base_loopexit(cm->base, NULL);
}

void
cfgmgr_free(struct cfgmgr *cm)
{
	if (cm == NULL)
		return;
	cm->quitting = true;
	/* Detaching flushes what is queued (the answer to shutdown) and
	 * completes our calls, whose callbacks see quitting. */
	cc_session_detach(cm->session);
	cc_session_free(cm->session);
	cfgmgr_set_clear(cm);
	cfgmgr_modules_free(&cm->modules);
	free(cm->path);
	free(cm->datapath);
	free(cm);
}

int
cfgmgr_answer_timeout_ms(struct cfgmgr *cm)
{
	struct cfgmgr_module *self = cfgmgr_module_find(&cm->modules,
	    CFGMGR_MODULE);
	const json_t *v = self != NULL ?
	    json_object_get(self->values, "answer_timeout") : NULL;
	double sec = v != NULL ? json_number_value(v) : CFGMGR_DEFAULT_TIMEOUT;

	/* set_config checked it; a hand-edited file may still hold 0. */
	if (sec <= 0 || sec > CFGMGR_MAX_TIMEOUT)
		sec = CFGMGR_DEFAULT_TIMEOUT;
	return (int)(sec * 1000 + 0.5);
}
