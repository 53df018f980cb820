/*
 * Automatic reconnection after msgq dies and is restarted on the same
 * socket (BOSS.md 6): a libcc session (cc_session_set_reconnect), modules
 * written with the module API in this process's libevent loop, and a real
 * ccbus-cfgmgr, each surviving a SIGKILL of msgq and a new msgq.
 *
 * The in-process sessions only act while the test runs the loop: killing
 * and restarting msgq without running it lets a test decide what happens
 * on the bus before they come back (a value changed while a module is
 * away). cfgmgr runs on its own; SIGSTOP holds it when the test needs to
 * be first on the new bus. Nothing sleeps for readiness: every wait polls
 * under a deadline.
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

static const char alpha_spec[] =
    "{\"module_spec\": {\"module_name\": \"Alpha\","
    " \"config_data\": ["
    "  {\"item_name\": \"a\", \"item_type\": \"integer\","
    "   \"item_optional\": false, \"item_default\": 1}],"
    " \"commands\": [{\"command_name\": \"add\", \"command_args\": ["
    "  {\"item_name\": \"n\", \"item_type\": \"integer\","
    "   \"item_optional\": false, \"item_default\": 0}]}]}}";
static const char beta_spec[] =
    "{\"module_spec\": {\"module_name\": \"Beta\","
    " \"config_data\": ["
    "  {\"item_name\": \"c\", \"item_type\": \"integer\","
    "   \"item_optional\": false, \"item_default\": 10}]}}";

/* Run the loop for ms milliseconds (msgq is meant to stay away). */
static void
loop_for(int ms)
{
	int64_t end = tl_now_ms() + ms;

	do {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		poll(NULL, 0, 1);
	} while (tl_now_ms() < end);
}

/* A new msgq on the old one's socket, once it answers getlname. */
static void
msgq_restart(void)
{
	ck_assert_int_eq(tl_msgq_start(mq, NULL), 0);
}

/* ---- the session ---------------------------------------------------- */

/* What a session's callbacks saw. */
struct srec {
	json_t	*groups;	/* group of every message, in order */
	int	 errs;		/* err_cb calls */
	int	 err_status;
	int	 reconnects;	/* reconnect cb calls */
	bool	 call_done;
	int	 call_status;
};

static void
srec_msg(struct cc_session *s, struct cc_msg *msg, void *arg)
{
	struct srec *r = arg;

	json_array_append_new(r->groups, json_string(cc_msg_group(msg)));
}

static void
srec_err(struct cc_session *s, int status, void *arg)
{
	struct srec *r = arg;

	r->errs++;
	r->err_status = status;
}

static void
srec_reconnect(struct cc_session *s, void *arg)
{
	struct srec *r = arg;

	r->reconnects++;
	ck_assert(cc_session_connected(s));
}

static void
srec_call(struct cc_session *s, int status, struct cc_msg *answer,
    void *arg)
{
	struct srec *r = arg;

	r->call_done = true;
	r->call_status = status;
}

static void
setup_bus(void)
{
	mq = it_msgq();
	ck_assert_ptr_nonnull(base = event_base_new());
}

static void
teardown_bus(void)
{
	event_base_free(base);
	it_msgq_end(mq);
}

/* An attached session with reconnection on, subscribed to ga and gb
 * (and to gc, then unsubscribed). */
static struct cc_session *
session_start(struct srec *r)
{
	struct cc_session *s = cc_session_new();

	memset(r, 0, sizeof(*r));
	r->groups = json_array();
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(cc_session_connect(s, mq->sock, WAIT), CC_OK);
	ck_assert_int_eq(cc_subscribe(s, "ga", NULL), CC_OK);
	ck_assert_int_eq(cc_subscribe(s, "gc", NULL), CC_OK);
	ck_assert_int_eq(cc_subscribe(s, "gb", "i1"), CC_OK);
	ck_assert_int_eq(cc_subscribe(s, "ga", NULL), CC_OK);
	ck_assert_int_eq(cc_unsubscribe(s, "gc", NULL), CC_OK);
	ck_assert_int_eq(cc_ping(s, NULL, 0, WAIT, NULL, NULL), CC_OK);
	ck_assert_int_eq(cc_session_attach(s, base, srec_msg, srec_err, r),
	    CC_OK);
	cc_session_set_reconnect(s, true, srec_reconnect, r);
	return s;
}

