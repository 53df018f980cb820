/*
 * The boss's context and its start-up (BOSS.md 1), one step gated on the
 * readiness of the one before, never on a sleep:
 *
 *   1. refuse to start if a broker already answers on the socket;
 *   2. msgq, ready when its --ready-fd fires and a connection answers;
 *   3. that connection is the boss's raw session (Boss, cc_members);
 *   4. cfgmgr, ready when it says {"running": "ConfigManager"};
 *   5. the Boss module (spec, configuration, commands);
 *   6. the components by descending priority, one level at a time: the
 *      next level starts when each component of this one is ready, gone
 *      for good, or past its ready_timeout (counted from the level's
 *      start);
 *   7. the pid file, one line "ccbus started: N components".
 *
 * Every state change of a component kicks boss_step() through a deferred
 * event, which moves the start-up (or the stop sequence) on.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boss.h"
#include "log.h"
#include "xmalloc.h"

int64_t
boss_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
boss_notice(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s[%ld]: %s\n", BOSS_PROGNAME, (long)getpid(), msg);
}

size_t
boss_ncomponents(const struct boss *b)
{
	const struct boss_comp *c;
	size_t n = 0;

	TAILQ_FOREACH(c, &b->comps, entry)
		n += c->role == BOSS_ROLE_MODULE && !c->removed;
	return n;
}

static void step_cb(evutil_socket_t, short, void *);
static void gc_cb(evutil_socket_t, short, void *);

static void
shutdown_cb(struct cc_module *m, void *arg)
{
	struct boss *b = arg;

	if (cc_module_status(m) != CC_OK) {
		/* libcc gave up on the bus (it reconnects by itself): the
		 * suite goes on, without configuration and commands. */
		log_warnx("%s", cc_module_error(m));
		b->module_started = false;
		return;
	}
	boss_stop_begin(b, 0, "shutdown command");
}

static void
builtins_new(struct boss *b)
{
	b->msgq = boss_comp_new(b, BOSS_MSGQ_NAME, BOSS_ROLE_MSGQ);
	b->msgq->conf.process = xstrdup(BOSS_MSGQ_PROG);
	b->cfgmgr = boss_comp_new(b, BOSS_CFGMGR_NAME, BOSS_ROLE_CFGMGR);
	b->cfgmgr->conf.process = xstrdup(BOSS_CFGMGR_PROG);
	b->cfgmgr->conf.address = xstrdup(BOSS_CFGMGR_MODULE);
}

struct boss *
boss_new(struct event_base *base, const struct boss_opts *o)
{
	struct boss *b = xcalloc(1, sizeof(*b));

	b->base = base;
	b->opts = *o;
	b->timing = (struct boss_timing){ .stable_time = 10,
	    .restart_delay = 0.1, .restart_delay_max = 10,
	    .ready_timeout = 10, .stop_timeout = 5,
	    .max_quick_failures = 10 };
	TAILQ_INIT(&b->comps);
	LIST_INIT(&b->outputs);
	b->stats.boot_time = time(NULL);
	builtins_new(b);
	if ((b->session = cc_session_new()) == NULL ||
	    (b->module = cc_module_new(base, BOSS_SPEC, boss_config_cb,
	    boss_cmd_cb, b)) == NULL ||
	    (b->ev_step = event_new(base, -1, 0, step_cb, b)) == NULL ||
	    (b->ev_gate = evtimer_new(base, step_cb, b)) == NULL ||
	    (b->ev_gc = event_new(base, -1, 0, gc_cb, b)) == NULL)
		fatalx("out of memory");
	cc_module_set_shutdown_cb(b->module, shutdown_cb, b);
	return b;
}

void
boss_free(struct boss *b)
{
	if (b == NULL)
		return;
	while (!TAILQ_EMPTY(&b->comps))
		boss_comp_free(TAILQ_FIRST(&b->comps));
	cc_module_free(b->module);
	cc_session_free(b->session);
	boss_outputs_free(b);
	event_free(b->ev_step);
	event_free(b->ev_gate);
	event_free(b->ev_gc);
	free(b);
}

