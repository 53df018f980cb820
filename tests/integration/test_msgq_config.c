/*
 * ccbus-msgq as a configured module (PROTOCOL.md 9, CONFIG.md 2 and 3)
 * against a real msgq, with a raw client playing the config manager: it
 * subscribes to ConfigManager, reads msgq's module_spec and get_config
 * commands and answers them by hand. Also config_update's semantics (the
 * full stored configuration: an item not stored means the command-line
 * value), the stopping command, and that a command body announcing a
 * huge array costs msgq nothing (cc_msgpack_check).
 *
 * msgq runs with --max-frame 1M --max-queue 8M, so that the command-line
 * values differ from the spec's defaults and from what the tests store.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cc/codec.h>

#include "itest.h"

#define CMD_MAX_FRAME	1048576
#define CMD_MAX_QUEUE	8388608

static struct tl_msgq *mq;

static void
setup(void)
{
	mq = tl_msgq_new();
	ck_assert_ptr_nonnull(mq);
	ck_assert_int_eq(tl_msgq_start(mq, "-v", "--max-frame", "1048576",
	    "--max-queue", "8388608", NULL), 0);
}

static void
teardown(void)
{
	it_msgq_end(mq);
	mq = NULL;
}

/* The inner object of $CCBUS_SPECDIR/msgq.spec (new reference). */
static json_t *
spec_file_inner(void)
{
	const char *dir = getenv("CCBUS_SPECDIR");
	char path[512];
	json_error_t jerr;
	json_t *file, *inner;

	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof(path), "%s/msgq.spec", dir);
	file = json_load_file(path, 0, &jerr);
	ck_assert_msg(file != NULL, "%s: %s", path, jerr.text);
	inner = json_incref(json_object_get(file, "module_spec"));
	ck_assert_ptr_nonnull(inner);
	json_decref(file);
	return inner;
}

/*
 * Read msgq's command name from cm: check the header (from msgq to the
 * group ConfigManager, a seq, want_answer as given) and return the
 * command's args (new reference) and seq.
 */
static json_t *
expect_msgq_command(struct tl_client *cm, const char *name, bool want,
    int64_t *seq)
{
	struct tl_frame f;
	const char *got = NULL;
	json_t *args = NULL, *wa;

	it_expect_frame(cm, &f);
	ck_assert_str_eq(tl_frame_str(&f, "type"), "send");
	ck_assert_str_eq(tl_frame_str(&f, "from"), "msgq");
	ck_assert_str_eq(tl_frame_str(&f, "to"), "*");
	ck_assert_str_eq(tl_frame_str(&f, "group"), "ConfigManager");
	ck_assert_str_eq(tl_frame_str(&f, "instance"), "*");
	ck_assert(tl_frame_int(&f, "seq", seq));
	ck_assert_ptr_null(json_object_get(f.hdr, "reply"));
	wa = json_object_get(f.hdr, "want_answer");
	ck_assert_msg(want ? json_is_true(wa) : !json_is_true(wa),
	    "want_answer of %s", name);
	ck_assert_msg(f.body != NULL && json_unpack(f.body, "{s:[sO]!}",
	    "command", &got, &args) == 0, "%s: not [NAME, ARGS]", name);
	ck_assert_str_eq(got, name);
	tl_frame_clear(&f);
	return args;
}

/* Answer msgq's command seq from cm with {"result": result} (stolen). */
static void
answer(struct tl_client *cm, int64_t seq, json_t *result)
{
	ck_assert_int_eq(tl_client_send(cm, json_pack("{s:s, s:s, s:s, s:s, "
	    "s:s, s:I}", "type", "send", "from", cm->lname, "to", "msgq",
	    "group", "ConfigManager", "instance", "*", "reply",
	    (json_int_t)seq), json_pack("{s:o}", "result", result)), 0);
	/* When the pong arrives, msgq has handled the answer. */
	ck_assert(tl_client_barrier(cm, WAIT));
}

/*
 * A new client subscribes to ConfigManager: it must receive module_spec
 * (the spec file's inner object) then get_config {"module_name": "Msgq"},
 * and nothing else. Their seqs in *spec_seq, *get_seq.
 */
static struct tl_client *
cfgmgr_join(int64_t *spec_seq, int64_t *get_seq)
{
	struct tl_client *cm = it_client(mq);

	ck_assert_int_eq(tl_client_subscribe(cm, "ConfigManager", NULL), 0);
	assert_json_own(expect_msgq_command(cm, "module_spec", true,
	    spec_seq), spec_file_inner());
	assert_json_own(expect_msgq_command(cm, "get_config", true, get_seq),
	    json_pack("{s:s}", "module_name", "Msgq"));
	ck_assert_int_ne(*spec_seq, *get_seq);
	it_expect_nothing(cm);
	return cm;
}