/* c sends one plain message to group/instance. */
static void
raw_post(struct tl_client *c, const char *group, const char *instance)
{
	json_t *h = it_send_header(c, group, instance, NULL, false);

	it_send(c, h, json_pack("{s:s}", "to", group));
}

START_TEST(test_session_reconnects)
{
	struct tl_client *c, *quiet;
	struct tl_frame f;
	struct cc_session *s;
	struct srec r;
	char *old;
	json_t *cmd;

	s = session_start(&r);
	ck_assert_ptr_nonnull(old = strdup(cc_session_lname(s)));
	/* A call nobody answers, pending when msgq dies. */
	quiet = it_client(mq);
	it_subscribe_sync(quiet, "quiet", NULL);
	cmd = cc_command_new("wait", NULL);
	ck_assert_int_eq(cc_call_async(s, "quiet", NULL, NULL, cmd, 60000,
	    srec_call, &r), CC_OK);
	json_decref(cmd);
	loop_for(0);
	it_expect_frame(quiet, &f);
	tl_frame_clear(&f);
	tl_client_free(quiet);

	tl_msgq_kill(mq);
	loop_until(r.errs == 1 && r.call_done);
	ck_assert_int_eq(r.err_status, CC_ECONNLOST);
	ck_assert_int_eq(r.call_status, CC_ECONNLOST);
	/* msgq stays away: the attempts go on, with back-off. */
	loop_for(tl_ms(300));
	ck_assert_int_eq(r.reconnects, 0);
	ck_assert(!cc_session_connected(s));
	ck_assert_ptr_null(cc_session_lname(s));
	ck_assert_int_eq(cc_send(s, "ga", NULL, NULL, NULL, 0, NULL),
	    CC_ECONNLOST);
	msgq_restart();
	loop_until(r.reconnects == 1);
	ck_assert_int_eq(r.errs, 1);
	ck_assert_ptr_nonnull(cc_session_lname(s));

	/* The subscriptions are back (the ping makes them active), the
	 * one given up is not: gc would arrive between gb and the last
	 * ga. The lname is the new msgq's (never the old one's: msgq's
	 * lnames start with its start time in microseconds): it lists it in
	 * ga. */
	ck_assert_str_ne(cc_session_lname(s), old);
	ck_assert_int_eq(cc_ping(s, NULL, 0, WAIT, NULL, NULL), CC_OK);
	c = it_client(mq);
	ck_assert_int_eq(tl_client_msgq_cmd(c, "members", json_pack("{s:s}",
	    "group", "ga"), &f), 0);
	assert_json(f.body, json_pack("{s:[i,[s]]}", "result", 0,
	    cc_session_lname(s)));
	tl_frame_clear(&f);
	printf("reconnect: lname %s before, %s after\n", old,
	    cc_session_lname(s));
	free(old);
	raw_post(c, "ga", NULL);
	raw_post(c, "gb", "i1");
	raw_post(c, "gc", NULL);
	raw_post(c, "ga", "x");
	loop_until(json_array_size(r.groups) == 3);
	assert_json(r.groups, json_pack("[s,s,s]", "ga", "gb", "ga"));
	/* Sending works again, under the new lname. */
	ck_assert_int_eq(tl_client_subscribe(c, "back", NULL), 0);
	ck_assert(tl_client_barrier(c, WAIT));
	ck_assert_int_eq(cc_send(s, "back", NULL, NULL, NULL, 0, NULL),
	    CC_OK);
	loop_for(0);
	it_expect_frame(c, &f);
	ck_assert_str_eq(tl_frame_str(&f, "from"), cc_session_lname(s));
	tl_frame_clear(&f);
	tl_client_free(c);

	/* A second loss is reported and recovered from as well. */
	tl_msgq_kill(mq);
	msgq_restart();
	loop_until(r.reconnects == 2);
	ck_assert_int_eq(r.errs, 2);
	cc_session_free(s);
	json_decref(r.groups);
}
END_TEST

