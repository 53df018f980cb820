/*
 * ccbus-cfgmgr against a real ccbus-msgq (CONFIG.md section 2), with raw
 * clients playing the boss (readiness), the modules (they subscribe to
 * their group, register their spec and answer config_update yes, no or
 * never) and the operator (commands). Covers every command and its bad
 * arguments, set_config's validation, acceptance, refusal, timeout,
 * modules not running, stopping and disconnecting, all-or-nothing over
 * two modules, the queue, the file, and the daemon's exit statuses.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "itest.h"

static struct tl_msgq *mq;	/* msgq */
static struct tl_msgq *cf;	/* cfgmgr, not started by setup_bare */
static struct tl_client *boss;	/* subscribed to Boss */
static char datadir[TL_DIR_MAX + 16];
static char dbpath[TL_DIR_MAX + 48];

/* Spawn cfgmgr on datadir with extra arguments (NULL-terminated). */
static void
cfg_spawn(const char *extra1, const char *extra2)
{
	const char *args[] = { "-s", mq->sock, "-p", datadir, "-v", extra1,
	    extra2, NULL };

	ck_assert_int_eq(tl_msgq_spawn(cf, args), 0);
}

static void
cfg_start(const char *extra)
{
	cfg_spawn(extra, NULL);
	ck_assert_msg(tl_client_wait_running(boss, "ConfigManager",
	    tl_ms(10000)), "cfgmgr not ready");
	ck_assert(tl_log_wait(cf->log, "ready", WAIT));
}

static void
setup_bare(void)
{
	mq = it_msgq();
	boss = it_client(mq);
	it_subscribe_sync(boss, "Boss", NULL);
	cf = tl_daemon_new("cfgmgr/ccbus-cfgmgr");
	ck_assert_ptr_nonnull(cf);
	snprintf(datadir, sizeof(datadir), "%s/data", cf->dir);
	snprintf(dbpath, sizeof(dbpath), "%s/ccbus-config.db", datadir);
}

static void
setup(void)
{
	setup_bare();
	cfg_start(NULL);
}

static void
teardown(void)
{
	it_msgq_end(cf);
	tl_client_free(boss);
	it_msgq_end(mq);
	cf = mq = NULL;
	boss = NULL;
}

/* Send the command (args stolen, may be NULL) to ConfigManager. */
static int64_t
cmd_send(struct tl_client *c, const char *name, json_t *args)
{
	json_t *body = args != NULL ? json_pack("{s:[s,o]}", "command", name,
	    args) : json_pack("{s:[s]}", "command", name);
	int64_t seq;

	ck_assert_int_eq(tl_client_send_to(c, "ConfigManager", NULL, body,
	    true, &seq), 0);
	return seq;
}

/* The answer to seq: its "result" list (new reference); other frames
 * before it are skipped. */
static json_t *
cmd_wait_ms(struct tl_client *c, int64_t seq, int timeout_ms)
{
	int64_t deadline = tl_now_ms() + timeout_ms, reply;
	struct tl_frame f;
	json_t *r;

	for (;;) {
		ck_assert_int_eq(tl_client_read(c, (int)(deadline -
		    tl_now_ms()), &f), 1);
		if (tl_frame_int(&f, "reply", &reply) && reply == seq)
			break;
		tl_frame_clear(&f);
	}
	ck_assert_str_eq(tl_frame_str(&f, "group"), "ConfigManager");
	ck_assert_str_eq(tl_frame_str(&f, "to"), c->lname);
	r = json_incref(json_object_get(f.body, "result"));
	ck_assert_msg(json_is_array(r), "not an answer");
	tl_frame_clear(&f);
	return r;
}

static json_t *
cmd_wait(struct tl_client *c, int64_t seq)
{
	return cmd_wait_ms(c, seq, WAIT);
}

static json_t *
cmd(struct tl_client *c, const char *name, json_t *args)
{
	return cmd_wait(c, cmd_send(c, name, args));
}

/* The inner spec of a shipped spec file. */
static json_t *
spec_of(const char *file)
{
	char path[TL_PATH_MAX];
	json_error_t e;
	json_t *root, *inner;

	snprintf(path, sizeof(path), "%s/%s", getenv("CCBUS_SPECDIR"), file);
	root = json_load_file(path, 0, &e);
	ck_assert_msg(root != NULL, "%s: %s", path, e.text);
	inner = json_incref(json_object_get(root, "module_spec"));
	json_decref(root);
	ck_assert_ptr_nonnull(inner);
	return inner;
}

/* A small spec: one optional integer v, one optional string s. */
static json_t *
mini_spec(const char *name)
{
	return json_pack("{s:s, s:[{s:s, s:s, s:b}, {s:s, s:s, s:b}]}",
	    "module_name", name, "config_data",
	    "item_name", "v", "item_type", "integer", "item_optional", 1,
	    "item_name", "s", "item_type", "string", "item_optional", 1);
}

/* A client subscribed to group name that registered spec (stolen). */
static struct tl_client *
module_start(const char *name, json_t *spec)
{
	struct tl_client *c = it_client(mq);

	it_subscribe_sync(c, name, NULL);
	assert_json_own(cmd(c, "module_spec", spec), json_pack("[i]", 0));
	return c;
}

/* The next frame of c is config_update with values want (stolen), with
 * want_answer as asked; it stays in *f for the answer. */
