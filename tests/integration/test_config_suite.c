/*
 * The configuration end to end: a real ccbus-msgq and ccbus-cfgmgr, and
 * modules written with libcc's module API (cc/module.h) running in this
 * process's libevent loop, plus the example module modules/hello as a
 * process. The operator's side is a second session attached to the same
 * loop, so that its set_config can wait while the modules answer.
 *
 * Covers CONFIG.md sections 2 and 3 together: registration, the first
 * configuration, updates reduced to what changed, validation before any
 * module sees a change, a module that refuses, a module not running, a
 * two-module set_config rolled back, remote config, notifications and
 * command arguments checked against the spec.
 */
#include "config.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <cc/cc.h>

#include "suite.h"

/* Two small modules of the tests' own. */
static const char alpha_spec[] =
    "{\"module_spec\": {\"module_name\": \"Alpha\","
    " \"config_data\": ["
    "  {\"item_name\": \"a\", \"item_type\": \"integer\","
    "   \"item_optional\": false, \"item_default\": 1},"
    "  {\"item_name\": \"s\", \"item_type\": \"string\","
    "   \"item_optional\": false, \"item_default\": \"x\"}],"
    " \"commands\": [{\"command_name\": \"add\", \"command_args\": ["
    "  {\"item_name\": \"n\", \"item_type\": \"integer\","
    "   \"item_optional\": false, \"item_default\": 0}]},"
    "  {\"command_name\": \"later\", \"command_args\": []}]}}";
static const char beta_spec[] =
    "{\"module_spec\": {\"module_name\": \"Beta\","
    " \"config_data\": ["
    "  {\"item_name\": \"c\", \"item_type\": \"integer\","
    "   \"item_optional\": false, \"item_default\": 10}]}}";

/* What a test module saw: every configuration its handler got. */
struct rec {
	json_t *configs;	/* array of what config_cb received */
	json_t *remote;		/* array of what the remote cb received */
	json_t *notes;		/* array of [topic, event, params] */
	int refuse;		/* config_cb refuses a value equal to this */
	int commands;		/* command_cb calls */
};

static void
rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	r->configs = json_array();
	r->remote = json_array();
	r->notes = json_array();
	r->refuse = -1;
}

static void
rec_clear(struct rec *r)
{
	json_decref(r->configs);
	json_decref(r->remote);
	json_decref(r->notes);
}

/* Refuses when any integer item equals r->refuse. */
static json_t *
rec_config(struct cc_module *m, const json_t *config, void *arg)
{
	struct rec *r = arg;
	const char *k;
	json_t *v;

	json_array_append_new(r->configs, json_deep_copy(config));
	json_object_foreach((json_t *)config, k, v)
		if (json_is_integer(v) && json_integer_value(v) == r->refuse)
			return cc_answer_error(1, "%s may not be %d", k,
			    r->refuse);
	return NULL;
}

/* A deferred answer, sent from a timer after the handler returned. */
struct later {
	struct cc_module	*m;
	struct cc_deferred	*d;
};

static void
later_answer(evutil_socket_t fd, short what, void *arg)
{
	struct later *l = arg;
	json_t *text = json_string("done later");
	json_t *a = cc_answer_new(0, text);

	ck_assert_int_eq(cc_module_answer(l->m, l->d, a), CC_OK);
	json_decref(a);
	json_decref(text);
	free(l);
}

static json_t *
rec_command(struct cc_module *m, const char *name, const json_t *args,
    void *arg)
{
	struct timeval tv = { 0, 20000 };
	struct rec *r = arg;
	struct later *l;

	r->commands++;
	if (strcmp(name, "later") == 0) {
		ck_assert_ptr_nonnull(l = malloc(sizeof(*l)));
		l->m = m;
		ck_assert_ptr_nonnull(l->d = cc_module_defer(m));
		ck_assert_int_eq(event_base_once(base, -1, EV_TIMEOUT,
		    later_answer, l, &tv), 0);
		return NULL;
	}
	return cc_answer_new(0, json_object_get(args, "n"));
}

static void
rec_remote(struct cc_module *m, const char *module, const json_t *config,
    void *arg)
{
	struct rec *r = arg;

	json_array_append_new(r->remote, json_deep_copy(config));
}

