/*
 * The supervisor of one component: an explicit state machine, s6 style.
 * Every (state, event) pair has one row: an action and the next state.
 * Pairs without a row are ignored (logged at debug level): e.g. a second
 * READY, or a stop timer that fires after the exit. The exit of a process
 * reaches the machine already judged by boss_policy_exit(), as one of the
 * EXIT_* events, so that the table stays free of conditions.
 *
 * Actions may post further events for the same component (a spawn that
 * fails posts the exit; one without an address posts READY): they are
 * queued and handled after the current transition, in order. After each
 * transition the boss is kicked, which runs the start-up gate or the stop
 * sequence outside of this dispatch.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "boss.h"
#include "log.h"

typedef void boss_action(struct boss_comp *c);

static boss_action act_spawn, act_ready, act_not_ready, act_restart,
    act_backoff, act_give_up, act_fatal, act_exited, act_stop,
    act_stop_step, act_kill, act_stopped, act_cancel, act_ok;

struct boss_row {
	boss_action	*action;
	enum boss_state	 next;
	bool		 set;		/* a row exists */
};

#define ROW(a, n)	{ (a), BOSS_ST_##n, true }

/* Exits of a live process (starting or running) by the policy's verdict. */
#define LIVE_EXITS \
	[BOSS_EV_EXIT_RESTART]	= ROW(act_restart, STARTING),		\
	[BOSS_EV_EXIT_BACKOFF]	= ROW(act_backoff, BACKOFF),		\
	[BOSS_EV_EXIT_FAILED]	= ROW(act_give_up, FAILED),		\
	[BOSS_EV_EXIT_FATAL]	= ROW(act_fatal, EXITED),		\
	[BOSS_EV_EXIT_FINAL]	= ROW(act_exited, EXITED)

/* Any exit while stopping is the end of the stop. */
#define STOP_EXITS \
	[BOSS_EV_EXIT_RESTART]	= ROW(act_stopped, STOPPED),		\
	[BOSS_EV_EXIT_BACKOFF]	= ROW(act_stopped, STOPPED),		\
	[BOSS_EV_EXIT_FAILED]	= ROW(act_stopped, STOPPED),		\
	[BOSS_EV_EXIT_FATAL]	= ROW(act_stopped, STOPPED),		\
	[BOSS_EV_EXIT_FINAL]	= ROW(act_stopped, STOPPED)

static const struct boss_row table[BOSS_ST_COUNT][BOSS_EV_COUNT] = {
	[BOSS_ST_STOPPED] = {
		[BOSS_EV_START]		= ROW(act_spawn, STARTING),
		[BOSS_EV_STOP]		= ROW(act_ok, STOPPED),
	},
	[BOSS_ST_STARTING] = {
		[BOSS_EV_START]		= ROW(NULL, STARTING),
		[BOSS_EV_READY]		= ROW(act_ready, RUNNING),
		[BOSS_EV_READY_TIMEOUT]	= ROW(act_not_ready, STARTING),
		LIVE_EXITS,
		[BOSS_EV_STOP]		= ROW(act_stop, STOPPING),
		[BOSS_EV_KILL]		= ROW(act_kill, STOPPING),
	},
	[BOSS_ST_RUNNING] = {
		[BOSS_EV_START]		= ROW(act_ok, RUNNING),
		LIVE_EXITS,
		[BOSS_EV_STOP]		= ROW(act_stop, STOPPING),
		[BOSS_EV_KILL]		= ROW(act_kill, STOPPING),
	},
	[BOSS_ST_BACKOFF] = {
		[BOSS_EV_START]		= ROW(act_spawn, STARTING),
		[BOSS_EV_BACKOFF_DONE]	= ROW(act_spawn, STARTING),
		[BOSS_EV_STOP]		= ROW(act_cancel, STOPPED),
		[BOSS_EV_KILL]		= ROW(act_cancel, STOPPED),
	},
	[BOSS_ST_STOPPING] = {
		STOP_EXITS,
		[BOSS_EV_STOP_TIMEOUT]	= ROW(act_stop_step, STOPPING),
		[BOSS_EV_KILL]		= ROW(act_kill, STOPPING),
	},
	[BOSS_ST_FAILED] = {
		[BOSS_EV_START]		= ROW(act_spawn, STARTING),
		[BOSS_EV_STOP]		= ROW(act_ok, STOPPED),
	},
	[BOSS_ST_EXITED] = {
		[BOSS_EV_START]		= ROW(act_spawn, STARTING),
		[BOSS_EV_STOP]		= ROW(act_ok, STOPPED),
	},
};

