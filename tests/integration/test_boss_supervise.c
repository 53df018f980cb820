/*
 * ccbus, the boss, supervising: a dispensable component killed again
 * and again (back-off growing, jitter within 5 %, reset after a stable
 * run, `failed` after max_quick_failures, a start clears it); a needed
 * component failing early and a core component dying (orderly shutdown,
 * exit 1); a component that ignores shutdown and SIGTERM (SIGKILLed
 * after the timeouts); msgq killed (restarted, every client back). No
 * zombie at any point.
 */
#include "config.h"

#include <check.h>

#include "test_boss.h"

/* kill -9 name; the milliseconds until it runs again (a new pid). */
static int64_t
kill_and_time(struct bt *r, const char *name)
{
	pid_t pid = bt_pid(r, name);
	int64_t t0 = tl_now_ms();

	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_msg(bt_wait_state(r, name, "running", pid, WAIT),
	    "%s not running again", name);
	return tl_now_ms() - t0;
}

static double
uptime(struct bt *r, const char *name)
{
	json_t *st = bt_status(r, name);
	double up = json_number_value(json_object_get(st, "uptime"));

	json_decref(st);
	return up;
}

/* The back-off delays the boss chose, in order, from its log. */
static int
logged_delays(struct bt *r, double *v, int max)
{
	FILE *fp = fopen(r->d->log, "r");
	char line[4096], *p;
	int n = 0;

	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof(line), fp) != NULL && n < max)
		if ((p = strstr(line, "d: restarting in ")) != NULL)
			v[n++] = atof(p + 17);
	fclose(fp);
	return n;
}

static void
assert_near(double got, double want)
{
	ck_assert_msg(got >= want * 0.95 - 1e-9 && got <= want * 1.05 + 1e-9,
	    "back-off %.4f s, want %.3f s +-5 %%", got, want);
}

START_TEST(t_backoff)
{
	struct bt *r = bt_new(json_pack("{s:{s:o}, s:f, s:f, s:f, s:i}",
	    "components", "d", bt_fake("dispensable", "D", 0, "-a", "D", NULL),
	    "stable_time", 0.6, "restart_delay", 0.1, "restart_delay_max",
	    0.3, "max_quick_failures", 4));
	int64_t t[5];
	double delay[8];
	json_t *st;
	pid_t pid;

	bt_start(r);
	for (int i = 0; i < 3; i++)
		t[i] = kill_and_time(r, "d");
	/* 0.1, 0.2, then the cap 0.3, each +-5 %, and really waited. */
	ck_assert_int_eq(logged_delays(r, delay, 8), 3);
	assert_near(delay[0], 0.1);
	assert_near(delay[1], 0.2);
	assert_near(delay[2], 0.3);
	for (int i = 0; i < 3; i++)
		ck_assert_msg(t[i] >= (int64_t)(delay[i] * 1000) - 1,
		    "restarted after %lld ms, before its %.3f s back-off",
		    (long long)t[i], delay[i]);
	bt_no_zombies(r);
	/* The fourth quick failure: failed, not restarted. */
	pid = bt_pid(r, "d");
	kill(pid, SIGKILL);
	ck_assert(bt_wait_state(r, "d", "failed", 0, WAIT));
	ck_assert(bt_pid_gone(pid, WAIT));
	st = bt_status(r, "d");
	assert_json(json_object_get(st, "last_exit"), json_string("signal 9"));
	assert_json(json_object_get(st, "restarts"), json_integer(3));
	assert_json(json_object_get(st, "pid"), json_null());
	json_decref(st);
	ck_assert(tl_file_contains(r->d->log, "d failed 4 times in a row"));
	/* A start clears it. */
	json_decref(bt_boss(r, "start", json_pack("{s:s}", "name", "d")));
	/* After a stable run: restarted at once, the delay reset. */
	while (uptime(r, "d") < 0.65)
		poll(NULL, 0, 20);	/* letting it run, not readiness */
	t[3] = kill_and_time(r, "d");
	ck_assert(tl_file_contains(r->d->log, "d: restarting at once"));
	ck_assert_int_eq(logged_delays(r, delay, 8), 3);
	t[4] = kill_and_time(r, "d");
	ck_assert_int_eq(logged_delays(r, delay, 8), 4);
	assert_near(delay[3], 0.1);
	ck_assert_int_ge(t[4], 94);
	fprintf(stderr, "kill to running: %lld %lld %lld ms (back-off), "
	    "%lld ms (stable), %lld ms (reset)\n", (long long)t[0],
	    (long long)t[1], (long long)t[2], (long long)t[3],
	    (long long)t[4]);
	bt_no_zombies(r);
	bt_end(r);
}
END_TEST