static void
expect_update(struct tl_client *c, struct tl_frame *f, json_t *want,
    bool want_answer)
{
	json_t *w;

	it_expect_frame(c, f);
	assert_json(json_object_get(f->body, "command"),
	    json_pack("[s,o]", "config_update", want));
	w = json_object_get(f->hdr, "want_answer");
	ck_assert_msg(json_is_true(w) == want_answer, "want_answer %s",
	    w == NULL ? "absent" : json_is_true(w) ? "true" : "false");
}

/* Answer f's command from c with {"result": result} (stolen). */
static void
module_answer(struct tl_client *c, struct tl_frame *f, json_t *result)
{
	int64_t seq;

	ck_assert(tl_frame_int(f, "seq", &seq));
	it_send(c, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "type", "send",
	    "from", c->lname, "to", tl_frame_str(f, "from"), "group",
	    tl_frame_str(f, "group"), "instance", "*", "reply",
	    (json_int_t)seq), json_pack("{s:o}", "result", result));
	tl_frame_clear(f);
}

/* The file's content, or NULL if it does not exist. */
static json_t *
stored(void)
{
	json_error_t e;

	if (access(dbpath, F_OK) == -1)
		return NULL;
	return json_load_file(dbpath, 0, &e);
}

static void
write_db(const char *text)
{
	FILE *fp;

	mkdir(datadir, 0700);
	ck_assert_ptr_nonnull(fp = fopen(dbpath, "w"));
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

static char *
read_db(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = calloc(1, 4096);

	ck_assert_ptr_nonnull(fp);
	fread(buf, 1, 4095, fp);
	fclose(fp);
	return buf;
}

static void
set_timeout(struct tl_client *c, double sec)
{
	assert_json_own(cmd(c, "set_config", json_pack("[s,{s:f}]",
	    "ConfigManager", "answer_timeout", sec)), json_pack("[i]", 0));
}

START_TEST(test_get_module_spec)
{
	struct tl_client *c = it_client(mq);
	json_t *v;

	v = cmd(c, "get_module_spec", NULL);
	ck_assert_int_eq(json_integer_value(json_array_get(v, 0)), 0);
	assert_json(json_object_get(json_array_get(v, 1), "Hello"),
	    spec_of("hello.spec"));
	assert_json(json_object_get(json_array_get(v, 1), "ConfigManager"),
	    spec_of("cfgmgr.spec"));
	json_decref(v);
	assert_json_own(cmd(c, "get_module_spec", json_pack("{s:s}",
	    "module_name", "Hello")), json_pack("[i,o]", 0,
	    spec_of("hello.spec")));
	assert_json_own(cmd(c, "get_module_spec", json_pack("{s:s}",
	    "module_name", "NoSuch")), json_pack("[i,{}]", 0));
	assert_json_own(cmd(c, "get_module_spec", json_pack("{s:i}",
	    "module_name", 1)), json_pack("[i,s]", 1,
	    "Bad module_name in get_module_spec command"));
	assert_json_own(cmd(c, "get_module_spec", json_string("Hello")),
	    json_pack("[i,s]", 1, "Bad module_name in get_module_spec "
	    "command"));
	tl_client_free(c);
}
END_TEST

START_TEST(test_get_config)
{
	struct tl_client *c = it_client(mq);

	assert_json_own(cmd(c, "get_config", NULL), json_pack("[i,{}]", 0));
	assert_json_own(cmd(c, "get_config", json_pack("{s:s}",
	    "module_name", "Hello")), json_pack("[i,{}]", 0));
	assert_json_own(cmd(c, "get_config", json_pack("{s:s}",
	    "module_name", "NoSuch")), json_pack("[i,{}]", 0));
	assert_json_own(cmd(c, "get_config", json_pack("{s:b}",
	    "module_name", 1)), json_pack("[i,s]", 1,
	    "Bad module_name in get_config command"));
	assert_json_own(cmd(c, "get_config", json_pack("[s]", "Hello")),
	    json_pack("[i,s]", 1, "Bad module_name in get_config command"));
	/* Values set show up, one module or all, without "version". */
	assert_json_own(cmd(c, "set_config", json_pack("[s,{s:s}]", "Hello",
	    "greeting", "hi")), json_pack("[i]", 0));
	assert_json_own(cmd(c, "get_config", NULL), json_pack("[i,{s:{s:s}}]",
	    0, "Hello", "greeting", "hi"));
	assert_json_own(cmd(c, "get_config", json_pack("{s:s}",
	    "module_name", "Hello")), json_pack("[i,{s:s}]", 0, "greeting",
	    "hi"));
	tl_client_free(c);
}
END_TEST

START_TEST(test_commands_and_statistics_spec)
{
	struct tl_client *c = it_client(mq);
	json_t *hello = spec_of("hello.spec"), *v;

	v = cmd(c, "get_commands_spec", NULL);
	ck_assert_int_eq(json_integer_value(json_array_get(v, 0)), 0);
	assert_json(json_object_get(json_array_get(v, 1), "Hello"),
	    json_incref(json_object_get(hello, "commands")));
	json_decref(v);
	v = cmd(c, "get_statistics_spec", NULL);
	ck_assert_int_eq(json_integer_value(json_array_get(v, 0)), 0);
	assert_json(json_object_get(json_array_get(v, 1), "Hello"),
	    json_incref(json_object_get(hello, "statistics")));
	/* A spec without statistics has an empty list. */
	assert_json(json_object_get(json_array_get(v, 1), "ConfigManager"),
	    json_array());
	json_decref(v);
	json_decref(hello);
	tl_client_free(c);
}
END_TEST

START_TEST(test_module_spec)
{
	struct tl_client *c = it_client(mq);

	assert_json_own(cmd(c, "module_spec", json_pack("{s:s}",
	    "module_description", "no name")), json_pack("[i,s]", 1,
	    "Error in data definition: module_spec: module_name missing"));
	assert_json_own(cmd(c, "module_spec", json_pack("[s]", "Extra")),
	    json_pack("[i,s]", 1, "Error in data definition: the spec is "
	    "not a map"));
	assert_json_own(cmd(c, "module_spec", NULL), json_pack("[i,s]", 1,
	    "Error in data definition: the spec is not a map"));
	assert_json_own(cmd(c, "module_spec", json_pack("{s:s}",
	    "module_name", "ConfigManager")), json_pack("[i,s]", 1,
	    "Error in data definition: module name ConfigManager is "
	    "reserved"));
	/* Nothing was registered by the refusals. */
	assert_json_own(cmd(c, "get_module_spec", json_pack("{s:s}",
	    "module_name", "Extra")), json_pack("[i,{}]", 0));
	/* A good one replaces what was known. */
	assert_json_own(cmd(c, "module_spec", mini_spec("Extra")),
	    json_pack("[i]", 0));
	assert_json_own(cmd(c, "get_module_spec", json_pack("{s:s}",
	    "module_name", "Extra")), json_pack("[i,o]", 0,
	    mini_spec("Extra")));
	assert_json_own(cmd(c, "module_spec", json_pack("{s:s}",
	    "module_name", "Extra")), json_pack("[i]", 0));
	assert_json_own(cmd(c, "get_module_spec", json_pack("{s:s}",
	    "module_name", "Extra")), json_pack("[i,{s:s}]", 0,
	    "module_name", "Extra"));
	tl_client_free(c);
}
END_TEST

START_TEST(test_module_spec_bad_item)
{
	struct tl_client *c = it_client(mq);

	assert_json_own(cmd(c, "module_spec", json_pack("{s:s, s:[{s:s, s:s,"
	    " s:b, s:s}]}", "module_name", "Bad", "config_data", "item_name",
	    "interval", "item_type", "real", "item_optional", 0,
	    "item_default", "x")), json_pack("[i,s]", 1, "Error in data "
	    "definition: item_default for 'interval' should be a real"));
	tl_client_free(c);
}
END_TEST

START_TEST(test_unknown_command)
{
	struct tl_client *c = it_client(mq);
	int64_t seq;

	assert_json_own(cmd(c, "frobnicate", NULL), json_pack("[i,s]", 1,
	    "Unknown command: frobnicate"));
	/* A body that is not a command gets no answer. */
	ck_assert_int_eq(tl_client_send_to(c, "ConfigManager", NULL,
	    json_pack("{s:i}", "hello", 1), false, &seq), 0);
	assert_json_own(cmd(c, "get_config", NULL), json_pack("[i,{}]", 0));
	it_expect_nothing(c);
	tl_client_free(c);
}
END_TEST

static const struct bad_set {
	const char	*args;		/* JSON, NULL: no args */
	const char	*why;
} bad_sets[] = {
	{ NULL, "Wrong number of arguments" },
	{ "[]", "Wrong number of arguments" },
	{ "[\"Hello\", {}, {}]", "Wrong number of arguments" },
	{ "{\"Hello\": {}}", "Wrong number of arguments" },
	{ "[\"Hello\"]", "set_config: the argument should be a map of "
	    "module names to changes" },
	{ "[1, {}]", "set_config: the module name should be a string" },
	{ "[\"Hello\", 1]", "set_config: changes for Hello should be a map" },
	{ "[{\"Hello\": [1]}]", "set_config: changes for Hello should be a "
	    "map" },
	{ "[\"NoSuch\", {}]", "Unknown module: NoSuch" },
	{ "[{\"Hello\": {}, \"NoSuch\": {}}]", "Unknown module: NoSuch" },
	{ "[\"Hello\", {\"interval\": \"x\"}]",
	    "Hello/interval should be a real" },
	{ "[\"Hello\", {\"nosuch\": 1}]", "Hello: unknown item 'nosuch'" },
	{ "[\"Hello\", {\"peers\": [\"a\", 2]}]",
	    "Hello/peers[1] should be a string" },
	{ "[\"ConfigManager\", {\"answer_timeout\": 0}]",
	    "ConfigManager/answer_timeout should be greater than 0 and at "
	    "most 86400" },
	{ "[\"ConfigManager\", {\"answer_timeout\": \"1\"}]",
	    "ConfigManager/answer_timeout should be a real" },
};

/* Refused before any module hears of it: the running Hello receives
 * nothing, nothing is stored. */
START_TEST(test_set_refused_early)
{
	const struct bad_set *b = &bad_sets[_i];
	struct tl_client *hello = module_start("Hello", spec_of("hello.spec"));
	struct tl_client *c = it_client(mq);
	json_error_t e;
	json_t *args = NULL, *v;

	if (b->args != NULL)
		ck_assert_ptr_nonnull(args = json_loads(b->args, 0, &e));
	v = cmd(c, "set_config", args);
	ck_assert_int_eq(json_integer_value(json_array_get(v, 0)), 1);
	ck_assert_ptr_nonnull(json_string_value(json_array_get(v, 1)));
	ck_assert_str_eq(json_string_value(json_array_get(v, 1)), b->why);
	json_decref(v);
	it_expect_nothing(hello);
	ck_assert_ptr_null(stored());
	assert_json_own(cmd(c, "get_config", NULL), json_pack("[i,{}]", 0));
	tl_client_free(c);
	tl_client_free(hello);
}
END_TEST

START_TEST(test_set_accepted)
{
	struct tl_client *hello = module_start("Hello", spec_of("hello.spec"));
	struct tl_client *c = it_client(mq);
	struct tl_frame f;
	int64_t seq;

	seq = cmd_send(c, "set_config", json_pack("[s,{s:s}]", "Hello",
	    "greeting", "hi"));
	expect_update(hello, &f, json_pack("{s:s}", "greeting", "hi"), true);
	module_answer(hello, &f, json_pack("[i]", 0));
	assert_json_own(cmd_wait(c, seq), json_pack("[i]", 0));
	assert_json_own(cmd(c, "get_config", json_pack("{s:s}",
	    "module_name", "Hello")), json_pack("[i,{s:s}]", 0, "greeting",
	    "hi"));
	assert_json_own(stored(), json_pack("{s:i, s:{s:s}}", "version", 1,
	    "Hello", "greeting", "hi"));
	/* The second update carries the merged values, not the change. */
	seq = cmd_send(c, "set_config", json_pack("[{s:{s:f}}]", "Hello",
	    "interval", 0.5));
	expect_update(hello, &f, json_pack("{s:s, s:f}", "greeting", "hi",
	    "interval", 0.5), true);
	module_answer(hello, &f, json_pack("[i]", 0));
	assert_json_own(cmd_wait(c, seq), json_pack("[i]", 0));
	assert_json_own(stored(), json_pack("{s:i, s:{s:s, s:f}}", "version",
	    1, "Hello", "greeting", "hi", "interval", 0.5));
	it_expect_nothing(hello);
	tl_client_free(c);
	tl_client_free(hello);
}
END_TEST

START_TEST(test_set_module_refuses)
{
	struct tl_client *hello = module_start("Hello", spec_of("hello.spec"));
	struct tl_client *c = it_client(mq);
	struct tl_frame f;
	int64_t seq;

	seq = cmd_send(c, "set_config", json_pack("[s,{s:s}]", "Hello",
	    "greeting", "no"));
	expect_update(hello, &f, json_pack("{s:s}", "greeting", "no"), true);
	module_answer(hello, &f, json_pack("[i,s]", 1, "I do not like it"));
	assert_json_own(cmd_wait(c, seq), json_pack("[i,s]", 1,
	    "Hello: I do not like it"));
	/* Its followers get the old values back. */
	expect_update(hello, &f, json_object(), false);
	tl_frame_clear(&f);
	assert_json_own(cmd(c, "get_config", NULL), json_pack("[i,{}]", 0));
	ck_assert_ptr_null(stored());
	tl_client_free(c);
	tl_client_free(hello);
}
END_TEST

START_TEST(test_set_module_silent)
{
	struct tl_client *hello = module_start("Hello", spec_of("hello.spec"));
	struct tl_client *c = it_client(mq);
	struct tl_frame f;
	int64_t seq, t0;

	set_timeout(c, 0.3);
	t0 = tl_now_ms();
	seq = cmd_send(c, "set_config", json_pack("[s,{s:s}]", "Hello",
	    "greeting", "x"));
	expect_update(hello, &f, json_pack("{s:s}", "greeting", "x"), true);
	tl_frame_clear(&f);
	assert_json_own(cmd_wait(c, seq), json_pack("[i,s]", 1,
	    "Hello: no answer within 0.3 s"));
	ck_assert_int_ge(tl_now_ms() - t0, 300);
	expect_update(hello, &f, json_object(), false);
	tl_frame_clear(&f);
	assert_json_own(cmd(c, "get_config", NULL), json_pack("[i,{s:{s:f}}]",
	    0, "ConfigManager", "answer_timeout", 0.3));
	assert_json_own(stored(), json_pack("{s:i, s:{s:f}}", "version", 1,
	    "ConfigManager", "answer_timeout", 0.3));
	tl_client_free(c);
	tl_client_free(hello);
}
END_TEST

/* Not running: stored at once; a follower of the module still hears. */
START_TEST(test_set_not_running)
{
	struct tl_client *follower = it_client(mq);
	struct tl_client *c = it_client(mq);
	struct tl_frame f;

	it_subscribe_sync(follower, "Hello", NULL);
	assert_json_own(cmd(c, "set_config", json_pack("[s,{s:s}]", "Hello",
	    "greeting", "later")), json_pack("[i]", 0));
	expect_update(follower, &f, json_pack("{s:s}", "greeting", "later"),
	    false);
	tl_frame_clear(&f);
	assert_json_own(cmd(c, "get_config", json_pack("{s:s}",
	    "module_name", "Hello")), json_pack("[i,{s:s}]", 0, "greeting",
	    "later"));
	assert_json_own(stored(), json_pack("{s:i, s:{s:s}}", "version", 1,
	    "Hello", "greeting", "later"));
	tl_client_free(follower);
	tl_client_free(c);
}
END_TEST

START_TEST(test_set_null_removes)
{
	struct tl_client *c = it_client(mq);

	assert_json_own(cmd(c, "set_config", json_pack("[s,{s:s, s:f}]",
	    "Hello", "greeting", "g", "interval", 2.0)), json_pack("[i]", 0));
	assert_json_own(cmd(c, "set_config", json_pack("[s,{s:n}]", "Hello",
	    "greeting")), json_pack("[i]", 0));
	assert_json_own(cmd(c, "get_config", NULL), json_pack("[i,{s:{s:f}}]",
	    0, "Hello", "interval", 2.0));
	/* A module left without values leaves the file. */
	assert_json_own(cmd(c, "set_config", json_pack("[s,{s:n}]", "Hello",
	    "interval")), json_pack("[i]", 0));
	assert_json_own(cmd(c, "get_config", NULL), json_pack("[i,{}]", 0));
	assert_json_own(stored(), json_pack("{s:i}", "version", 1));
	tl_client_free(c);
}
END_TEST

/* All or nothing: Beta refuses, Alpha had accepted and gets its old
 * values back; nothing is stored. */
START_TEST(test_set_two_modules)
{
	struct tl_client *alpha = module_start("Alpha", mini_spec("Alpha"));
	struct tl_client *beta = module_start("Beta", mini_spec("Beta"));
	struct tl_client *c = it_client(mq);
	struct tl_frame f;
	int64_t seq;

	/* Old values first: Alpha v=1 (accepted). */
	seq = cmd_send(c, "set_config", json_pack("[s,{s:i}]", "Alpha", "v",
	    1));
	expect_update(alpha, &f, json_pack("{s:i}", "v", 1), true);
	module_answer(alpha, &f, json_pack("[i]", 0));
	assert_json_own(cmd_wait(c, seq), json_pack("[i]", 0));

	seq = cmd_send(c, "set_config", json_pack("[{s:{s:i}, s:{s:s}}]",
	    "Alpha", "v", 2, "Beta", "s", "b"));
	expect_update(alpha, &f, json_pack("{s:i}", "v", 2), true);
	/* Beta hears nothing before Alpha answered. */
	it_expect_nothing(beta);
	module_answer(alpha, &f, json_pack("[i]", 0));
	expect_update(beta, &f, json_pack("{s:s}", "s", "b"), true);
	module_answer(beta, &f, json_pack("[i,s]", 2, "not now"));
	assert_json_own(cmd_wait(c, seq), json_pack("[i,s]", 1,
	    "Beta: not now"));
	expect_update(alpha, &f, json_pack("{s:i}", "v", 1), false);
	tl_frame_clear(&f);
	expect_update(beta, &f, json_object(), false);
	tl_frame_clear(&f);
	assert_json_own(cmd(c, "get_config", NULL), json_pack("[i,{s:{s:i}}]",
	    0, "Alpha", "v", 1));
	assert_json_own(stored(), json_pack("{s:i, s:{s:i}}", "version", 1,
	    "Alpha", "v", 1));
	tl_client_free(alpha);
	tl_client_free(beta);
	tl_client_free(c);
}
END_TEST

/* After stopping, set_config is stored without waiting for the module
 * (which still hears it, as a follower would). */
START_TEST(test_stopping)
{
	struct tl_client *hello = module_start("Hello", spec_of("hello.spec"));
	struct tl_client *other = it_client(mq);
	struct tl_client *c = it_client(mq);
	struct tl_frame f;
	int64_t seq;

	/* stopping is never answered; from another client it is ignored. */
	cmd_send(other, "stopping", json_pack("{s:s}", "module_name",
	    "Hello"));
	seq = cmd_send(c, "set_config", json_pack("[s,{s:s}]", "Hello",
	    "greeting", "1"));
	expect_update(hello, &f, json_pack("{s:s}", "greeting", "1"), true);
	module_answer(hello, &f, json_pack("[i]", 0));
	assert_json_own(cmd_wait(c, seq), json_pack("[i]", 0));
	it_expect_nothing(other);

	cmd_send(hello, "stopping", json_pack("{s:s}", "module_name",
	    "Hello"));
	it_expect_nothing(hello);
	assert_json_own(cmd(c, "set_config", json_pack("[s,{s:s}]", "Hello",
	    "greeting", "2")), json_pack("[i]", 0));
	expect_update(hello, &f, json_pack("{s:s}", "greeting", "2"), false);
	tl_frame_clear(&f);
	assert_json_own(cmd(c, "get_config", json_pack("{s:s}",
	    "module_name", "Hello")), json_pack("[i,{s:s}]", 0, "greeting",
	    "2"));
	tl_client_free(hello);
	tl_client_free(other);
	tl_client_free(c);
}
END_TEST

/* A registered client that disconnects is not running any more: even
 * with a follower in its group (so msgq reports no missing recipient),
 * set_config does not wait for it. */
START_TEST(test_disconnect)
{
	struct tl_client *hello = module_start("Hello", spec_of("hello.spec"));
	struct tl_client *follower = it_client(mq), *watch = it_client(mq);
	struct tl_client *c = it_client(mq);
	struct tl_frame f;
	char lname[128];
	int64_t t0;

	it_subscribe_sync(follower, "Hello", NULL);
	ck_assert_int_eq(tl_client_watch_members(watch), 0);
	snprintf(lname, sizeof(lname), "%s", hello->lname);
	tl_client_free(hello);
	ck_assert(tl_client_wait_note(watch, "disconnected", lname, WAIT));
	t0 = tl_now_ms();
	assert_json_own(cmd(c, "set_config", json_pack("[s,{s:s}]", "Hello",
	    "greeting", "gone")), json_pack("[i]", 0));
	ck_assert_int_lt(tl_now_ms() - t0, tl_ms(3000));
	expect_update(follower, &f, json_pack("{s:s}", "greeting", "gone"),
	    false);
	tl_frame_clear(&f);
	tl_client_free(follower);
	tl_client_free(watch);
	tl_client_free(c);
}
END_TEST

/* Registered, but nobody in its group: msgq's no-recipient answer marks
 * it not running, and the values are stored. */
START_TEST(test_no_recipient)
{
	struct tl_client *hello = it_client(mq);
	struct tl_client *c = it_client(mq);

	assert_json_own(cmd(hello, "module_spec", spec_of("hello.spec")),
	    json_pack("[i]", 0));
	assert_json_own(cmd(c, "set_config", json_pack("[s,{s:s}]", "Hello",
	    "greeting", "x")), json_pack("[i]", 0));
	assert_json_own(stored(), json_pack("{s:i, s:{s:s}}", "version", 1,
	    "Hello", "greeting", "x"));
	it_expect_nothing(hello);
	tl_client_free(hello);
	tl_client_free(c);
}
END_TEST

/* set_configs wait their turn; other commands are answered at once from
 * the committed state. */
START_TEST(test_set_queue)
{
	struct tl_client *hello = module_start("Hello", spec_of("hello.spec"));
	struct tl_client *c = it_client(mq);
	struct tl_frame f;
	int64_t s1, s2;

	s1 = cmd_send(c, "set_config", json_pack("[s,{s:s}]", "Hello",
	    "greeting", "one"));
	s2 = cmd_send(c, "set_config", json_pack("[s,{s:f}]", "Hello",
	    "interval", 3.0));
	expect_update(hello, &f, json_pack("{s:s}", "greeting", "one"), true);
	assert_json_own(cmd(c, "get_config", NULL), json_pack("[i,{}]", 0));
	it_expect_nothing(hello);
	module_answer(hello, &f, json_pack("[i]", 0));
	expect_update(hello, &f, json_pack("{s:s, s:f}", "greeting", "one",
	    "interval", 3.0), true);
	module_answer(hello, &f, json_pack("[i]", 0));
	assert_json_own(cmd_wait(c, s1), json_pack("[i]", 0));
	assert_json_own(cmd_wait(c, s2), json_pack("[i]", 0));
	assert_json_own(stored(), json_pack("{s:i, s:{s:s, s:f}}", "version",
	    1, "Hello", "greeting", "one", "interval", 3.0));
	tl_client_free(hello);
	tl_client_free(c);
}
END_TEST

/* While one set_config waits, 256 more may wait; the next is refused at
 * once. When the module goes away, the one in progress stops waiting
 * and every queued one is stored and answered, in order. */
START_TEST(test_set_queue_full)
{
	struct tl_client *hello = module_start("Hello", spec_of("hello.spec"));
	struct tl_client *c = it_client(mq);
	int64_t seqs[258];
	struct tl_frame f;
	char g[16];

	for (int i = 0; i < 258; i++) {
		snprintf(g, sizeof(g), "g%d", i);
		seqs[i] = cmd_send(c, "set_config", json_pack("[s,{s:s}]",
		    "Hello", "greeting", g));
	}
	assert_json_own(cmd_wait(c, seqs[257]), json_pack("[i,s]", 1,
	    "set_config queue full"));
	expect_update(hello, &f, json_pack("{s:s}", "greeting", "g0"), true);
	tl_frame_clear(&f);
	tl_client_free(hello);
	for (int i = 0; i < 257; i++)
		assert_json_own(cmd_wait(c, seqs[i]), json_pack("[i]", 0));
	assert_json_own(cmd(c, "get_config", NULL), json_pack("[i,{s:{s:s}}]",
	    0, "Hello", "greeting", "g256"));
	tl_client_free(c);
}
END_TEST

/* A module answering after its timeout is ignored; the next set_config
 * works normally. */
START_TEST(test_late_answer)
{
	struct tl_client *hello = module_start("Hello", spec_of("hello.spec"));
	struct tl_client *c = it_client(mq);
	struct tl_frame f, late;
	int64_t seq;

	set_timeout(c, 0.2);
	seq = cmd_send(c, "set_config", json_pack("[s,{s:s}]", "Hello",
	    "greeting", "slow"));
	expect_update(hello, &late, json_pack("{s:s}", "greeting", "slow"),
	    true);
	assert_json_own(cmd_wait(c, seq), json_pack("[i,s]", 1,
	    "Hello: no answer within 0.2 s"));
	expect_update(hello, &f, json_object(), false);
	tl_frame_clear(&f);
	module_answer(hello, &late, json_pack("[i]", 0));
	set_timeout(c, 4.0);
	seq = cmd_send(c, "set_config", json_pack("[s,{s:s}]", "Hello",
	    "greeting", "ok"));
	expect_update(hello, &f, json_pack("{s:s}", "greeting", "ok"), true);
	module_answer(hello, &f, json_pack("[i]", 0));
	assert_json_own(cmd_wait(c, seq), json_pack("[i]", 0));
	tl_client_free(hello);
	tl_client_free(c);
}
END_TEST

/* msgq answers the Msgq module's config_update itself. */
START_TEST(test_set_msgq)
{
	struct tl_client *c = it_client(mq);
	struct tl_frame f;
	json_t *stats;

	assert_json_own(cmd(c, "set_config", json_pack("[s,{s:i}]", "Msgq",
	    "max_clients", 100)), json_pack("[i]", 0));
	ck_assert_int_eq(tl_client_msgq_cmd(c, "stats", NULL, &f), 0);
	stats = json_array_get(json_object_get(f.body, "result"), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(stats,
	    "max_clients")), 100);
	tl_frame_clear(&f);
	tl_client_free(c);
}
END_TEST

