/*
 * ccbus-bench: how fast ccbus moves messages, one figure per line.
 *
 *   rtt     client A calls client B through msgq (send with want_answer,
 *           wait for the reply), both libcc sessions in separate processes;
 *           calls/s and the p50/p99 round trip.
 *   floor   the same call/answer over a socketpair without msgq, with the
 *           same framing (cc_frame_build + cc_decoder): what msgq adds is
 *           rtt minus floor.
 *   fanout  one publisher, -c subscriber processes; each subscriber counts
 *           until it has every message and reports its finishing time
 *           through a pipe; deliveries/s from the first send to the last
 *           receipt.
 *
 *   restart, startup  the boss (bench_boss.c): a module's kill -9 to its
 *           being ready again; ccbus exec to 10 and 100 modules ready,
 *           with ccbus's and msgq's resident memory.
 *
 * It starts its own ccbus-msgq on a temporary socket (from --msgq PATH or
 * $CCBUS_BUILDDIR) unless -S names a running one; -B USEC starts it with
 * --busy-poll USEC. `all` runs rtt and fanout twice: with msgq's default
 * (no busy polling), then with --busy-poll 50, tagged "[busy-poll 50us]". Times come from
 * CLOCK_MONOTONIC, which all processes on the machine share.
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cc/cc.h>

#include "testlib.h"
#include "bench_boss.h"

#define CALL_TIMEOUT	10000	/* ms: a stall this long fails */

struct opts {
	long n;			/* messages or calls; 0: default */
	size_t size;		/* payload bytes of each body */
	int subs;		/* fanout subscribers */
	const char *sock;	/* -S: a running msgq */
	const char *msgq;	/* --msgq: the daemon to start */
	unsigned busy_poll;	/* -B: msgq's --busy-poll, microseconds */
	char tag[32];		/* after the mode's name, e.g. "[busy-poll 50us]" */
};

/* A subscriber's report to the publisher. */
struct report {
	long count;
	int64_t end_ns;
};

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fputs("ccbus-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A msgpack bin holding size bytes: the body every mode sends. */
static unsigned char *
make_body(size_t size, size_t *len)
{
	unsigned char *b = malloc(size + 5);

	if (b == NULL)
		die("out of memory");
	b[0] = 0xc6;
	b[1] = (unsigned char)(size >> 24);
	b[2] = (unsigned char)(size >> 16);
	b[3] = (unsigned char)(size >> 8);
	b[4] = (unsigned char)size;
	memset(b + 5, 'x', size);
	*len = size + 5;
	return b;
}

static struct cc_session *
connect_session(const char *sock)
{
	struct cc_session *s = cc_session_new();
	int r;

	if (s == NULL)
		die("out of memory");
	r = cc_session_connect(s, sock, CALL_TIMEOUT);
	if (r != CC_OK)
		die("connect %s: %s", sock, cc_session_error(s));
	return s;
}

/* Subscribe and wait until the subscription is active. */
static void
subscribe_sync(struct cc_session *s, const char *group)
{
	if (cc_subscribe(s, group, NULL) != CC_OK ||
	    cc_ping(s, NULL, 0, CALL_TIMEOUT, NULL, NULL) != CC_OK)
		die("subscribe %s: %s", group, cc_session_error(s));
}

static pid_t
fork_child(void)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == -1)
		die("fork: %m");
	if (pid == 0)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	return pid;
}

