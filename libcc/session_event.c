/*
 * A session attached to the caller's libevent event_base: EV_READ on the
 * socket, EV_WRITE while output is queued, the dispatcher that hands
 * messages and outcomes to the user's callbacks, and cc_call_async().
 *
 * User code runs only in the dispatcher (session_dispatch()), in an async
 * call's timeout, and in cc_session_detach(), each between
 * libcc_session_enter() and libcc_session_leave(): a callback may free the
 * session, which then goes when the outermost callback returns, and the
 * loops here check s->dying after every callback. Messages a blocking call
 * queued meanwhile reach the callback through ev_drain, an event made
 * active by hand (libcc_session_wake()).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "session-internal.h"

static void
call_free(struct libcc_call *c)
{
	if (c->timer != NULL)
		event_free(c->timer);
	cc_msg_unref(c->answer);
	free(c);
}

/*
 * Report c's outcome to its callback and free it; the answer is borrowed
 * by the callback. c is already off every list.
 */
static void
call_complete(struct cc_session *s, struct libcc_call *c)
{
	struct cc_msg *answer = NULL;
	int status = c->status;

	if (c->answer != NULL) {
		status = libcc_answer_check(s, c->answer, c->group, c->to);
		if (status == CC_OK || status == CC_EANSWER)
			answer = c->answer;
	}
	c->cb(s, status, answer, c->arg);
	call_free(c);
}

/* The next thing to hand over, if any: finished calls, then messages,
 * then the connection loss. Returns false when there is nothing. */
static bool
dispatch_one(struct cc_session *s)
{
	struct libcc_call *c;
	struct cc_msg *m;
	int status;

	if ((c = TAILQ_FIRST(&s->done)) != NULL) {
		TAILQ_REMOVE(&s->done, c, entry);
		call_complete(s, c);
	} else if ((m = libcc_queue_pop(s)) != NULL) {
		/* The callback borrows m; it is ours to release. */
		s->cb(s, m, s->arg);
		cc_msg_unref(m);
	} else if ((status = s->err_status) != 0) {
		s->err_status = 0;
		if (s->err_cb != NULL)
			s->err_cb(s, status, s->arg);
		/* Unless err_cb closed, freed or reconnected the session. */
		if (!s->dying)
			libcc_reconnect_begin(s);
	} else
		return false;
	return true;
}

/*
 * The dispatcher: the one place where received messages meet the user's
 * callback. A callback may free or detach the session, or queue more
 * (a blocking call reads and queues what it does not wait for): hence the
 * checks before each round.
 */
static void
session_dispatch(struct cc_session *s)
{
	libcc_session_enter(s);
	s->draining = true;
	while (!s->dying && s->base != NULL && dispatch_one(s))
		;
	s->draining = false;
	libcc_session_leave(s);
}

static void
session_drain_cb(evutil_socket_t fd, short what, void *arg)
{
	session_dispatch(arg);
}

static void
session_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cc_session *s = arg;

	/* No wake-up for what this read queues: it is dispatched now. */
	s->draining = true;
	(void)libcc_session_read(s);
	session_dispatch(s);
}

static void
session_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cc_session *s = arg;

	if (libcc_session_write(s) == CC_OK &&
	    evbuffer_get_length(s->out) == 0)
		event_del(s->ev_write);
}

void
libcc_session_wake(struct cc_session *s)
{
	if (s->ev_drain != NULL)
		event_active(s->ev_drain, EV_TIMEOUT, 0);
}

/* Create the socket's events for the current descriptor. */
int
libcc_session_arm(struct cc_session *s)
{
	s->ev_read = event_new(s->base, s->fd, EV_READ | EV_PERSIST,
	    session_read_cb, s);
	s->ev_write = event_new(s->base, s->fd, EV_WRITE | EV_PERSIST,
	    session_write_cb, s);
	if (s->ev_read == NULL || s->ev_write == NULL ||
	    event_add(s->ev_read, NULL) == -1)
		return libcc_session_seterr(s, CC_ENOMEM, "cannot add the "
		    "session's events to the event base");
	if (evbuffer_get_length(s->out) > 0)
		event_add(s->ev_write, NULL);
	if (!TAILQ_EMPTY(&s->queue))
		libcc_session_wake(s);
	return CC_OK;
}

/* Free the events and forget the loop; calls are dropped unreported. */
void
libcc_session_unattach(struct cc_session *s)
{
	struct libcc_call *c;

	libcc_reconnect_stop(s);
	while ((c = TAILQ_FIRST(&s->calls)) != NULL) {
		TAILQ_REMOVE(&s->calls, c, entry);
		call_free(c);
	}
	while ((c = TAILQ_FIRST(&s->done)) != NULL) {
		TAILQ_REMOVE(&s->done, c, entry);
		call_free(c);
	}
	if (s->ev_read != NULL)
		event_free(s->ev_read);
	if (s->ev_write != NULL)
		event_free(s->ev_write);
	if (s->ev_drain != NULL)
		event_free(s->ev_drain);
	s->ev_read = s->ev_write = s->ev_drain = NULL;
	s->base = NULL;
	s->cb = NULL;
	s->err_cb = NULL;
	s->arg = NULL;
	s->err_status = 0;
}