static void
rec_note(struct cc_module *m, const char *topic, const char *event,
    const json_t *params, void *arg)
{
	struct rec *r = arg;

	json_array_append_new(r->notes, json_pack("[s, s, O?]", topic, event,
	    params));
}

/* A started module with spec file text (NULL: an installed spec name). */
static struct cc_module *
module_start(const char *file, const char *text, struct rec *r)
{
	return suite_module_start(file, text, rec_config, rec_command, r);
}

static int
ctl_call(const char *group, const char *name, json_t *args, json_t **value)
{
	return ctl_call_within(group, name, args, value, 8000);
}

/* set_config [module, changes] (stolen); status, error text in err. */
static int
set_config(const char *module, json_t *changes, char *err, size_t len)
{
	json_t *v = NULL;
	int rc = ctl_call("ConfigManager", "set_config",
	    json_pack("[s, o]", module, changes), &v);

	if (err != NULL)
		snprintf(err, len, "%s", json_is_string(v) ?
		    json_string_value(v) : "");
	json_decref(v);
	return rc;
}

#define set_ok(module, changes) do {					\
	char e_[512];							\
	int r_ = set_config((module), (changes), e_, sizeof(e_));	\
	ck_assert_msg(r_ == CC_OK, "set_config %s: %s (%s)", (module),	\
	    cc_strerror(r_), e_);					\
} while (0)

/* get_config of one module (a new reference). */
static json_t *
get_config(const char *module)
{
	json_t *v = NULL;

	ck_assert_int_eq(ctl_call("ConfigManager", "get_config",
	    json_pack("{s:s}", "module_name", module), &v), CC_OK);
	ck_assert_ptr_nonnull(v);
	return v;
}

/* The stored file's value for module (a new reference, {} if none). */
static json_t *
stored(const char *module)
{
	char path[TL_PATH_MAX];
	json_error_t e;
	json_t *f, *v;

	snprintf(path, sizeof(path), "%s/ccbus-config.db", cm->dir);
	f = json_load_file(path, 0, &e);
	if (f == NULL)
		return json_object();
	ck_assert_int_eq(json_integer_value(json_object_get(f, "version")),
	    1);
	v = json_object_get(f, module);
	v = v != NULL ? json_incref(v) : json_object();
	json_decref(f);
	return v;
}

static void
teardown(void)
{
	cc_session_free(ctl);
	event_base_free(base);
	if (cm != NULL && cm->pid > 0)
		ck_assert_int_eq(tl_msgq_stop(cm), 0);
	tl_msgq_free(cm);
	it_msgq_end(mq);
}

START_TEST(test_registration_and_first_config)
{
	struct cc_module *m;
	struct rec r;
	json_t *v = NULL;

	/* Hello has never run: its installed spec is known, so an operator
	 * may configure it first; it gets the value when it starts. */
	set_ok("Hello", json_pack("{s:s}", "greeting", "hi"));
	rec_init(&r);
	m = module_start("hello.spec", NULL, &r);
	ck_assert_uint_eq(json_array_size(r.configs), 1);
	assert_nth(r.configs, 0, json_pack("{s:s, s:f}", "greeting", "hi",
	    "interval", 1.0));
	ck_assert_int_eq(ctl_call("ConfigManager", "get_module_spec",
	    json_pack("{s:s}", "module_name", "Hello"), &v), CC_OK);
	assert_json_own(v, json_deep_copy(cc_spec_json(cc_module_spec(m))));
	cc_module_free(m);
	rec_clear(&r);
}
END_TEST

START_TEST(test_update_reaches_handler_with_changes_only)
{
	struct cc_module *m;
	struct rec r;

	rec_init(&r);
	m = module_start("alpha.spec", alpha_spec, &r);
	assert_nth(r.configs, 0, json_pack("{s:i, s:s}", "a", 1, "s", "x"));
	set_ok("Alpha", json_pack("{s:i}", "a", 5));
	assert_nth(r.configs, 1, json_pack("{s:i}", "a", 5));
	ck_assert_int_eq(json_integer_value(cc_module_get_value(m, "a")), 5);
	assert_json_own(get_config("Alpha"), json_pack("{s:i}", "a", 5));
	assert_json_own(stored("Alpha"), json_pack("{s:i}", "a", 5));
	set_ok("Alpha", json_pack("{s:s}", "s", "y"));
	assert_nth(r.configs, 2, json_pack("{s:s}", "s", "y"));
	/* null removes the stored value: the default comes back. */
	set_ok("Alpha", json_pack("{s:n}", "a"));
	assert_nth(r.configs, 3, json_pack("{s:i}", "a", 1));
	ck_assert_uint_eq(json_array_size(r.configs), 4);
	assert_json_own(get_config("Alpha"), json_pack("{s:s}", "s", "y"));
	assert_json_own(stored("Alpha"), json_pack("{s:s}", "s", "y"));
	cc_module_free(m);
	rec_clear(&r);
}
END_TEST