/* A process exiting by itself is judged like a killed one. */
START_TEST(t_exit_code_restarted)
{
	struct bt *r = bt_new(json_pack("{s:{s:o}, s:f}", "components",
	    "e", bt_fake("dispensable", "E", 0, "-a", "E", "-x", "50", "-e",
	    "7", NULL), "restart_delay", 0.05));

	bt_start(r);
	ck_assert(tl_log_wait_line(r->d->log, "e (pid", "exited: exit 7",
	    WAIT));
	ck_assert(tl_log_wait(r->d->log, "e: restarting in", WAIT));
	bt_no_zombies(r);
	bt_end(r);
}
END_TEST

static void
fatal_exit(struct bt *r, const char *text)
{
	ck_assert_int_eq(tl_msgq_wait_exit(r->d, WAIT), 1);
	ck_assert_msg(tl_file_contains(r->d->log, text), "no '%s' in %s",
	    text, r->d->log);
	bt_all_gone(r);
	ck_assert_int_eq(access(r->d->sock, F_OK), -1);
	ck_assert_int_eq(access(r->pidfile, F_OK), -1);
	ck_assert(tl_file_contains(r->d->log, "cfgmgr (pid"));
	ck_assert_int_lt(bt_log_pos(r, "cfgmgr (pid", "exited: exit 0"),
	    bt_log_pos(r, "msgq (pid", "exited: exit 0"));
	bt_end(r);
}

START_TEST(t_needed_fails_early)
{
	struct bt *r = bt_new(json_pack("{s:{s:o, s:{s:s, s:s}}}",
	    "components", "n", bt_fake("needed", "N", 0, "-a", "N", "-x",
	    "600", "-e", "3", NULL), "hello", "kind", "dispensable",
	    "address", "Hello"));

	bt_start(r);
	fatal_exit(r, "fatal: needed component n exited (exit 3)");
}
END_TEST

START_TEST(t_core_dies)
{
	struct bt *r = bt_new(json_pack("{s:{s:o}}", "components", "k",
	    bt_fake("core", "K", 0, "-a", "K", NULL)));

	bt_start(r);
	kill(bt_pid(r, "k"), SIGKILL);
	fatal_exit(r, "fatal: core component k exited (signal 9)");
}
END_TEST

/* Needed, but past its stable time: restarted, not fatal. */
START_TEST(t_needed_after_stable)
{
	struct bt *r = bt_new(json_pack("{s:{s:o}, s:f}", "components", "n",
	    bt_fake("needed", "N", 0, "-a", "N", NULL), "stable_time", 0.2));
	pid_t pid;

	bt_start(r);
	while (uptime(r, "n") < 0.3)
		poll(NULL, 0, 20);	/* letting it run, not readiness */
	pid = bt_pid(r, "n");
	kill(pid, SIGKILL);
	ck_assert(bt_wait_state(r, "n", "running", pid, WAIT));
	ck_assert(tl_file_contains(r->d->log, "n: restarting at once"));
	bt_end(r);
}
END_TEST

/* Ignores shutdown and SIGTERM: SIGKILLed after 2 x stop_timeout. */
START_TEST(t_stubborn)
{
	json_t *f = bt_fake("dispensable", "S", 0, "-a", "S", "-i", NULL);
	struct bt *r;
	int64_t t0;

	json_object_set_new(f, "stop_timeout", json_real(0.3));
	r = bt_new(json_pack("{s:{s:o}}", "components", "stubborn", f));
	bt_start(r);
	t0 = tl_now_ms();
	kill(r->d->pid, SIGTERM);
	ck_assert_int_eq(tl_msgq_wait_exit(r->d, WAIT), 0);
	ck_assert_int_ge(tl_now_ms() - t0, 550);
	ck_assert(tl_file_contains(r->d->log, "stubborn: shutdown sent to S"));
	ck_assert(tl_file_contains(r->d->log, "still running after 0.3 s: "
	    "SIGTERM"));
	ck_assert(tl_file_contains(r->d->log, "still running after 0.3 s: "
	    "SIGKILL"));
	ck_assert(tl_log_wait_line(r->d->log, "stubborn (pid",
	    "exited: signal 9", WAIT));
	bt_all_gone(r);
	bt_end(r);
}
END_TEST

/* A second SIGTERM while stopping: SIGKILL of what is left. */
START_TEST(t_second_signal)
{
	json_t *f = bt_fake("dispensable", "S", 0, "-a", "S", "-i", NULL);
	struct bt *r;

	json_object_set_new(f, "stop_timeout", json_real(30));
	r = bt_new(json_pack("{s:{s:o}}", "components", "stubborn", f));
	bt_start(r);
	kill(r->d->pid, SIGTERM);
	ck_assert(tl_log_wait(r->d->log, "stubborn: shutdown sent", WAIT));
	kill(r->d->pid, SIGTERM);
	ck_assert_int_eq(tl_msgq_wait_exit(r->d, WAIT), 0);
	ck_assert(tl_file_contains(r->d->log, "second signal"));
	bt_all_gone(r);
	bt_end(r);
}
END_TEST

