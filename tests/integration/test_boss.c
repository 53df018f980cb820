/*
 * ccbus, the boss, end to end: real msgq, cfgmgr, hello and fake
 * components (tests/integration/fake_component) in temporary
 * directories. This program: start-up in order and gated on readiness,
 * start-up failures, the commands and their errors, output and exits
 * logged, configuration changes applied live, and stopping (shutdown
 * over the bus, SIGTERM, SIGINT). Supervision (crashes, back-off,
 * kinds, msgq's death, stubborn components) is test_boss_supervise.c.
 */
#include "config.h"

#include <check.h>
#include <pwd.h>

#include "test_boss.h"

/* Priorities 10, 5, 0; the middle one never gets ready. */
START_TEST(t_startup_order)
{
	json_t *comps = json_pack("{s:o, s:o, s:o}",
	    "first", bt_fake("dispensable", "First", 10, "-a", "First", NULL),
	    "lazy", bt_fake("dispensable", "Lazy", 5, NULL),
	    "last", bt_fake("dispensable", "Last", 0, "-a", "Last", NULL));
	struct bt *r;
	int64_t t0;
	json_t *st;

	json_object_set_new(json_object_get(comps, "lazy"), "ready_timeout",
	    json_real(0.5));
	r = bt_new(json_pack("{s:o}", "components", comps));
	t0 = tl_now_ms();
	bt_start(r);
	/* Gated on the lazy one's ready_timeout, not less. */
	ck_assert_int_ge(tl_now_ms() - t0, 450);
	ck_assert_int_ge(bt_log_pos(r, "msgq (pid", "is ready"), 0);
	ck_assert_int_lt(bt_log_pos(r, "msgq (pid", "is ready"),
	    bt_log_pos(r, "cfgmgr started: pid", NULL));
	ck_assert_int_lt(bt_log_pos(r, "cfgmgr (pid", "is ready"),
	    bt_log_pos(r, "first started: pid", NULL));
	ck_assert_int_lt(bt_log_pos(r, "first (pid", "is ready"),
	    bt_log_pos(r, "lazy started: pid", NULL));
	ck_assert_int_lt(bt_log_pos(r, "lazy (pid", "not ready after 0.5"),
	    bt_log_pos(r, "last started: pid", NULL));
	ck_assert_int_lt(bt_log_pos(r, "last (pid", "is ready"),
	    bt_log_pos(r, "ccbus started: 3 components", NULL));
	st = bt_status(r, "lazy");
	assert_json(json_object_get(st, "state"), json_string("starting"));
	json_decref(st);
	st = bt_status(r, "last");
	assert_json(json_object_get(st, "state"), json_string("running"));
	json_decref(st);
	bt_end(r);
}
END_TEST

/* A needed program that does not exist: exit 1 at once, nothing left. */
START_TEST(t_startup_missing_program)
{
	struct bt *r = bt_new(json_pack("{s:{s:{s:s, s:s}}}", "components",
	    "ghost", "process", "no-such-program-xyz", "kind", "needed"));
	int64_t t0 = tl_now_ms();

	bt_spawn(r, NULL);
	ck_assert_int_eq(tl_msgq_wait_exit(r->d, WAIT), 1);
	ck_assert_int_lt(tl_now_ms() - t0, tl_ms(3000));
	ck_assert(tl_file_contains(r->d->log, "program no-such-program-xyz "
	    "not found in "));
	ck_assert(tl_file_contains(r->d->log, "start-up failed at step 6"));
	bt_all_gone(r);
	ck_assert_int_eq(access(r->d->sock, F_OK), -1);
	ck_assert_int_eq(access(r->pidfile, F_OK), -1);
	tl_msgq_free(r->d);
	free(r);
}
END_TEST