/* cfgmgr_join() and answer: module_spec [0], get_config [0, config]. */
static struct tl_client *
cfgmgr_register(json_t *config)
{
	int64_t spec_seq, get_seq;
	struct tl_client *cm = cfgmgr_join(&spec_seq, &get_seq);

	answer(cm, spec_seq, json_pack("[i]", 0));
	answer(cm, get_seq, json_pack("[i,o]", 0, config));
	return cm;
}

/* Run a Msgq command from c; the result (new reference). */
static json_t *
msgq_command(struct tl_client *c, const char *name, json_t *args)
{
	struct tl_frame f;
	json_t *result;

	ck_assert_int_eq(tl_client_msgq_cmd(c, name, args, &f), 0);
	result = json_incref(json_object_get(f.body, "result"));
	ck_assert_msg(json_is_array(result), "%s: no result", name);
	tl_frame_clear(&f);
	return result;
}

/* stats.key, from c. */
static json_int_t
stat(struct tl_client *c, const char *key)
{
	json_t *r = msgq_command(c, "stats", NULL);
	json_t *v = json_object_get(json_array_get(r, 1), key);
	json_int_t n;

	ck_assert_msg(json_is_integer(v), "stats.%s missing", key);
	n = json_integer_value(v);
	json_decref(r);
	return n;
}

static void
expect_limits(struct tl_client *c, json_int_t max_frame,
    json_int_t max_queue)
{
	ck_assert_int_eq(stat(c, "max_frame"), max_frame);
	ck_assert_int_eq(stat(c, "max_queue"), max_queue);
}

/* config_update from c; its result must equal want (stolen). */
static void
config_update(struct tl_client *c, json_t *config, json_t *want)
{
	assert_json_own(msgq_command(c, "config_update", config), want);
}

START_TEST(test_nothing_before_a_config_manager)
{
	struct tl_client *a = it_client(mq), *b = it_client(mq);

	it_subscribe_sync(b, "Other", NULL);
	it_subscribe_sync(b, "ConfigManagerX", NULL);
	expect_limits(a, CMD_MAX_FRAME, CMD_MAX_QUEUE);
	ck_assert_int_eq(stat(a, "commands"), 0);
	it_expect_nothing(b);
	ck_assert(tl_log_wait(mq->log, "msgq.spec loaded", WAIT));
	tl_client_free(a);
	tl_client_free(b);
}
END_TEST

START_TEST(test_register_and_take_the_configuration)
{
	struct tl_client *a = it_client(mq), *big;
	struct tl_client *cm = cfgmgr_register(json_pack("{s:i}",
	    "max_frame", 131072));
	struct cc_frame *f;
	json_t *body;
	char *blob;

	/* The stored value wins, the item not stored keeps the command
	 * line's. */
	expect_limits(a, 131072, CMD_MAX_QUEUE);
	ck_assert_int_eq(stat(a, "commands"), 2);
	ck_assert(tl_log_wait(mq->log, "registered with the config manager",
	    WAIT));
	ck_assert(tl_log_wait_line(mq->log, "configuration applied "
	    "(get_config)", "max_frame 131072 (stored), max_queue 8388608 "
	    "(command line)", WAIT));
	/* A frame over the new max_frame is a framing error. */
	big = it_client(mq);
	blob = malloc(140000);
	ck_assert_ptr_nonnull(blob);
	memset(blob, 'x', 139999);
	blob[139999] = '\0';
	body = json_pack("{s:s}", "blob", blob);
	free(blob);
	f = it_send_frame(big, it_send_header(big, "Nobody", NULL, NULL,
	    false), body);
	ck_assert_uint_gt(cc_frame_size(f), 131072 + 4);
	cc_frame_unref(f);
	ck_assert_int_eq(tl_client_wait_eof(big, WAIT), 0);
	ck_assert(tl_log_wait(mq->log, "exceeds max_frame 131072", WAIT));
	tl_client_free(big);
	it_expect_nothing(cm);
	tl_client_free(cm);
	tl_client_free(a);
}
END_TEST

