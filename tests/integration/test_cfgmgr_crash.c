/*
 * Crash safety of ccbus-cfgmgr's file (CONFIG.md section 2: "a crash at
 * any moment leaves either the old or the new configuration, never a torn
 * file"). Each round starts cfgmgr on the same data directory, checks that
 * it reports what the file held, streams set_config calls (Hello, not
 * running, so each is stored and answered at once) with increasing N,
 * SIGKILLs cfgmgr 0 to 30 ms into the stream (five times that under
 * valgrind), and checks the file: absent only if nothing was ever
 * acknowledged, else valid JSON, version 1, and greeting v<K> with K the
 * last acknowledged N or the one in flight.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"

#define ROUNDS		30
#define ROUNDS_WRAPPED	8	/* under valgrind a start takes a second */
#define MAX_DELAY_MS	30

static struct tl_msgq *mq, *cf;
static struct tl_client *c;	/* boss, operator and member watcher */
static char datadir[TL_DIR_MAX + 16], dbpath[TL_DIR_MAX + 48];

/* c receives {"running": "ConfigManager"} once cfgmgr is ready. */
static void
wait_running(void)
{
	ck_assert_msg(tl_client_wait_running(c, "ConfigManager",
	    tl_ms(10000)), "cfgmgr not ready");
}

/* The answer to seq within timeout_ms: 1 with its rcode, 0 if none. */
static int
answer(int64_t seq, int timeout_ms, int *rcode)
{
	int64_t deadline = tl_now_ms() + timeout_ms, reply;
	struct tl_frame f;
	int left;

	while ((left = (int)(deadline - tl_now_ms())) > 0) {
		if (tl_client_read(c, left, &f) != 1)
			return 0;
		if (tl_frame_int(&f, "reply", &reply) && reply == seq) {
			*rcode = (int)json_integer_value(json_array_get(
			    json_object_get(f.body, "result"), 0));
			tl_frame_clear(&f);
			return 1;
		}
		tl_frame_clear(&f);
	}
	return 0;
}

static int64_t
send_cmd(json_t *body)
{
	int64_t seq;

	ck_assert_int_eq(tl_client_send_to(c, "ConfigManager", NULL, body,
	    true, &seq), 0);
	return seq;
}

/* The number in greeting "v<N>" of Hello's values, -1 if none. */
static long
greeting_of(const json_t *values)
{
	const char *g = json_string_value(json_object_get(values,
	    "greeting"));

	ck_assert_msg(values == NULL || g != NULL || json_object_size(values)
	    == 0, "Hello's values without a greeting");
	if (g == NULL)
		return -1;
	ck_assert_msg(g[0] == 'v', "greeting %s", g);
	return strtol(g + 1, NULL, 10);
}

/* The greeting number cfgmgr reports, -1 if none. */
static long
reported(void)
{
	struct tl_frame f;
	int64_t seq, reply, deadline = tl_now_ms() + WAIT;
	json_t *result;
	long k;

	seq = send_cmd(json_pack("{s:[s,{s:s}]}", "command", "get_config",
	    "module_name", "Hello"));
	for (;;) {
		ck_assert_int_eq(tl_client_read(c, (int)(deadline -
		    tl_now_ms()), &f), 1);
		if (tl_frame_int(&f, "reply", &reply) && reply == seq)
			break;
		tl_frame_clear(&f);
	}
	result = json_object_get(f.body, "result");
	ck_assert_int_eq(json_integer_value(json_array_get(result, 0)), 0);
	k = greeting_of(json_array_get(result, 1));
	tl_frame_clear(&f);
	return k;
}

/* The greeting number in the file, -1 if there is no file; never torn. */
static long
in_file(void)
{
	json_error_t e;
	json_t *root;
	long k;

	if (access(dbpath, F_OK) == -1)
		return -1;
	root = json_load_file(dbpath, JSON_REJECT_DUPLICATES, &e);
	ck_assert_msg(root != NULL, "torn file %s: %s", dbpath, e.text);
	ck_assert_int_eq(json_integer_value(json_object_get(root, "version")),
	    1);
	k = greeting_of(json_object_get(root, "Hello"));
	ck_assert_msg(k >= 0, "a file without Hello's greeting");
	json_decref(root);
	return k;
}

/* cfgmgr's lname, from msgq's members of group ConfigManager. */
static void
cfgmgr_lname(char *buf, size_t len)
{
	struct tl_frame f;
	json_t *list;

	ck_assert_int_eq(tl_client_msgq_cmd(c, "members", json_pack("{s:s}",
	    "group", "ConfigManager"), &f), 0);
	list = json_array_get(json_object_get(f.body, "result"), 1);
	ck_assert_uint_eq(json_array_size(list), 1);
	snprintf(buf, len, "%s", json_string_value(json_array_get(list, 0)));
	tl_frame_clear(&f);
}