/* --no-kill: a module that ignores shutdown is left running; the
 * boss's own daemons still stop. */
START_TEST(t_no_kill)
{
	json_t *f = bt_fake("dispensable", "S", 0, "-a", "S", "-i", NULL);
	struct bt *r;
	pid_t pid, mq;

	json_object_set_new(f, "stop_timeout", json_real(0.2));
	r = bt_new(json_pack("{s:{s:o}}", "components", "stubborn", f));
	bt_spawn(r, "--no-kill", NULL);
	ck_assert(tl_log_wait(r->d->log, "ccbus started", WAIT));
	bt_connect(r);
	pid = bt_pid(r, "stubborn");
	mq = bt_pid(r, "msgq");
	kill(r->d->pid, SIGTERM);
	ck_assert_int_eq(tl_msgq_wait_exit(r->d, WAIT), 0);
	ck_assert(tl_file_contains(r->d->log, "left running (--no-kill)"));
	ck_assert(!tl_file_contains(r->d->log, "SIGKILL"));
	ck_assert(bt_pid_gone(mq, WAIT));
	ck_assert_int_eq(kill(pid, 0), 0);
	kill(pid, SIGKILL);
	ck_assert(bt_pid_gone(pid, WAIT));
	bt_end(r);
}
END_TEST

/* Poll until a fresh session gets an answer from group. */
static int64_t
wait_answer(struct bt *r, const char *group, const char *cmd, json_t *args,
    int64_t deadline)
{
	int rc;

	for (;;) {
		/* Short tries: a command sent while a module re-subscribes
		 * may find no one, or one about to go. */
		rc = cc_command(r->s, group, cmd, args, 500, NULL);
		if (rc == CC_OK)
			break;
		if (rc == CC_ECONNLOST || !cc_session_connected(r->s)) {
			cc_session_free(r->s);
			r->s = cc_session_new();
			(void)cc_session_connect(r->s, r->d->sock, 200);
		}
		ck_assert_msg(tl_now_ms() < deadline, "%s %s: %s", group, cmd,
		    cc_session_error(r->s));
		poll(NULL, 0, BT_POLL_MS);
	}
	json_decref(args);
	return tl_now_ms();
}

START_TEST(t_msgq_killed)
{
	struct bt *r = bt_new(json_pack("{s:{s:{s:s}, s:o}}", "components",
	    "hello", "address", "Hello", "f", bt_fake("dispensable", "F", 0,
	    "-a", "F", NULL)));
	pid_t mq, hello, f;
	int64_t t0, deadline;
	json_t *st;

	bt_start(r);
	mq = bt_pid(r, "msgq");
	hello = bt_pid(r, "hello");
	f = bt_pid(r, "f");
	t0 = tl_now_ms();
	deadline = t0 + WAIT;
	kill(mq, SIGKILL);
	ck_assert(bt_pid_gone(mq, WAIT));
	wait_answer(r, "Boss", "ping", NULL, deadline);
	wait_answer(r, "ConfigManager", "get_config", json_pack("{s:s}",
	    "module_name", "Boss"), deadline);
	wait_answer(r, "Hello", "echo", json_pack("{s:s}", "text", "x"),
	    deadline);
	wait_answer(r, "F", "ping", NULL, deadline);
	fprintf(stderr, "suite whole again %lld ms after msgq's SIGKILL\n",
	    (long long)(tl_now_ms() - t0));
	st = bt_status(r, "msgq");
	assert_json(json_object_get(st, "restarts"), json_integer(1));
	assert_json(json_object_get(st, "state"), json_string("running"));
	json_decref(st);
	ck_assert_int_eq(bt_pid(r, "hello"), hello);
	ck_assert_int_eq(bt_pid(r, "f"), f);
	bt_no_zombies(r);
	bt_end(r);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("boss_supervise");
	TCase *tc = tcase_create("supervise");

	bt_env();
	tcase_add_test(tc, t_backoff);
	tcase_add_test(tc, t_exit_code_restarted);
	tcase_add_test(tc, t_needed_fails_early);
	tcase_add_test(tc, t_core_dies);
	tcase_add_test(tc, t_needed_after_stable);
	tcase_add_test(tc, t_stubborn);
	tcase_add_test(tc, t_no_kill);
	tcase_add_test(tc, t_second_signal);
	tcase_add_test(tc, t_msgq_killed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return it_run(suite());
}
