/*
 * The broker context: struct msgq's life cycle, the two deferred events
 * that keep work out of the connections' own callbacks (flush: write the
 * output queued during this loop iteration; reap: free the connections
 * closed during it, sending their cc_members events), and the orderly
 * exit (stop reading, drop the socket file, flush for at most
 * MSGQ_DRAIN_TIMEOUT seconds, leave the loop).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cc/spec.h>

#include "log.h"
#include "msgq.h"
#include "xmalloc.h"

static void	msgq_flushcb(int fd, short events, void *arg);
static void	msgq_reapcb(int fd, short events, void *arg);
static void	msgq_draincb(int fd, short events, void *arg);

static uint64_t
msgq_seed(void)
{
	uint64_t seed;

	if (getentropy(&seed, sizeof(seed)) == -1)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	return seed;
}

/*
 * The start time in microseconds prefixes every lname: a msgq restarted
 * within the same second (the boss restarts it at once) must not give
 * out the lnames of its predecessor, which reconnecting clients or late
 * answers may still carry.
 */
static uint64_t
msgq_lname_epoch(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		fatal("clock_gettime");
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

struct msgq *
msgq_new(struct event_base *base, const struct msgq_config *cfg)
{
	struct msgq *m;

	m = xcalloc(1, sizeof(*m));
	m->base = base;
	m->cfg = *cfg;
	m->cfg.sockpath = cfg->sockpath != NULL ? xstrdup(cfg->sockpath) : NULL;
	m->mod.base = m->cfg;
	m->euid = geteuid();
	m->started = m->stats.started = time(NULL);
	m->lname_epoch = msgq_lname_epoch();
	if (gethostname(m->hostname, sizeof(m->hostname) - 1) == -1 ||
	    m->hostname[0] == '\0')
		strcpy(m->hostname, "localhost");
	m->hash_seed = msgq_seed();
	m->listen_fd = -1;
	TAILQ_INIT(&m->clients);
	TAILQ_INIT(&m->flushq);
	TAILQ_INIT(&m->deadq);
	m->lnames = msgq_hash_new(m->hash_seed);
	m->subs = msgq_subs_new(m->hash_seed);
	m->ev_flush = event_new(base, -1, 0, msgq_flushcb, m);
	m->ev_reap = event_new(base, -1, 0, msgq_reapcb, m);
	m->ev_drain = evtimer_new(base, msgq_draincb, m);
	if (m->ev_flush == NULL || m->ev_reap == NULL || m->ev_drain == NULL)
		fatalx("%s: cannot create events", __func__);
	m->rbuf = xmalloc(MSGQ_READ_BUFSIZE);
	cc_header_init(&m->hdr);
	msgpack_sbuffer_init(&m->sbuf);
	return m;
}

/* Free everything, connections included, without sending anything. */
void
msgq_free(struct msgq *m)
{
	struct msgq_client *c;

	if (m == NULL)
		return;
	msgq_server_close(m);
	while ((c = TAILQ_FIRST(&m->clients)) != NULL) {
		msgq_subs_remove_all(m->subs, &c->sub, NULL, NULL);
		msgq_client_free(c);
	}
	event_free(m->ev_flush);
	event_free(m->ev_reap);
	event_free(m->ev_drain);
	msgq_subs_free(m->subs);
	msgq_hash_free(m->lnames);
	cc_header_clear(&m->hdr);
	msgpack_sbuffer_destroy(&m->sbuf);
	msgq_cfg_clear(m);
	free(m->rbuf);
	free((char *)m->cfg.sockpath);
	free(m);
}

/*
 * Open the socket (fatal if PROTOCOL.md section 1 forbids it), then load
 * msgq's own module spec (a missing one only costs the configuration).
 */
int
msgq_start(struct msgq *m)
{
	if (m->cfg.sockpath == NULL)
		fatalx("%s: no socket path", __func__);
	if (msgq_server_open(m) == -1)
		return -1;
	msgq_cfg_load(m, cc_spec_dir());
	return 0;
}

static int64_t
msgq_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * One turn of the loop: 1 if it is over (told to exit, or, as for
 * event_base_dispatch(), no event left to wait for), -1 on error, else 0.
 */
static int
msgq_turn(struct msgq *m, int flags)
{
	int r;

	if ((r = event_base_loop(m->base, flags)) == -1)
		return -1;
	return r == 1 || event_base_got_exit(m->base);
}

/*
 * Poll without sleeping until busy_poll_us pass with no frame read.
 * Returns as msgq_turn(), 0 meaning idle.
 */
static int
msgq_spin(struct msgq *m)
{
	uint64_t seen = m->stats.frames_in;
	int64_t idle_since = msgq_now_us();
	int r;

	for (;;) {
		if ((r = msgq_turn(m, EVLOOP_NONBLOCK)) != 0)
			return r;
		if (m->stats.frames_in != seen) {
			seen = m->stats.frames_in;
			idle_since = msgq_now_us();
		} else if (msgq_now_us() - idle_since >= m->cfg.busy_poll_us)
			return 0;
	}
}

/*
 * Run until msgq_stop() has finished. With busy_poll_us set, msgq keeps
 * polling its sockets for that long after the last frame before it
 * sleeps in epoll_wait: a request and its answer then find msgq awake,
 * which saves the two wake-ups a call through msgq costs over a direct
 * call (ccbus-bench rtt: about +40% calls/s on two cores). The price is
 * a busy CPU while traffic flows, so it is off unless asked for.
 *
 * busy_poll_us may change while this runs (a configuration): turning it
 * on breaks event_base_dispatch() (msgq_set_limits), turning it off
 * takes effect when the current spin goes idle.
 */
int
msgq_run(struct msgq *m)
{
	int r;

	for (;;) {
		if (m->cfg.busy_poll_us == 0) {
			if (event_base_dispatch(m->base) == -1)
				return -1;
			if (!event_base_got_break(m->base))
				return 0;
			continue;
		}
		if ((r = msgq_spin(m)) == 0)
			r = msgq_turn(m, EVLOOP_ONCE);
		if (r != 0)
			return r == 1 ? 0 : -1;
	}
}

/*
 * Begin the orderly exit: no new connections, no more input, the socket
 * file removed at once (a new msgq may start), the output already queued
 * (say the answer to `shutdown`) flushed while the loop still runs.
 */
void
msgq_stop(struct msgq *m, const char *why)
{
	struct msgq_client *c;
	struct timeval tv = { MSGQ_DRAIN_TIMEOUT, 0 };

	if (m->stopping)
		return;
	m->stopping = 1;
	log_info("stopping: %s", why);
	msgq_cfg_stopping(m);
	msgq_server_close(m);
	TAILQ_FOREACH(c, &m->clients, entry)
		msgq_client_stop_reading(c);
	evtimer_add(m->ev_drain, &tv);
	msgq_check_drained(m);
}

/* When stopping: leave the loop once no live client has output left. */
void
msgq_check_drained(struct msgq *m)
{
	struct msgq_client *c;

	if (!m->stopping || !TAILQ_EMPTY(&m->flushq))
		return;
	TAILQ_FOREACH(c, &m->clients, entry)
		if (!(c->flags & MSGQ_CLIENT_DEAD) &&
		    msgq_outq_bytes(&c->outq) > 0)
			return;
	event_base_loopexit(m->base, NULL);
}

static void
msgq_draincb(int fd, short events, void *arg)
{
	struct msgq *m = arg;
	struct msgq_client *c;

	TAILQ_FOREACH(c, &m->clients, entry)
		if (!(c->flags & MSGQ_CLIENT_DEAD) &&
		    msgq_outq_bytes(&c->outq) > 0)
			log_warnx("client " CLIENT_FMT ": exiting with %zu "
			    "frames (%zu bytes) unwritten", CLIENT_ARGS(c),
			    msgq_outq_frames(&c->outq),
			    msgq_outq_bytes(&c->outq));
	event_base_loopexit(m->base, NULL);
}

/*
 * c has new output: write it after the current batch of callbacks. A
 * client waiting for EV_WRITE is flushed by its write callback instead.
 */
void
msgq_schedule_flush(struct msgq *m, struct msgq_client *c)
{
	if (c->flags & (MSGQ_CLIENT_FLUSHQ | MSGQ_CLIENT_WRITING |
	    MSGQ_CLIENT_DEAD))
		return;
	if (TAILQ_EMPTY(&m->flushq))
		event_active(m->ev_flush, EV_TIMEOUT, 0);
	TAILQ_INSERT_TAIL(&m->flushq, c, flush_entry);
	c->flags |= MSGQ_CLIENT_FLUSHQ;
}

static void
msgq_flushcb(int fd, short events, void *arg)
{
	struct msgq *m = arg;
	struct msgq_client *c;

	while ((c = TAILQ_FIRST(&m->flushq)) != NULL) {
		TAILQ_REMOVE(&m->flushq, c, flush_entry);
		c->flags &= ~MSGQ_CLIENT_FLUSHQ;
		msgq_client_flush(c);
	}
	msgq_check_drained(m);
}

/* c was closed: free it once the current callback has returned. */
void
msgq_schedule_reap(struct msgq *m, struct msgq_client *c)
{
	if (TAILQ_EMPTY(&m->deadq))
		event_active(m->ev_reap, EV_TIMEOUT, 0);
	TAILQ_INSERT_TAIL(&m->deadq, c, dead_entry);
}

static void
msgq_reap_left(const char *group, size_t len, void *arg)
{
	struct msgq_client *c = arg;
	struct cc_strref g = { group, len };

	msgq_notify_members(c->m, "unsubscribed", c, g);
}

/* PROTOCOL.md section 8: one `unsubscribed` per group, then the rest. */
static void
msgq_reapcb(int fd, short events, void *arg)
{
	struct msgq *m = arg;
	struct msgq_client *c;
	struct cc_strref none = { NULL, 0 };

	while ((c = TAILQ_FIRST(&m->deadq)) != NULL) {
		msgq_subs_remove_all(m->subs, &c->sub, msgq_reap_left, c);
		msgq_notify_members(m, "disconnected", c, none);
		msgq_client_free(c);
	}
	msgq_check_drained(m);
}

/*
 * New settings (already checked with msgq_config_check), applied live:
 * the limits and busy_poll_us of cfg; its sockpath is not used.
 */
void
msgq_set_limits(struct msgq *m, const struct msgq_config *cfg)
{
	struct msgq_client *c;

	if (cfg->max_frame != m->cfg.max_frame) {
		TAILQ_FOREACH(c, &m->clients, entry)
			cc_decoder_set_max_frame(c->dec, cfg->max_frame);
	}
	/* event_base_dispatch() never looks at busy_poll_us: leave it. */
	if (m->cfg.busy_poll_us == 0 && cfg->busy_poll_us != 0)
		event_base_loopbreak(m->base);
	m->cfg.max_frame = cfg->max_frame;
	m->cfg.max_queue = cfg->max_queue;
	m->cfg.max_clients = cfg->max_clients;
	m->cfg.busy_poll_us = cfg->busy_poll_us;
}

/* The live connection named lname, or NULL. */
struct msgq_client *
msgq_lookup(struct msgq *m, struct cc_strref lname)
{
	struct msgq_client *c;

	if (lname.ptr == NULL)
		return NULL;
	c = msgq_hash_get(m->lnames, lname.ptr, lname.len);
	if (c == NULL || (c->flags & MSGQ_CLIENT_DEAD))
		return NULL;
	return c;
}