static const char *const state_names[BOSS_ST_COUNT] = {
	"stopped", "starting", "running", "backoff", "stopping", "failed",
	"exited",
};

static const char *const event_names[BOSS_EV_COUNT] = {
	"start", "ready", "ready-timeout", "exit-restart", "exit-backoff",
	"exit-failed", "exit-fatal", "exit-final", "backoff-done", "stop",
	"stop-timeout", "kill",
};

const char *
boss_state_name(enum boss_state s)
{
	return state_names[s];
}

const char *
boss_event_name(enum boss_event e)
{
	return event_names[e];
}

static void
dispatch_one(struct boss_comp *c, enum boss_event ev)
{
	const struct boss_row *row = &table[c->state][ev];
	enum boss_state from = c->state;

	if (!row->set) {
		log_debug("%s: %s ignored in state %s", c->name,
		    event_names[ev], state_names[from]);
		return;
	}
	if (row->action != NULL)
		row->action(c);
	c->state = row->next;
	log_debug("%s: %s --%s--> %s", c->name, state_names[from],
	    event_names[ev], state_names[c->state]);
}

void
boss_sm_post(struct boss_comp *c, enum boss_event ev)
{
	if (c->nevq == BOSS_EVQ_MAX)
		fatalx("%s: event queue full (%s)", c->name, event_names[ev]);
	c->evq[c->nevq++] = ev;
	if (c->dispatching)
		return;
	c->dispatching = true;
	while (c->nevq > 0) {
		ev = c->evq[0];
		memmove(c->evq, c->evq + 1, --c->nevq * sizeof(c->evq[0]));
		dispatch_one(c, ev);
	}
	c->dispatching = false;
	boss_kick(c->b);
}

/* The actions. Each does what its row's transition needs, no more. */

static void
act_spawn(struct boss_comp *c)
{
	char err[512];

	boss_comp_timer(c, -1);
	c->restart_pending = false;
	c->not_ready = false;
	if (boss_proc_spawn(c, err, sizeof(err)) == -1) {
		log_warnx("%s: cannot start: %s", c->name, err);
		snprintf(c->last_exit, sizeof(c->last_exit), "not started");
		boss_comp_answer_all(c, err);
		boss_sm_post(c, boss_policy_exit(c));
		return;
	}
	if (c->role == BOSS_ROLE_MODULE && c->conf.address == NULL)
		boss_sm_post(c, BOSS_EV_READY);	/* exec'd is ready */
	else
		boss_comp_timer(c, boss_comp_ready_timeout(c));
}

static void
act_ready(struct boss_comp *c)
{
	boss_comp_timer(c, -1);
	log_info("%s (pid %ld) is ready", c->name, (long)c->pid);
	boss_comp_answer(c, BOSS_WAIT_READY, NULL);
}

static void
act_not_ready(struct boss_comp *c)
{
	char why[64];

	c->not_ready = true;
	log_warnx("%s (pid %ld) not ready after %g s", c->name, (long)c->pid,
	    boss_comp_ready_timeout(c));
	snprintf(why, sizeof(why), "not ready after %g s",
	    boss_comp_ready_timeout(c));
	boss_comp_answer_all(c, why);
	/* msgq and cfgmgr must be ready for anything to work. */
	if (c->role != BOSS_ROLE_MODULE)
		boss_fail(c->b, "%s not ready within %g s", c->name,
		    boss_comp_ready_timeout(c));
}

static void
act_restart(struct boss_comp *c)
{
	c->restarts++;
	c->b->stats.restarts++;
	if (c->role == BOSS_ROLE_MSGQ)
		c->b->stats.msgq_restarts++;
	log_info("%s: restarting at once", c->name);
	act_spawn(c);
}

static void
act_backoff(struct boss_comp *c)
{
	double d = boss_policy_backoff(c);

	boss_comp_answer_all(c, c->last_exit);
	c->restarts++;
	c->b->stats.restarts++;
	log_info("%s: restarting in %.3f s (quick failure %u)", c->name, d,
	    c->quick_failures);
	boss_comp_timer(c, d);
}

