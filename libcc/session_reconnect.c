/*
 * Automatic reconnection of an attached session (cc_session_set_reconnect,
 * BOSS.md 6) and the memory of subscriptions it needs.
 *
 * After a loss (libcc_session_fail()) the dispatcher reports it to err_cb,
 * then starts here. Each attempt runs inside the caller's loop and never
 * blocks it: a non-blocking connect(2) to the same path (on a Unix socket
 * it succeeds or fails at once; EAGAIN, a full listen queue, counts as a
 * failure), getlname written on the new socket, and its answer awaited
 * through an event, bounded by a timer. Until that answer the new socket
 * lives in rc_fd, not fd: to every other call the session is still
 * closed, so nothing can be sent without an lname. Then the socket
 * becomes the session's, the subscriptions are sent again, the back-off
 * is reset and the reconnect callback runs.
 *
 * Failed attempts are spaced by a back-off of 10 ms doubling to 1 s,
 * each delay +-10 % so that the clients of a restarted msgq do not all
 * come back in the same millisecond.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "session-internal.h"

#define RC_BACKOFF_MIN		10	/* ms, after the first failure */
#define RC_BACKOFF_MAX		1000
#define RC_HELLO_TIMEOUT	1000	/* ms for getlname's answer */

/*
 * The subscriptions: (group, instance) pairs in the order first
 * subscribed. A subscribe of a pair already held changes nothing, as in
 * msgq; an unsubscribe removes it. Returns, for a subscribe, 1 if the
 * pair was added, 0 if it was held already, CC_ENOMEM; for an
 * unsubscribe, 0.
 */
int
libcc_subs_note(struct cc_session *s, bool sub, const char *group,
    const char *instance)
{
	size_t glen = strlen(group) + 1, ilen = strlen(instance) + 1;
	struct libcc_sub *x;

	TAILQ_FOREACH(x, &s->subs, entry)
		if (strcmp(x->group, group) == 0 &&
		    strcmp(x->instance, instance) == 0)
			break;
	if (!sub) {
		if (x != NULL) {
			TAILQ_REMOVE(&s->subs, x, entry);
			free(x);
		}
		return 0;
	}
	if (x != NULL)
		return 0;
	if ((x = malloc(sizeof(*x) + glen + ilen)) == NULL)
		return CC_ENOMEM;
	memcpy(x->group, group, glen);
	x->instance = memcpy(x->group + glen, instance, ilen);
	TAILQ_INSERT_TAIL(&s->subs, x, entry);
	return 1;
}

void
libcc_subs_clear(struct cc_session *s)
{
	struct libcc_sub *x;

	while ((x = TAILQ_FIRST(&s->subs)) != NULL) {
		TAILQ_REMOVE(&s->subs, x, entry);
		free(x);
	}
}

/* Give up the attempt in progress (its socket), keep the timer. */
static void
hello_abort(struct cc_session *s)
{
	if (s->rc_read != NULL) {
		event_free(s->rc_read);
		s->rc_read = NULL;
	}
	if (s->rc_fd != -1) {
		close(s->rc_fd);
		s->rc_fd = -1;
	}
	/* Without a connection the decoder, if any, was the attempt's. */
	if (s->fd == -1) {
		cc_decoder_free(s->dec);
		s->dec = NULL;
	}
}

void
libcc_reconnect_stop(struct cc_session *s)
{
	hello_abort(s);
	if (s->rc_timer != NULL) {
		event_free(s->rc_timer);
		s->rc_timer = NULL;
	}
	s->rc_state = LIBCC_RC_IDLE;
	s->rc_backoff = 0;
}

void
cc_session_set_reconnect(struct cc_session *s, bool on, cc_reconnect_cb cb,
    void *arg)
{
	s->rc_on = on;
	s->rc_cb = cb;
	s->rc_arg = arg;
	if (!on)
		libcc_reconnect_stop(s);
}

/* The connection of an attached session was lost (libcc_session_fail). */
void
libcc_reconnect_lost(struct cc_session *s)
{
	if (s->rc_on && s->rc_state == LIBCC_RC_IDLE)
		s->rc_state = LIBCC_RC_PENDING;
}

/* The back-off's next delay with +-10 % jitter, and double it. */
static int
backoff_next(struct cc_session *s)
{
	uint32_t x = s->rc_rand;
	int ms, span;

	if (s->rc_backoff == 0)
		s->rc_backoff = RC_BACKOFF_MIN;
	ms = s->rc_backoff;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	s->rc_rand = x;
	span = ms / 5;			/* 20 %: from -10 % to +10 % */
	if (span > 0)
		ms += (int)(x % (uint32_t)(span + 1)) - span / 2;
	s->rc_backoff *= 2;
	if (s->rc_backoff > RC_BACKOFF_MAX)
		s->rc_backoff = RC_BACKOFF_MAX;
	return ms;
}

static void
timer_set(struct cc_session *s, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(s->rc_timer, &tv);
}

/* This attempt failed: the next one after the back-off. */
static void
attempt_failed(struct cc_session *s)
{
	hello_abort(s);
	s->rc_state = LIBCC_RC_WAITING;
	timer_set(s, backoff_next(s));
}

static int
hello_send(struct cc_session *s)
{
	struct cc_header h = { .type = LIBCC_STRREF("getlname") };
	struct cc_frame *f;
	ssize_t n;
	size_t len;

	if (cc_frame_build(&h, NULL, 0, s->max_frame, &f) != CC_OK)
		return -1;
	/* A new socket's buffer takes these few bytes whole, or the
	 * attempt has failed. */
	len = cc_frame_size(f);
	n = send(s->rc_fd, cc_frame_bytes(f), len, MSG_NOSIGNAL);
	cc_frame_unref(f);
	return n == (ssize_t)len ? 0 : -1;
}