void
boss_kick(struct boss *b)
{
	event_active(b->ev_step, 0, 0);
}

static const char *
phase_step(enum boss_phase p)
{
	switch (p) {
	case BOSS_PH_MSGQ:
		return "step 2 (msgq)";
	case BOSS_PH_CFGMGR:
		return "step 4/5 (cfgmgr, the Boss configuration)";
	case BOSS_PH_COMPONENTS:
		return "step 6 (the components)";
	default:
		return NULL;
	}
}

void
boss_fail(struct boss *b, const char *fmt, ...)
{
	char msg[400];
	const char *step = phase_step(b->phase);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (step != NULL && !b->quitting)
		log_warnx("start-up failed at %s: %s", step, msg);
	else
		log_warnx("fatal: %s", msg);
	boss_stop_begin(b, 1, msg);
}

/* Step 1: nobody may answer on the socket yet. */
int
boss_start(struct boss *b)
{
	struct cc_session *s = cc_session_new();
	int r;

	if (s == NULL)
		fatalx("out of memory");
	r = cc_session_connect(s, b->opts.sockpath, 1000);
	cc_session_free(s);
	if (r == CC_OK) {
		log_warnx("a message bus already answers on %s: is another "
		    "ccbus running?", b->opts.sockpath);
		return -1;
	}
	b->phase = BOSS_PH_MSGQ;
	boss_sm_post(b->msgq, BOSS_EV_START);
	return 0;
}

/*
 * Step 5, blocking for at most --wait per exchange. The raw session
 * leaves group Boss first: it was there for cfgmgr's {"running"}, and
 * would otherwise receive (and drop) commands to Boss whenever it is
 * subscribed and the module's session is not, e.g. while both reconnect
 * after msgq's death; commands must reach the module or get msgq's
 * no-recipient answer.
 */
static void
module_start(struct boss *b)
{
	int ms = (int)(b->opts.wait * 1000);

	if (cc_unsubscribe(b->session, BOSS_MODULE, NULL) != CC_OK)
		log_warnx("cannot leave group %s: %s", BOSS_MODULE,
		    cc_session_error(b->session));
	if (cc_module_start(b->module, b->opts.sockpath, ms) != CC_OK) {
		boss_fail(b, "%s", cc_module_error(b->module));
		return;
	}
	b->module_started = true;
	b->phase = BOSS_PH_COMPONENTS;
	log_info("configured: %zu components", boss_ncomponents(b));
}

/*
 * A component holds the next level until it is ready or gone for good,
 * or has used up its ready_timeout: a starting one when its own ready
 * timer fired (the state machine kicks the gate then), one that died
 * before being ready (back-off) at the level's start + ready_timeout.
 */
static bool
released(const struct boss_comp *c, int64_t now)
{
	if (c->state == BOSS_ST_STARTING)
		return c->not_ready;
	return c->state != BOSS_ST_BACKOFF || now >= c->gate_deadline;
}

/* The components of the current level still holding the next one. */
static bool
level_pending(struct boss *b)
{
	struct boss_comp *c;
	int64_t now = boss_now_ms(), next = INT64_MAX;
	bool pending = false;
	struct timeval tv;

	TAILQ_FOREACH(c, &b->comps, entry) {
		if (!c->gate)
			continue;
		if (released(c, now)) {
			c->gate = false;
			continue;
		}
		pending = true;
		if (c->state == BOSS_ST_BACKOFF && c->gate_deadline < next)
			next = c->gate_deadline;
	}
	if (next != INT64_MAX) {
		tv.tv_sec = (next - now) / 1000;
		tv.tv_usec = (next - now) % 1000 * 1000;
		event_add(b->ev_gate, &tv);
	}
	return pending;
}

