/*
 * The stats module (modules/stats) end to end, and the getstats commands
 * it collects.
 *
 * Two set-ups. The default suite started by ccbus (test_boss.h): hello,
 * stats, the boss and msgq report; the figures follow what the tests
 * do; a stopped module keeps its last figures, marked. And msgq, cfgmgr
 * and stats started one by one (stats then runs under
 * $CCBUS_TEST_WRAPPER too), with modules played by this program's raw
 * sessions: one that never answers getstats, one whose figures break its
 * spec; the configuration's checks and the interval.
 *
 * Nothing waits by sleeping: `collect` is answered once a round is over,
 * and what must happen later is polled under a deadline.
 */
#include "config.h"

#include <check.h>
#include <stdarg.h>

#include "test_boss.h"

/* A Stats command that must succeed: its value (new reference). */
static json_t *
stats_cmd(struct cc_session *s, const char *name, json_t *args)
{
	json_t *v = NULL;
	int rc = cc_command(s, "Stats", name, args, WAIT, &v);

	json_decref(args);
	ck_assert_msg(rc == CC_OK, "Stats %s: %s", name,
	    cc_session_error(s));
	return v;
}

/* A Stats command that must fail with text. */
static void
stats_error(struct cc_session *s, const char *name, json_t *args,
    const char *text)
{
	int rc = cc_command(s, "Stats", name, args, WAIT, NULL);

	json_decref(args);
	ck_assert_int_eq(rc, CC_EANSWER);
	ck_assert_msg(strstr(cc_session_error(s), text) != NULL,
	    "Stats %s: got '%s', want '%s'", name, cc_session_error(s), text);
}

/*
 * `collect` until every module named (NULL-terminated) has figures: a
 * module registers its spec just after it is seen ready, so the first
 * rounds may miss it. The figures (new reference).
 */
static json_t *
collect_until(struct cc_session *s, ...)
{
	int64_t deadline = tl_now_ms() + WAIT;
	const char *name;
	json_t *v;
	bool all;
	va_list ap;

	for (;;) {
		v = stats_cmd(s, "collect", NULL);
		all = true;
		va_start(ap, s);
		while ((name = va_arg(ap, const char *)) != NULL)
			all = all && json_object_get(v, name) != NULL;
		va_end(ap);
		if (all)
			return v;
		ck_assert_msg(tl_now_ms() < deadline, "collect: only %s",
		    tl_json_text(v));
		json_decref(v);
		poll(NULL, 0, BT_POLL_MS);
	}
}

/* figures[module][item], an integer. */
static json_int_t
fig(const json_t *figures, const char *module, const char *item)
{
	json_t *v = json_object_get(json_object_get(figures, module), item);

	ck_assert_msg(json_is_integer(v), "%s/%s is not an integer in %s",
	    module, item, tl_json_text(figures));
	return json_integer_value(v);
}

/* A spec file's statistics items (new reference). */
static json_t *
spec_statistics(const char *file)
{
	char path[TL_PATH_MAX + 64];
	json_t *spec;
	json_t *items;

	snprintf(path, sizeof(path), "%s/specs/%s", getenv("CCBUS_SRCDIR"),
	    file);
	ck_assert_ptr_nonnull(spec = json_load_file(path, 0, NULL));
	items = json_incref(json_object_get(json_object_get(spec,
	    "module_spec"), "statistics"));
	json_decref(spec);
	ck_assert_ptr_nonnull(items);
	return items;
}

/* Every item of spec file's statistics is in figures[module], nothing
 * else. */
static void
assert_items(const json_t *figures, const char *module, const char *file)
{
	json_t *items = spec_statistics(file), *item;
	json_t *mine = json_object_get(figures, module);
	size_t i;

	ck_assert_msg(json_is_object(mine), "no %s in %s", module,
	    tl_json_text(figures));
	json_array_foreach(items, i, item)
		ck_assert_msg(json_object_get(mine, json_string_value(
		    json_object_get(item, "item_name"))) != NULL,
		    "%s without %s", module, json_string_value(
		    json_object_get(item, "item_name")));
	ck_assert_uint_eq(json_object_size(mine), json_array_size(items));
	json_decref(items);
}

