/*
 * Readiness, always a notification, never a sleep:
 *
 *  - msgq writes "\n" to its --ready-fd once it listens; the boss then
 *    confirms with one connection that answers getlname (the first time,
 *    that connection is the boss's own raw session: start-up step 3);
 *  - cfgmgr sends {"running": "ConfigManager"} to group Boss;
 *  - a module with an address is ready at the first `subscribed` event
 *    for that group on notifications/cc_members (PROTOCOL.md 8) while it
 *    is starting. Two starting components with one address: each event
 *    readies the first of them still starting (documented).
 *
 * The raw session that sees these is subscribed to cc_members, and to
 * Boss until cfgmgr is ready (boss.c says why it leaves); it ignores
 * commands (the module API answers them) and every other body. It
 * reconnects by itself after msgq's death, and then asks msgq about the
 * components still starting, whose subscription it may have missed.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boss.h"
#include "log.h"
#include "xmalloc.h"

static void
members_note(struct boss *b, const json_t *body)
{
	struct boss_comp *c;
	const char *event, *group, *client;
	json_t *params;

	if (cc_notification_parse(body, &event, &params) != CC_OK ||
	    strcmp(event, "subscribed") != 0)
		return;
	group = json_string_value(json_object_get(params, "group"));
	client = json_string_value(json_object_get(params, "client"));
	if (group == NULL)
		return;
	TAILQ_FOREACH(c, &b->comps, entry)
		if (c->role == BOSS_ROLE_MODULE && c->state ==
		    BOSS_ST_STARTING && c->conf.address != NULL &&
		    strcmp(c->conf.address, group) == 0) {
			log_debug("%s: %s subscribed to %s", c->name,
			    client != NULL ? client : "?", group);
			boss_sm_post(c, BOSS_EV_READY);
			return;
		}
}

void
boss_ready_msg_cb(struct cc_session *s, struct cc_msg *msg, void *arg)
{
	struct boss *b = arg;
	const char *group = cc_msg_group(msg), *running;
	json_t *body;

	if (group == NULL || cc_msg_is_answer(msg) ||
	    cc_msg_body(msg, &body, NULL, 0) != CC_OK)
		return;
	if (strcmp(group, BOSS_MEMBERS_GROUP) == 0)
		members_note(b, body);
	else if (strcmp(group, BOSS_MODULE) == 0 &&
	    (running = json_string_value(json_object_get(body, "running"))) !=
	    NULL && strcmp(running, BOSS_CFGMGR_MODULE) == 0 &&
	    b->cfgmgr->state == BOSS_ST_STARTING)
		boss_sm_post(b->cfgmgr, BOSS_EV_READY);
}

static void
err_cb(struct cc_session *s, int status, void *arg)
{
	struct boss *b = arg;

	if (!b->quitting)
		log_warnx("lost the connection to msgq: %s (reconnecting)",
		    cc_session_error(s));
}

/* A `members` call for a starting component, by name: it may be gone
 * by the time the answer comes. */
struct members_call {
	struct boss	*b;
	char		 name[];
};

static void
members_answer_cb(struct cc_session *s, int status, struct cc_msg *answer,
    void *arg)
{
	struct members_call *call = arg;
	struct boss_comp *c = boss_comp_find(call->b, call->name);
	json_t *body, *value;
	int rcode;

	if (status == CC_OK && c != NULL && c->state == BOSS_ST_STARTING &&
	    cc_msg_body(answer, &body, NULL, 0) == CC_OK &&
	    cc_answer_parse(body, &rcode, &value) == CC_OK &&
	    json_array_size(value) > 0) {
		log_debug("%s: %s has members", c->name, c->conf.address);
		boss_sm_post(c, BOSS_EV_READY);
	}
	free(call);
}

/*
 * Back on a restarted msgq: a component that subscribed while this
 * session was away would never be seen ready; ask msgq who is in each
 * starting component's group.
 */
