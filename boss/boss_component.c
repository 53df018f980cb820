/*
 * A component: one entry of Boss/components (or msgq, cfgmgr, built in),
 * its parsed configuration, its one timer, and the deferred answers
 * waiting on it. The state machine that drives it is boss_sm.c.
 */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boss.h"
#include "log.h"
#include "xmalloc.h"

static const char *const kind_names[] = {
	[BOSS_CORE] = "core",
	[BOSS_NEEDED] = "needed",
	[BOSS_DISPENSABLE] = "dispensable",
};

const char *
boss_kind_name(enum boss_kind k)
{
	return kind_names[k];
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct boss_comp *c = arg;
	static const enum boss_event ev[BOSS_ST_COUNT] = {
		[BOSS_ST_STARTING] = BOSS_EV_READY_TIMEOUT,
		[BOSS_ST_BACKOFF] = BOSS_EV_BACKOFF_DONE,
		[BOSS_ST_STOPPING] = BOSS_EV_STOP_TIMEOUT,
	};

	/* One timer, its meaning given by the state that armed it. */
	if (c->state == BOSS_ST_STARTING || c->state == BOSS_ST_BACKOFF ||
	    c->state == BOSS_ST_STOPPING)
		boss_sm_post(c, ev[c->state]);
}

struct boss_comp *
boss_comp_new(struct boss *b, const char *name, enum boss_role role)
{
	struct boss_comp *c = xcalloc(1, sizeof(*c));

	c->b = b;
	c->name = xstrdup(name);
	c->role = role;
	c->state = BOSS_ST_STOPPED;
	c->ready_fd = -1;
	c->conf.kind = role == BOSS_ROLE_MODULE ? BOSS_DISPENSABLE : BOSS_CORE;
	TAILQ_INIT(&c->waiters);
	if ((c->timer = evtimer_new(b->base, timer_cb, c)) == NULL)
		fatalx("evtimer_new failed");
	TAILQ_INSERT_TAIL(&b->comps, c, entry);
	return c;
}

void
boss_comp_free(struct boss_comp *c)
{
	if (c == NULL)
		return;
	boss_comp_answer_all(c, "the boss is stopping");
	boss_ready_unwatch_fd(c);
	event_free(c->timer);
	TAILQ_REMOVE(&c->b->comps, c, entry);
	boss_conf_clear(&c->conf);
	json_decref(c->next_json);
	free(c->name);
	free(c);
}