/* show_status entry of module (new reference). */
static json_t *
status_of(struct cc_session *s, const char *module)
{
	return stats_cmd(s, "show_status", json_pack("{s:s}", "module",
	    module));
}

/* The default suite: every reporter there, and show == collect. */
START_TEST(t_show_all)
{
	struct bt *r = bt_new(NULL);
	const char *modules[] = { "Hello", "Msgq", "Boss", "Stats" };
	const char *files[] = { "hello.spec", "msgq.spec", "boss.spec",
	    "stats.spec" };
	json_t *v, *st;

	bt_start(r);
	v = collect_until(r->s, "Hello", "Msgq", "Boss", "Stats", NULL);
	for (size_t i = 0; i < 4; i++) {
		assert_items(v, modules[i], files[i]);
		st = status_of(r->s, modules[i]);
		assert_json(json_object_get(st, "error"), json_null());
		ck_assert(json_is_string(json_object_get(st, "collected")));
		ck_assert(json_is_string(json_object_get(st,
		    "last_attempt")));
		json_decref(st);
	}
	/* cfgmgr declares no statistics: not collected. */
	ck_assert_ptr_null(json_object_get(v, "ConfigManager"));
	ck_assert_uint_eq(json_object_size(v), 4);
	ck_assert(json_is_string(json_object_get(json_object_get(v, "Boss"),
	    "boot_time")));
	assert_json_own(stats_cmd(r->s, "show", NULL), json_incref(v));
	json_decref(v);
	bt_end(r);
}
END_TEST

/* The figures follow what happens. */
START_TEST(t_figures_change)
{
	struct bt *r = bt_new(NULL);
	json_t *v0, *v1, *a;

	bt_start(r);
	v0 = collect_until(r->s, "Hello", "Msgq", "Boss", "Stats", NULL);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(bt_cmd(r, "Hello", "echo", json_pack("{s:s}",
		    "text", "x"), &a), CC_OK);
		json_decref(a);
	}
	json_decref(bt_boss(r, "ping", NULL));
	v1 = stats_cmd(r->s, "collect", NULL);
	ck_assert_int_eq(fig(v1, "Hello", "echoes"),
	    fig(v0, "Hello", "echoes") + 2);
	ck_assert_int_eq(fig(v1, "Hello", "greetings"),
	    fig(v0, "Hello", "greetings"));
	/* Our 2 echoes, their answers, a ping, a collect: at least 4. */
	ck_assert_int_ge(fig(v1, "Msgq", "frames_in"),
	    fig(v0, "Msgq", "frames_in") + 4);
	ck_assert_int_gt(fig(v1, "Msgq", "deliveries"),
	    fig(v0, "Msgq", "deliveries"));
	ck_assert_int_eq(fig(v1, "Msgq", "clients"),
	    fig(v0, "Msgq", "clients"));
	/* The ping and the round's getstats. */
	ck_assert_int_ge(fig(v1, "Boss", "commands"),
	    fig(v0, "Boss", "commands") + 2);
	ck_assert_int_eq(fig(v1, "Boss", "components"), 2);
	ck_assert_int_gt(fig(v1, "Stats", "collections"),
	    fig(v0, "Stats", "collections"));
	/* Nobody is there: msgq counts it. */
	ck_assert_int_eq(bt_cmd(r, "Nobody", "x", NULL, NULL),
	    CC_ENORECIPIENT);
	json_decref(v0);
	v0 = stats_cmd(r->s, "collect", NULL);
	ck_assert_int_ge(fig(v0, "Msgq", "no_recipient"),
	    fig(v1, "Msgq", "no_recipient") + 1);
	json_decref(v0);
	json_decref(v1);
	bt_end(r);
}
END_TEST