static void
hello_read_cb(evutil_socket_t fd, short what, void *arg);

/* One attempt: connect, getlname, then wait for its answer. */
static void
attempt(struct cc_session *s)
{
	struct sockaddr_un sun;
	size_t len = strlen(s->path);

	if (len == 0 || len >= sizeof(sun.sun_path))
		goto fail;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, s->path, len + 1);
	s->rc_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (s->rc_fd == -1 ||
	    connect(s->rc_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		goto fail;
	if ((s->dec = cc_decoder_new(s->max_frame)) == NULL ||
	    hello_send(s) == -1)
		goto fail;
	s->rc_read = event_new(s->base, s->rc_fd, EV_READ | EV_PERSIST,
	    hello_read_cb, s);
	if (s->rc_read == NULL || event_add(s->rc_read, NULL) == -1)
		goto fail;
	s->rc_state = LIBCC_RC_HELLO;
	timer_set(s, RC_HELLO_TIMEOUT);
	return;
fail:
	attempt_failed(s);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cc_session *s = arg;

	/* A getlname unanswered in time costs the attempt. */
	if (s->rc_state == LIBCC_RC_HELLO)
		attempt_failed(s);
	else if (s->rc_state == LIBCC_RC_WAITING)
		attempt(s);
}

/*
 * After err_cb: the first attempt, at once (from the loop, not inside the
 * dispatcher). Nothing to do if reconnection is off, or err_cb closed or
 * connected the session itself.
 */
void
libcc_reconnect_begin(struct cc_session *s)
{
	if (s->rc_state != LIBCC_RC_PENDING)
		return;
	if (!s->rc_on || s->base == NULL || s->fd != -1 || s->path == NULL) {
		s->rc_state = LIBCC_RC_IDLE;
		return;
	}
	if (s->rc_timer == NULL &&
	    (s->rc_timer = evtimer_new(s->base, timer_cb, s)) == NULL) {
		/* Out of memory: the session stays closed, as without
		 * reconnection. */
		s->rc_state = LIBCC_RC_IDLE;
		return;
	}
	s->rc_backoff = 0;
	s->rc_state = LIBCC_RC_WAITING;
	timer_set(s, 0);
}

/* Subscribe again to everything held, in order, on the new socket. */
static int
subs_replay(struct cc_session *s)
{
	struct cc_header h = { .type = LIBCC_STRREF("subscribe") };
	struct libcc_sub *x;
	int r;

	TAILQ_FOREACH(x, &s->subs, entry) {
		h.group = cc_strref_of(x->group);
		h.instance = cc_strref_of(x->instance);
		if ((r = libcc_session_send(s, &h, NULL, 0)) != CC_OK)
			return r;
	}
	return CC_OK;
}

/*
 * The getlname answer came: the socket becomes the session's. Frames
 * after it in the same read (msgq sends none unasked to a client without
 * subscriptions, but a bug must not lose them) are sorted as usual.
 */
static void
hello_done(struct cc_session *s, char *lname)
{
	int r;

	event_free(s->rc_read);
	s->rc_read = NULL;
	event_del(s->rc_timer);
	s->fd = s->rc_fd;
	s->rc_fd = -1;
	s->lname = lname;
	s->lost = 0;
	s->rc_state = LIBCC_RC_IDLE;
	s->rc_backoff = 0;
	if ((r = libcc_session_arm(s)) != CC_OK ||
	    (r = subs_replay(s)) != CC_OK) {
		/* Lost again (already reported), or out of memory: this
		 * connection is no good, start over. */
		if (s->fd != -1)
			libcc_session_fail(s, r, "cannot subscribe again on "
			    "msgq at %s: %s", s->path, cc_strerror(r));
		return;
	}
	(void)libcc_session_decode(s);
	if (s->fd == -1)
		return;
	if (s->rc_cb != NULL) {
		libcc_session_enter(s);
		s->rc_cb(s, s->rc_arg);
		libcc_session_leave(s);
	}
}

/* The lname in the getlname answer m (malloc'd), or NULL. */
static char *
hello_lname(struct cc_msg *m)
{
	json_t *body, *lname;

	if (cc_msg_body(m, &body, NULL, 0) != CC_OK ||
	    !json_is_string(lname = json_object_get(body, "lname")) ||
	    json_string_length(lname) == 0)
		return NULL;
	return strdup(json_string_value(lname));
}

static void
hello_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cc_session *s = arg;
	struct cc_frame *f;
	struct cc_msg *m;
	char *lname = NULL;
	ssize_t n;
	int r;

	n = read(s->rc_fd, s->rbuf, LIBCC_READ_SIZE);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || cc_decoder_feed(s->dec, s->rbuf, (size_t)n) != CC_OK)
		goto fail;
	while (lname == NULL && (r = cc_decoder_next(s->dec, &f)) == 1) {
		if (libcc_msg_parse(&s->hdr, f, &m) != CC_OK)
			continue;
		/* Anything before the answer is msgq's bug: dropped. */
		if (m->type != NULL && strcmp(m->type, "getlname") == 0 &&
		    (lname = hello_lname(m)) == NULL) {
			cc_msg_unref(m);
			goto fail;
		}
		cc_msg_unref(m);
	}
	if (lname != NULL) {
		hello_done(s, lname);
		return;
	}
	if (r == 0)
		return;
fail:
	attempt_failed(s);
}
