/*
 * One client connection: its socket, the read loop that turns bytes into
 * frames, its output queue with the max_queue cap, and its identity
 * (lname, and the peer's pid/uid from SO_PEERCRED).
 *
 * Reading is done in big chunks: up to MSGQ_READ_ROUNDS reads of
 * MSGQ_READ_BUFSIZE per callback, every complete frame handled at once.
 * Writing is deferred: frames queued for a client put it on m->flushq and
 * the flush event writes them all after the current batch of callbacks,
 * so that a burst of frames costs one writev, not one per frame. EV_WRITE
 * is registered only while output is pending after such a write.
 *
 * msgq_client_close() only marks a connection dead (and logs why); the
 * reap event of msgq.c frees it after the callback that closed it.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msgq.h"
#include "xmalloc.h"

static void	msgq_client_readcb(int fd, short events, void *arg);
static void	msgq_client_writecb(int fd, short events, void *arg);

static void
msgq_client_peercred(struct msgq_client *c)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1) {
		log_warn("client %s: getsockopt SO_PEERCRED", c->lname);
		c->pid = -1;
		c->uid = (uid_t)-1;
		c->gid = (gid_t)-1;
		return;
	}
	c->pid = uc.pid;
	c->uid = uc.uid;
	c->gid = uc.gid;
}

/*
 * A new connection on fd (non-blocking already): give it its lname and
 * start reading. The lname is "<hex start time in us>_<hex counter>@<host>",
 * never reused while this msgq runs nor by a msgq restarted after it.
 */
struct msgq_client *
msgq_client_new(struct msgq *m, int fd)
{
	struct msgq_client *c;

	c = xcalloc(1, sizeof(*c));
	c->m = m;
	c->fd = fd;
	c->lname = xasprintf("%llx_%llx@%s", (unsigned long long)m->lname_epoch,
	    (unsigned long long)++m->lname_counter, m->hostname);
	c->lname_len = strlen(c->lname);
	msgq_client_peercred(c);
	if ((c->dec = cc_decoder_new(m->cfg.max_frame)) == NULL)
		fatalx("%s: out of memory", __func__);
	msgq_outq_init(&c->outq);
	msgq_subscriber_init(&c->sub, c);
	c->ev_read = event_new(m->base, fd, EV_READ | EV_PERSIST,
	    msgq_client_readcb, c);
	c->ev_write = event_new(m->base, fd, EV_WRITE | EV_PERSIST,
	    msgq_client_writecb, c);
	if (c->ev_read == NULL || c->ev_write == NULL ||
	    event_add(c->ev_read, NULL) == -1)
		fatalx("%s: cannot set up events", __func__);
	TAILQ_INSERT_TAIL(&m->clients, c, entry);
	m->nclients++;
	msgq_hash_put(m->lnames, c->lname, c->lname_len, c);
	return c;
}

/*
 * Free a connection. Only the reap (or msgq_free) calls this, never a
 * callback of the connection itself. Its subscriptions must be gone.
 */
void
msgq_client_free(struct msgq_client *c)
{
	struct msgq *m = c->m;

	if (c->sub.ngroups != 0)
		fatalx("%s: %s still has subscriptions", __func__, c->lname);
	if (c->flags & MSGQ_CLIENT_DEAD)
		TAILQ_REMOVE(&m->deadq, c, dead_entry);
	else
		m->nclients--;
	if (c->flags & MSGQ_CLIENT_FLUSHQ)
		TAILQ_REMOVE(&m->flushq, c, flush_entry);
	TAILQ_REMOVE(&m->clients, c, entry);
	msgq_hash_del(m->lnames, c->lname, c->lname_len);
	event_free(c->ev_read);
	event_free(c->ev_write);
	cc_decoder_free(c->dec);
	msgq_outq_clear(&c->outq);
	close(c->fd);
	free(c->lname);
	free(c);
}

/*
 * End a connection: stop its events, count and log why, and leave it to
 * the reap. A peer that simply hung up is logged at info level; anything
 * else, or output left unwritten, is a warning.
 */
void
msgq_client_close(struct msgq_client *c, enum msgq_disc why,
    const char *fmt, ...)
{
	struct msgq *m = c->m;
	size_t frames = msgq_outq_frames(&c->outq);
	size_t bytes = msgq_outq_bytes(&c->outq);
	char reason[256];
	va_list ap;

	if (c->flags & MSGQ_CLIENT_DEAD)
		return;
	c->flags |= MSGQ_CLIENT_DEAD;
	event_del(c->ev_read);
	event_del(c->ev_write);
	m->nclients--;
	m->stats.disconnects[why]++;
	m->stats.undelivered += frames;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (why == MSGQ_DISC_CLOSED && frames == 0)
		log_info("client " CLIENT_FMT ": %s", CLIENT_ARGS(c), reason);
	else if (frames == 0)
		log_warnx("client " CLIENT_FMT ": %s; closing", CLIENT_ARGS(c),
		    reason);
	else
		log_warnx("client " CLIENT_FMT ": %s; closing with %zu frames "
		    "(%zu bytes) undelivered", CLIENT_ARGS(c), reason, frames,
		    bytes);
	msgq_schedule_reap(m, c);
}

