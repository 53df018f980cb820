/*
 * A session's socket once connected: writing frames, reading and sorting
 * what arrives, and waiting for either with poll(2).
 *
 * The socket is always non-blocking. A frame is written straight from its
 * bytes when nothing is queued before it; what the socket does not take
 * waits in s->out. Blocking sessions then flush with poll until s->out is
 * empty, bounded by s->send_timeout so that a peer that stops reading
 * cannot hang the caller; attached sessions leave it to EV_WRITE.
 * Everything read goes through the session's cc_decoder and is sorted by
 * session_sort() to the call waiting for it, an async call, or the queue.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "session-internal.h"

/* Below this a remainder is copied into s->out; above it s->out keeps a
 * reference to the frame instead, as a copy would cost more than the
 * extra chain. */
#define OUT_COPY_MAX	4096
#define OUT_IOV_MAX	16

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The monotonic time timeout_ms from now; -1 (none) for a negative
 * timeout. */
int64_t
libcc_deadline(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* Milliseconds left until deadline, for poll(2): -1 for none, 0 once
 * passed. */
int
libcc_remaining_ms(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* poll(2) one descriptor until deadline, across EINTR. */
int
libcc_poll(struct pollfd *pfd, int64_t deadline)
{
	int n;

	do {
		n = poll(pfd, 1, libcc_remaining_ms(deadline));
	} while (n == -1 && errno == EINTR);
	return n;
}

static void
frame_release(const void *data, size_t len, void *f)
{
	cc_frame_unref(f);
}

static int
out_append(struct cc_session *s, struct cc_frame *f, size_t off)
{
	const unsigned char *p = cc_frame_bytes(f) + off;
	size_t len = cc_frame_size(f) - off;

	if (len <= OUT_COPY_MAX)
		return evbuffer_add(s->out, p, len);
	cc_frame_ref(f);
	if (evbuffer_add_reference(s->out, p, len, frame_release, f) == 0)
		return 0;
	cc_frame_unref(f);
	return -1;
}

static void
write_failed(struct cc_session *s, int error)
{
	libcc_session_fail(s, CC_ECONNLOST, "lost the connection to msgq at "
	    "%s: %s", s->path, strerror(error));
}

/*
 * Write what s->out holds, as much as the socket takes now. sendmsg()
 * rather than evbuffer_write(): MSG_NOSIGNAL keeps a closed peer from
 * raising SIGPIPE in the caller's process.
 */
int
libcc_session_write(struct cc_session *s)
{
	struct evbuffer_iovec ev[OUT_IOV_MAX];
	struct iovec iov[OUT_IOV_MAX];
	struct msghdr mh;
	ssize_t n;
	int i, nvec;

	nvec = evbuffer_peek(s->out, -1, NULL, ev, OUT_IOV_MAX);
	if (nvec > OUT_IOV_MAX)
		nvec = OUT_IOV_MAX;
	for (i = 0; i < nvec; i++) {
		iov[i].iov_base = ev[i].iov_base;
		iov[i].iov_len = ev[i].iov_len;
	}
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = nvec;
	n = sendmsg(s->fd, &mh, MSG_NOSIGNAL);
	if (n == -1 && errno != EAGAIN && errno != EINTR) {
		write_failed(s, errno);
		return libcc_session_closed(s);
	}
	if (n > 0)
		evbuffer_drain(s->out, (size_t)n);
	return CC_OK;
}

/*
 * Write s->out until it is empty, waiting for the socket up to deadline.
 * On timeout the session is closed: part of a frame may be on the wire,
 * and the stream cannot be resumed after it.
 */
int
libcc_session_flush(struct cc_session *s, int64_t deadline)
{
	struct pollfd pfd;
	int n, r;

	while (evbuffer_get_length(s->out) > 0) {
		if ((r = libcc_session_write(s)) != CC_OK)
			return r;
		if (evbuffer_get_length(s->out) == 0)
			break;
		pfd.fd = s->fd;
		pfd.events = POLLOUT;
		if ((n = libcc_poll(&pfd, deadline)) == -1)
			return libcc_session_seterr(s, CC_ESYS, "poll: %s",
			    strerror(errno));
		if (n == 0) {
			libcc_session_fail(s, CC_ETIMEDOUT, "msgq at %s took "
			    "no data for %d ms; connection closed", s->path,
			    s->send_timeout);
			return libcc_session_closed(s);
		}
	}
	return CC_OK;
}

/*
 * Send frame f after whatever s->out holds. Attached (and not in the
 * middle of a blocking cc_session_connect()): the rest is left to
 * EV_WRITE, and a frame that would take s->out past max_queue is refused
 * whole. Blocking: returns once every byte is written.
 */
int
libcc_session_output(struct cc_session *s, struct cc_frame *f)
{
	size_t len = cc_frame_size(f), queued, off = 0;
	ssize_t n;

	queued = evbuffer_get_length(s->out);
	if (s->ev_write != NULL && queued + len > s->max_queue)
		return libcc_session_seterr(s, CC_EQUEUE, "output queue to "
		    "msgq at %s full: %zu bytes queued, a frame of %zu, "
		    "max_queue %zu", s->path, queued, len, s->max_queue);
	if (queued == 0) {
		n = send(s->fd, cc_frame_bytes(f), len, MSG_NOSIGNAL);
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			write_failed(s, errno);
			return libcc_session_closed(s);
		}
		if (n > 0)
			off = (size_t)n;
	}
	if (off == len)
		return CC_OK;
	if (out_append(s, f, off) == -1) {
		if (off == 0)
			return libcc_session_seterr(s, CC_ENOMEM, "out of "
			    "memory queueing a frame");
		/* A partial frame on the wire leaves the stream unusable. */
		libcc_session_fail(s, CC_ENOMEM, "out of memory queueing a "
		    "frame; connection closed");
		return libcc_session_closed(s);
	}
	if (s->ev_write != NULL) {
		event_add(s->ev_write, NULL);
		return CC_OK;
	}
	return libcc_session_flush(s, libcc_deadline(s->send_timeout));
}

static void
session_pong(struct cc_session *s, struct cc_msg *m)
{
	/* Pongs carry no seq: the n-th pong answers the n-th ping, whether
	 * or not its cc_ping() still waits. One with no ping outstanding
	 * is msgq's bug, and dropped without counting. */
	if (s->pongs < s->pings) {
		s->pongs++;
		if (s->want == LIBCC_WANT_PONG && s->got == NULL &&
		    (uint64_t)s->want_seq == s->pongs) {
			s->got = m;
			return;
		}
	}
	cc_msg_unref(m);
}

static bool
session_wanted(const struct cc_session *s, const struct cc_msg *m)
{
	switch (s->want) {
	case LIBCC_WANT_LNAME:
		return strcmp(m->type, "getlname") == 0;
	case LIBCC_WANT_REPLY:
		return (m->flags & CC_HDR_REPLY) && m->reply == s->want_seq;
	default:
		return false;
	}
}

/*
 * Give one received message to whoever waits for it: the blocking call in
 * progress, an async call, or else the queue (from which cc_recv() or the
 * dispatcher takes it). Pongs go only to a waiting cc_ping().
 */
static void
session_sort(struct cc_session *s, struct cc_msg *m)
{
	if (strcmp(m->type, "pong") == 0) {
		session_pong(s, m);
		return;
	}
	if (s->got == NULL && session_wanted(s, m)) {
		s->got = m;
		return;
	}
	if ((m->flags & CC_HDR_REPLY) && !TAILQ_EMPTY(&s->calls) &&
	    libcc_call_match(s, m))
		return;
	/* A client that never takes what it subscribed to must not grow
	 * without bound: past max_queue the session is closed, loudly, the
	 * same policy msgq applies to a client that never reads. */
	if (s->queued + cc_frame_size(m->frame) > s->max_queue) {
		libcc_session_fail(s, CC_EQUEUE, "receive queue would pass "
		    "max_queue (%zu bytes): messages from msgq at %s are not "
		    "being consumed", s->max_queue, s->path);
		cc_msg_unref(m);
		return;
	}
	TAILQ_INSERT_TAIL(&s->queue, m, entry);
	s->queued += cc_frame_size(m->frame);
	if (s->base != NULL && !s->draining)
		libcc_session_wake(s);
}

/*
 * Feed bytes to the decoder and sort every frame complete in them. A bad
 * header is msgq's bug, not the stream's: that frame is skipped (and
 * counted) and the next one read. A framing error closes the session,
 * after the frames complete before it have been sorted.
 */
static int
session_input(struct cc_session *s, const void *buf, size_t len)
{
	if (cc_decoder_feed(s->dec, buf, len) != CC_OK)
		return libcc_session_seterr(s, CC_ENOMEM, "out of memory");
	return libcc_session_decode(s);
}

/* Sort every frame complete in the decoder (see session_input()); a
 * connection made in the loop may have left some there. */
int
libcc_session_decode(struct cc_session *s)
{
	struct cc_frame *f;
	struct cc_msg *m;
	int r = 0;

	/* Sorting may close the session (a full receive queue), which frees
	 * the decoder: stop there. */
	while (s->dec != NULL && (r = cc_decoder_next(s->dec, &f)) == 1) {
		r = libcc_msg_parse(&s->hdr, f, &m);
		if (r == CC_EHEADER) {
			s->bad_headers++;
			continue;
		}
		if (r != CC_OK)
			return libcc_session_seterr(s, r, "out of memory");
		session_sort(s, m);
	}
	if (s->dec != NULL && r == -1)
		libcc_session_fail(s, CC_EFRAME, "framing error from msgq at "
		    "%s: %s", s->path, cc_decoder_error(s->dec));
	return CC_OK;
}

/*
 * One read(2), and sort what it brought. A lost connection is not an
 * error here: the session is closed and the loss recorded for whoever
 * finds nothing else to return (libcc_session_closed()).
 */
int
libcc_session_read(struct cc_session *s)
{
	ssize_t n;

	n = read(s->fd, s->rbuf, LIBCC_READ_SIZE);
	if (n > 0)
		return session_input(s, s->rbuf, (size_t)n);
	if (n == 0)
		libcc_session_fail(s, CC_ECONNLOST, "msgq at %s closed the "
		    "connection", s->path);
	else if (errno != EAGAIN && errno != EINTR)
		libcc_session_fail(s, CC_ECONNLOST, "lost the connection to "
		    "msgq at %s: %s", s->path, strerror(errno));
	return CC_OK;
}

/*
 * Wait until the socket is readable (or, with output queued, writable),
 * then read once and write once. CC_OK means something may have changed
 * (a message sorted, the session closed); CC_ETIMEDOUT, with no message
 * set, once the deadline has passed.
 */
int
libcc_session_wait(struct cc_session *s, int64_t deadline)
{
	struct pollfd pfd;
	int n, r;

	pfd.fd = s->fd;
	pfd.events = POLLIN;
	if (evbuffer_get_length(s->out) > 0)
		pfd.events |= POLLOUT;
	if ((n = libcc_poll(&pfd, deadline)) == -1)
		return libcc_session_seterr(s, CC_ESYS, "poll: %s",
		    strerror(errno));
	if (n == 0)
		return CC_ETIMEDOUT;
	/* Read first: a peer that answered and closed has left the answer
	 * in the socket, which a failed write would throw away. */
	if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
		if ((r = libcc_session_read(s)) != CC_OK)
			return r;
	if (s->fd != -1 && (pfd.revents & POLLOUT))
		(void)libcc_session_write(s);
	return CC_OK;
}

/*
 * Wait until the message s->want describes has arrived, or deadline. On
 * CC_OK the caller owns it in *out; a loss is reported only when that
 * message did not come before it.
 */
int
libcc_session_await(struct cc_session *s, int64_t deadline,
    struct cc_msg **out)
{
	int r = CC_OK;

	while (s->got == NULL) {
		if (s->fd == -1) {
			r = libcc_session_closed(s);
			break;
		}
		if ((r = libcc_session_wait(s, deadline)) != CC_OK)
			break;
	}
	*out = s->got;
	s->got = NULL;
	s->want = LIBCC_WANT_NONE;
	return *out != NULL ? CC_OK : r;
}