START_TEST(test_session_close_stops_attempts)
{
	struct cc_session *s;
	struct srec r;

	s = session_start(&r);
	tl_msgq_kill(mq);
	loop_until(r.errs == 1);
	loop_for(tl_ms(50));
	cc_session_close(s);
	msgq_restart();
	loop_for(tl_ms(300));
	ck_assert_int_eq(r.reconnects, 0);
	ck_assert(!cc_session_connected(s));
	/* A new connection starts without the old subscriptions. */
	ck_assert_int_eq(cc_session_connect(s, mq->sock, WAIT), CC_OK);
	cc_session_free(s);
	json_decref(r.groups);
}
END_TEST

/* err_cb may close the session: then no attempt is made. Reconnection
 * off: the old behaviour. */
static void
srec_err_close(struct cc_session *s, int status, void *arg)
{
	srec_err(s, status, arg);
	cc_session_close(s);
}

START_TEST(test_session_no_reconnect)
{
	struct cc_session *s, *t;
	struct srec r, q;

	s = session_start(&r);
	t = session_start(&q);
	cc_session_set_reconnect(t, false, NULL, NULL);
	cc_session_detach(s);
	ck_assert_int_eq(cc_session_attach(s, base, srec_msg, srec_err_close,
	    &r), CC_OK);
	tl_msgq_kill(mq);
	msgq_restart();
	loop_until(r.errs == 1 && q.errs == 1);
	loop_for(tl_ms(200));
	ck_assert_int_eq(r.reconnects + q.reconnects, 0);
	ck_assert(!cc_session_connected(s) && !cc_session_connected(t));
	cc_session_free(s);
	cc_session_free(t);
	json_decref(r.groups);
	json_decref(q.groups);
}
END_TEST

/* Freed in back-off: nothing of it may run afterwards. */
START_TEST(test_session_free_in_backoff)
{
	struct cc_session *s;
	struct srec r;

	s = session_start(&r);
	tl_msgq_kill(mq);
	loop_until(r.errs == 1);
	loop_for(tl_ms(30));
	cc_session_free(s);
	msgq_restart();
	loop_for(tl_ms(100));
	ck_assert_int_eq(r.reconnects, 0);
	json_decref(r.groups);
}
END_TEST

/* ---- modules and cfgmgr --------------------------------------------- */

struct rec {
	json_t	*configs;	/* what config_cb received, in order */
	json_t	*remote;	/* what the remote cb received */
	json_t	*notes;		/* [topic, event] */
	int	 refuse;	/* config_cb refuses a = this */
};