/* One module; the specs; unknown modules. */
START_TEST(t_show_one)
{
	struct bt *r = bt_new(NULL);
	json_t *v, *spec;

	bt_start(r);
	v = collect_until(r->s, "Hello", "Stats", NULL);
	assert_json_own(stats_cmd(r->s, "show", json_pack("{s:s}", "module",
	    "Hello")), json_incref(json_object_get(v, "Hello")));
	stats_error(r->s, "show", json_pack("{s:s}", "module", "Nope"),
	    "no statistics for module Nope");
	stats_error(r->s, "show", json_pack("{s:s}", "module",
	    "ConfigManager"), "no statistics for module ConfigManager");
	stats_error(r->s, "show", json_pack("{s:i}", "module", 3),
	    "module");	/* checked against the spec by libcc */
	/* The statistics specs, as declared. */
	spec = stats_cmd(r->s, "show_statistics_spec", NULL);
	assert_json(json_object_get(spec, "Hello"),
	    spec_statistics("hello.spec"));
	assert_json(json_object_get(spec, "Msgq"),
	    spec_statistics("msgq.spec"));
	assert_json(json_object_get(spec, "Stats"),
	    spec_statistics("stats.spec"));
	ck_assert_ptr_null(json_object_get(spec, "ConfigManager"));
	json_decref(spec);
	assert_json_own(stats_cmd(r->s, "show_statistics_spec",
	    json_pack("{s:s}", "module", "Boss")),
	    spec_statistics("boss.spec"));
	stats_error(r->s, "show_statistics_spec", json_pack("{s:s}",
	    "module", "Nope"), "no statistics for module Nope");
	stats_error(r->s, "show_status", json_pack("{s:s}", "module",
	    "Nope"), "no statistics for module Nope");
	/* The stats module's own getstats. */
	json_decref(v);
	v = stats_cmd(r->s, "getstats", NULL);
	ck_assert(json_is_integer(json_object_get(v, "collections")));
	ck_assert(json_is_integer(json_object_get(v, "errors")));
	ck_assert(json_is_string(json_object_get(v, "last_collection")));
	json_decref(v);
	bt_end(r);
}
END_TEST

/* A stopped module: marked, its last figures kept; back when started. */
START_TEST(t_stopped_module)
{
	struct bt *r = bt_new(NULL);
	json_t *v0, *v1, *st0, *st1, *a;

	bt_start(r);
	v0 = collect_until(r->s, "Hello", NULL);
	ck_assert_int_eq(bt_cmd(r, "Hello", "echo", json_pack("{s:s}",
	    "text", "x"), &a), CC_OK);
	json_decref(a);
	json_decref(v0);
	v0 = stats_cmd(r->s, "collect", NULL);
	ck_assert_int_ge(fig(v0, "Hello", "echoes"), 1);
	st0 = status_of(r->s, "Hello");
	json_decref(bt_boss(r, "stop", json_pack("{s:s}", "name", "hello")));
	/* stop is answered once the module has exited. */
	ck_assert(bt_wait_state(r, "hello", "stopped", 0, 0));
	v1 = stats_cmd(r->s, "collect", NULL);
	/* Kept, with the time they were collected. */
	assert_json(json_object_get(v1, "Hello"),
	    json_incref(json_object_get(v0, "Hello")));
	assert_json_own(stats_cmd(r->s, "show", json_pack("{s:s}", "module",
	    "Hello")), json_incref(json_object_get(v0, "Hello")));
	st1 = status_of(r->s, "Hello");
	assert_json(json_object_get(st1, "collected"),
	    json_incref(json_object_get(st0, "collected")));
	ck_assert_msg(json_is_string(json_object_get(st1, "error")) &&
	    strstr(json_string_value(json_object_get(st1, "error")),
	    "did not answer") != NULL, "%s", tl_json_text(st1));
	ck_assert(tl_log_wait(r->d->log, "stats: Hello: did not answer",
	    WAIT));
	/* The others still answer. */
	json_decref(st1);
	st1 = status_of(r->s, "Msgq");
	assert_json(json_object_get(st1, "error"), json_null());
	json_decref(st1);
	/* Started again: answers again, figures from zero. */
	json_decref(bt_boss(r, "start", json_pack("{s:s}", "name", "hello")));
	json_decref(v1);
	v1 = stats_cmd(r->s, "collect", NULL);
	ck_assert_int_eq(fig(v1, "Hello", "echoes"), 0);
	st1 = status_of(r->s, "Hello");
	assert_json(json_object_get(st1, "error"), json_null());
	json_decref(st1);
	json_decref(st0);
	json_decref(v0);
	json_decref(v1);
	bt_end(r);
}
END_TEST