/*
 * Stream set_config v<n>, v<n+1>, ... one at a time until delay_ms have
 * passed, then SIGKILL cfgmgr. Everything cfgmgr wrote before it died
 * reaches c before msgq's "disconnected" for it, so an answer in transit
 * still counts. Returns the last acknowledged N (or acked if none).
 */
static long
stream_and_kill(long n, long acked, int delay_ms)
{
	int64_t kill_at = tl_now_ms() + delay_ms, seq = -1;
	char lname[128], greeting[32];
	struct tl_frame f;
	int rcode;

	cfgmgr_lname(lname, sizeof(lname));
	for (;;) {
		snprintf(greeting, sizeof(greeting), "v%ld", n);
		seq = send_cmd(json_pack("{s:[s,[s,{s:s}]]}", "command",
		    "set_config", "Hello", "greeting", greeting));
		if (!answer(seq, (int)(kill_at - tl_now_ms()), &rcode))
			break;
		ck_assert_int_eq(rcode, 0);
		acked = n++;
	}
	tl_msgq_kill(cf);
	for (;;) {
		int64_t reply;
		const char *ev;

		ck_assert_int_eq(tl_client_read(c, WAIT, &f), 1);
		if (tl_frame_int(&f, "reply", &reply) && reply == seq) {
			/* -1: msgq found cfgmgr gone before delivering it. */
			rcode = (int)json_integer_value(json_array_get(
			    json_object_get(f.body, "result"), 0));
			ck_assert_msg(rcode == 0 || rcode == -1, "rcode %d",
			    rcode);
			if (rcode == 0)
				acked = n;
		}
		ev = json_string_value(json_array_get(json_object_get(f.body,
		    "notification"), 0));
		if (ev != NULL && strcmp(ev, "disconnected") == 0 &&
		    strcmp(json_string_value(json_object_get(json_array_get(
		    json_object_get(f.body, "notification"), 1), "client")),
		    lname) == 0) {
			tl_frame_clear(&f);
			return acked;
		}
		tl_frame_clear(&f);
	}
}

START_TEST(test_crash_rounds)
{
	const char *args[] = { "-s", mq->sock, "-p", datadir, NULL };
	const char *w = getenv("CCBUS_TEST_WRAPPER");
	int rounds = w != NULL && *w != '\0' ? ROUNDS_WRAPPED : ROUNDS;
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	long acked = -1, k, n;
	int inflight = 0;

	printf("test_cfgmgr_crash: seed %u\n", seed);
	srand(seed);
	for (int round = 0; round < rounds; round++) {
		ck_assert_int_eq(tl_msgq_spawn(cf, args), 0);
		wait_running();
		/* What it loaded is what the file held. */
		ck_assert_int_eq(reported(), acked);
		n = acked + 1;
		acked = stream_and_kill(n, acked,
		    rand() % (tl_ms(MAX_DELAY_MS) + 1));
		k = in_file();
		ck_assert_msg(k == acked || (k == acked + 1 && k >= n),
		    "round %d: file holds v%ld, last acknowledged v%ld", round,
		    k, acked);
		inflight += k == acked + 1;
		/* The one in flight that made it to disk is as good as
		 * acknowledged from now on. */
		acked = k;
	}
	ck_assert_int_eq(tl_msgq_spawn(cf, args), 0);
	wait_running();
	ck_assert_int_eq(reported(), acked);
	/* Show that the rounds did something: calls stored, and how often
	 * the call in flight was on disk when cfgmgr died. */
	printf("test_cfgmgr_crash: %d rounds, v0 to v%ld stored, the call in "
	    "flight on disk in %d rounds\n", rounds, acked, inflight);
	ck_assert_int_gt(acked, 0);
}
END_TEST

static void
setup(void)
{
	mq = it_msgq();
	c = it_client(mq);
	it_subscribe_sync(c, "Boss", NULL);
	ck_assert_int_eq(tl_client_watch_members(c), 0);
	cf = tl_daemon_new("cfgmgr/ccbus-cfgmgr");
	ck_assert_ptr_nonnull(cf);
	snprintf(datadir, sizeof(datadir), "%s/data", cf->dir);
	snprintf(dbpath, sizeof(dbpath), "%s/ccbus-config.db", datadir);
}

static void
teardown(void)
{
	it_msgq_end(cf);
	tl_client_free(c);
	it_msgq_end(mq);
}

int
main(void)
{
	Suite *s = suite_create("cfgmgr_crash");
	TCase *tc = tcase_create("crash");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_crash_rounds);
	suite_add_tcase(s, tc);
	return it_run(s);
}