static void
rec_init(struct rec *r)
{
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

static json_t *
rec_config(struct cc_module *m, const json_t *config, void *arg)
{
	struct rec *r = arg;
	json_t *a = json_object_get(config, "a");

	json_array_append_new(r->configs, json_deep_copy(config));
	if (json_is_integer(a) && json_integer_value(a) == r->refuse)
		return cc_answer_error(1, "a may not be %d", r->refuse);
	return NULL;
}

static json_t *
rec_command(struct cc_module *m, const char *name, const json_t *args,
    void *arg)
{
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

	json_array_append_new(r->notes, json_pack("[s,s]", topic, event));
}

static struct cc_module *
module_start(const char *file, const char *text, struct rec *r)
{
	return suite_module_start(file, text, rec_config, rec_command, r);
}

/* Command name (args stolen) to group through ctl, the loop running
 * until the answer: its status, or cc_call_async()'s error (ctl may be
 * reconnecting). The answer's value in *value if not NULL. */
static int
ctl_try(const char *group, const char *name, json_t *args, json_t **value)
{
	return ctl_call_within(group, name, args, value, WAIT);
}

/*
 * A command from raw client c to group, waiting for its answer without
 * the loop: its rcode (-1 when msgq found no recipient) and value (new
 * reference, may be NULL) in *value if not NULL.
 */
static int
raw_call(struct tl_client *c, const char *group, const char *name,
    json_t *args, json_t **value)
{
	json_t *cmd = cc_command_new(name, args), *v;
	int64_t seq, reply;
	struct tl_frame f;
	int rcode;

	json_decref(args);
	ck_assert_int_eq(tl_client_send_to(c, group, NULL, cmd, true, &seq),
	    0);
	for (;;) {
		it_expect_frame(c, &f);
		if (tl_frame_int(&f, "reply", &reply) && reply == seq)
			break;
		tl_frame_clear(&f);
	}
	ck_assert_int_eq(cc_answer_parse(f.body, &rcode, &v), CC_OK);
	if (value != NULL)
		*value = v != NULL ? json_incref(v) : NULL;
	tl_frame_clear(&f);
	return rcode;
}

/* Wait (without the loop) until cfgmgr answers on the current msgq. */
static void
raw_wait_cfgmgr(struct tl_client *c)
{
	int64_t deadline = tl_now_ms() + WAIT;

	while (raw_call(c, "ConfigManager", "get_module_spec",
	    json_pack("{s:s}", "module_name", "ConfigManager"), NULL) == -1) {
		ck_assert_msg(tl_now_ms() < deadline, "cfgmgr never came "
		    "back (log %s)", cm->log);
		poll(NULL, 0, 2);
	}
}

/* How many lines of the file contain needle. */
static int
log_count(const char *path, const char *needle)
{
	char line[1024];
	FILE *fp = fopen(path, "r");
	int n = 0;

	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strstr(line, needle) != NULL)
			n++;
	fclose(fp);
	return n;
}

/*
 * cfgmgr has registered module n times, the last under m's current lname.
 */
static bool
registered(const char *module, struct cc_module *m, int n)
{
	char needle[512];
	const char *lname = cc_session_lname(cc_module_session(m));

	if (lname == NULL)
		return false;
	snprintf(needle, sizeof(needle), "module %s registered by ", module);
	if (log_count(cm->log, needle) < n)
		return false;
	snprintf(needle, sizeof(needle), "module %s registered by %s",
	    module, lname);
	return tl_file_contains(cm->log, needle);
}

/* The suite's fixture, with ctl reconnecting like the modules. */
static void
setup_suite(void)
{
	suite_setup();
	cc_session_set_reconnect(ctl, true, NULL, NULL);
}

static void
teardown_suite(void)
{
	cc_session_free(ctl);
	event_base_free(base);
	/* cfgmgr must still run, and stop in order. */
	ck_assert_int_gt(cm->pid, 0);
	ck_assert_int_eq(tl_msgq_stop(cm), 0);
	tl_msgq_free(cm);
	it_msgq_end(mq);
}