static void
read_exact(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t r;

	while (len > 0) {
		r = read(fd, p, len);
		if (r <= 0)
			die("a child process failed");
		p += r;
		len -= (size_t)r;
	}
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* "NAME: X calls/s p50 Y us p99 Z us" from n round trips in lat[]. */
static void
print_calls(const char *name, const char *tag, int64_t *lat, long n,
    int64_t total_ns)
{
	qsort(lat, (size_t)n, sizeof(*lat), cmp_i64);
	printf("%s%s: %.0f calls/s p50 %.1f us p99 %.1f us\n", name, tag,
	    (double)n * 1e9 / (double)total_ns, (double)lat[n / 2] / 1e3,
	    (double)lat[(n * 99) / 100] / 1e3);
	fflush(stdout);
}

/* rtt's B: answer every call until the connection ends. */
static void __attribute__((noreturn))
rtt_answerer(const char *sock, int ready)
{
	struct cc_session *s = connect_session(sock);
	json_t *ans = cc_answer_new(0, NULL);
	struct cc_msg *m;

	subscribe_sync(s, "BenchRtt");
	if (write(ready, "R", 1) != 1)
		_exit(1);
	close(ready);
	while (cc_recv(s, CC_FOREVER, &m) == CC_OK) {
		if (cc_reply(s, m, ans) != CC_OK)
			_exit(1);
		cc_msg_unref(m);
	}
	_exit(0);
}

/* One call through msgq: send the raw body, wait for its answer. */
static void
rtt_call(struct cc_session *s, const void *body, size_t len)
{
	struct cc_msg *m;
	int64_t seq;

	if (cc_send_raw(s, "BenchRtt", NULL, NULL, body, len, CC_WANT_ANSWER,
	    &seq) != CC_OK ||
	    cc_recv_answer(s, seq, CALL_TIMEOUT, &m) != CC_OK)
		die("rtt call: %s", cc_session_error(s));
	cc_msg_unref(m);
}

static void
bench_rtt(const char *sock, const struct opts *o)
{
	long n = o->n > 0 ? o->n : 20000;
	int64_t *lat = calloc((size_t)n, sizeof(*lat)), t0, start;
	struct cc_session *s;
	unsigned char *body;
	size_t len;
	int p[2];
	char c;
	pid_t pid;

	if (lat == NULL || pipe(p) == -1)
		die("out of memory or pipes");
	if ((pid = fork_child()) == 0)
		rtt_answerer(sock, p[1]);
	close(p[1]);
	read_exact(p[0], &c, 1);
	close(p[0]);
	s = connect_session(sock);
	body = make_body(o->size, &len);
	for (long i = 0; i < n / 10 + 100; i++)	/* warm up */
		rtt_call(s, body, len);
	start = now_ns();
	for (long i = 0; i < n; i++) {
		t0 = now_ns();
		rtt_call(s, body, len);
		lat[i] = now_ns() - t0;
	}
	print_calls("rtt", o->tag, lat, n, now_ns() - start);
	cc_session_free(s);
	/* B serves until told otherwise: its session outlives A's. */
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	free(body);
	free(lat);
}

/* floor: one frame from fd into *f with dec; exits on EOF. */
static bool
floor_read(int fd, struct cc_decoder *dec, struct cc_frame **f)
{
	static char buf[1 << 16];
	ssize_t r;
	int got;

	while ((got = cc_decoder_next(dec, f)) == 0) {
		r = read(fd, buf, sizeof(buf));
		if (r <= 0)
			return false;
		if (cc_decoder_feed(dec, buf, (size_t)r) != CC_OK)
			die("out of memory");
	}
	if (got < 0)
		die("framing error: %s", cc_decoder_error(dec));
	return true;
}

static void
floor_write(int fd, const struct cc_frame *f)
{
	const unsigned char *p = cc_frame_bytes(f);
	size_t len = cc_frame_size(f);
	ssize_t r;

	while (len > 0) {
		r = write(fd, p, len);
		if (r <= 0)
			die("write: %m");
		p += r;
		len -= (size_t)r;
	}
}

/* floor's B: parse each header, answer with reply = its seq. */
static void __attribute__((noreturn))
floor_answerer(int fd)
{
	static const unsigned char ans[] = { 0x81, 0xa6, 'r', 'e', 's', 'u',
	    'l', 't', 0x91, 0x00 };
	struct cc_decoder *dec = cc_decoder_new(0);
	struct cc_header h, out;
	struct cc_frame *f, *a;
	const unsigned char *hb;
	size_t hl;

	cc_header_init(&h);
	while (floor_read(fd, dec, &f)) {
		hb = cc_frame_header(f, &hl);
		if (cc_header_parse(&h, hb, hl) != CC_OK)
			_exit(1);
		memset(&out, 0, sizeof(out));
		out.type = cc_strref_of("send");
		out.from = h.to;
		out.to = h.from;
		out.group = h.group;
		out.instance = h.instance;
		out.reply = h.seq;
		out.flags = CC_HDR_REPLY;
		if (cc_frame_build(&out, ans, sizeof(ans), 0, &a) != CC_OK)
			_exit(1);
		floor_write(fd, a);
		cc_frame_unref(a);
		cc_frame_unref(f);
	}
	_exit(0);
}

/* One call over the socketpair, framed as libcc frames it. */
static void
floor_call(int fd, struct cc_decoder *dec, struct cc_header *h,
    struct cc_header *rh, const void *body, size_t len)
{
	struct cc_frame *f;
	const unsigned char *hb;
	size_t hl;

	if (cc_frame_build(h, body, len, 0, &f) != CC_OK)
		die("cc_frame_build failed");
	floor_write(fd, f);
	cc_frame_unref(f);
	if (!floor_read(fd, dec, &f))
		die("floor answerer went away");
	hb = cc_frame_header(f, &hl);
	if (cc_header_parse(rh, hb, hl) != CC_OK || rh->reply != h->seq)
		die("floor: wrong answer");
	cc_frame_unref(f);
	h->seq++;
}

/* The header rtt's calls carry, with a typical lname. */
static void
floor_header(struct cc_header *h)
{
	memset(h, 0, sizeof(*h));
	h->type = cc_strref_of("send");
	h->from = cc_strref_of("0123456789abcdef_1@benchhost");
	h->to = cc_strref_of("*");
	h->group = cc_strref_of("BenchRtt");
	h->instance = cc_strref_of("*");
	h->seq = 1;
	h->flags = CC_HDR_SEQ | CC_HDR_WANT_ANSWER;
}

static void
bench_floor(const struct opts *o)
{
	long n = o->n > 0 ? o->n : 20000;
	int64_t *lat = calloc((size_t)n, sizeof(*lat)), t0, start;
	struct cc_decoder *dec = cc_decoder_new(0);
	struct cc_header h, rh;
	unsigned char *body;
	size_t len;
	int sp[2];
	pid_t pid;

	if (lat == NULL || dec == NULL ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1)
		die("out of memory or sockets");
	if ((pid = fork_child()) == 0) {
		close(sp[0]);
		floor_answerer(sp[1]);
	}
	close(sp[1]);
	floor_header(&h);
	cc_header_init(&rh);
	body = make_body(o->size, &len);
	for (long i = 0; i < n / 10 + 100; i++)
		floor_call(sp[0], dec, &h, &rh, body, len);
	start = now_ns();
	for (long i = 0; i < n; i++) {
		t0 = now_ns();
		floor_call(sp[0], dec, &h, &rh, body, len);
		lat[i] = now_ns() - t0;
	}
	print_calls("floor", o->tag, lat, n, now_ns() - start);
	close(sp[0]);
	waitpid(pid, NULL, 0);
	cc_header_clear(&rh);
	cc_decoder_free(dec);
	free(body);
	free(lat);
}

/* fanout's subscriber: count n messages, report when the last came. */
static void __attribute__((noreturn))
fanout_subscriber(const char *sock, long n, int ready, int out)
{
	struct cc_session *s = connect_session(sock);
	struct report r = { 0, 0 };
	struct cc_msg *m;

	subscribe_sync(s, "BenchFan");
	if (write(ready, "R", 1) != 1)
		_exit(1);
	while (r.count < n && cc_recv(s, CALL_TIMEOUT, &m) == CC_OK) {
		r.count++;
		cc_msg_unref(m);
	}
	r.end_ns = now_ns();
	if (write(out, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(1);
	cc_session_free(s);
	_exit(0);
}

/* Every subscriber's report and exit: when the last one finished. */
static int64_t
fanout_collect(int fd, const pid_t *pids, int subs, long n)
{
	struct report r;
	int64_t end = 0;

	for (int i = 0; i < subs; i++) {
		read_exact(fd, &r, sizeof(r));
		if (r.count != n)
			die("a subscriber got %ld of %ld messages", r.count, n);
		end = r.end_ns > end ? r.end_ns : end;
	}
	/* Only the subscribers: msgq is a child too. */
	for (int i = 0; i < subs; i++)
		waitpid(pids[i], NULL, 0);
	return end;
}

static void
bench_fanout(const char *sock, const struct opts *o)
{
	long n = o->n > 0 ? o->n : 100000;
	int ready[2], out[2];
	struct cc_session *s;
	unsigned char *body;
	size_t len;
	int64_t start, end;
	double secs;
	pid_t *pids = calloc((size_t)o->subs, sizeof(*pids));
	char c;

	if (pids == NULL || pipe(ready) == -1 || pipe(out) == -1)
		die("pipe: %m");
	for (int i = 0; i < o->subs; i++)
		if ((pids[i] = fork_child()) == 0)
			fanout_subscriber(sock, n, ready[1], out[1]);
	close(ready[1]);
	close(out[1]);
	for (int i = 0; i < o->subs; i++)
		read_exact(ready[0], &c, 1);
	s = connect_session(sock);
	body = make_body(o->size, &len);
	start = now_ns();
	for (long i = 0; i < n; i++)
		if (cc_send_raw(s, "BenchFan", NULL, NULL, body, len, 0,
		    NULL) != CC_OK)
			die("publish: %s", cc_session_error(s));
	end = fanout_collect(out[0], pids, o->subs, n);
	free(pids);
	close(ready[0]);
	close(out[0]);
	secs = (double)(end - start) / 1e9;
	printf("fanout%s: %d subscribers %zu B: %.0f msgs/s %.1f MB/s\n",
	    o->tag, o->subs, o->size, (double)n * o->subs / secs,
	    (double)n * o->subs * (double)o->size / secs / 1e6);
	fflush(stdout);
	cc_session_free(s);
	free(body);
}

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: ccbus-bench [rtt|fanout|floor|restart|startup|all] [-n N] "
	    "[-s size] "
	    "[-c subscribers]\n"
	    "                   [-S socket | --msgq PATH [-B usec]]\n");
	exit(status);
}

static void
parse(int argc, char **argv, struct opts *o, const char **mode)
{
	static const struct option lo[] = {
		{ "msgq", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "n:s:c:S:B:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'n': o->n = atol(optarg); break;
		case 's': o->size = (size_t)atol(optarg); break;
		case 'c': o->subs = atoi(optarg); break;
		case 'S': o->sock = optarg; break;
		case 'm': o->msgq = optarg; break;
		case 'B': o->busy_poll = (unsigned)atoi(optarg); break;
		case 'h': usage(0);
		default: usage(64);
		}
	}
	*mode = optind < argc ? argv[optind] : "all";
	if (optind + 1 < argc || o->n < 0 || o->subs < 1 || o->subs > 256 ||
	    o->size > (8u << 20))
		usage(64);
}

/* A msgq of our own whose queues hold a whole fanout run. */
static struct tl_msgq *
start_msgq(const struct opts *o)
{
	struct tl_msgq *m = tl_msgq_new();
	long n = o->n > 0 ? o->n : 100000;
	size_t q = (size_t)n * (o->size + 128);
	char queue[32], frame[32], busy[32];

	if (o->msgq != NULL)
		tl_msgq_set_path(o->msgq);
	if (q < (64u << 20))
		q = 64u << 20;
	snprintf(queue, sizeof(queue), "%zu", q);
	snprintf(frame, sizeof(frame), "%u", CC_WIRE_MAX_FRAME);
	snprintf(busy, sizeof(busy), "%u", o->busy_poll);
	if (m == NULL || tl_msgq_start(m, "--max-queue", queue, "--max-frame",
	    frame, "--busy-poll", busy, NULL) != 0)
		die("cannot start %s (see %s)", tl_msgq_path(),
		    m != NULL ? m->log : "?");
	return m;
}

/* rtt and/or fanout through a msgq: -S's, or one of our own. */
static void
bench_through_msgq(struct opts *o, const char *mode, bool all)
{
	struct tl_msgq *m = NULL;
	const char *sock = o->sock;

	if (o->busy_poll > 0)
		snprintf(o->tag, sizeof(o->tag), "[busy-poll %uus]",
		    o->busy_poll);
	if (sock == NULL) {
		m = start_msgq(o);
		sock = m->sock;
	}
	if (all || strcmp(mode, "rtt") == 0)
		bench_rtt(sock, o);
	if (all || strcmp(mode, "fanout") == 0)
		bench_fanout(sock, o);
	tl_msgq_free(m);
}

static bool
boss_mode(const char *mode)
{
	return strcmp(mode, "restart") == 0 || strcmp(mode, "startup") == 0;
}

int
main(int argc, char **argv)
{
	struct opts o = { .n = 0, .size = 100, .subs = 4 };
	const char *mode;
	bool all;

	parse(argc, argv, &o, &mode);
	all = strcmp(mode, "all") == 0;
	if (!all && strcmp(mode, "rtt") != 0 && strcmp(mode, "fanout") != 0 &&
	    strcmp(mode, "floor") != 0 && !boss_mode(mode))
		usage(64);
	signal(SIGPIPE, SIG_IGN);
	if (all || strcmp(mode, "floor") == 0)
		bench_floor(&o);
	if (all || (strcmp(mode, "floor") != 0 && !boss_mode(mode)))
		bench_through_msgq(&o, mode, all);
	if (all && o.sock == NULL && o.busy_poll == 0) {
		o.busy_poll = 50;
		bench_through_msgq(&o, mode, all);
	}
	/* The boss's modes start their own suite; -n is the kills. */
	if (all || strcmp(mode, "restart") == 0)
		bench_boss_restart(all ? 0 : o.n);
	if (all || strcmp(mode, "startup") == 0) {
		bench_boss_startup(10);
		bench_boss_startup(100);
	}
	return 0;
}