static void
reconnected_cb(struct cc_session *s, void *arg)
{
	struct boss *b = arg;
	struct boss_comp *c;
	struct members_call *call;
	json_t *cmd;

	log_info("reconnected to msgq as %s", cc_session_lname(s));
	TAILQ_FOREACH(c, &b->comps, entry) {
		if (c->state != BOSS_ST_STARTING || c->conf.address == NULL ||
		    c->role != BOSS_ROLE_MODULE)
			continue;
		call = xcalloc(1, sizeof(*call) + strlen(c->name) + 1);
		call->b = b;
		strcpy(call->name, c->name);
		cmd = json_pack("{s:[s, {s:s}]}", "command", "members",
		    "group", c->conf.address);
		if (cmd == NULL || cc_call_async(s, "Msgq", NULL, "msgq", cmd,
		    CC_DEFAULT_TIMEOUT, members_answer_cb, call) != CC_OK)
			free(call);
		json_decref(cmd);
	}
}

/* Step 3: the boss's own session, subscribed before anything else runs. */
static int
session_open(struct boss *b)
{
	struct cc_session *s = b->session;

	if (cc_session_connect(s, b->opts.sockpath, CC_DEFAULT_TIMEOUT) !=
	    CC_OK || cc_subscribe(s, BOSS_MEMBERS_GROUP, NULL) != CC_OK ||
	    cc_subscribe(s, BOSS_MODULE, NULL) != CC_OK ||
	    cc_ping(s, NULL, 0, CC_DEFAULT_TIMEOUT, NULL, NULL) != CC_OK ||
	    cc_session_attach(s, b->base, boss_ready_msg_cb, err_cb, b) !=
	    CC_OK) {
		log_warnx("msgq does not answer on %s: %s", b->opts.sockpath,
		    cc_session_error(s));
		cc_session_close(s);
		return -1;
	}
	/* libcc reconnects it when msgq is restarted (BOSS.md 6). */
	cc_session_set_reconnect(s, true, reconnected_cb, b);
	log_info("connected to msgq as %s", cc_session_lname(s));
	return 0;
}

/* A restarted msgq: one fresh connection must answer getlname. */
static int
confirm(struct boss *b)
{
	struct cc_session *s = cc_session_new();
	int r;

	if (s == NULL)
		fatalx("out of memory");
	r = cc_session_connect(s, b->opts.sockpath, CC_DEFAULT_TIMEOUT);
	if (r != CC_OK)
		log_warnx("msgq does not answer on %s: %s", b->opts.sockpath,
		    cc_session_error(s));
	cc_session_free(s);
	return r == CC_OK ? 0 : -1;
}

static void
ready_fd_cb(evutil_socket_t fd, short what, void *arg)
{
	struct boss_comp *c = arg;
	struct boss *b = c->b;
	char ch;
	ssize_t n;
	int r;

	while ((n = read(fd, &ch, 1)) == -1 && errno == EINTR)
		;
	boss_ready_unwatch_fd(c);
	if (n != 1 || c->state != BOSS_ST_STARTING)
		return;		/* it died: the reaper tells */
	r = b->phase == BOSS_PH_MSGQ ? session_open(b) : confirm(b);
	if (r == 0)
		boss_sm_post(c, BOSS_EV_READY);
	else if (b->phase == BOSS_PH_MSGQ)
		boss_fail(b, "step 3: cannot connect to msgq at %s",
		    b->opts.sockpath);
}

void
boss_ready_watch_fd(struct boss_comp *c, int fd)
{
	boss_ready_unwatch_fd(c);
	c->ready_fd = fd;
	c->ready_ev = event_new(c->b->base, fd, EV_READ | EV_PERSIST,
	    ready_fd_cb, c);
	if (c->ready_ev == NULL || event_add(c->ready_ev, NULL) == -1)
		fatalx("cannot watch msgq's ready fd");
}

void
boss_ready_unwatch_fd(struct boss_comp *c)
{
	if (c->ready_ev != NULL)
		event_free(c->ready_ev);
	c->ready_ev = NULL;
	if (c->ready_fd != -1)
		close(c->ready_fd);
	c->ready_fd = -1;
}