START_TEST(test_invalid_set_config_never_reaches_module)
{
	struct cc_module *m;
	char err[512];
	struct rec r;

	rec_init(&r);
	m = module_start("alpha.spec", alpha_spec, &r);
	ck_assert_int_eq(set_config("Alpha", json_pack("{s:s}", "a", "five"),
	    err, sizeof(err)), CC_EANSWER);
	ck_assert_msg(strstr(err, "Alpha/a") != NULL, "message: %s", err);
	ck_assert_int_eq(set_config("Alpha", json_pack("{s:i}", "colour", 1),
	    err, sizeof(err)), CC_EANSWER);
	ck_assert_msg(strstr(err, "colour") != NULL, "message: %s", err);
	ck_assert_int_eq(set_config("Nobody", json_object(), err,
	    sizeof(err)), CC_EANSWER);
	ck_assert_msg(strstr(err, "Nobody") != NULL, "message: %s", err);
	ck_assert_uint_eq(json_array_size(r.configs), 1);
	assert_json_own(get_config("Alpha"), json_object());
	assert_json_own(stored("Alpha"), json_object());
	cc_module_free(m);
	rec_clear(&r);
}
END_TEST

START_TEST(test_module_refusal_changes_nothing)
{
	struct cc_module *m;
	char err[512];
	struct rec r;

	rec_init(&r);
	r.refuse = 13;
	m = module_start("alpha.spec", alpha_spec, &r);
	set_ok("Alpha", json_pack("{s:i}", "a", 5));
	ck_assert_int_eq(set_config("Alpha", json_pack("{s:i}", "a", 13),
	    err, sizeof(err)), CC_EANSWER);
	ck_assert_msg(strncmp(err, "Alpha: ", 7) == 0 &&
	    strstr(err, "a may not be 13") != NULL, "message: %s", err);
	ck_assert_int_eq(json_integer_value(cc_module_get_value(m, "a")), 5);
	assert_json_own(get_config("Alpha"), json_pack("{s:i}", "a", 5));
	assert_json_own(stored("Alpha"), json_pack("{s:i}", "a", 5));
	cc_module_free(m);
	rec_clear(&r);
}
END_TEST

START_TEST(test_stopped_module_gets_stored_values_at_start)
{
	struct cc_module *m;
	struct rec r;

	rec_init(&r);
	m = module_start("alpha.spec", alpha_spec, &r);
	cc_module_free(m);
	set_ok("Alpha", json_pack("{s:i}", "a", 7));
	ck_assert_uint_eq(json_array_size(r.configs), 1);
	assert_json_own(stored("Alpha"), json_pack("{s:i}", "a", 7));
	m = module_start("alpha.spec", alpha_spec, &r);
	assert_nth(r.configs, 1, json_pack("{s:i, s:s}", "a", 7, "s", "x"));
	cc_module_free(m);
	rec_clear(&r);
}
END_TEST