START_TEST(test_restart_keeps_config)
{
	struct tl_client *c = it_client(mq);
	struct stat st;

	assert_json_own(cmd(c, "set_config", json_pack("[s,{s:s}]", "Hello",
	    "greeting", "kept")), json_pack("[i]", 0));
	ck_assert_int_eq(stat(dbpath, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(tl_msgq_stop(cf), 0);
	cfg_start(NULL);
	assert_json_own(cmd(c, "get_config", NULL), json_pack("[i,{s:{s:s}}]",
	    0, "Hello", "greeting", "kept"));
	tl_client_free(c);
}
END_TEST

START_TEST(test_shutdown)
{
	struct tl_client *c = it_client(mq);
	int64_t seq;

	/* For another process: no answer, cfgmgr carries on. */
	cmd_send(c, "shutdown", json_pack("{s:i}", "pid", (int)cf->pid + 1));
	assert_json_own(cmd(c, "shutdown", json_pack("{s:s}", "pid", "1")),
	    json_pack("[i,s]", 1, "Bad pid in shutdown command"));
	it_expect_nothing(c);
	seq = cmd_send(c, "shutdown", json_pack("{s:i}", "pid", (int)cf->pid));
	assert_json_own(cmd_wait(c, seq), json_pack("[i]", 0));
	ck_assert_int_eq(tl_msgq_wait_exit(cf, WAIT), 0);
	tl_client_free(c);
}
END_TEST

START_TEST(test_shutdown_no_args)
{
	struct tl_client *c = it_client(mq);

	assert_json_own(cmd(c, "shutdown", NULL), json_pack("[i]", 0));
	ck_assert_int_eq(tl_msgq_wait_exit(cf, WAIT), 0);
	tl_client_free(c);
}
END_TEST

static const int stop_signals[] = { SIGTERM, SIGINT };

START_TEST(test_signal)
{
	int sig = stop_signals[_i];

	ck_assert_int_eq(kill(cf->pid, sig), 0);
	ck_assert_int_eq(tl_msgq_wait_exit(cf, WAIT), 0);
	ck_assert(tl_file_contains(cf->log, sig == SIGTERM ? "SIGTERM" :
	    "SIGINT"));
}
END_TEST

/* msgq gone: cfgmgr no longer exits; it waits for a new one
 * (test_reconnect covers the rest) and still stops on a signal. */
START_TEST(test_msgq_gone)
{
	ck_assert_int_eq(tl_msgq_stop(mq), 0);
	ck_assert(tl_log_wait(cf->log, "lost the connection to msgq", WAIT));
	ck_assert_int_eq(tl_msgq_wait_exit(cf, tl_ms(100)), -1);
	ck_assert_int_eq(kill(cf->pid, SIGTERM), 0);
	ck_assert_int_eq(tl_msgq_wait_exit(cf, WAIT), 0);
}
END_TEST

static const struct bad_file {
	const char	*content;
	const char	*why;
} bad_files[] = {
	{ "{\"version\": 1, \"Hello\": ", "not JSON" },
	{ "{\"version\": 7, \"Hello\": {}}", "written by a newer ccbus-cfgmgr "
	    "(version 7, this one reads 1)" },
};

START_TEST(test_bad_file)
{
	const struct bad_file *b = &bad_files[_i];
	const char *args[] = { "-s", mq->sock, "-p", datadir, NULL };
	char *after;

	write_db(b->content);
	ck_assert_int_eq(tl_msgq_run(cf, args, tl_ms(10000)), 2);
	ck_assert(tl_log_wait_line(cf->log, dbpath, b->why, 0));
	after = read_db(dbpath);
	ck_assert_str_eq(after, b->content);
	free(after);
	ck_assert_int_eq(access(dbpath, W_OK), 0);
}
END_TEST

START_TEST(test_clear_config)
{
	const char *old = "{\"version\": 1, \"Hello\": {\"greeting\": \"o\"}}";
	struct tl_client *c;
	char bak[TL_DIR_MAX + 64], *text;

	write_db(old);
	cfg_start("--clear-config");
	c = it_client(mq);
	assert_json_own(cmd(c, "get_config", NULL), json_pack("[i,{}]", 0));
	snprintf(bak, sizeof(bak), "%s.bak", dbpath);
	text = read_db(bak);
	ck_assert_str_eq(text, old);
	free(text);
	ck_assert(tl_file_contains(cf->log, bak));
	ck_assert_ptr_null(stored());
	tl_client_free(c);
}
END_TEST

START_TEST(test_cannot_connect)
{
	char sock[TL_PATH_MAX];
	const char *args[] = { "-s", sock, "-p", datadir, NULL };

	snprintf(sock, sizeof(sock), "%s/nosuch.sock", cf->dir);
	ck_assert_int_eq(tl_msgq_run(cf, args, tl_ms(10000)), 1);
	ck_assert(tl_log_wait_line(cf->log, "fatal", sock, 0));
}
END_TEST

static void
write_text(const char *dir, const char *name, const char *text)
{
	char path[TL_PATH_MAX + 32];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

static void
write_spec(const char *dir, const char *name, json_t *inner)
{
	json_t *root = json_pack("{s:o}", "module_spec", inner);
	char *text = json_dumps(root, 0);

	write_text(dir, name, text);
	free(text);
	json_decref(root);
}

/* Spec files: without cfgmgr.spec cfgmgr does not start; a bad file is
 * skipped with a warning naming it; a module known only from its file
 * can be configured before it ever ran. */
START_TEST(test_spec_dir)
{
	const char *args[] = { "-s", mq->sock, "-p", datadir, NULL };
	json_t *own = spec_of("cfgmgr.spec");
	struct tl_client *c;
	char specs[TL_PATH_MAX];

	snprintf(specs, sizeof(specs), "%s/specs", cf->dir);
	ck_assert_int_eq(mkdir(specs, 0700), 0);
	write_text(specs, "bad.spec", "{\"module_spec\": ");
	write_spec(specs, "gamma.spec", mini_spec("Gamma"));
	ck_assert_int_eq(setenv("CCBUS_SPECDIR", specs, 1), 0);
	ck_assert_int_eq(tl_msgq_run(cf, args, tl_ms(10000)), 1);
	ck_assert(tl_log_wait_line(cf->log, "fatal", "no spec for module "
	    "ConfigManager", 0));
	write_spec(specs, "cfgmgr.spec", own);
	cfg_start(NULL);
	ck_assert(tl_log_wait_line(cf->log, "warning", "bad.spec", 0));
	c = it_client(mq);
	assert_json_own(cmd(c, "set_config", json_pack("[s,{s:i}]", "Gamma",
	    "v", 3)), json_pack("[i]", 0));
	assert_json_own(cmd(c, "get_config", NULL), json_pack("[i,{s:{s:i}}]",
	    0, "Gamma", "v", 3));
	assert_json_own(cmd(c, "set_config", json_pack("[s,{}]", "Hello")),
	    json_pack("[i,s]", 1, "Unknown module: Hello"));
	tl_client_free(c);
}
END_TEST

static Suite *
cfgmgr_suite(void)
{
	Suite *s = suite_create("cfgmgr");
	TCase *tc = tcase_create("commands");
	TCase *set = tcase_create("set_config");
	TCase *life = tcase_create("life");
	TCase *bare = tcase_create("start-up");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_get_module_spec);
	tcase_add_test(tc, test_get_config);
	tcase_add_test(tc, test_commands_and_statistics_spec);
	tcase_add_test(tc, test_module_spec);
	tcase_add_test(tc, test_module_spec_bad_item);
	tcase_add_test(tc, test_unknown_command);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(set, setup, teardown);
	tcase_add_loop_test(set, test_set_refused_early, 0,
	    sizeof(bad_sets) / sizeof(bad_sets[0]));
	tcase_add_test(set, test_set_accepted);
	tcase_add_test(set, test_set_module_refuses);
	tcase_add_test(set, test_set_module_silent);
	tcase_add_test(set, test_set_not_running);
	tcase_add_test(set, test_set_null_removes);
	tcase_add_test(set, test_set_two_modules);
	tcase_add_test(set, test_stopping);
	tcase_add_test(set, test_disconnect);
	tcase_add_test(set, test_no_recipient);
	tcase_add_test(set, test_set_queue);
	tcase_add_test(set, test_set_queue_full);
	tcase_add_test(set, test_late_answer);
	tcase_add_test(set, test_set_msgq);
	suite_add_tcase(s, set);

	tcase_add_checked_fixture(life, setup, teardown);
	tcase_add_test(life, test_restart_keeps_config);
	tcase_add_test(life, test_shutdown);
	tcase_add_test(life, test_shutdown_no_args);
	tcase_add_loop_test(life, test_signal, 0,
	    sizeof(stop_signals) / sizeof(stop_signals[0]));
	tcase_add_test(life, test_msgq_gone);
	suite_add_tcase(s, life);

	tcase_add_checked_fixture(bare, setup_bare, teardown);
	tcase_add_loop_test(bare, test_bad_file, 0,
	    sizeof(bad_files) / sizeof(bad_files[0]));
	tcase_add_test(bare, test_clear_config);
	tcase_add_test(bare, test_cannot_connect);
	tcase_add_test(bare, test_spec_dir);
	suite_add_tcase(s, bare);
	return s;
}

int
main(void)
{
	return it_run(cfgmgr_suite());
}
