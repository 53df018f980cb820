/*
 * stats: collects the statistics of every module and shows them.
 *
 * A module declares statistics items in its spec and answers `getstats`
 * with their values (modules/hello does; so do the boss and msgq). Every
 * `interval` seconds, and once at start, this module runs a collection
 * round (stats_collect.c) and keeps every answer; its commands
 * (stats_cmd.c) show what it keeps.
 *
 * This file holds main: the options, the event loop and its signals, the
 * configuration handler (interval and timeout) and the orderly stop.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <cc/cc.h>

#include "stats.h"

#define MAX_SECONDS	86400.0	/* for interval and timeout */

static void
seconds_to_tv(double s, struct timeval *tv)
{
	tv->tv_sec = (time_t)s;
	tv->tv_usec = (suseconds_t)((s - (double)tv->tv_sec) * 1e6);
}

/* NULL if v (NULL: unchanged) is a usable number of seconds, else the
 * refusal, naming the item. */
static json_t *
check_seconds(const char *item, const json_t *v)
{
	double s = json_number_value(v);

	if (v != NULL && (!(s > 0) || s > MAX_SECONDS))
		return cc_answer_error(1, "%s must be more than 0 and at most "
		    "%g seconds, not %g", item, MAX_SECONDS, s);
	return NULL;
}

/*
 * The configuration handler: the full configuration at start, then the
 * items that changed. Both are checked before either is applied, so
 * that a refusal leaves everything as it was.
 */
static json_t *
config_cb(struct cc_module *m, const json_t *config, void *arg)
{
	struct stats *st = arg;
	const json_t *interval = json_object_get(config, "interval");
	const json_t *timeout = json_object_get(config, "timeout");
	struct timeval tv;
	json_t *refusal;

	if ((refusal = check_seconds("interval", interval)) != NULL ||
	    (refusal = check_seconds("timeout", timeout)) != NULL)
		return refusal;
	if (timeout != NULL)	/* from the next request on */
		st->timeout = json_number_value(timeout);
	if (interval != NULL) {
		st->interval = json_number_value(interval);
		seconds_to_tv(st->interval, &tv);
		event_del(st->tick);
		event_add(st->tick, &tv);
	}
	if (st->verbose)
		fprintf(stderr, STATS_PROGNAME ": interval %g s, timeout "
		    "%g s\n", st->interval, st->timeout);
	return NULL;
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopexit(arg, NULL);
}

/*
 * Before cc_module_free(): answer the collects still waiting, and let
 * the callbacks of the requests still pending (cc_module_free() completes
 * them) only free their request.
 */
static void
stats_stop(struct stats *st)
{
	json_t *a = cc_answer_error(1, "the stats module is stopping");

	st->stopping = true;
	stats_waiters_answer(st, &st->next, a);
	if (st->round != NULL)
		stats_waiters_answer(st, &st->round->waiters, a);
	json_decref(a);
}

static void
stats_clear(struct stats *st)
{
	struct request *q;

	if (st->round != NULL) {
		while ((q = TAILQ_FIRST(&st->round->pending)) != NULL) {
			TAILQ_REMOVE(&st->round->pending, q, entry);
			free(q->module);
			free(q);
		}
		free(st->round);
	}
	json_decref(st->spec);
	json_decref(st->figures);
	json_decref(st->status);
}

/* The options into st and *sock: 0, or -1 after the usage message. */
static int
parse_options(int argc, char **argv, struct stats *st, const char **sock)
{
	int ch;

	while ((ch = getopt(argc, argv, "s:v")) != -1) {
		switch (ch) {
		case 's':
			*sock = optarg;
			break;
		case 'v':
			st->verbose = true;
			break;
		default:
			fprintf(stderr, "usage: %s [-v] [-s socket]\n",
			    STATS_PROGNAME);
			return -1;
		}
	}
	return 0;
}

/*
 * Connect, register the spec, get the configuration (config_cb arms the
 * interval), then run the loop until a signal or the end of the session.
 * The exit status: 0, or 1 with the reason logged.
 */
static int
run(struct stats *st, struct event_base *base, const char *sock)
{
	int status;

	if (cc_module_start(st->m, sock, CC_DEFAULT_TIMEOUT) != CC_OK) {
		fprintf(stderr, STATS_PROGNAME ": %s\n",
		    cc_module_error(st->m));
		return 1;
	}
	stats_kick(st);	/* the first round at once */
	event_base_dispatch(base);
	status = cc_module_status(st->m) != CC_OK;
	if (status != 0)
		fprintf(stderr, STATS_PROGNAME ": %s\n",
		    cc_module_error(st->m));
	return status;
}

int
main(int argc, char **argv)
{
	struct stats st = { .interval = 5.0, .timeout = 2.0 };
	struct event_base *base;
	struct event *sigterm, *sigint;
	const char *sock = NULL;	/* NULL: $CCBUS_SOCKET or the default */
	int status;

	if (parse_options(argc, argv, &st, &sock) == -1)
		return 64;
	TAILQ_INIT(&st.next);
	snprintf(st.last, sizeof(st.last), "1970-01-01T00:00:00Z");
	st.spec = json_object();
	st.figures = json_object();
	st.status = json_object();
	if ((base = event_base_new()) == NULL ||
	    (st.tick = event_new(base, -1, EV_PERSIST, stats_round_cb, &st)) ==
	    NULL ||
	    (st.kick = evtimer_new(base, stats_round_cb, &st)) == NULL ||
	    (sigterm = evsignal_new(base, SIGTERM, signal_cb, base)) == NULL ||
	    (sigint = evsignal_new(base, SIGINT, signal_cb, base)) == NULL ||
	    event_add(sigterm, NULL) == -1 || event_add(sigint, NULL) == -1 ||
	    st.spec == NULL || st.figures == NULL || st.status == NULL ||
	    (st.m = cc_module_new(base, "stats.spec", config_cb,
	    stats_command_cb, &st)) == NULL) {
		fprintf(stderr, STATS_PROGNAME ": cannot set up the event "
		    "loop\n");
		return 1;
	}
	status = run(&st, base, sock);
	stats_stop(&st);
	cc_module_free(st.m);
	stats_clear(&st);
	event_free(sigint);
	event_free(sigterm);
	event_free(st.kick);
	event_free(st.tick);
	event_base_free(base);
	return status;
}