START_TEST(test_module_survives_restart)
{
	struct cc_module *a, *b;
	struct tl_client *c;
	struct rec ra, rb;
	json_t *v = NULL;
	char *old;

	rec_init(&ra);
	rec_init(&rb);
	ra.refuse = 13;
	a = module_start("alpha.spec", alpha_spec, &ra);
	b = module_start("beta.spec", beta_spec, &rb);
	ck_assert_int_eq(cc_module_add_remote_config(b, "Alpha", rec_remote,
	    &rb, 5000), CC_OK);
	ck_assert_int_eq(cc_module_subscribe_notification(a, "events",
	    rec_note, &ra), CC_OK);
	ck_assert_ptr_nonnull(old = strdup(cc_session_lname(
	    cc_module_session(a))));

	/* msgq dies and comes back while the modules' loop stands still:
	 * cfgmgr (a process) is back first, and a value changes then. */
	tl_msgq_kill(mq);
	msgq_restart();
	c = it_client(mq);
	raw_wait_cfgmgr(c);
	ck_assert_int_eq(raw_call(c, "ConfigManager", "set_config",
	    json_pack("[s,{s:i}]", "Alpha", "a", 7), NULL), 0);
	tl_client_free(c);

	/* The modules come back by themselves; the change reaches both
	 * handlers as a diff. */
	loop_until(registered("Alpha", a, 2) && registered("Beta", b, 2));
	printf("reconnect: Alpha was %s, is %s\n", old,
	    cc_session_lname(cc_module_session(a)));
	free(old);
	loop_until(json_array_size(ra.configs) == 2 &&
	    json_array_size(rb.remote) == 2);
	assert_nth(ra.configs, 1, json_pack("{s:i}", "a", 7));
	assert_nth(rb.remote, 1, json_pack("{s:i}", "a", 7));
	ck_assert_int_eq(json_integer_value(cc_module_get_value(a, "a")), 7);
	ck_assert_uint_eq(json_array_size(rb.configs), 1);
	ck_assert_int_eq(cc_module_status(a), CC_OK);
	ck_assert_int_eq(cc_module_status(b), CC_OK);

	/* cfgmgr knows Alpha's new lname: it waits for its answer, and
	 * the refusal comes back. */
	loop_until(cc_session_connected(ctl));
	ck_assert_int_eq(ctl_try("ConfigManager", "set_config",
	    json_pack("[s,{s:i}]", "Alpha", "a", 13), &v), CC_EANSWER);
	ck_assert_str_eq(json_string_value(v), "Alpha: a may not be 13");
	json_decref(v);
	ck_assert_int_eq(json_integer_value(cc_module_get_value(a, "a")), 7);
	ck_assert_int_eq(ctl_try("ConfigManager", "get_module_spec",
	    json_pack("{s:s}", "module_name", "Alpha"), &v), CC_OK);
	assert_json_own(v, json_deep_copy(cc_spec_json(cc_module_spec(a))));
	/* Commands are answered, notifications arrive again. */
	ck_assert_int_eq(ctl_try("Alpha", "add", json_pack("{s:i}", "n", 4),
	    &v), CC_OK);
	assert_json_own(v, json_integer(4));
	ck_assert_int_eq(cc_module_notify(b, "events", "changed", NULL),
	    CC_OK);
	loop_until(json_array_size(ra.notes) == 1);
	assert_nth(ra.notes, 0, json_pack("[s,s]", "events", "changed"));
	/* Stopping works as before: cfgmgr hears it from the new lname. */
	cc_module_free(a);
	ck_assert(tl_log_wait(cm->log, "module Alpha stopping", WAIT));
	cc_module_free(b);
	rec_clear(&ra);
	rec_clear(&rb);
}
END_TEST

/* Back before cfgmgr: module_spec finds no recipient and is retried;
 * a module stopped meanwhile gives up cleanly. */
START_TEST(test_module_waits_for_cfgmgr)
{
	struct cc_module *a, *b;
	struct rec ra, rb;

	rec_init(&ra);
	rec_init(&rb);
	a = module_start("alpha.spec", alpha_spec, &ra);
	b = module_start("beta.spec", beta_spec, &rb);
	ck_assert_int_eq(kill(cm->pid, SIGSTOP), 0);
	tl_msgq_kill(mq);
	msgq_restart();
	loop_until(cc_session_connected(cc_module_session(a)) &&
	    cc_session_connected(cc_module_session(b)));
	loop_for(tl_ms(150));
	ck_assert_msg(strstr(cc_module_error(a), "no config manager") !=
	    NULL, "error: %s", cc_module_error(a));
	ck_assert_int_eq(cc_module_status(a), CC_OK);
	cc_module_free(b);
	rec_clear(&rb);
	ck_assert_int_eq(kill(cm->pid, SIGCONT), 0);
	loop_until(registered("Alpha", a, 2));
	ck_assert_uint_eq(json_array_size(ra.configs), 1);
	cc_module_free(a);
	rec_clear(&ra);
}
END_TEST

