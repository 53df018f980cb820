/*
 * ccbus-bench's boss modes.
 *
 *   restart  a fake component with a tiny stable_time (so that every
 *            kill finds it past its stable time and it is restarted at
 *            once) is SIGKILLed n times; each time, from the kill to the
 *            `subscribed` event of its new instance on
 *            notifications/cc_members, which is what makes the boss see
 *            it ready. p50 and p99.
 *   startup  N fake components with distinct addresses, one priority:
 *            from fork+exec of ccbus to its "ccbus started" line (all N
 *            ready), read from its log every millisecond; then VmRSS of
 *            ccbus and msgq from /proc, and the time SIGTERM takes to
 *            stop everything.
 *
 * Every program runs from .libs/ (see bb_env()), as it would installed.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cc/cc.h>

#include "bench_boss.h"
#include "testlib.h"

#define BB_TIMEOUT	10000	/* ms: a stall this long fails */

static void __attribute__((noreturn))
bb_die(const char *what, const struct tl_msgq *d)
{
	fprintf(stderr, "ccbus-bench: %s (see %s)\n", what,
	    d != NULL ? d->log : "?");
	exit(1);
}

/*
 * The daemons and specs of the build and source trees. The programs run
 * from .libs/, not through libtool's wrapper scripts (a shell that costs
 * more than the start it wraps): as installed, with libcc found through
 * LD_LIBRARY_PATH, which every child inherits.
 */
static void
bb_env(void)
{
	const char *b = getenv("CCBUS_BUILDDIR"), *src = getenv("CCBUS_SRCDIR");
	char buf[1024];

	b = b != NULL ? b : ".";
	snprintf(buf, sizeof(buf), "%s/msgq/.libs:%s/cfgmgr/.libs:"
	    "%s/tests/integration/.libs", b, b, b);
	setenv("CCBUS_DAEMON_PATH", buf, 1);
	snprintf(buf, sizeof(buf), "%s/libcc/.libs", b);
	setenv("LD_LIBRARY_PATH", buf, 1);
	if (getenv("CCBUS_SPECDIR") == NULL && src != NULL) {
		snprintf(buf, sizeof(buf), "%s/specs", src);
		setenv("CCBUS_SPECDIR", buf, 1);
	}
}

/* A ccbus with boss (stolen) stored as its configuration, not started. */
static struct tl_msgq *
bb_boss(json_t *boss, char *data, size_t len)
{
	struct tl_msgq *d = tl_daemon_new("boss/.libs/ccbus");
	char path[TL_PATH_MAX + 32];
	json_t *file = json_pack("{s:i, s:o}", "version", 1, "Boss", boss);

	if (d == NULL)
		bb_die("no temporary directory", NULL);
	snprintf(data, len, "%s/data", d->dir);
	snprintf(path, sizeof(path), "%s/ccbus-config.db", data);
	if (mkdir(data, 0700) == -1 || json_dump_file(file, path, 0) == -1)
		bb_die("cannot write the configuration", d);
	json_decref(file);
	return d;
}

static void
bb_spawn(struct tl_msgq *d, const char *data)
{
	const char *args[] = { "-s", d->sock, "-p", data, NULL };

	bb_env();
	if (tl_msgq_spawn(d, args) == -1)
		bb_die("cannot start ccbus", d);
}

/* Wait for "ccbus started", checking the log every millisecond. */
static void
bb_wait_started(struct tl_msgq *d)
{
	int64_t deadline = tl_now_ms() + BB_TIMEOUT;

	while (!tl_file_contains(d->log, "ccbus started")) {
		if (tl_now_ms() > deadline)
			bb_die("ccbus did not start", d);
		poll(NULL, 0, 1);
	}
}