START_TEST(test_two_modules_all_or_nothing)
{
	struct cc_module *a, *b;
	struct rec ra, rb;
	json_t *v = NULL;

	rec_init(&ra);
	rec_init(&rb);
	rb.refuse = 13;
	a = module_start("alpha.spec", alpha_spec, &ra);
	b = module_start("beta.spec", beta_spec, &rb);
	ck_assert_int_eq(ctl_call("ConfigManager", "set_config",
	    json_pack("[{s:{s:i}, s:{s:i}}]", "Alpha", "a", 2, "Beta", "c",
	    13), &v), CC_EANSWER);
	ck_assert_msg(json_is_string(v) &&
	    strncmp(json_string_value(v), "Beta: ", 6) == 0, "answer: %s",
	    json_string_value(v));
	json_decref(v);
	/* Alpha accepted first; the rollback gives it its old value. */
	loop_until(json_array_size(ra.configs) == 3);
	assert_nth(ra.configs, 1, json_pack("{s:i}", "a", 2));
	assert_nth(ra.configs, 2, json_pack("{s:i}", "a", 1));
	ck_assert_int_eq(json_integer_value(cc_module_get_value(a, "a")), 1);
	ck_assert_int_eq(json_integer_value(cc_module_get_value(b, "c")), 10);
	assert_json_own(get_config("Alpha"), json_object());
	assert_json_own(get_config("Beta"), json_object());
	assert_json_own(stored("Alpha"), json_object());
	cc_module_free(a);
	cc_module_free(b);
	rec_clear(&ra);
	rec_clear(&rb);
}
END_TEST

START_TEST(test_remote_config_follows_changes)
{
	struct cc_module *a, *b;
	struct rec ra, rb;

	rec_init(&ra);
	rec_init(&rb);
	a = module_start("alpha.spec", alpha_spec, &ra);
	b = module_start("beta.spec", beta_spec, &rb);
	ck_assert_int_eq(cc_module_add_remote_config(b, "Alpha", rec_remote,
	    &rb, 5000), CC_OK);
	assert_nth(rb.remote, 0, json_pack("{s:i, s:s}", "a", 1, "s", "x"));
	set_ok("Alpha", json_pack("{s:i}", "a", 3));
	loop_until(json_array_size(rb.remote) == 2);
	assert_nth(rb.remote, 1, json_pack("{s:i}", "a", 3));
	ck_assert_int_eq(json_integer_value(cc_module_get_remote_value(b,
	    "Alpha", "a")), 3);
	/* Beta's own configuration was not touched. */
	ck_assert_uint_eq(json_array_size(rb.configs), 1);
	cc_module_free(a);
	cc_module_free(b);
	rec_clear(&ra);
	rec_clear(&rb);
}
END_TEST

START_TEST(test_notifications_between_modules)
{
	struct cc_module *a, *b;
	struct rec ra, rb;
	json_t *params = json_pack("{s:i}", "x", 1);

	rec_init(&ra);
	rec_init(&rb);
	a = module_start("alpha.spec", alpha_spec, &ra);
	b = module_start("beta.spec", beta_spec, &rb);
	ck_assert_int_eq(cc_module_subscribe_notification(b, "events",
	    rec_note, &rb), CC_OK);
	ck_assert_int_eq(cc_module_notify(a, "events", "changed", params),
	    CC_OK);
	loop_until(json_array_size(rb.notes) == 1);
	assert_nth(rb.notes, 0, json_pack("[s, s, O]", "events", "changed",
	    params));
	json_decref(params);
	cc_module_free(a);
	cc_module_free(b);
	rec_clear(&ra);
	rec_clear(&rb);
}
END_TEST

START_TEST(test_command_args_checked_against_spec)
{
	struct cc_module *m;
	json_t *v = NULL;
	struct rec r;

	rec_init(&r);
	m = module_start("alpha.spec", alpha_spec, &r);
	ck_assert_int_eq(ctl_call("Alpha", "add", json_pack("{s:s}", "n",
	    "four"), &v), CC_EANSWER);
	ck_assert_msg(json_is_string(v) && strstr(json_string_value(v), "n")
	    != NULL, "answer: %s", json_string_value(v));
	json_decref(v);
	ck_assert_int_eq(ctl_call("Alpha", "add", json_object(), NULL),
	    CC_EANSWER);
	ck_assert_int_eq(ctl_call("Alpha", "nope", NULL, &v), CC_EANSWER);
	assert_json_own(v, json_string("Unknown command: nope"));
	ck_assert_int_eq(r.commands, 0);
	ck_assert_int_eq(ctl_call("Alpha", "add", json_pack("{s:i}", "n", 4),
	    &v), CC_OK);
	assert_json_own(v, json_integer(4));
	ck_assert_int_eq(r.commands, 1);
	cc_module_free(m);
	rec_clear(&r);
}
END_TEST