static void
act_give_up(struct boss_comp *c)
{
	boss_comp_timer(c, -1);
	log_warnx("%s failed %u times in a row within %g s of its start: "
	    "not restarted until a start command", c->name, c->quick_failures,
	    c->b->timing.stable_time);
	boss_comp_answer_all(c, c->last_exit);
}

static void
act_fatal(struct boss_comp *c)
{
	boss_comp_timer(c, -1);
	boss_comp_answer_all(c, c->last_exit);
	boss_fail(c->b, "%s component %s exited (%s)",
	    boss_kind_name(c->conf.kind), c->name, c->last_exit);
}

static void
act_exited(struct boss_comp *c)
{
	boss_comp_timer(c, -1);
	boss_comp_answer_all(c, c->last_exit);
}

/*
 * Step 0 of the stop: the shutdown command to its address; SIGTERM at
 * once without one, without the bus, or while it is still starting (not
 * ready: nobody would hear the command).
 */
static void
act_stop(struct boss_comp *c)
{
	struct boss *b = c->b;
	json_t *args, *cmd;
	int r = -1;

	/* A start waiting for readiness will not get it; a stop waiting
	 * for the exit is answered by the exit (act_stopped). */
	if (!c->restart_pending)
		boss_comp_answer_ready_error(c, "was stopped");
	c->stop_step = 0;
	if (c->conf.address != NULL && c->state == BOSS_ST_RUNNING &&
	    cc_session_connected(b->session)) {
		args = json_pack("{s:I}", "pid", (json_int_t)c->pid);
		cmd = cc_command_new("shutdown", args);
		r = cc_send(b->session, c->conf.address, NULL, NULL, cmd, 0,
		    NULL);
		json_decref(cmd);
		json_decref(args);
		log_info("%s: shutdown sent to %s", c->name, c->conf.address);
	}
	if (r != CC_OK) {
		c->stop_step = 1;
		boss_proc_signal(c, SIGTERM);
	}
	boss_comp_timer(c, boss_comp_stop_timeout(c));
}

static void
act_stop_step(struct boss_comp *c)
{
	if (c->b->opts.no_kill && c->role == BOSS_ROLE_MODULE) {
		/* Never signalled: the sequence goes on without it. */
		log_warnx("%s (pid %ld) still running after %g s: left "
		    "running (--no-kill)", c->name, (long)c->pid,
		    boss_comp_stop_timeout(c));
		c->abandoned = true;
		return;
	}
	if (c->stop_step >= 2) {
		log_warnx("%s (pid %ld) survives SIGKILL", c->name,
		    (long)c->pid);
		return;
	}
	c->stop_step++;
	log_warnx("%s (pid %ld) still running after %g s: %s", c->name,
	    (long)c->pid, boss_comp_stop_timeout(c),
	    c->stop_step == 1 ? "SIGTERM" : "SIGKILL");
	boss_proc_signal(c, c->stop_step == 1 ? SIGTERM : SIGKILL);
	boss_comp_timer(c, boss_comp_stop_timeout(c));
}

static void
act_kill(struct boss_comp *c)
{
	c->stop_step = 2;
	boss_proc_signal(c, SIGKILL);
	boss_comp_timer(c, boss_comp_stop_timeout(c));
}

static void
act_stopped(struct boss_comp *c)
{
	boss_comp_timer(c, -1);
	boss_comp_answer(c, BOSS_WAIT_GONE, NULL);
	if (c->restart_pending && !c->removed && !c->b->quitting)
		boss_sm_post(c, BOSS_EV_START);	/* `restart`, a changed entry */
	else
		boss_comp_answer_all(c, "was stopped");
	c->restart_pending = false;
	if (c->removed)
		event_active(c->b->ev_gc, 0, 0);
}

static void
act_cancel(struct boss_comp *c)
{
	act_stopped(c);
}

/* Already there: answer those waiting. */
static void
act_ok(struct boss_comp *c)
{
	boss_comp_answer(c, BOSS_WAIT_READY, NULL);
	boss_comp_answer(c, BOSS_WAIT_GONE, NULL);
	if (c->removed)
		event_active(c->b->ev_gc, 0, 0);
}