/* Several collects at once: each answered, by a round of its own. */
START_TEST(t_collect_concurrent)
{
	struct bt *r = bt_new(NULL);
	json_t *body = cc_command_new("collect", NULL), *v, *prev = NULL;
	int64_t seq[3];
	struct cc_msg *msg;
	int rcode;

	bt_start(r);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(cc_send(r->s, "Stats", NULL, NULL, body,
		    CC_WANT_ANSWER, &seq[i]), CC_OK);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(cc_recv_answer(r->s, seq[i], WAIT, &msg),
		    CC_OK);
		ck_assert_int_eq(cc_msg_body(msg, &v, NULL, 0), CC_OK);
		ck_assert_int_eq(cc_answer_parse(v, &rcode, &v), CC_OK);
		ck_assert_int_eq(rcode, 0);
		if (prev != NULL)
			ck_assert_int_ge(fig(v, "Stats", "collections"),
			    fig(prev, "Stats", "collections"));
		json_decref(prev);
		prev = json_incref(v);
		cc_msg_unref(msg);
	}
	json_decref(prev);
	json_decref(body);
	bt_end(r);
}
END_TEST

/* msgq's getstats: exactly its spec's statistics items. */
START_TEST(t_msgq_getstats)
{
	struct tl_msgq *mq = it_msgq();
	struct cc_session *s = cc_session_new();
	json_t *v = NULL, *items, *item;
	size_t i;

	ck_assert_int_eq(cc_session_connect(s, mq->sock, WAIT), CC_OK);
	ck_assert_int_eq(cc_command(s, "Msgq", "getstats", NULL, WAIT, &v),
	    CC_OK);
	items = spec_statistics("msgq.spec");
	ck_assert_uint_eq(json_object_size(v), json_array_size(items));
	json_array_foreach(items, i, item)
		ck_assert(json_is_integer(json_object_get(v,
		    json_string_value(json_object_get(item, "item_name")))));
	ck_assert_int_eq(json_integer_value(json_object_get(v, "clients")),
	    1);
	ck_assert_int_ge(json_integer_value(json_object_get(v, "frames_in")),
	    1);
	json_decref(items);
	json_decref(v);
	cc_session_free(s);
	it_msgq_end(mq);
}
END_TEST

/*
 * msgq, cfgmgr and stats one by one: stats under the test wrapper, the
 * modules played by raw sessions.
 */
struct alone {
	struct tl_msgq		*mq, *cm, *st;
	struct cc_session	*s;	/* the operator's */
};

static void
alone_start(struct alone *a)
{
	const char *cm_args[] = { "-s", NULL, "-p", NULL, NULL };
	const char *st_args[] = { "-s", NULL, "-v", NULL };
	struct tl_client *boss;
	int64_t deadline;
	int rc;

	a->mq = it_msgq();
	boss = it_client(a->mq);
	it_subscribe_sync(boss, "Boss", NULL);
	ck_assert_ptr_nonnull(a->cm = tl_daemon_new("cfgmgr/ccbus-cfgmgr"));
	cm_args[1] = a->mq->sock;
	cm_args[3] = a->cm->dir;
	ck_assert_int_eq(tl_msgq_spawn(a->cm, cm_args), 0);
	ck_assert_msg(tl_client_wait_running(boss, "ConfigManager",
	    tl_ms(10000)), "cfgmgr never said it runs (log %s)", a->cm->log);
	tl_client_free(boss);
	ck_assert_ptr_nonnull(a->st = tl_daemon_new("modules/stats/stats"));
	st_args[1] = a->mq->sock;
	ck_assert_int_eq(tl_msgq_spawn(a->st, st_args), 0);
	ck_assert_ptr_nonnull(a->s = cc_session_new());
	ck_assert_int_eq(cc_session_connect(a->s, a->mq->sock, WAIT), CC_OK);
	/* Ready once it answers. */
	deadline = tl_now_ms() + tl_ms(10000);
	while ((rc = cc_command(a->s, "Stats", "getstats", NULL, WAIT,
	    NULL)) == CC_ENORECIPIENT) {
		ck_assert_msg(a->st->pid > 0 && tl_now_ms() < deadline,
		    "stats not ready (log %s)", a->st->log);
		poll(NULL, 0, BT_POLL_MS);
	}
	ck_assert_int_eq(rc, CC_OK);
}