/* A dispensable one: the error at once, the suite runs without it. */
START_TEST(t_startup_missing_dispensable)
{
	struct bt *r = bt_new(json_pack("{s:{s:{s:s}}, s:i}", "components",
	    "ghost", "process", "/nonexistent/prog", "max_quick_failures",
	    1));

	bt_start(r);
	ck_assert(tl_file_contains(r->d->log, "ghost: cannot start: program "
	    "/nonexistent/prog not found"));
	ck_assert(bt_wait_state(r, "ghost", "failed", 0, WAIT));
	bt_boss_error(r, "start", json_pack("{s:s}", "name", "ghost"),
	    "not found");
	bt_end(r);
}
END_TEST

/* A broker already on the socket: refuse, exit 1, touch nothing. */
START_TEST(t_startup_busy_socket)
{
	struct bt *r = bt_new(NULL);
	struct tl_msgq *mq = tl_msgq_new();

	snprintf(mq->sock, sizeof(mq->sock), "%s", r->d->sock);
	ck_assert_int_eq(tl_msgq_start(mq, NULL), 0);
	bt_spawn(r, NULL);
	ck_assert_int_eq(tl_msgq_wait_exit(r->d, WAIT), 1);
	ck_assert(tl_file_contains(r->d->log, "already answers on"));
	ck_assert(tl_msgq_wait_ready(mq, mq->sock, WAIT) == 0);
	it_msgq_end(mq);
	tl_msgq_free(r->d);
	free(r);
}
END_TEST

/* A stored configuration the boss refuses: step 5 fails. */
START_TEST(t_startup_bad_config)
{
	struct bt *r = bt_new(json_pack("{s:{s:{s:s}}}", "components",
	    "msgq", "process", "x"));

	bt_spawn(r, NULL);
	ck_assert_int_eq(tl_msgq_wait_exit(r->d, WAIT), 1);
	ck_assert(tl_file_contains(r->d->log, "msgq is built in"));
	ck_assert(tl_file_contains(r->d->log, "start-up failed at step 4/5"));
	bt_all_gone(r);
	tl_msgq_free(r->d);
	free(r);
}
END_TEST

/* The default configuration: hello and stats, reachable. */
START_TEST(t_default_suite)
{
	struct bt *r = bt_new(NULL);
	json_t *v;

	bt_start(r);
	ck_assert(tl_file_contains(r->d->log, "ccbus started: 2 components"));
	ck_assert_int_eq(bt_cmd(r, "Hello", "echo", json_pack("{s:s}",
	    "text", "hi"), &v), CC_OK);
	assert_json_own(v, json_string("hi"));
	ck_assert_int_eq(bt_cmd(r, "Stats", "getstats", NULL, &v), CC_OK);
	ck_assert(json_is_integer(json_object_get(v, "collections")));
	json_decref(v);
	bt_end(r);
}
END_TEST

