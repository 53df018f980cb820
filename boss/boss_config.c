/*
 * The Boss configuration (specs/boss.spec), from the config manager:
 * the full configuration at step 5, then only what changed. Everything
 * is checked before anything changes (a refusal leaves the boss as it
 * was and makes cfgmgr roll the change back); then it applies live:
 * timing items at once, components added are started, removed ones
 * stopped, changed ones restarted (BOSS.md 2). During start-up the
 * components wait for their level instead.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "boss.h"
#include "log.h"

static const struct {
	const char	*name;
	size_t		 off;	/* in struct boss_timing, a double */
	double		 min;	/* exclusive */
} timing_items[] = {
	{ "stable_time", offsetof(struct boss_timing, stable_time), 0 },
	{ "restart_delay", offsetof(struct boss_timing, restart_delay), 0 },
	{ "restart_delay_max", offsetof(struct boss_timing, restart_delay_max),
	    0 },
	{ "ready_timeout", offsetof(struct boss_timing, ready_timeout), 0 },
	{ "stop_timeout", offsetof(struct boss_timing, stop_timeout), 0 },
};

#define NTIMING	(sizeof(timing_items) / sizeof(timing_items[0]))

/* The timing the change would give, in *t; -1 with err if it is bad. */
static int
timing_check(const struct boss *b, const json_t *config,
    struct boss_timing *t, char *err, size_t errlen)
{
	const json_t *v;

	*t = b->timing;
	for (size_t i = 0; i < NTIMING; i++) {
		if ((v = json_object_get(config, timing_items[i].name)) ==
		    NULL)
			continue;
		if (json_number_value(v) <= timing_items[i].min)
			return snprintf(err, errlen, "Boss/%s should be "
			    "greater than 0", timing_items[i].name), -1;
		*(double *)((char *)t + timing_items[i].off) =
		    json_number_value(v);
	}
	if ((v = json_object_get(config, "max_quick_failures")) != NULL) {
		if (json_integer_value(v) < 1)
			return snprintf(err, errlen, "Boss/max_quick_failures "
			    "should be at least 1"), -1;
		t->max_quick_failures = json_integer_value(v);
	}
	if (t->restart_delay > t->restart_delay_max)
		return snprintf(err, errlen, "Boss/restart_delay should not "
		    "be greater than Boss/restart_delay_max"), -1;
	return 0;
}

static int
components_check(const json_t *comps, char *err, size_t errlen)
{
	struct boss_conf conf;
	const char *name;
	json_t *e;

	json_object_foreach((json_t *)comps, name, e) {
		if (boss_conf_parse(name, e, &conf, err, errlen) == -1)
			return -1;
		boss_conf_clear(&conf);
	}
	return 0;
}

static void
comp_add(struct boss *b, const char *name, const json_t *e)
{
	struct boss_comp *c = boss_comp_new(b, name, BOSS_ROLE_MODULE);
	char err[256];

	if (boss_conf_parse(name, e, &c->conf, err, sizeof(err)) == -1)
		fatalx("%s: %s", name, err);	/* checked before */
	if (b->phase < BOSS_PH_RUNNING)
		return;		/* its level will start it */
	log_info("%s added", name);
	c->launched = true;
	boss_sm_post(c, BOSS_EV_START);
}

static void
comp_change(struct boss_comp *c, const json_t *e)
{
	char err[256];
	bool active = c->state == BOSS_ST_STARTING ||
	    c->state == BOSS_ST_RUNNING || c->state == BOSS_ST_BACKOFF ||
	    c->state == BOSS_ST_STOPPING;

	log_info("%s changed", c->name);
	if (active) {
		/* The process runs with the old one until it is stopped. */
		json_decref(c->next_json);
		c->next_json = json_deep_copy(e);
		if (c->state != BOSS_ST_STOPPING) {
			c->restart_pending = true;
			boss_sm_post(c, BOSS_EV_STOP);
		}
		return;
	}
	boss_conf_clear(&c->conf);
	if (boss_conf_parse(c->name, e, &c->conf, err, sizeof(err)) == -1)
		fatalx("%s: %s", c->name, err);
	if (c->state == BOSS_ST_FAILED && c->b->phase == BOSS_PH_RUNNING) {
		c->quick_failures = 0;
		c->delay = 0;
		boss_sm_post(c, BOSS_EV_START);
	}
}

static void
components_apply(struct boss *b, const json_t *comps)
{
	struct boss_comp *c, *next;
	const char *name;
	json_t *e;

	TAILQ_FOREACH_SAFE(c, &b->comps, entry, next)
		if (c->role == BOSS_ROLE_MODULE && !c->removed &&
		    json_object_get(comps, c->name) == NULL) {
			log_info("%s removed from the configuration", c->name);
			c->removed = true;
			c->restart_pending = false;
			boss_sm_post(c, BOSS_EV_STOP);
		}
	json_object_foreach((json_t *)comps, name, e) {
		if ((c = boss_comp_find(b, name)) == NULL)
			comp_add(b, name, e);
		else if (!json_equal(c->conf.json, e) &&
		    (c->next_json == NULL || !json_equal(c->next_json, e)))
			comp_change(c, e);
	}
}

json_t *
boss_config_cb(struct cc_module *m, const json_t *config, void *arg)
{
	struct boss *b = arg;
	const json_t *comps = json_object_get(config, "components");
	struct boss_timing t;
	char err[512];

	if (timing_check(b, config, &t, err, sizeof(err)) == -1 ||
	    (comps != NULL && components_check(comps, err,
	    sizeof(err)) == -1)) {
		log_warnx("configuration refused: %s", err);
		return cc_answer_error(1, "%s", err);
	}
	b->timing = t;
	if (comps != NULL && !b->quitting)
		components_apply(b, comps);
	b->configured = true;
	return NULL;
}
