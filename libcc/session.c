/*
 * The session object: its life cycle, its state accessors and its error
 * string, and how a lost connection is recorded and reported.
 *
 * Connecting is in session_connect.c, the socket I/O in session_io.c,
 * the calls that send one frame in session_send.c, the blocking
 * request/answer calls in session_call.c, the libevent attachment in
 * session_event.c.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "session-internal.h"

const char *
cc_default_socket_path(void)
{
	const char *env;

	if ((env = getenv("CCBUS_SOCKET")) != NULL && *env != '\0')
		return env;
	return CCBUS_DEFAULT_SOCKET;
}

/*
 * Seqs need only be distinct within a session, but starting each session
 * elsewhere makes answers meant for an earlier connection (or a session of
 * another process) unlikely to be taken for ours; 31 bits keep them
 * positive in every peer's integer type.
 */
static int64_t
seq_start(const struct cc_session *s)
{
	struct timespec ts;
	uint64_t x;

	clock_gettime(CLOCK_REALTIME, &ts);
	x = ((uint64_t)getpid() << 20) ^ (uint64_t)ts.tv_sec ^
	    (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)s;
	return (int64_t)(x & 0x7fffffff);
}

struct cc_session *
cc_session_new(void)
{
	struct cc_session *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->fd = -1;
	s->max_frame = CC_WIRE_MAX_FRAME;
	s->max_queue = LIBCC_MAX_QUEUE;
	s->send_timeout = CC_DEFAULT_TIMEOUT;
	s->seq = seq_start(s);
	cc_header_init(&s->hdr);
	TAILQ_INIT(&s->queue);
	TAILQ_INIT(&s->calls);
	TAILQ_INIT(&s->done);
	TAILQ_INIT(&s->subs);
	s->rc_fd = -1;
	s->rc_rand = (uint32_t)s->seq | 1;
	s->out = evbuffer_new();
	s->rbuf = malloc(LIBCC_READ_SIZE);
	if (s->out == NULL || s->rbuf == NULL) {
		cc_session_free(s);
		return NULL;
	}
	return s;
}

static void
queue_drop(struct cc_session *s)
{
	struct cc_msg *m;

	while ((m = libcc_queue_pop(s)) != NULL)
		cc_msg_unref(m);
}

static void
session_destroy(struct cc_session *s)
{
	libcc_session_disconnect(s);
	libcc_session_unattach(s);
	libcc_subs_clear(s);
	queue_drop(s);
	cc_msg_unref(s->got);
	if (s->out != NULL)
		evbuffer_free(s->out);
	cc_header_clear(&s->hdr);
	free(s->rbuf);
	free(s->path);
	free(s);
}

/* Inside a callback the dispatcher up the stack still uses s: it frees s
 * when the outermost callback returns (libcc_session_leave()). */
void
cc_session_free(struct cc_session *s)
{
	if (s == NULL)
		return;
	if (s->depth > 0) {
		s->dying = true;
		return;
	}
	session_destroy(s);
}

void
libcc_session_enter(struct cc_session *s)
{
	s->depth++;
}

/* Returns true when s has been freed: the caller must not touch it. */
bool
libcc_session_leave(struct cc_session *s)
{
	if (--s->depth > 0 || !s->dying)
		return false;
	session_destroy(s);
	return true;
}

/* Close the socket and forget the connection's state; the queue of
 * received messages and the attachment (callbacks, ev_drain, calls)
 * survive. */
void
libcc_session_disconnect(struct cc_session *s)
{
	if (s->fd == -1)
		return;
	/* They watch this descriptor: libcc_session_arm() makes new ones
	 * for the next. Freeing one inside its own callback is allowed. */
	if (s->ev_read != NULL)
		event_free(s->ev_read);
	if (s->ev_write != NULL)
		event_free(s->ev_write);
	s->ev_read = s->ev_write = NULL;
	close(s->fd);
	s->fd = -1;
	evbuffer_drain(s->out, evbuffer_get_length(s->out));
	cc_decoder_free(s->dec);
	s->dec = NULL;
	free(s->lname);
	s->lname = NULL;
	s->pings = s->pongs = 0;
}

void
cc_session_close(struct cc_session *s)
{
	bool had_calls = !TAILQ_EMPTY(&s->calls);

	libcc_reconnect_stop(s);
	libcc_session_disconnect(s);
	/* A later connection starts without subscriptions. */
	libcc_subs_clear(s);
	queue_drop(s);
	s->lost = 0;
	if (s->base == NULL)
		return;
	if (had_calls)
		libcc_session_seterr(s, CC_ECONNLOST,
		    "the session was closed before the answer came");
	libcc_calls_lost(s);
}

int
libcc_session_seterr(struct cc_session *s, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	return status;
}

/*
 * The connection cannot go on: close it and remember why, for the next
 * blocking call that finds nothing else to return (libcc_session_closed())
 * and, when attached, for err_cb; async calls in flight then fail with
 * CC_ECONNLOST. Failures while connecting are only returned by
 * cc_session_connect().
 */
void
libcc_session_fail(struct cc_session *s, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	libcc_session_disconnect(s);
	s->lost = status;
	if (s->base == NULL || s->connecting)
		return;
	libcc_reconnect_lost(s);
	s->err_status = status;
	libcc_calls_lost(s);
	libcc_session_wake(s);
}

/*
 * The status for a call on a closed session: the loss not yet reported
 * (once, its reason still in s->err), else CC_ECONNLOST.
 */
int
libcc_session_closed(struct cc_session *s)
{
	int status;

	if ((status = s->lost) != 0) {
		s->lost = 0;
		return status;
	}
	if (s->path == NULL)
		return libcc_session_seterr(s, CC_ECONNLOST,
		    "not connected to msgq");
	return libcc_session_seterr(s, CC_ECONNLOST,
	    "not connected to msgq at %s", s->path);
}

const char *
cc_session_error(const struct cc_session *s)
{
	return s->err;
}

const char *
cc_session_lname(const struct cc_session *s)
{
	return s->lname;
}

const char *
cc_session_path(const struct cc_session *s)
{
	return s->path;
}

int
cc_session_fd(const struct cc_session *s)
{
	return s->fd;
}

bool
cc_session_connected(const struct cc_session *s)
{
	return s->fd != -1;
}

void
cc_session_set_max_frame(struct cc_session *s, size_t max_frame)
{
	s->max_frame = max_frame != 0 ? max_frame : CC_WIRE_MAX_FRAME;
	if (s->dec != NULL)
		cc_decoder_set_max_frame(s->dec, s->max_frame);
}

void
cc_session_set_max_queue(struct cc_session *s, size_t max_queue)
{
	s->max_queue = max_queue;
}

/* For tests: how long a blocking send waits for a peer that does not
 * read. */
void
libcc_session_set_send_timeout(struct cc_session *s, int ms)
{
	s->send_timeout = ms;
}

struct cc_msg *
libcc_queue_pop(struct cc_session *s)
{
	struct cc_msg *m;

	if ((m = TAILQ_FIRST(&s->queue)) != NULL)
		libcc_queue_remove(s, m);
	return m;
}

void
libcc_queue_remove(struct cc_session *s, struct cc_msg *m)
{
	TAILQ_REMOVE(&s->queue, m, entry);
	s->queued -= cc_frame_size(m->frame);
}