static void
check_status_entry(const json_t *st)
{
	const char *keys[] = { "name", "state", "pid", "kind", "uptime",
	    "restarts", "last_exit" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		ck_assert_msg(json_object_get(st, keys[i]) != NULL,
		    "status without %s", keys[i]);
	ck_assert_int_eq(json_object_size(st), 7);
}

START_TEST(t_commands)
{
	struct bt *r = bt_new(json_pack("{s:{s:o, s:o}}", "components",
	    "a", bt_fake("dispensable", "A", 0, "-a", "A", NULL),
	    "plain", bt_fake("dispensable", NULL, 0, "-n", NULL)));
	json_t *v, *e;
	size_t i;
	pid_t pid;

	bt_start(r);
	assert_json_own(bt_boss(r, "ping", NULL), json_string("pong"));
	/* show_processes: msgq, cfgmgr, a, plain, sorted by pid. */
	v = bt_boss(r, "show_processes", NULL);
	ck_assert_int_eq(json_array_size(v), 4);
	for (i = 1; i < json_array_size(v); i++)
		ck_assert_int_lt(json_integer_value(json_array_get(
		    json_array_get(v, i - 1), 0)), json_integer_value(
		    json_array_get(json_array_get(v, i), 0)));
	json_array_foreach(v, i, e)
		if (strcmp(json_string_value(json_array_get(e, 1)), "a") == 0)
			assert_json(json_array_get(e, 2), json_string("A"));
		else if (strcmp(json_string_value(json_array_get(e, 1)),
		    "plain") == 0)
			assert_json(json_array_get(e, 2), json_null());
	json_decref(v);
	/* status: every component, built-ins as core. */
	v = bt_boss(r, "status", NULL);
	ck_assert_int_eq(json_array_size(v), 4);
	json_array_foreach(v, i, e) {
		check_status_entry(e);
		assert_json(json_object_get(e, "state"),
		    json_string("running"));
	}
	assert_json(json_object_get(json_array_get(v, 0), "name"),
	    json_string("msgq"));
	assert_json(json_object_get(json_array_get(v, 1), "kind"),
	    json_string("core"));
	assert_json(json_object_get(json_array_get(v, 2), "last_exit"),
	    json_null());
	ck_assert(json_is_number(json_object_get(json_array_get(v, 2),
	    "uptime")));
	json_decref(v);
	bt_boss_error(r, "status", json_pack("{s:s}", "name", "nope"),
	    "no component named nope");
	bt_boss_error(r, "start", json_pack("{s:s}", "name", "nope"),
	    "no component named nope");
	bt_boss_error(r, "stop", json_pack("{s:s}", "name", "nope"),
	    "no component named nope");
	bt_boss_error(r, "restart", json_pack("{s:s}", "name", "nope"),
	    "no component named nope");
	bt_boss_error(r, "stop", json_pack("{s:s}", "name", "cfgmgr"),
	    "built in");
	/* stop: answered once exited; start: once ready. */
	pid = bt_pid(r, "a");
	json_decref(bt_boss(r, "stop", json_pack("{s:s}", "name", "a")));
	/* Gone and reaped by the time the answer came: no waiting here. */
	ck_assert(bt_pid_gone(pid, 0));
	e = bt_status(r, "a");
	assert_json(json_object_get(e, "state"), json_string("stopped"));
	assert_json(json_object_get(e, "pid"), json_null());
	json_decref(e);
	json_decref(bt_boss(r, "stop", json_pack("{s:s}", "name", "a")));
	json_decref(bt_boss(r, "start", json_pack("{s:s}", "name", "a")));
	e = bt_status(r, "a");
	assert_json(json_object_get(e, "state"), json_string("running"));
	json_decref(e);
	ck_assert_int_eq(bt_cmd(r, "A", "ping", NULL, &v), CC_OK);
	json_decref(v);
	/* restart: a new process, ready when answered. */
	pid = bt_pid(r, "a");
	json_decref(bt_boss(r, "restart", json_pack("{s:s}", "name", "a")));
	ck_assert_int_ne(bt_pid(r, "a"), pid);
	ck_assert(bt_pid_gone(pid, WAIT));
	ck_assert_int_eq(bt_cmd(r, "A", "ping", NULL, &v), CC_OK);
	json_decref(v);
	/* getstats */
	v = bt_boss(r, "getstats", NULL);
	e = json_object_get(v, "boot_time");
	ck_assert(json_is_string(e));
	ck_assert_int_eq(strlen(json_string_value(e)), 20);
	ck_assert_int_eq(json_string_value(e)[10], 'T');
	ck_assert_int_eq(json_string_value(e)[19], 'Z');
	json_decref(v);
	bt_no_zombies(r);
	bt_end(r);
}
END_TEST

/* A start waits for readiness: an error when it does not come. */
START_TEST(t_start_not_ready)
{
	json_t *lazy = bt_fake("dispensable", "Lazy", 0, NULL);
	struct bt *r;
	int64_t t0;
	pid_t pid;

	json_object_set_new(lazy, "ready_timeout", json_real(0.3));
	r = bt_new(json_pack("{s:{s:o}}", "components", "lazy", lazy));
	bt_start(r);
	pid = bt_pid(r, "lazy");
	t0 = tl_now_ms();
	bt_boss_error(r, "restart", json_pack("{s:s}", "name", "lazy"),
	    "lazy: not ready after 0.3 s");
	ck_assert_int_ge(tl_now_ms() - t0, 280);
	ck_assert(bt_pid_gone(pid, WAIT));
	ck_assert(bt_wait_state(r, "lazy", "starting", pid, WAIT));
	bt_end(r);
}
END_TEST

/* Output logged with the name; exits with status or signal. */
START_TEST(t_output_and_exits)
{
	struct bt *r = bt_new(json_pack("{s:{s:o}}", "components",
	    "talker", bt_fake("dispensable", "Talker", 0, "-a", "Talker",
	    "-p", "hello from the talker", NULL)));
	pid_t pid;

	bt_start(r);
	ck_assert(tl_log_wait(r->d->log, "]: talker: hello from the talker",
	    WAIT));
	ck_assert(tl_log_wait(r->d->log,
	    "talker: hello from the talker (stderr)", WAIT));
	pid = bt_pid(r, "talker");
	kill(pid, SIGKILL);
	ck_assert(tl_log_wait_line(r->d->log, "talker (pid", "exited: "
	    "signal 9", WAIT));
	ck_assert(bt_wait_state(r, "talker", "running", pid, WAIT));
	json_decref(bt_boss(r, "stop", json_pack("{s:s}", "name",
	    "talker")));
	ck_assert(tl_log_wait_line(r->d->log, "talker (pid", "exited: exit 0",
	    WAIT));
	bt_end(r);
}
END_TEST

static void
set_components(struct bt *r, json_t *comps)
{
	json_t *args = json_pack("[s, {s:o}]", "Boss", "components", comps);

	ck_assert_msg(bt_cmd(r, "ConfigManager", "set_config", args, NULL) ==
	    CC_OK, "set_config: %s", cc_session_error(r->s));
}

START_TEST(t_config_live)
{
	struct bt *r = bt_new(json_pack("{s:{}}", "components"));
	json_t *v;
	pid_t pid, pid2;

	bt_start(r);
	ck_assert(tl_file_contains(r->d->log, "ccbus started: 0 components"));
	set_components(r, json_pack("{s:o}", "x", bt_fake("dispensable",
	    "X", 0, "-a", "X", NULL)));
	ck_assert(bt_wait_state(r, "x", "running", 0, WAIT));
	ck_assert_int_eq(bt_cmd(r, "X", "ping", NULL, &v), CC_OK);
	json_decref(v);
	/* Changed: restarted with the new arguments. */
	pid = bt_pid(r, "x");
	set_components(r, json_pack("{s:o}", "x", bt_fake("dispensable",
	    "X", 0, "-a", "X", "-p", "second edition", NULL)));
	ck_assert(bt_wait_state(r, "x", "running", pid, WAIT));
	ck_assert(tl_log_wait(r->d->log, "x: second edition", WAIT));
	ck_assert(bt_pid_gone(pid, WAIT));
	/* Removed: stopped and forgotten. */
	pid2 = bt_pid(r, "x");
	set_components(r, json_pack("{}"));
	ck_assert(bt_pid_gone(pid2, WAIT));
	ck_assert(tl_log_wait(r->d->log, "x removed from the configuration",
	    WAIT));
	bt_boss_error(r, "status", json_pack("{s:s}", "name", "x"),
	    "no component named x");
	/* Refused: a built-in name, a bad kind; nothing changes. */
	ck_assert_int_eq(bt_cmd(r, "ConfigManager", "set_config",
	    json_pack("[s, {s:{s:{}}}]", "Boss", "components", "cfgmgr"),
	    NULL), CC_EANSWER);
	ck_assert(strstr(cc_session_error(r->s), "built in") != NULL);
	ck_assert_int_eq(bt_cmd(r, "ConfigManager", "set_config",
	    json_pack("[s, {s:{s:{s:s}}}]", "Boss", "components", "y",
	    "kind", "vital"), NULL), CC_EANSWER);
	ck_assert(strstr(cc_session_error(r->s), "kind") != NULL);
	v = bt_boss(r, "status", NULL);
	ck_assert_int_eq(json_array_size(v), 2);
	json_decref(v);
	bt_end(r);
}
END_TEST

/* A component's user (as root only). */
START_TEST(t_user)
{
	struct bt *r;
	json_t *f = bt_fake("dispensable", NULL, 0, "-n", NULL);
	char path[64], line[256];
	long uid = -1;
	FILE *fp;

	if (geteuid() != 0)
		return;		/* needs root */
	json_object_set_new(f, "user", json_string("nobody"));
	r = bt_new(json_pack("{s:{s:o}}", "components", "low", f));
	bt_start(r);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)bt_pid(r, "low"));
	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "Uid: %ld", &uid) == 1)
			break;
	fclose(fp);
	ck_assert_int_eq(uid, (long)getpwnam("nobody")->pw_uid);
	bt_end(r);
}
END_TEST

