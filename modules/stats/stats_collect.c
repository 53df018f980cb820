/*
 * A collection round: ask the config manager which modules declare
 * statistics (get_statistics_spec), send `getstats` to each of them, keep
 * every answer with the time it came, then answer the collects waiting
 * for the round's end.
 *
 * Nothing here waits: every question is a cc_call_async() answered
 * inside the event loop, bounded by `timeout`. A module that does not
 * answer (not running, too slow, an error) keeps its last figures, and
 * its entry in `show_status` says why and since when.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cc/cc.h>

#include "stats.h"

static void round_end(struct stats *);

/* Now, UTC, ISO 8601: the format of the spec's date-time items. */
static void
now_utc(char *buf)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, STATS_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
stats_kick(struct stats *st)
{
	struct timeval now = { 0, 0 };

	evtimer_add(st->kick, &now);
}

/*
 * What each module's collection came to: {"collected": when the figures
 * shown were collected (null: never), "last_attempt": when getstats was
 * last sent, "error": why the last one gave nothing usable (null: it
 * answered)}. show keeps only the figures; this is show_status.
 */
static json_t *
status_of(struct stats *st, const char *module)
{
	json_t *e = json_object_get(st->status, module);

	if (e == NULL) {
		e = json_pack("{s:n, s:n, s:n}", "collected", "last_attempt",
		    "error");
		json_object_set_new(st->status, module, e);
	}
	return e;
}

/* The last attempt for module gave nothing usable: say why, once. */
static void
record_error(struct stats *st, const char *module, const char *fmt, ...)
{
	json_t *e = status_of(st, module);
	const char *old = json_string_value(json_object_get(e, "error"));
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	st->errors++;
	/* Logged when it changes, not every interval. */
	if (old == NULL || strcmp(old, why) != 0)
		fprintf(stderr, STATS_PROGNAME ": %s: %s\n", module, why);
	json_object_set_new(e, "error", json_string(why));
}

/* Do the figures match the module's statistics items? Every item there,
 * of its type, nothing else: a full check against a spec whose
 * config_data are those items. 0, or -1 with the problem in err. */
static int
check_figures(struct stats *st, const char *module, const json_t *figures,
    char *err, size_t len)
{
	json_t *items = json_object_get(st->spec, module);
	json_t *j = json_pack("{s:s, s:O*}", "module_name", module,
	    "config_data", items);
	struct cc_spec *spec = NULL;
	int rc;

	if (j == NULL || items == NULL) {	/* nothing to check against */
		json_decref(j);
		return 0;
	}
	rc = cc_spec_from_json(j, &spec, err, len);
	if (rc == CC_OK)
		rc = cc_spec_validate_config(spec, figures, true, err, len);
	cc_spec_free(spec);
	json_decref(j);
	return rc == CC_OK ? 0 : -1;
}

/* module answered getstats with figures (borrowed): keep a copy. */
static void
record(struct stats *st, const char *module, const json_t *figures)
{
	json_t *e;
	char when[STATS_TIME_LEN], err[512];

	if (!json_is_object(figures)) {
		record_error(st, module, "answered getstats with something "
		    "that is not a map");
		return;
	}
	now_utc(when);
	e = status_of(st, module);
	json_object_set_new(st->figures, module, json_deep_copy(figures));
	json_object_set_new(e, "collected", json_string(when));
	/* Figures that break the spec are kept (they are what the module
	 * says) and the mismatch is reported. */
	if (check_figures(st, module, figures, err, sizeof(err)) == -1)
		record_error(st, module, "figures do not match its statistics "
		    "spec: %s", err);
	else {
		if (!json_is_null(json_object_get(e, "error")))
			fprintf(stderr, STATS_PROGNAME ": %s answers again\n",
			    module);
		json_object_set_new(e, "error", json_null());
	}
}

json_t *
stats_own_figures(const struct stats *st)
{
	return json_pack("{s:I, s:I, s:s}", "collections", st->collections,
	    "errors", st->errors, "last_collection", st->last);
}

/*
 * An async call's outcome: 0 and its value (borrowed from answer, may be
 * NULL) for a [0, value] answer, else -1 with the reason in why.
 */
static int
answer_value(struct stats *st, int status, struct cc_msg *answer,
    json_t **value, char *why, size_t len)
{
	json_t *body = NULL, *v = NULL;
	int rcode = 0;

	*value = NULL;
	if ((status == CC_OK || status == CC_EANSWER) &&
	    (cc_msg_body(answer, &body, why, len) != CC_OK ||
	    cc_answer_parse(body, &rcode, &v) != CC_OK)) {
		snprintf(why, len, "answered with something that is not "
		    "an answer");
		return -1;
	}
	switch (status) {
	case CC_OK:
		*value = v;
		return 0;
	case CC_EANSWER:
		snprintf(why, len, "answered with an error: %s",
		    json_is_string(v) ? json_string_value(v) : "(no text)");
		break;
	case CC_ENORECIPIENT:
		snprintf(why, len, "did not answer: not running (nobody "
		    "subscribed to its group)");
		break;
	case CC_ETIMEDOUT:
		snprintf(why, len, "did not answer within %g s", st->timeout);
		break;
	default:
		snprintf(why, len, "did not answer: %s", cc_strerror(status));
		break;
	}
	return -1;
}

/* Send command to group; cb gets the outcome with a request for module. */
static int
ask(struct round *r, const char *group, const char *module,
    const char *command, cc_answer_cb cb)
{
	struct stats *st = r->st;
	struct request *q = calloc(1, sizeof(*q));
	json_t *body = cc_command_new(command, NULL);
	int rc = CC_ENOMEM;

	if (q != NULL && body != NULL &&
	    (module == NULL || (q->module = strdup(module)) != NULL)) {
		q->r = r;
		rc = cc_call_async(cc_module_session(st->m), group, NULL,
		    NULL, body, (int)(st->timeout * 1000), cb, q);
	}
	json_decref(body);
	if (rc != CC_OK) {
		if (q != NULL)
			free(q->module);
		free(q);
		return rc;
	}
	TAILQ_INSERT_TAIL(&r->pending, q, entry);
	return CC_OK;
}