START_TEST(test_cfgmgr_survives_restart)
{
	struct tl_client *c, *boss;
	json_t *v = NULL;
	int msgq_regs;

	c = it_client(mq);
	ck_assert_int_eq(raw_call(c, "ConfigManager", "set_config",
	    json_pack("[s,{s:s}]", "Hello", "greeting", "kept"), NULL), 0);
	tl_client_free(c);
	ck_assert(tl_log_wait(cm->log, "module Msgq registered by msgq",
	    WAIT));
	msgq_regs = log_count(cm->log, "module Msgq registered by msgq");

	/* Held, so that the boss's client is on the new bus first. */
	ck_assert_int_eq(kill(cm->pid, SIGSTOP), 0);
	tl_msgq_kill(mq);
	msgq_restart();
	boss = it_client(mq);
	it_subscribe_sync(boss, "Boss", NULL);
	ck_assert_int_eq(kill(cm->pid, SIGCONT), 0);
	ck_assert_msg(tl_client_wait_running(boss, "ConfigManager", WAIT),
	    "cfgmgr did not say it runs again (log %s)", cm->log);
	ck_assert_int_gt(cm->pid, 0);
	ck_assert(tl_file_contains(cm->log, "lost the connection to msgq"));

	/* Nothing was lost; msgq registered with it again. */
	ck_assert_int_eq(raw_call(boss, "ConfigManager", "get_config",
	    json_pack("{s:s}", "module_name", "Hello"), &v), 0);
	assert_json_own(v, json_pack("{s:s}", "greeting", "kept"));
	ck_assert_int_eq(raw_call(boss, "ConfigManager", "get_module_spec",
	    json_pack("{s:s}", "module_name", "Msgq"), &v), 0);
	ck_assert_str_eq(json_string_value(json_object_get(v, "module_name")),
	    "Msgq");
	json_decref(v);
	{
		int64_t d = tl_now_ms() + WAIT;

		while (log_count(cm->log, "module Msgq registered by msgq") ==
		    msgq_regs) {
			ck_assert_msg(tl_now_ms() < d, "msgq did not register "
			    "again (log %s)", cm->log);
			poll(NULL, 0, 2);
		}
	}
	tl_client_free(boss);
}
END_TEST

/* How many frames msgq has written to the client lname (its `clients`
 * command), asked by raw client c. */
static int64_t
frames_sent_to(struct tl_client *c, const char *lname)
{
	json_t *list, *e;
	struct tl_frame f;
	int64_t sent = -1;
	size_t i;

	ck_assert_int_eq(tl_client_msgq_cmd(c, "clients", NULL, &f), 0);
	list = json_array_get(json_object_get(f.body, "result"), 1);
	json_array_foreach(list, i, e)
		if (strcmp(json_string_value(json_object_get(e, "lname")),
		    lname) == 0)
			sent = json_integer_value(json_object_get(e, "sent"));
	tl_frame_clear(&f);
	ck_assert_int_ge(sent, 0);
	return sent;
}

/*
 * msgq dies while a set_config waits for a module's answer: cfgmgr's
 * call fails, the change is rolled back or kept, and whichever it was,
 * the module, once back, holds what cfgmgr stored. cfgmgr is not left
 * with a set_config in progress: the next one goes through.
 */