/* Stop stats first (it must exit 0: the wrapper's verdict), then the
 * others. */
static void
alone_end(struct alone *a)
{
	cc_session_free(a->s);
	ck_assert_int_eq(tl_msgq_stop(a->st), 0);
	tl_msgq_free(a->st);
	ck_assert_int_eq(tl_msgq_stop(a->cm), 0);
	tl_msgq_free(a->cm);
	it_msgq_end(a->mq);
}

/* set_config for Stats: cc_command()'s status. */
static int
set_stats(struct alone *a, json_t *changes)
{
	json_t *args = json_pack("[s, o]", "Stats", changes);
	int rc = cc_command(a->s, "ConfigManager", "set_config", args, WAIT,
	    NULL);

	json_decref(args);
	return rc;
}

/* A module played by a raw session: its spec registered, its group
 * subscribed. */
static struct cc_session *
fake_module(struct alone *a, const char *name, json_t *statistics)
{
	struct cc_session *s = cc_session_new();
	json_t *spec = json_pack("{s:s, s:o}", "module_name", name,
	    "statistics", statistics);

	ck_assert_int_eq(cc_session_connect(s, a->mq->sock, WAIT), CC_OK);
	ck_assert_int_eq(cc_subscribe(s, name, NULL), CC_OK);
	ck_assert_int_eq(cc_ping(s, NULL, 0, WAIT, NULL, NULL), CC_OK);
	ck_assert_msg(cc_command(s, "ConfigManager", "module_spec", spec,
	    WAIT, NULL) == CC_OK, "%s", cc_session_error(s));
	json_decref(spec);
	return s;
}

static json_t *
stat_item(const char *name)
{
	return json_pack("{s:s, s:s, s:b, s:i, s:s, s:s}", "item_name", name,
	    "item_type", "integer", "item_optional", 0, "item_default", 0,
	    "item_title", name, "item_description", name);
}

/* The next command s receives must be getstats: the message. */
static struct cc_msg *
expect_getstats(struct cc_session *s)
{
	struct cc_msg *msg;
	const char *name;
	json_t *body, *args;

	ck_assert_int_eq(cc_recv(s, WAIT, &msg), CC_OK);
	ck_assert_int_eq(cc_msg_body(msg, &body, NULL, 0), CC_OK);
	ck_assert_int_eq(cc_command_parse(body, &name, &args), CC_OK);
	ck_assert_str_eq(name, "getstats");
	return msg;
}

/* No answer within timeout; figures that break the spec. */
START_TEST(t_timeout_and_mismatch)
{
	struct alone a;
	struct cc_session *mute, *odd;
	struct cc_msg *msg, *ans;
	json_t *body, *v;
	int64_t seq, t0;

	alone_start(&a);
	/* No round but ours from now on: the first one is over. */
	ck_assert_int_eq(set_stats(&a, json_pack("{s:f, s:f}", "timeout", 0.3,
	    "interval", 3600.0)), CC_OK);
	mute = fake_module(&a, "Mute", json_pack("[o]", stat_item("n")));
	odd = fake_module(&a, "Odd", json_pack("[o, o]", stat_item("a"),
	    stat_item("b")));
	body = cc_command_new("collect", NULL);
	t0 = tl_now_ms();
	ck_assert_int_eq(cc_send(a.s, "Stats", NULL, NULL, body,
	    CC_WANT_ANSWER, &seq), CC_OK);
	json_decref(body);
	/* Odd answers a string for a, nothing for b; Mute says nothing. */
	msg = expect_getstats(odd);
	body = json_pack("{s:[i, {s:s}]}", "result", 0, "a", "many");
	ck_assert_int_eq(cc_reply(odd, msg, body), CC_OK);
	json_decref(body);
	cc_msg_unref(msg);
	cc_msg_unref(expect_getstats(mute));
	ck_assert_int_eq(cc_recv_answer(a.s, seq, WAIT, &ans), CC_OK);
	cc_msg_unref(ans);
	ck_assert_int_ge(tl_now_ms() - t0, 250);
	/* Mute: never answered, no figures. */
	v = status_of(a.s, "Mute");
	ck_assert_str_eq(json_string_value(json_object_get(v, "error")),
	    "did not answer within 0.3 s");
	assert_json(json_object_get(v, "collected"), json_null());
	json_decref(v);
	stats_error(a.s, "show", json_pack("{s:s}", "module", "Mute"),
	    "no statistics for module Mute: did not answer within 0.3 s");
	/* Odd: kept as said, and reported. */
	assert_json_own(stats_cmd(a.s, "show", json_pack("{s:s}", "module",
	    "Odd")), json_pack("{s:s}", "a", "many"));
	v = status_of(a.s, "Odd");
	ck_assert_msg(strstr(json_string_value(json_object_get(v, "error")),
	    "figures do not match its statistics spec: Odd/") != NULL, "%s",
	    tl_json_text(v));
	json_decref(v);
	v = stats_cmd(a.s, "getstats", NULL);
	ck_assert_int_ge(json_integer_value(json_object_get(v, "errors")), 2);
	json_decref(v);
	cc_session_free(mute);
	cc_session_free(odd);
	alone_end(&a);
}
END_TEST