/* shutdown over the bus: everything gone, socket and pid file too. */
START_TEST(t_shutdown_command)
{
	struct bt *r = bt_new(json_pack("{s:{s:{s:s, s:s}, s:o}}",
	    "components", "hello", "kind", "dispensable", "address", "Hello",
	    "f", bt_fake("needed", "F", 3, "-a", "F", NULL)));
	pid_t v[16];
	int n;

	char pidtext[32];

	bt_start(r);
	snprintf(pidtext, sizeof(pidtext), "%d\n", (int)r->d->pid);
	ck_assert(tl_file_contains(r->pidfile, pidtext));
	json_decref(bt_boss(r, "shutdown", NULL));
	ck_assert_int_eq(tl_msgq_wait_exit(r->d, WAIT), 0);
	n = bt_logged_pids(r, v, 16);
	ck_assert_int_eq(n, 4);
	bt_all_gone(r);
	ck_assert_int_eq(access(r->d->sock, F_OK), -1);
	ck_assert_int_eq(access(r->pidfile, F_OK), -1);
	/* In order: the lower priority first, msgq last. */
	ck_assert_int_lt(bt_log_pos(r, "hello (pid", "exited"),
	    bt_log_pos(r, "f (pid", "exited"));
	ck_assert_int_lt(bt_log_pos(r, "f (pid", "exited"),
	    bt_log_pos(r, "cfgmgr (pid", "exited"));
	ck_assert_int_lt(bt_log_pos(r, "cfgmgr (pid", "exited"),
	    bt_log_pos(r, "msgq (pid", "exited"));
	bt_end(r);
}
END_TEST

