/*
 * The restart rule (BOSS.md 3), in one place:
 *
 *  - while the suite stops, no exit is restarted;
 *  - msgq is restarted at once, whatever its history (every client
 *    reconnects by itself), if it was running; a msgq that dies before
 *    it is ready (at start-up, or right after such a restart) cannot
 *    come back and is fatal, rather than a loop of restarts; cfgmgr
 *    and core components are fatal;
 *  - a process that ran at least stable_time failed "slowly": its
 *    quick-failure count and back-off delay are reset and it is
 *    restarted at once;
 *  - otherwise it is a quick failure: a needed component that fails
 *    within stable_time of its first start is fatal; the quick-failure
 *    count grows, and when it reaches max_quick_failures a dispensable
 *    component is marked failed, a needed one is fatal; below that it
 *    waits the back-off delay: restart_delay, doubled on each further
 *    quick failure up to restart_delay_max, +-5 % of random jitter.
 *
 * A program that could not be started at all counts as a quick failure.
 */
#include "config.h"

#include <stdlib.h>

#include "boss.h"
#include "log.h"

enum boss_event
boss_policy_exit(struct boss_comp *c)
{
	const struct boss_timing *t = &c->b->timing;
	int64_t now = boss_now_ms();
	bool quick = now - c->started_ms < (int64_t)(t->stable_time * 1000);

	if (c->b->quitting || c->removed)
		return BOSS_EV_EXIT_FINAL;
	if (c->role == BOSS_ROLE_MSGQ && c->b->phase > BOSS_PH_MSGQ &&
	    c->state == BOSS_ST_RUNNING)
		return BOSS_EV_EXIT_RESTART;
	if (c->role != BOSS_ROLE_MODULE || c->conf.kind == BOSS_CORE)
		return BOSS_EV_EXIT_FATAL;
	if (!quick) {
		c->quick_failures = 0;
		c->delay = 0;
		return BOSS_EV_EXIT_RESTART;
	}
	c->quick_failures++;
	if (c->conf.kind == BOSS_NEEDED &&
	    now - c->first_ms < (int64_t)(t->stable_time * 1000))
		return BOSS_EV_EXIT_FATAL;
	if ((json_int_t)c->quick_failures >= t->max_quick_failures)
		return c->conf.kind == BOSS_NEEDED ? BOSS_EV_EXIT_FATAL :
		    BOSS_EV_EXIT_FAILED;
	return BOSS_EV_EXIT_BACKOFF;
}

double
boss_policy_backoff(struct boss_comp *c)
{
	const struct boss_timing *t = &c->b->timing;
	double d, jitter;

	d = c->delay > 0 ? c->delay : t->restart_delay;
	if (d > t->restart_delay_max)
		d = t->restart_delay_max;
	c->delay = d * 2;
	jitter = ((double)random() / RAND_MAX * 2 - 1) * BOSS_JITTER;
	return d * (1 + jitter);
}