START_TEST(test_config_update_is_the_full_configuration)
{
	struct tl_client *a = it_client(mq);
	struct tl_client *cm = cfgmgr_register(json_pack("{s:i}",
	    "max_frame", 131072));

	expect_limits(a, 131072, CMD_MAX_QUEUE);
	/* max_frame not stored any more: back to the command line's. */
	config_update(a, json_pack("{s:i}", "max_queue", 4194304),
	    json_pack("[i]", 0));
	expect_limits(a, CMD_MAX_FRAME, 4194304);
	ck_assert(tl_log_wait_line(mq->log, "configuration applied "
	    "(config_update)", "max_frame 1048576 (command line), max_queue "
	    "4194304 (stored)", WAIT));
	/* null is "not stored"; unknown keys are ignored. */
	config_update(a, json_pack("{s:n, s:i, s:s}", "max_queue",
	    "max_clients", 50, "whatever", "x"), json_pack("[i]", 0));
	expect_limits(a, CMD_MAX_FRAME, CMD_MAX_QUEUE);
	ck_assert_int_eq(stat(a, "max_clients"), 50);
	/* An empty configuration: every command-line value. */
	config_update(a, json_object(), json_pack("[i]", 0));
	ck_assert_int_eq(stat(a, "max_clients"), 1024);
	it_expect_nothing(cm);
	tl_client_free(cm);
	tl_client_free(a);
}
END_TEST

START_TEST(test_invalid_configuration_refused)
{
	struct tl_client *a = it_client(mq);

	config_update(a, json_pack("{s:i}", "max_frame", 2097152),
	    json_pack("[i]", 0));
	expect_limits(a, 2097152, CMD_MAX_QUEUE);
	/* Checked together, nothing applied. */
	config_update(a, json_pack("{s:i, s:i}", "max_frame", 131072,
	    "max_queue", 65536), json_pack("[i,s]", 1,
	    "max_queue 65536 is below max_frame 131072"));
	/* With the command-line max_queue filled in. */
	config_update(a, json_pack("{s:i}", "max_frame", 16777216),
	    json_pack("[i,s]", 1,
	    "max_queue 8388608 is below max_frame 16777216"));
	config_update(a, json_pack("{s:i, s:s}", "max_frame", 131072,
	    "max_clients", "many"), json_pack("[i,s]", 1,
	    "max_clients should be an integer"));
	config_update(a, json_pack("{s:i}", "max_frame", 1000),
	    json_pack("[i,s]", 1, "max_frame 1000 is outside "
	    "65536..4294967295"));
	config_update(a, json_pack("{s:i}", "max_clients", -3),
	    json_pack("[i,s]", 1, "max_clients -3 is outside 1..1000000"));
	config_update(a, json_pack("{s:i}", "busy_poll", 100001),
	    json_pack("[i,s]", 1, "busy_poll 100001 is outside 0..100000"));
	config_update(a, json_pack("[i]", 1), json_pack("[i,s]", 1,
	    "config_update: the configuration should be a map"));
	expect_limits(a, 2097152, CMD_MAX_QUEUE);
	ck_assert_int_eq(stat(a, "max_clients"), 1024);
	/* A stored configuration that breaks the rules: kept as it was. */
	tl_client_free(cfgmgr_register(json_pack("{s:i}", "max_queue",
	    65536)));
	expect_limits(a, 2097152, CMD_MAX_QUEUE);
	ck_assert(tl_log_wait(mq->log, "configuration refused: max_queue "
	    "65536 is below max_frame 1048576", WAIT));
	tl_client_free(a);
}
END_TEST

START_TEST(test_busy_poll_live)
{
	struct tl_client *a = it_client(mq), *b = it_client(mq);
	struct tl_frame f;

	it_subscribe_sync(b, "G", NULL);
	config_update(a, json_pack("{s:i}", "busy_poll", 2000),
	    json_pack("[i]", 0));
	ck_assert_int_eq(stat(a, "busy_poll"), 2000);
	/* Still routing while it spins. */
	ck_assert_int_eq(tl_client_send_to(a, "G", NULL, json_pack("{s:i}",
	    "n", 1), false, NULL), 0);
	it_expect_frame(b, &f);
	tl_frame_clear(&f);
	config_update(a, json_object(), json_pack("[i]", 0));
	ck_assert_int_eq(stat(a, "busy_poll"), 0);
	ck_assert_int_eq(tl_client_send_to(a, "G", NULL, json_pack("{s:i}",
	    "n", 2), false, NULL), 0);
	it_expect_frame(b, &f);
	tl_frame_clear(&f);
	tl_client_free(a);
	tl_client_free(b);
}
END_TEST

/* Disconnect c and wait until watcher w sees msgq notice it. */
static void
client_gone(struct tl_client *w, struct tl_client *c)
{
	char lname[sizeof(c->lname)];

	snprintf(lname, sizeof(lname), "%s", c->lname);
	tl_client_free(c);
	ck_assert(tl_client_wait_note(w, "disconnected", lname, WAIT));
}

