/*
 * The commands of group Boss (BOSS.md 5), dispatched by a table. The
 * module API has checked the arguments against boss.spec; `shutdown`
 * is libcc's (it calls the boss's shutdown callback). start, stop and
 * restart are answered once done, through cc_module_defer(): the answer
 * waits on the component and its state machine gives it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "boss.h"
#include "log.h"
#include "xmalloc.h"

typedef json_t *boss_cmd_fn(struct boss *, struct cc_module *,
    const json_t *);

static json_t *
cmd_ping(struct boss *b, struct cc_module *m, const json_t *args)
{
	json_t *pong = json_string("pong"), *a = cc_answer_new(0, pong);

	json_decref(pong);
	return a;
}

static int
by_pid(const void *x, const void *y)
{
	const struct boss_comp *a = *(struct boss_comp *const *)x;
	const struct boss_comp *c = *(struct boss_comp *const *)y;

	return (a->pid > c->pid) - (a->pid < c->pid);
}

static json_t *
cmd_show_processes(struct boss *b, struct cc_module *m, const json_t *args)
{
	struct boss_comp *c, **v;
	size_t n = 0, i;
	json_t *list = json_array(), *a;

	TAILQ_FOREACH(c, &b->comps, entry)
		n++;
	v = xcalloc(n + 1, sizeof(*v));
	n = 0;
	TAILQ_FOREACH(c, &b->comps, entry)
		if (c->pid > 0)
			v[n++] = c;
	qsort(v, n, sizeof(*v), by_pid);
	for (i = 0; i < n; i++)
		json_array_append_new(list, json_pack("[I, s, s?]",
		    (json_int_t)v[i]->pid, v[i]->name, v[i]->conf.address));
	free(v);
	a = cc_answer_new(0, list);
	json_decref(list);
	return a;
}

static json_t *
comp_status(const struct boss_comp *c)
{
	json_t *st = json_pack("{s:s, s:s, s:s, s:i}", "name", c->name,
	    "state", boss_state_name(c->state), "kind",
	    boss_kind_name(c->conf.kind), "restarts", (int)c->restarts);

	json_object_set_new(st, "pid", c->pid > 0 ?
	    json_integer(c->pid) : json_null());
	json_object_set_new(st, "uptime", json_real(c->pid > 0 ?
	    (double)(boss_now_ms() - c->started_ms) / 1000 : 0));
	json_object_set_new(st, "last_exit", c->last_exit[0] != '\0' ?
	    json_string(c->last_exit) : json_null());
	return st;
}

static json_t *
no_such(const char *name)
{
	return cc_answer_error(1, "no component named %s", name);
}

static json_t *
cmd_status(struct boss *b, struct cc_module *m, const json_t *args)
{
	const char *name = json_string_value(json_object_get(args, "name"));
	struct boss_comp *c;
	json_t *list = json_array(), *a;

	if (name != NULL && boss_comp_find(b, name) == NULL) {
		json_decref(list);
		return no_such(name);
	}
	TAILQ_FOREACH(c, &b->comps, entry)
		if (!c->removed && (name == NULL ||
		    strcmp(name, c->name) == 0))
			json_array_append_new(list, comp_status(c));
	a = cc_answer_new(0, list);
	json_decref(list);
	return a;
}

/* The component named in args, or an error answer in *err. */
static struct boss_comp *
target(struct boss *b, const json_t *args, const char *cmd, json_t **err)
{
	const char *name = json_string_value(json_object_get(args, "name"));
	struct boss_comp *c = boss_comp_find(b, name != NULL ? name : "");

	*err = NULL;
	if (c == NULL)
		*err = no_such(name != NULL ? name : "");
	else if (c->role != BOSS_ROLE_MODULE)
		*err = cc_answer_error(1, "%s is built in: it cannot %s alone "
		    "(shutdown stops the suite)", c->name, cmd);
	else if (b->quitting)
		*err = cc_answer_error(1, "the suite is stopping");
	return c;
}

