/*
 * The stop sequence (BOSS.md 4): the components in ascending priority,
 * one level at a time (shutdown command to each one's address, or
 * SIGTERM without one; then, each stop_timeout, SIGTERM and SIGKILL of
 * its process group: the component's state machine does those steps);
 * then the Boss module leaves the bus; then cfgmgr the same way; then
 * msgq gets SIGTERM, last, so that the others' final messages are still
 * delivered (the raw session stops reconnecting and ends with msgq). A second SIGTERM/SIGINT
 * SIGKILLs what is left (with --no-kill: the boss leaves at once).
 */
#include "config.h"

#include <stdint.h>

#include "boss.h"
#include "log.h"

/* Components in back-off would start again: cancel them first. */
static void
cancel_backoffs(struct boss *b)
{
	struct boss_comp *c, *next;

	TAILQ_FOREACH_SAFE(c, &b->comps, entry, next)
		if (c->state == BOSS_ST_BACKOFF)
			boss_sm_post(c, BOSS_EV_STOP);
}

static void
kill_all(struct boss *b)
{
	struct boss_comp *c, *next;

	if (b->opts.no_kill) {
		log_warnx("second signal: leaving now, components not "
		    "signalled (--no-kill)");
		boss_finish(b);
		return;
	}
	log_warnx("second signal: SIGKILL to every component left");
	b->killing = true;
	TAILQ_FOREACH_SAFE(c, &b->comps, entry, next)
		if (boss_comp_alive(c))
			boss_sm_post(c, BOSS_EV_KILL);
}

void
boss_stop_begin(struct boss *b, int status, const char *why)
{
	if (status > b->status)
		b->status = status;
	if (b->quitting)
		return;
	b->quitting = true;
	b->phase = BOSS_PH_STOPPING;
	snprintf(b->why, sizeof(b->why), "%s", why);
	event_del(b->ev_gate);
	boss_notice("stopping: %s", why);
	cancel_backoffs(b);
	boss_kick(b);
}

/* Ask to stop: the lowest level of live components, if any. */
static bool
stop_modules(struct boss *b)
{
	struct boss_comp *c, *next;
	int64_t low = INT64_MAX;
	bool any = false;

	TAILQ_FOREACH(c, &b->comps, entry)
		if (c->role == BOSS_ROLE_MODULE && boss_comp_alive(c) &&
		    (!any || c->conf.priority < low)) {
			low = c->conf.priority;
			any = true;
		}
	TAILQ_FOREACH_SAFE(c, &b->comps, entry, next)
		if (any && c->role == BOSS_ROLE_MODULE &&
		    boss_comp_alive(c) && c->conf.priority == low &&
		    c->state != BOSS_ST_STOPPING)
			boss_sm_post(c, b->killing ? BOSS_EV_KILL :
			    BOSS_EV_STOP);
	return any;
}

static bool
stop_one(struct boss *b, struct boss_comp *c)
{
	if (!boss_comp_alive(c))
		return false;
	if (c->state != BOSS_ST_STOPPING)
		boss_sm_post(c, b->killing ? BOSS_EV_KILL : BOSS_EV_STOP);
	return true;
}

void
boss_stop_step(struct boss *b)
{
	if (b->done || stop_modules(b))
		return;
	if (b->module_started) {
		b->module_started = false;
		cc_module_stop(b->module);	/* `stopping` to cfgmgr */
	}
	if (stop_one(b, b->cfgmgr))
		return;
	/* msgq closes the raw session as it exits; no reconnecting then.
	 * (Closing it here would reset a connection with unread input.) */
	cc_session_set_reconnect(b->session, false, NULL, NULL);
	if (stop_one(b, b->msgq))
		return;
	boss_finish(b);
}

void
boss_stop_signal(struct boss *b, const char *name)
{
	if (b->quitting)
		kill_all(b);
	else
		boss_stop_begin(b, 0, name);
}