/*
 * Queue f for c (by reference). Returns 1 if queued, 0 if c is dead or
 * the frame would take its queue past max_queue, in which case c is
 * disconnected (PROTOCOL.md section 6) and the frame counts undelivered.
 */
int
msgq_client_enqueue(struct msgq_client *c, struct cc_frame *f)
{
	struct msgq *m = c->m;
	size_t queued, size;

	if (c->flags & MSGQ_CLIENT_DEAD)
		return 0;
	queued = msgq_outq_bytes(&c->outq);
	size = cc_frame_size(f);
	if (queued + size > m->cfg.max_queue) {
		msgq_client_close(c, MSGQ_DISC_QUEUE_FULL, "output queue full: "
		    "%zu bytes queued, a frame of %zu bytes would pass "
		    "max_queue %zu", queued, size, m->cfg.max_queue);
		m->stats.undelivered++;
		return 0;
	}
	msgq_outq_push(&c->outq, f);
	msgq_schedule_flush(m, c);
	return 1;
}

/*
 * Write what the socket takes now; keep EV_WRITE registered exactly while
 * output is left. A write error closes the connection.
 */
void
msgq_client_flush(struct msgq_client *c)
{
	size_t done = 0;
	int rc;

	if (c->flags & MSGQ_CLIENT_DEAD)
		return;
	rc = msgq_outq_write(&c->outq, c->fd, &done);
	c->sent += done;
	if (rc == -1) {
		msgq_client_close(c, MSGQ_DISC_WRITE_ERROR, "write: %s",
		    strerror(errno));
		return;
	}
	if (msgq_outq_bytes(&c->outq) > 0) {
		if (!(c->flags & MSGQ_CLIENT_WRITING)) {
			if (event_add(c->ev_write, NULL) == -1)
				fatalx("%s: event_add failed", __func__);
			c->flags |= MSGQ_CLIENT_WRITING;
		}
	} else if (c->flags & MSGQ_CLIENT_WRITING) {
		event_del(c->ev_write);
		c->flags &= ~MSGQ_CLIENT_WRITING;
	}
}

void
msgq_client_stop_reading(struct msgq_client *c)
{
	event_del(c->ev_read);
}

/* May this peer stop msgq (stop, shutdown)? Its uid is ours or root's. */
int
msgq_client_may_stop(const struct msgq_client *c)
{
	return c->uid == 0 || c->uid == c->m->euid;
}

/*
 * Feed len bytes of m->rbuf to c's decoder and handle every complete
 * frame. The dispatcher owns each frame: msgq_route_frame() borrows it
 * and we drop our reference after. Returns -1 once c is closed.
 */
static int
msgq_client_input(struct msgq_client *c, size_t len)
{
	struct msgq *m = c->m;
	struct cc_frame *f;
	int rc;

	if (cc_decoder_feed(c->dec, m->rbuf, len) != CC_OK)
		fatalx("%s: out of memory", __func__);
	while ((rc = cc_decoder_next(c->dec, &f)) == 1) {
		c->received++;
		m->stats.frames_in++;
		msgq_route_frame(m, c, f);
		cc_frame_unref(f);
		if ((c->flags & MSGQ_CLIENT_DEAD) || m->stopping)
			return -1;
	}
	if (rc == -1) {
		msgq_client_close(c, MSGQ_DISC_FRAMING, "framing error: %s",
		    cc_decoder_error(c->dec));
		return -1;
	}
	return 0;
}

static void
msgq_client_eof(struct msgq_client *c)
{
	size_t partial = cc_decoder_pending(c->dec);

	if (partial == 0)
		msgq_client_close(c, MSGQ_DISC_CLOSED, "disconnected");
	else
		msgq_client_close(c, MSGQ_DISC_CLOSED, "disconnected in the "
		    "middle of a frame (%zu bytes lost)", partial);
}

static void
msgq_client_readcb(int fd, short events, void *arg)
{
	struct msgq_client *c = arg;
	ssize_t n;
	int i;

	for (i = 0; i < MSGQ_READ_ROUNDS; i++) {
		n = read(fd, c->m->rbuf, MSGQ_READ_BUFSIZE);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			/* A client that closes with messages to it still
			 * unread resets the connection: it left, as at EOF. */
			if (errno == ECONNRESET)
				msgq_client_eof(c);
			else if (errno != EAGAIN && errno != EWOULDBLOCK)
				msgq_client_close(c, MSGQ_DISC_READ_ERROR,
				    "read: %s", strerror(errno));
			return;
		}
		if (n == 0) {
			msgq_client_eof(c);
			return;
		}
		c->m->stats.bytes_in += (size_t)n;
		if (msgq_client_input(c, (size_t)n) == -1 ||
		    (size_t)n < MSGQ_READ_BUFSIZE)
			return;
	}
}

static void
msgq_client_writecb(int fd, short events, void *arg)
{
	struct msgq_client *c = arg;

	msgq_client_flush(c);
	if (c->m->stopping)
		msgq_check_drained(c->m);
}