int
cc_session_attach(struct cc_session *s, struct event_base *base,
    cc_msg_cb cb, cc_error_cb err_cb, void *arg)
{
	int r;

	if (s->fd == -1 || s->base != NULL)
		return libcc_session_seterr(s, CC_ESTATE, "cannot attach a "
		    "session that is %s", s->fd == -1 ? "not connected" :
		    "already attached");
	if (base == NULL || cb == NULL)
		return libcc_session_seterr(s, CC_EINVAL, "cannot attach "
		    "without an event base and a callback");
	if ((s->ev_drain = event_new(base, -1, 0, session_drain_cb, s)) ==
	    NULL)
		return libcc_session_seterr(s, CC_ENOMEM, "out of memory");
	s->base = base;
	s->cb = cb;
	s->err_cb = err_cb;
	s->arg = arg;
	if ((r = libcc_session_arm(s)) != CC_OK)
		libcc_session_unattach(s);
	return r;
}

/*
 * Calls still waiting can no longer be answered through the loop: they
 * complete with CC_ESTATE; those already answered get their answer.
 */
void
cc_session_detach(struct cc_session *s)
{
	struct libcc_callq calls;
	struct libcc_call *c;

	if (s->base == NULL)
		return;
	if (s->fd != -1)
		(void)libcc_session_flush(s,
		    libcc_deadline(s->send_timeout));
	TAILQ_INIT(&calls);
	TAILQ_CONCAT(&calls, &s->done, entry);
	TAILQ_FOREACH(c, &s->calls, entry)
		c->status = CC_ESTATE;
	TAILQ_CONCAT(&calls, &s->calls, entry);
	libcc_session_unattach(s);
	libcc_session_enter(s);
	while ((c = TAILQ_FIRST(&calls)) != NULL) {
		TAILQ_REMOVE(&calls, c, entry);
		if (s->dying) {
			call_free(c);
			continue;
		}
		if (c->status == CC_ESTATE)
			libcc_session_seterr(s, CC_ESTATE, "the session was "
			    "detached before the answer came");
		call_complete(s, c);
	}
	libcc_session_leave(s);
}

/* Fail every call in flight with CC_ECONNLOST; the dispatcher reports
 * them. */
void
libcc_calls_lost(struct cc_session *s)
{
	struct libcc_call *c;

	if (TAILQ_EMPTY(&s->calls))
		return;
	while ((c = TAILQ_FIRST(&s->calls)) != NULL) {
		TAILQ_REMOVE(&s->calls, c, entry);
		if (c->timer != NULL)
			event_del(c->timer);
		c->status = CC_ECONNLOST;
		TAILQ_INSERT_TAIL(&s->done, c, entry);
	}
	libcc_session_wake(s);
}

/* If m answers a call in flight, it becomes that call's outcome. Calls
 * are answered mostly in the order sent: the search starts at the
 * oldest. */
bool
libcc_call_match(struct cc_session *s, struct cc_msg *m)
{
	struct libcc_call *c;

	TAILQ_FOREACH(c, &s->calls, entry)
		if (c->seq == m->reply)
			break;
	if (c == NULL)
		return false;
	TAILQ_REMOVE(&s->calls, c, entry);
	if (c->timer != NULL)
		event_del(c->timer);
	c->answer = m;
	TAILQ_INSERT_TAIL(&s->done, c, entry);
	if (!s->draining)
		libcc_session_wake(s);
	return true;
}

static void
call_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct libcc_call *c = arg;
	struct cc_session *s = c->s;
	char where[256];

	TAILQ_REMOVE(&s->calls, c, entry);
	c->status = libcc_session_seterr(s, CC_ETIMEDOUT, "no answer from "
	    "%s within %d ms", libcc_target(where, sizeof(where), c->group,
	    c->to), c->timeout_ms);
	libcc_session_enter(s);
	call_complete(s, c);
	libcc_session_leave(s);
}

static struct libcc_call *
call_new(struct cc_session *s, const char *group, const char *to,
    int timeout_ms)
{
	struct libcc_call *c;
	size_t glen = strlen(group) + 1, tlen = to != NULL ? strlen(to) + 1 : 0;

	if ((c = calloc(1, sizeof(*c) + glen + tlen)) == NULL)
		return NULL;
	c->group = memcpy(c->strs, group, glen);
	if (to != NULL)
		c->to = memcpy(c->strs + glen, to, tlen);
	c->s = s;
	c->timeout_ms = timeout_ms;
	if (timeout_ms >= 0 && (c->timer = evtimer_new(s->base,
	    call_timeout_cb, c)) == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

/* If this returns an error, cb is never called. */
int
cc_call_async(struct cc_session *s, const char *group, const char *instance,
    const char *to, const json_t *body, int timeout_ms, cc_answer_cb cb,
    void *arg)
{
	struct libcc_call *c;
	struct timeval tv;
	int r;

	if (s->base == NULL)
		return libcc_session_seterr(s, CC_ESTATE,
		    "cc_call_async() needs an attached session");
	if (cb == NULL || group == NULL)
		return libcc_session_seterr(s, CC_EINVAL,
		    "cc_call_async() without a %s", cb == NULL ? "callback" :
		    "group");
	if ((c = call_new(s, group, to, timeout_ms)) == NULL)
		return libcc_session_seterr(s, CC_ENOMEM, "out of memory");
	c->cb = cb;
	c->arg = arg;
	/* Attached, cc_send() never reads: the answer cannot come before
	 * the call is listed. */
	if ((r = cc_send(s, group, instance, to, body, CC_WANT_ANSWER,
	    &c->seq)) != CC_OK) {
		call_free(c);
		return r;
	}
	if (c->timer != NULL) {
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		evtimer_add(c->timer, &tv);
	}
	TAILQ_INSERT_TAIL(&s->calls, c, entry);
	return CC_OK;
}