START_TEST(test_set_config_in_flight)
{
	struct tl_client *c;
	struct cc_module *a;
	struct rec ra;
	json_t *stored = NULL, *v = NULL, *args;
	int64_t before, deadline;
	json_int_t want;
	char lname[128], *t1, *t2;

	rec_init(&ra);
	a = module_start("alpha.spec", alpha_spec, &ra);
	snprintf(lname, sizeof(lname), "%s",
	    cc_session_lname(cc_module_session(a)));
	c = it_client(mq);
	before = frames_sent_to(c, lname);
	/* The loop stands still: Alpha cannot answer the update. */
	args = json_pack("[s,{s:i}]", "Alpha", "a", 5);
	ck_assert_int_eq(tl_client_send_to(c, "ConfigManager", NULL,
	    cc_command_new("set_config", args), true, NULL), 0);
	json_decref(args);
	deadline = tl_now_ms() + WAIT;
	while (frames_sent_to(c, lname) == before) {
		ck_assert_msg(tl_now_ms() < deadline, "cfgmgr never sent "
		    "config_update (log %s)", cm->log);
		poll(NULL, 0, 2);
	}
	tl_client_free(c);
	tl_msgq_kill(mq);
	msgq_restart();

	loop_until(registered("Alpha", a, 2));
	c = it_client(mq);
	raw_wait_cfgmgr(c);
	ck_assert_int_eq(raw_call(c, "ConfigManager", "get_config",
	    json_pack("{s:s}", "module_name", "Alpha"), &stored), 0);
	tl_client_free(c);
	/* Stored, else the default. */
	want = json_is_integer(json_object_get(stored, "a")) ?
	    json_integer_value(json_object_get(stored, "a")) : 1;
	loop_until(json_integer_value(cc_module_get_value(a, "a")) == want);
	t1 = tl_json_text(stored);
	t2 = tl_json_text(ra.configs);
	printf("set_config in flight: stored %s; Alpha's config_cb saw %s\n",
	    t1, t2);
	free(t1);
	free(t2);
	json_decref(stored);
	loop_until(cc_session_connected(ctl));
	ck_assert_int_eq(ctl_try("ConfigManager", "set_config",
	    json_pack("[s,{s:i}]", "Alpha", "a", 9), &v), CC_OK);
	json_decref(v);
	ck_assert_int_eq(json_integer_value(cc_module_get_value(a, "a")), 9);
	cc_module_free(a);
	rec_clear(&ra);
}
END_TEST

/* The figure BOSS.md 6 asks for: whole again within a second. */
START_TEST(test_time_to_recover)
{
	struct cc_module *a;
	int64_t t0, t_cmd, t_reg;
	struct rec ra;
	json_t *v = NULL;
	int rc;

	rec_init(&ra);
	a = module_start("alpha.spec", alpha_spec, &ra);
	tl_msgq_kill(mq);
	msgq_restart();
	t0 = tl_now_ms();
	for (;;) {
		rc = ctl_try("Alpha", "add", json_pack("{s:i}", "n", 1), &v);
		if (rc == CC_OK)
			break;
		ck_assert_msg(rc == CC_ECONNLOST || rc == CC_ENORECIPIENT,
		    "add: %s", cc_strerror(rc));
		ck_assert_msg(tl_now_ms() < t0 + tl_ms(3000), "Alpha does not "
		    "answer after %lld ms", (long long)(tl_now_ms() - t0));
		loop_for(1);
	}
	t_cmd = tl_now_ms() - t0;
	json_decref(v);
	loop_until(registered("Alpha", a, 2));
	t_reg = tl_now_ms() - t0;
	printf("reconnect: Alpha answers %lld ms and is registered %lld ms "
	    "after msgq is back\n", (long long)t_cmd, (long long)t_reg);
	ck_assert_int_lt(t_reg, tl_ms(3000));
	cc_module_free(a);
	rec_clear(&ra);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("reconnection");
	TCase *tc = tcase_create("session");
	TCase *ts = tcase_create("msgq + cfgmgr + modules");

	tcase_add_checked_fixture(tc, setup_bus, teardown_bus);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_session_reconnects);
	tcase_add_test(tc, test_session_close_stops_attempts);
	tcase_add_test(tc, test_session_no_reconnect);
	tcase_add_test(tc, test_session_free_in_backoff);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(ts, setup_suite, teardown_suite);
	tcase_set_timeout(ts, 60);
	tcase_add_test(ts, test_module_survives_restart);
	tcase_add_test(ts, test_module_waits_for_cfgmgr);
	tcase_add_test(ts, test_cfgmgr_survives_restart);
	tcase_add_test(ts, test_set_config_in_flight);
	tcase_add_test(ts, test_time_to_recover);
	suite_add_tcase(s, ts);
	return s;
}

int
main(void)
{
	return it_run(suite());
}