START_TEST(test_new_config_manager_registers_again)
{
	struct tl_client *a = it_client(mq), *w = it_client(mq), *cm, *cm2;
	int64_t s1, g1;

	ck_assert_int_eq(tl_client_watch_members(w), 0);
	cm = cfgmgr_register(json_pack("{s:i}", "max_frame", 131072));
	expect_limits(a, 131072, CMD_MAX_QUEUE);
	/* A second member while the first is there: nothing is sent. */
	cm2 = it_client(mq);
	it_subscribe_sync(cm2, "ConfigManager", "other");
	client_gone(w, cm2);
	/* The config manager goes; msgq keeps its settings. */
	client_gone(w, cm);
	expect_limits(a, 131072, CMD_MAX_QUEUE);
	/* A new one: registered again, and its configuration taken. */
	cm = cfgmgr_join(&s1, &g1);
	answer(cm, s1, json_pack("[i]", 0));
	answer(cm, g1, json_pack("[i,{}]", 0));
	expect_limits(a, CMD_MAX_FRAME, CMD_MAX_QUEUE);
	ck_assert_int_eq(stat(a, "commands"), 4);
	tl_client_free(cm);
	tl_client_free(w);
	tl_client_free(a);
}
END_TEST

START_TEST(test_error_answers_keep_the_settings)
{
	struct tl_client *a = it_client(mq), *x = it_client(mq), *cm;
	int64_t spec_seq, get_seq;

	cm = cfgmgr_join(&spec_seq, &get_seq);
	/* An answer from a client that is not a config manager: ignored. */
	ck_assert_int_eq(tl_client_send(x, json_pack("{s:s, s:s, s:s, s:s, "
	    "s:I}", "type", "send", "from", x->lname, "to", "msgq", "group",
	    "ConfigManager", "reply", (json_int_t)get_seq), json_pack(
	    "{s:[i,{s:i}]}", "result", 0, "max_frame", 131072)), 0);
	ck_assert(tl_client_barrier(x, WAIT));
	expect_limits(a, CMD_MAX_FRAME, CMD_MAX_QUEUE);
	/* Errors: logged with their text, settings unchanged. */
	answer(cm, spec_seq, json_pack("[i,s]", 1, "Error in data definition: "
	    "boom"));
	ck_assert(tl_log_wait(mq->log, "module_spec refused (1): Error in "
	    "data definition: boom", WAIT));
	answer(cm, get_seq, json_pack("[i,s]", -1, "No such recipient"));
	ck_assert(tl_log_wait(mq->log, "get_config failed (-1): No such "
	    "recipient; settings unchanged", WAIT));
	expect_limits(a, CMD_MAX_FRAME, CMD_MAX_QUEUE);
	/* A second answer to the same seq is not awaited any more. */
	answer(cm, get_seq, json_pack("[i,{s:i}]", 0, "max_frame", 131072));
	/* Answers that are not answers: survived. */
	answer(cm, 99999, json_pack("[i]", 0));
	expect_limits(a, CMD_MAX_FRAME, CMD_MAX_QUEUE);
	/* msgq still serves everyone. */
	assert_json_own(msgq_command(cm, "members", json_pack("{s:s}",
	    "group", "ConfigManager")), json_pack("[i,[s]]", 0, cm->lname));
	tl_client_free(cm);
	tl_client_free(x);
	tl_client_free(a);
}
END_TEST

START_TEST(test_stopping_sent_on_exit)
{
	struct tl_client *a = it_client(mq);
	struct tl_client *cm = cfgmgr_register(json_object());
	int64_t seq;

	assert_json_own(msgq_command(a, "shutdown", NULL), json_pack("[i]",
	    0));
	assert_json_own(expect_msgq_command(cm, "stopping", false, &seq),
	    json_pack("{s:s}", "module_name", "Msgq"));
	ck_assert_int_eq(tl_msgq_wait_exit(mq, WAIT), 0);
	tl_client_free(cm);
	tl_client_free(a);
}
END_TEST

/*
 * A msgq whose spec directory is dir holding content as msgq.spec (NULL:
 * no file) starts, warns naming the file, and never registers.
 */