static void
stop_by_signal(int sig)
{
	struct bt *r = bt_new(NULL);

	bt_start(r);
	kill(r->d->pid, sig);
	ck_assert_int_eq(tl_msgq_wait_exit(r->d, WAIT), 0);
	bt_all_gone(r);
	ck_assert_int_eq(access(r->d->sock, F_OK), -1);
	ck_assert_int_eq(access(r->pidfile, F_OK), -1);
	bt_end(r);
}

START_TEST(t_sigterm)
{
	stop_by_signal(SIGTERM);
}
END_TEST

START_TEST(t_sigint)
{
	stop_by_signal(SIGINT);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("boss");
	TCase *tc = tcase_create("boss");

	bt_env();
	tcase_add_test(tc, t_startup_order);
	tcase_add_test(tc, t_startup_missing_program);
	tcase_add_test(tc, t_startup_missing_dispensable);
	tcase_add_test(tc, t_startup_busy_socket);
	tcase_add_test(tc, t_startup_bad_config);
	tcase_add_test(tc, t_default_suite);
	tcase_add_test(tc, t_commands);
	tcase_add_test(tc, t_start_not_ready);
	tcase_add_test(tc, t_output_and_exits);
	tcase_add_test(tc, t_config_live);
	tcase_add_test(tc, t_user);
	tcase_add_test(tc, t_shutdown_command);
	tcase_add_test(tc, t_sigterm);
	tcase_add_test(tc, t_sigint);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return it_run(suite());
}