/* Defer the answer until c reaches what; NULL, or an answer now. */
static json_t *
wait_for(struct boss_comp *c, struct cc_module *m, enum boss_wait what)
{
	struct boss_waiter *w = xcalloc(1, sizeof(*w));

	if ((w->d = cc_module_defer(m)) == NULL) {
		free(w);
		return cc_answer_error(1, "cannot defer the answer");
	}
	w->what = what;
	TAILQ_INSERT_TAIL(&c->waiters, w, entry);
	return NULL;
}

static json_t *
cmd_start(struct boss *b, struct cc_module *m, const json_t *args)
{
	json_t *err;
	struct boss_comp *c = target(b, args, "start", &err);

	if (err != NULL)
		return err;
	if (c->state == BOSS_ST_RUNNING)
		return NULL;
	if (c->state == BOSS_ST_FAILED) {	/* a start clears it */
		c->quick_failures = 0;
		c->delay = 0;
	}
	c->launched = true;
	if ((err = wait_for(c, m, BOSS_WAIT_READY)) != NULL)
		return err;
	if (c->state == BOSS_ST_STOPPING)
		c->restart_pending = true;
	else
		boss_sm_post(c, BOSS_EV_START);
	return NULL;
}

static json_t *
cmd_stop(struct boss *b, struct cc_module *m, const json_t *args)
{
	json_t *err;
	struct boss_comp *c = target(b, args, "stop", &err);

	if (err != NULL)
		return err;
	c->restart_pending = false;
	if (!boss_comp_alive(c) && c->state != BOSS_ST_BACKOFF) {
		if (c->state != BOSS_ST_STOPPED)
			boss_sm_post(c, BOSS_EV_STOP);
		return NULL;
	}
	if ((err = wait_for(c, m, BOSS_WAIT_GONE)) != NULL)
		return err;
	boss_sm_post(c, BOSS_EV_STOP);
	return NULL;
}

static json_t *
cmd_restart(struct boss *b, struct cc_module *m, const json_t *args)
{
	json_t *err;
	struct boss_comp *c = target(b, args, "restart", &err);

	if (err != NULL)
		return err;
	if (!boss_comp_alive(c))
		return cmd_start(b, m, args);
	if ((err = wait_for(c, m, BOSS_WAIT_READY)) != NULL)
		return err;
	c->restart_pending = true;
	c->launched = true;
	if (c->state != BOSS_ST_STOPPING)
		boss_sm_post(c, BOSS_EV_STOP);
	return NULL;
}

static json_t *
cmd_getstats(struct boss *b, struct cc_module *m, const json_t *args)
{
	const struct boss_stats *s = &b->stats;
	char boot[32];
	struct tm tm;
	json_t *stats, *a;

	gmtime_r(&s->boot_time, &tm);
	strftime(boot, sizeof(boot), "%Y-%m-%dT%H:%M:%SZ", &tm);
	stats = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "boot_time", boot,
	    "components", (json_int_t)boss_ncomponents(b),
	    "spawns", (json_int_t)s->spawns,
	    "exits", (json_int_t)s->exits,
	    "restarts", (json_int_t)s->restarts,
	    "msgq_restarts", (json_int_t)s->msgq_restarts,
	    "commands", (json_int_t)s->commands);
	a = cc_answer_new(0, stats);
	json_decref(stats);
	return a;
}

static const struct {
	const char	*name;
	boss_cmd_fn	*fn;
} commands[] = {
	{ "ping",		cmd_ping },
	{ "show_processes",	cmd_show_processes },
	{ "status",		cmd_status },
	{ "start",		cmd_start },
	{ "stop",		cmd_stop },
	{ "restart",		cmd_restart },
	{ "getstats",		cmd_getstats },
};

json_t *
boss_cmd_cb(struct cc_module *m, const char *name, const json_t *args,
    void *arg)
{
	struct boss *b = arg;

	b->stats.commands++;
	log_debug("command %s", name);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return commands[i].fn(b, m, args);
	return cc_answer_error(1, "Unknown command: %s", name);
}