static void
check_without_spec(const char *content, const char *reason)
{
	struct tl_msgq *m = tl_msgq_new();
	struct tl_client *cm, *a;
	char path[TL_PATH_MAX + 16], *saved;
	FILE *fp;

	ck_assert_ptr_nonnull(m);
	snprintf(path, sizeof(path), "%s/msgq.spec", m->dir);
	if (content != NULL) {
		ck_assert_ptr_nonnull(fp = fopen(path, "w"));
		fputs(content, fp);
		ck_assert_int_eq(fclose(fp), 0);
	}
	/* Restored at once: without fork (CK_FORK=no) tests share it. */
	ck_assert_ptr_nonnull(getenv("CCBUS_SPECDIR"));
	saved = strdup(getenv("CCBUS_SPECDIR"));
	ck_assert_ptr_nonnull(saved);
	ck_assert_int_eq(setenv("CCBUS_SPECDIR", m->dir, 1), 0);
	ck_assert_int_eq(tl_msgq_start(m, NULL), 0);
	ck_assert_int_eq(setenv("CCBUS_SPECDIR", saved, 1), 0);
	free(saved);
	ck_assert(tl_log_wait_line(m->log, path, reason, WAIT));
	ck_assert(tl_file_contains(m->log, "will not join the configuration"));
	cm = it_client(m);
	it_subscribe_sync(cm, "ConfigManager", NULL);
	a = it_client(m);
	ck_assert_int_eq(stat(a, "commands"), 0);
	tl_client_free(a);
	tl_client_free(cm);
	it_msgq_end(m);
}

START_TEST(test_missing_or_bad_spec)
{
	check_without_spec(NULL, "No such file");
	check_without_spec("{\"module_spec\": ", "");
	check_without_spec("{\"module_spec\": {\"module_name\": \"Other\"}}",
	    "module_name is 'Other'");
	check_without_spec("{\"module_spec\": {\"module_name\": \"Msgq\", "
	    "\"config_data\": [{\"item_name\": \"x\"}]}}", "");
}
END_TEST

/* A send to group Msgq from c with seq and want_answer, raw body bytes. */
static void
send_raw_body(struct tl_client *c, const void *body, size_t blen)
{
	json_t *h = it_send_header(c, "Msgq", NULL, NULL, true);
	struct cc_frame *f;
	char *hbuf;
	size_t hlen;

	ck_assert_int_eq(cc_json_pack(h, &hbuf, &hlen, NULL, 0), CC_OK);
	json_decref(h);
	ck_assert_int_eq(cc_frame_encode(hbuf, hlen, body, blen, 0, &f),
	    CC_OK);
	free(hbuf);
	ck_assert_int_eq(tl_client_write(c, cc_frame_bytes(f),
	    cc_frame_size(f)), 0);
	cc_frame_unref(f);
}

/*
 * Bodies that announce 2^28 - 1 elements in 5 bytes (msgpack-c would
 * reserve 8 GiB for them), or break msgpack otherwise: ignored like data,
 * and msgq answers the next command.
 */
START_TEST(test_hostile_command_bodies)
{
	static const unsigned char huge[] = { 0xdd, 0x0f, 0xff, 0xff, 0xff };
	static const unsigned char cmd_huge[] = { 0x81, 0xa7, 'c', 'o', 'm',
	    'm', 'a', 'n', 'd', 0xdd, 0x0f, 0xff, 0xff, 0xff };
	static const unsigned char map_huge[] = { 0xdf, 0xff, 0xff, 0xff,
	    0xff };
	static const unsigned char trailing[] = { 0x81, 0xa7, 'c', 'o', 'm',
	    'm', 'a', 'n', 'd', 0x91, 0xa5, 's', 't', 'a', 't', 's', 0xc0 };
	unsigned char deep[40];
	struct tl_client *a = it_client(mq);

	memset(deep, 0x91, sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = 0xc0;
	send_raw_body(a, cmd_huge, sizeof(cmd_huge));
	send_raw_body(a, huge, sizeof(huge));
	send_raw_body(a, map_huge, sizeof(map_huge));
	send_raw_body(a, trailing, sizeof(trailing));
	send_raw_body(a, deep, sizeof(deep));
	it_expect_nothing(a);
	ck_assert_int_eq(stat(a, "max_frame"), CMD_MAX_FRAME);
	tl_client_free(a);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("msgq config");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_nothing_before_a_config_manager);
	tcase_add_test(tc, test_register_and_take_the_configuration);
	tcase_add_test(tc, test_config_update_is_the_full_configuration);
	tcase_add_test(tc, test_invalid_configuration_refused);
	tcase_add_test(tc, test_busy_poll_live);
	tcase_add_test(tc, test_new_config_manager_registers_again);
	tcase_add_test(tc, test_error_answers_keep_the_settings);
	tcase_add_test(tc, test_stopping_sent_on_exit);
	tcase_add_test(tc, test_hostile_command_bodies);
	tcase_add_test(tc, test_missing_or_bad_spec);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return it_run(config_suite());
}