struct boss_comp *
boss_comp_find(struct boss *b, const char *name)
{
	struct boss_comp *c;

	TAILQ_FOREACH(c, &b->comps, entry)
		if (!c->removed && strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

bool
boss_comp_alive(const struct boss_comp *c)
{
	return c->pid > 0 && !c->abandoned;
}

double
boss_comp_ready_timeout(const struct boss_comp *c)
{
	if (c->role != BOSS_ROLE_MODULE)
		return c->b->opts.wait;
	return c->conf.ready_timeout > 0 ? c->conf.ready_timeout :
	    c->b->timing.ready_timeout;
}

double
boss_comp_stop_timeout(const struct boss_comp *c)
{
	return c->conf.stop_timeout > 0 ? c->conf.stop_timeout :
	    c->b->timing.stop_timeout;
}

void
boss_comp_timer(struct boss_comp *c, double seconds)
{
	struct timeval tv;

	event_del(c->timer);
	if (seconds < 0)
		return;
	tv.tv_sec = (time_t)seconds;
	tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
	event_add(c->timer, &tv);
}

void
boss_comp_answer(struct boss_comp *c, enum boss_wait what,
    const json_t *answer)
{
	struct boss_waiter *w, *next;

	TAILQ_FOREACH_SAFE(w, &c->waiters, entry, next) {
		if (w->what != what)
			continue;
		TAILQ_REMOVE(&c->waiters, w, entry);
		if (c->b->module != NULL)
			(void)cc_module_answer(c->b->module, w->d, answer);
		free(w);
	}
}

/* Those waiting for readiness will not get it: [1, "name: why"]. */
void
boss_comp_answer_ready_error(struct boss_comp *c, const char *why)
{
	json_t *a = cc_answer_error(1, "%s: %s", c->name, why);

	boss_comp_answer(c, BOSS_WAIT_READY, a);
	json_decref(a);
}

/* Waiting for an exit is satisfied; waiting for readiness is not. */
void
boss_comp_answer_all(struct boss_comp *c, const char *why)
{
	boss_comp_answer(c, BOSS_WAIT_GONE, NULL);
	boss_comp_answer_ready_error(c, why);
}

/* A NULL-terminated copy of a list of strings. */
static char **
strv_from_list(const json_t *list)
{
	size_t i, n = json_array_size(list);
	char **v = xcalloc(n + 1, sizeof(*v));

	for (i = 0; i < n; i++)
		v[i] = xstrdup(json_string_value(json_array_get(list, i)));
	return v;
}

static char **
strv_from_env(const json_t *env)
{
	const char *k;
	json_t *val;
	size_t i = 0;
	char **v = xcalloc(json_object_size(env) + 1, sizeof(*v));

	json_object_foreach((json_t *)env, k, val)
		v[i++] = xasprintf("%s=%s", k, json_string_value(val));
	return v;
}

static void
strv_free(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static char *
opt_string(const json_t *entry, const char *key)
{
	const char *s = json_string_value(json_object_get(entry, key));

	return s != NULL ? xstrdup(s) : NULL;
}

static int
parse_kind(const char *s, enum boss_kind *k)
{
	for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (strcmp(s, kind_names[i]) == 0) {
			*k = (enum boss_kind)i;
			return 0;
		}
	return -1;
}

static int
check_timeout(const char *name, const json_t *e, const char *item,
    char *err, size_t errlen)
{
	const json_t *v = json_object_get(e, item);

	if (v != NULL && json_number_value(v) <= 0) {
		snprintf(err, errlen, "Boss/components/%s/%s should be greater "
		    "than 0", name, item);
		return -1;
	}
	return 0;
}

static int
check_user(const char *name, const char *user, char *err, size_t errlen)
{
	if (user == NULL)
		return 0;
	if (getpwnam(user) == NULL) {
		snprintf(err, errlen, "Boss/components/%s/user: unknown user "
		    "'%s'", name, user);
		return -1;
	}
	if (geteuid() != 0) {
		snprintf(err, errlen, "Boss/components/%s/user: running as "
		    "'%s' needs the boss to run as root", name, user);
		return -1;
	}
	return 0;
}

/* The rules the spec cannot say. */
static int
conf_check(const char *name, const json_t *e, char *err, size_t errlen)
{
	const char *kind = json_string_value(json_object_get(e, "kind"));
	const char *proc = json_string_value(json_object_get(e, "process"));
	const json_t *env = json_object_get(e, "env");
	const char *k;
	json_t *v;
	enum boss_kind dummy;

	if (strcmp(name, BOSS_MSGQ_NAME) == 0 ||
	    strcmp(name, BOSS_CFGMGR_NAME) == 0)
		return snprintf(err, errlen, "Boss/components/%s: %s is built "
		    "in and cannot be configured as a component", name,
		    name), -1;
	if (*name == '\0')
		return snprintf(err, errlen, "Boss/components: a component "
		    "needs a name"), -1;
	if (kind != NULL && parse_kind(kind, &dummy) == -1)
		return snprintf(err, errlen, "Boss/components/%s/kind should "
		    "be core, needed or dispensable, not '%s'", name, kind), -1;
	if (proc != NULL && *proc == '\0')
		return snprintf(err, errlen, "Boss/components/%s/process "
		    "should not be empty", name), -1;
	json_object_foreach((json_t *)env, k, v)
		if (*k == '\0' || strchr(k, '=') != NULL)
			return snprintf(err, errlen, "Boss/components/%s/env: "
			    "bad variable name '%s'", name, k), -1;
	if (check_timeout(name, e, "ready_timeout", err, errlen) == -1 ||
	    check_timeout(name, e, "stop_timeout", err, errlen) == -1)
		return -1;
	return check_user(name, json_string_value(json_object_get(e, "user")),
	    err, errlen);
}

int
boss_conf_parse(const char *name, const json_t *e, struct boss_conf *conf,
    char *err, size_t errlen)
{
	const char *kind = json_string_value(json_object_get(e, "kind"));
	const json_t *v;

	memset(conf, 0, sizeof(*conf));
	if (conf_check(name, e, err, errlen) == -1)
		return -1;
	conf->kind = BOSS_DISPENSABLE;
	if (kind != NULL)
		(void)parse_kind(kind, &conf->kind);
	conf->process = opt_string(e, "process");
	if (conf->process == NULL)
		conf->process = xstrdup(name);
	conf->args = strv_from_list(json_object_get(e, "args"));
	conf->env = strv_from_env(json_object_get(e, "env"));
	conf->address = opt_string(e, "address");
	conf->user = opt_string(e, "user");
	if ((v = json_object_get(e, "priority")) != NULL)
		conf->priority = json_integer_value(v);
	if ((v = json_object_get(e, "ready_timeout")) != NULL)
		conf->ready_timeout = json_number_value(v);
	if ((v = json_object_get(e, "stop_timeout")) != NULL)
		conf->stop_timeout = json_number_value(v);
	conf->json = json_deep_copy(e);
	return 0;
}

void
boss_conf_clear(struct boss_conf *conf)
{
	free(conf->process);
	strv_free(conf->args);
	strv_free(conf->env);
	free(conf->address);
	free(conf->user);
	json_decref(conf->json);
	memset(conf, 0, sizeof(*conf));
}