static json_t *
bb_fake(const char *group)
{
	return json_pack("{s:s, s:s, s:[s, s]}", "process", "fake_component",
	    "address", group, "args", "-a", group);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The pid the fake component on group answers with. */
static pid_t
fake_pid(struct cc_session *s, const char *group, const struct tl_msgq *d)
{
	json_t *v = NULL;
	pid_t pid;

	if (cc_command(s, group, "getpid", NULL, BB_TIMEOUT, &v) != CC_OK)
		bb_die("getpid", d);
	pid = (pid_t)json_integer_value(v);
	json_decref(v);
	return pid;
}

/* Skip messages until `subscribed` to group; its arrival time. */
static int64_t
wait_subscribed(struct cc_session *s, const char *group,
    const struct tl_msgq *d)
{
	struct cc_msg *msg;
	const char *ev;
	json_t *body, *params;
	bool hit;

	for (;;) {
		if (cc_recv(s, BB_TIMEOUT, &msg) != CC_OK)
			bb_die("no subscribed event", d);
		hit = cc_msg_body(msg, &body, NULL, 0) == CC_OK &&
		    cc_notification_parse(body, &ev, &params) == CC_OK &&
		    strcmp(ev, "subscribed") == 0 && strcmp(json_string_value(
		    json_object_get(params, "group")) ?: "", group) == 0;
		cc_msg_unref(msg);
		if (hit)
			return tl_now_ms();
	}
}

void
bench_boss_restart(long n)
{
	char data[TL_PATH_MAX];
	struct tl_msgq *d;
	struct cc_session *s;
	int64_t *lat, ns0;
	struct timespec ts;

	n = n > 0 ? n : 100;
	d = bb_boss(json_pack("{s:{s:o}, s:f}", "components", "r",
	    bb_fake("R"), "stable_time", 0.001), data, sizeof(data));
	bb_spawn(d, data);
	bb_wait_started(d);
	if ((s = cc_session_new()) == NULL || (lat = calloc((size_t)n,
	    sizeof(*lat))) == NULL ||
	    cc_session_connect(s, d->sock, BB_TIMEOUT) != CC_OK ||
	    cc_subscribe(s, "notifications/cc_members", NULL) != CC_OK ||
	    cc_ping(s, NULL, 0, BB_TIMEOUT, NULL, NULL) != CC_OK)
		bb_die("cannot connect", d);
	for (long i = 0; i < n; i++) {
		pid_t pid = fake_pid(s, "R", d);

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ns0 = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		kill(pid, SIGKILL);
		wait_subscribed(s, "R", d);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		lat[i] = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - ns0;
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp_i64);
	printf("restart: kill -9 to ready again, %ld kills: p50 %.2f ms "
	    "p99 %.2f ms (target p50 < 20 ms)\n", n, (double)lat[n / 2] / 1e6,
	    (double)lat[(n * 99) / 100] / 1e6);
	fflush(stdout);
	free(lat);
	cc_session_free(s);
	tl_msgq_free(d);
}

/* VmRSS of pid in kB, -1 if unknown. */
static long
rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(fp);
	return kb;
}

/* msgq's pid, from the boss's status command. */
static pid_t
msgq_pid(const struct tl_msgq *d)
{
	struct cc_session *s = cc_session_new();
	json_t *args = json_pack("{s:s}", "name", "msgq"), *v = NULL;
	pid_t pid = 0;

	if (s != NULL && cc_session_connect(s, d->sock, BB_TIMEOUT) == CC_OK &&
	    cc_command(s, "Boss", "status", args, BB_TIMEOUT, &v) == CC_OK)
		pid = (pid_t)json_integer_value(json_object_get(
		    json_array_get(v, 0), "pid"));
	json_decref(v);
	json_decref(args);
	cc_session_free(s);
	return pid;
}

void
bench_boss_startup(int n)
{
	json_t *comps = json_object();
	char data[TL_PATH_MAX], name[32];
	struct tl_msgq *d;
	int64_t t0, t1, t2;
	int status;

	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "F%d", i);
		json_object_set_new(comps, name, bb_fake(name));
	}
	d = bb_boss(json_pack("{s:o}", "components", comps), data,
	    sizeof(data));
	t0 = tl_now_ms();
	bb_spawn(d, data);
	bb_wait_started(d);
	t1 = tl_now_ms();
	printf("startup: ccbus exec to %d modules ready: %lld ms%s\n", n,
	    (long long)(t1 - t0), n == 10 ? " (target < 300 ms)" : "");
	printf("memory (%d modules): ccbus VmRSS %ld kB, msgq VmRSS %ld kB\n",
	    n, rss_kb(d->pid), rss_kb(msgq_pid(d)));
	t2 = tl_now_ms();
	status = tl_msgq_stop(d);
	printf("stop (%d modules): SIGTERM to every process gone: %lld ms "
	    "(exit status %d)\n", n, (long long)(tl_now_ms() - t2), status);
	fflush(stdout);
	tl_msgq_free(d);
}