/* interval and timeout: refused unless > 0; the interval drives rounds. */
START_TEST(t_config)
{
	struct alone a;
	json_int_t c0;
	int64_t deadline;
	json_t *v, *args;

	alone_start(&a);
	ck_assert_int_eq(set_stats(&a, json_pack("{s:f}", "interval", 0.0)),
	    CC_EANSWER);
	ck_assert_msg(strstr(cc_session_error(a.s), "interval must be more "
	    "than 0") != NULL, "%s", cc_session_error(a.s));
	ck_assert_int_eq(set_stats(&a, json_pack("{s:f}", "timeout", -1.0)),
	    CC_EANSWER);
	ck_assert_msg(strstr(cc_session_error(a.s), "timeout must be more "
	    "than 0") != NULL, "%s", cc_session_error(a.s));
	ck_assert_int_eq(set_stats(&a, json_pack("{s:s}", "interval", "x")),
	    CC_EANSWER);
	ck_assert_msg(strstr(cc_session_error(a.s), "interval") != NULL,
	    "%s", cc_session_error(a.s));
	/* Nothing stored by the refusals. */
	args = json_pack("{s:s}", "module_name", "Stats");
	ck_assert_int_eq(cc_command(a.s, "ConfigManager", "get_config", args,
	    WAIT, &v), CC_OK);
	json_decref(args);
	assert_json_own(v, json_object());
	/* A short interval: rounds without any collect. */
	v = stats_cmd(a.s, "getstats", NULL);
	c0 = json_integer_value(json_object_get(v, "collections"));
	json_decref(v);
	ck_assert_int_eq(set_stats(&a, json_pack("{s:f}", "interval", 0.05)),
	    CC_OK);
	deadline = tl_now_ms() + WAIT;
	for (;;) {
		v = stats_cmd(a.s, "getstats", NULL);
		if (json_integer_value(json_object_get(v, "collections")) >=
		    c0 + 3)
			break;
		json_decref(v);
		ck_assert_msg(tl_now_ms() < deadline, "no rounds (log %s)",
		    a.st->log);
		poll(NULL, 0, BT_POLL_MS);
	}
	json_decref(v);
	/* Its own figures, and msgq's (msgq registers msgq.spec when
	 * cfgmgr appears). */
	v = collect_until(a.s, "Stats", "Msgq", NULL);
	ck_assert_uint_eq(json_object_size(v), 2);
	json_decref(v);
	alone_end(&a);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("stats");

	bt_env();
	tcase_add_test(tc, t_show_all);
	tcase_add_test(tc, t_figures_change);
	tcase_add_test(tc, t_show_one);
	tcase_add_test(tc, t_stopped_module);
	tcase_add_test(tc, t_collect_concurrent);
	tcase_add_test(tc, t_msgq_getstats);
	tcase_add_test(tc, t_timeout_and_mismatch);
	tcase_add_test(tc, t_config);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return it_run(suite());
}