START_TEST(test_deferred_answer)
{
	struct cc_module *m;
	json_t *v = NULL;
	struct rec r;

	rec_init(&r);
	m = module_start("alpha.spec", alpha_spec, &r);
	/* Outside a command handler there is nothing to defer. */
	ck_assert_ptr_null(cc_module_defer(m));
	ck_assert_int_eq(ctl_call("Alpha", "later", NULL, &v), CC_OK);
	assert_json_own(v, json_string("done later"));
	ck_assert_int_eq(r.commands, 1);
	/* The next command is answered at once again. */
	ck_assert_int_eq(ctl_call("Alpha", "add", json_pack("{s:i}", "n", 2),
	    &v), CC_OK);
	assert_json_own(v, json_integer(2));
	cc_module_free(m);
	rec_clear(&r);
}
END_TEST

/* Start modules/hello; ready once it answers a command. */
static struct tl_msgq *
hello_start(void)
{
	struct tl_msgq *h = tl_daemon_new("modules/hello/hello");
	const char *args[] = { "-s", mq->sock, NULL };
	int64_t deadline = tl_now_ms() + WAIT;
	int rc;

	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(tl_msgq_spawn(h, args), 0);
	while ((rc = ctl_call("Hello", "getstats", NULL, NULL)) ==
	    CC_ENORECIPIENT) {
		ck_assert_msg(h->pid > 0 && tl_now_ms() < deadline,
		    "hello not ready (log %s)", h->log);
		poll(NULL, 0, 5);
	}
	ck_assert_int_eq(rc, CC_OK);
	return h;
}

static void
assert_greeting(const char *want)
{
	json_t *v = NULL;

	ck_assert_int_eq(ctl_call("Hello", "greet", NULL, &v), CC_OK);
	assert_json_own(v, json_string(want));
}

START_TEST(test_hello_process_configured_and_stopped)
{
	struct tl_msgq *h;
	char err[512];

	set_ok("Hello", json_pack("{s:s}", "greeting", "bonjour"));
	h = hello_start();
	assert_greeting("bonjour");
	set_ok("Hello", json_pack("{s:s}", "greeting", "hey"));
	assert_greeting("hey");
	ck_assert_int_eq(set_config("Hello", json_pack("{s:f}", "interval",
	    -1.0), err, sizeof(err)), CC_EANSWER);
	ck_assert_str_eq(err, "Hello: interval must not be negative");
	assert_json_own(get_config("Hello"), json_pack("{s:s}", "greeting",
	    "hey"));
	/* The boss's shutdown for another pid is not for it. */
	ck_assert_int_eq(ctl_call_within("Hello", "shutdown",
	    json_pack("{s:i}", "pid", (int)h->pid + 100000), NULL, 300),
	    CC_ETIMEDOUT);
	assert_greeting("hey");
	ck_assert_int_eq(ctl_call("Hello", "shutdown", json_pack("{s:i}",
	    "pid", (int)h->pid), NULL), CC_OK);
	ck_assert_int_eq(tl_msgq_wait_exit(h, WAIT), 0);
	tl_msgq_free(h);
	/* Stored while it is down, delivered when it starts again. */
	set_ok("Hello", json_pack("{s:s}", "greeting", "again"));
	h = hello_start();
	assert_greeting("again");
	ck_assert_int_eq(tl_msgq_stop(h), 0);
	tl_msgq_free(h);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("config suite");
	TCase *tc = tcase_create("msgq + cfgmgr + modules");

	tcase_add_checked_fixture(tc, suite_setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_registration_and_first_config);
	tcase_add_test(tc, test_update_reaches_handler_with_changes_only);
	tcase_add_test(tc, test_invalid_set_config_never_reaches_module);
	tcase_add_test(tc, test_module_refusal_changes_nothing);
	tcase_add_test(tc, test_stopped_module_gets_stored_values_at_start);
	tcase_add_test(tc, test_two_modules_all_or_nothing);
	tcase_add_test(tc, test_remote_config_follows_changes);
	tcase_add_test(tc, test_notifications_between_modules);
	tcase_add_test(tc, test_command_args_checked_against_spec);
	tcase_add_test(tc, test_deferred_answer);
	tcase_add_test(tc, test_hello_process_configured_and_stopped);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return it_run(suite());
}