/* A request answered (or given up): the round ends with its last one. */
static void
request_done(struct request *q)
{
	struct round *r = q->r;
	struct stats *st = r->st;

	TAILQ_REMOVE(&r->pending, q, entry);
	free(q->module);
	free(q);
	if (!st->stopping && !r->asking && TAILQ_EMPTY(&r->pending))
		round_end(st);
}

static void
getstats_cb(struct cc_session *s, int status, struct cc_msg *answer,
    void *arg)
{
	struct request *q = arg;
	struct stats *st = q->r->st;
	json_t *figures;
	char why[512];

	if (!st->stopping) {
		if (answer_value(st, status, answer, &figures, why,
		    sizeof(why)) == 0)
			record(st, q->module, figures);
		else
			record_error(st, q->module, "%s", why);
	}
	request_done(q);
}

/* Send getstats to every module that declares statistics. */
static void
ask_modules(struct round *r)
{
	struct stats *st = r->st;
	const char *module;
	char when[STATS_TIME_LEN];
	json_t *items, *own;

	now_utc(when);
	r->asking = true;
	json_object_foreach(st->spec, module, items) {
		json_object_set_new(status_of(st, module), "last_attempt",
		    json_string(when));
		/* Our own figures need no bus. */
		if (strcmp(module, cc_module_name(st->m)) == 0) {
			own = stats_own_figures(st);
			record(st, module, own);
			json_decref(own);
		} else if (ask(r, module, module, "getstats",
		    getstats_cb) != CC_OK)
			record_error(st, module, "getstats not sent: %s",
			    cc_session_error(cc_module_session(st->m)));
	}
	r->asking = false;
	if (TAILQ_EMPTY(&r->pending))
		round_end(st);
}

/* Keep the modules whose statistics list is not empty; forget the
 * figures of modules no longer there. all is borrowed. */
static void
spec_update(struct stats *st, const json_t *all)
{
	json_t *spec = json_object(), *items, *v;
	const char *module;
	void *tmp;

	json_object_foreach((json_t *)all, module, items)
		if (json_array_size(items) > 0)
			json_object_set_new(spec, module,
			    json_deep_copy(items));
	json_object_foreach_safe(st->figures, tmp, module, v)
		if (json_object_get(spec, module) == NULL)
			json_object_del(st->figures, module);
	json_object_foreach_safe(st->status, tmp, module, v)
		if (json_object_get(spec, module) == NULL)
			json_object_del(st->status, module);
	json_decref(st->spec);
	st->spec = spec;
}

static void
spec_cb(struct cc_session *s, int status, struct cc_msg *answer, void *arg)
{
	struct request *q = arg;
	struct round *r = q->r;
	struct stats *st = r->st;
	json_t *all;
	char why[512];

	if (st->stopping) {
		request_done(q);
		return;
	}
	/* Not via request_done(): the round goes on with ask_modules(). */
	TAILQ_REMOVE(&r->pending, q, entry);
	free(q);
	if (answer_value(st, status, answer, &all, why, sizeof(why)) == 0 &&
	    !json_is_object(all))
		snprintf(why, sizeof(why), "the answer is not a map");
	if (json_is_object(all))
		spec_update(st, all);
	else {
		/* Ask the modules known from the last round anyway. */
		st->errors++;
		fprintf(stderr, STATS_PROGNAME ": ConfigManager: "
		    "get_statistics_spec: %s\n", why);
	}
	ask_modules(r);
}

static void
round_start(struct stats *st)
{
	struct round *r;

	if (st->round != NULL)	/* its end starts the next if needed */
		return;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		fprintf(stderr, STATS_PROGNAME ": out of memory\n");
		return;
	}
	r->st = st;
	TAILQ_INIT(&r->pending);
	TAILQ_INIT(&r->waiters);
	TAILQ_CONCAT(&r->waiters, &st->next, entry);
	st->round = r;
	if (ask(r, "ConfigManager", NULL, "get_statistics_spec",
	    spec_cb) != CC_OK) {
		st->errors++;
		fprintf(stderr, STATS_PROGNAME ": get_statistics_spec not "
		    "sent: %s\n", cc_session_error(cc_module_session(st->m)));
		ask_modules(r);
	}
}

void
stats_waiters_answer(struct stats *st, struct waiters *list,
    const json_t *answer)
{
	struct waiter *w;

	while ((w = TAILQ_FIRST(list)) != NULL) {
		TAILQ_REMOVE(list, w, entry);
		if (cc_module_answer(st->m, w->d, answer) != CC_OK)
			fprintf(stderr, STATS_PROGNAME ": collect not "
			    "answered: %s\n", cc_module_error(st->m));
		free(w);
	}
}

static void
round_end(struct stats *st)
{
	struct round *r = st->round;
	json_t *a = cc_answer_new(0, st->figures);

	st->round = NULL;
	st->collections++;
	now_utc(st->last);
	if (st->verbose)
		fprintf(stderr, STATS_PROGNAME ": round %lld done: %zu "
		    "modules\n", (long long)st->collections,
		    json_object_size(st->figures));
	stats_waiters_answer(st, &r->waiters, a);
	json_decref(a);
	free(r);
	if (!TAILQ_EMPTY(&st->next))	/* collects that came meanwhile */
		stats_kick(st);
}

void
stats_round_cb(evutil_socket_t fd, short what, void *arg)
{
	round_start(arg);
}