static bool
level_start(struct boss *b)
{
	struct boss_comp *c;
	bool any = false;
	int64_t top = INT64_MIN, now = boss_now_ms();

	TAILQ_FOREACH(c, &b->comps, entry)
		if (c->role == BOSS_ROLE_MODULE && !c->launched &&
		    !c->removed && (!any || c->conf.priority > top)) {
			top = c->conf.priority;
			any = true;
		}
	if (!any)
		return false;
	log_info("starting the components of priority %lld", (long long)top);
	TAILQ_FOREACH(c, &b->comps, entry)
		if (c->role == BOSS_ROLE_MODULE && !c->launched &&
		    !c->removed && c->conf.priority == top) {
			c->launched = true;
			c->gate = true;
			c->gate_deadline = now +
			    (int64_t)(boss_comp_ready_timeout(c) * 1000);
			boss_sm_post(c, BOSS_EV_START);
		}
	return true;
}

static void
pidfile_write(struct boss *b)
{
	char *tmp;
	FILE *fp;

	if (b->opts.pidfile == NULL)
		return;
	tmp = xasprintf("%s.tmp", b->opts.pidfile);
	if ((fp = fopen(tmp, "w")) == NULL ||
	    fprintf(fp, "%ld\n", (long)getpid()) < 0 || fclose(fp) != 0 ||
	    rename(tmp, b->opts.pidfile) == -1)
		log_warn("cannot write the pid file %s", b->opts.pidfile);
	else
		b->pid_written = true;
	free(tmp);
}

static int
drop_privileges(struct boss *b)
{
	const char *u = b->opts.user;
	struct passwd *pw;

	if (u == NULL)
		return 0;
	if ((pw = boss_user_lookup(u)) == NULL) {
		boss_fail(b, "--user: unknown user %s", u);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) == -1 ||
	    setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1) {
		boss_fail(b, "--user %s: %s", u, strerror(errno));
		return -1;
	}
	log_info("running as user %s", pw->pw_name);
	return 0;
}

/* Step 7. */
static void
started(struct boss *b)
{
	b->phase = BOSS_PH_RUNNING;
	pidfile_write(b);
	if (drop_privileges(b) == -1)
		return;
	boss_notice("ccbus started: %zu components", boss_ncomponents(b));
}

static void
step_cb(evutil_socket_t fd, short what, void *arg)
{
	struct boss *b = arg;

	switch (b->phase) {
	case BOSS_PH_MSGQ:
		if (b->msgq->state != BOSS_ST_RUNNING)
			return;
		b->phase = BOSS_PH_CFGMGR;
		boss_sm_post(b->cfgmgr, BOSS_EV_START);
		return;
	case BOSS_PH_CFGMGR:
		if (b->cfgmgr->state == BOSS_ST_RUNNING && !b->module_started)
			module_start(b);
		if (b->phase != BOSS_PH_COMPONENTS)
			return;
		/* FALLTHROUGH */
	case BOSS_PH_COMPONENTS:
		if (!level_pending(b) && !level_start(b))
			started(b);
		return;
	case BOSS_PH_RUNNING:
		return;
	case BOSS_PH_STOPPING:
		boss_stop_step(b);
		return;
	}
}

/* Removed components, once stopped; never inside their own dispatch. */
static void
gc_cb(evutil_socket_t fd, short what, void *arg)
{
	struct boss *b = arg;
	struct boss_comp *c, *next;

	TAILQ_FOREACH_SAFE(c, &b->comps, entry, next)
		if (c->removed && c->pid == 0 && !c->dispatching &&
		    c->state != BOSS_ST_STOPPING) {
			log_info("%s removed", c->name);
			boss_comp_free(c);
		}
}

void
boss_finish(struct boss *b)
{
	if (b->done)
		return;
	b->done = true;
	if (b->pid_written &&
	    unlink(b->opts.pidfile) == -1 && errno != ENOENT)
		log_warn("cannot remove the pid file %s", b->opts.pidfile);
	boss_notice("ccbus stopped: %s (exit status %d)", b->why, b->status);
	event_base_loopexit(b->base, NULL);
}

int
boss_run(struct boss *b)
{
	if (event_base_dispatch(b->base) == -1)
		fatalx("the event loop failed");
	return b->status;
}
