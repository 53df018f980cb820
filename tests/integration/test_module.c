/*
 * libcc's module API (cc/module.h) and the example module modules/hello
 * against a real ccbus-msgq, with the config manager played by the test:
 * a raw client in group ConfigManager (cm) that answers module_spec,
 * get_config and get_module_spec as each test scripts them and records
 * every command it is sent.
 *
 * Modules under test run either in this process, on the event base
 * `base`, or as the hello daemon. A module's start blocks until the
 * config manager answers, so while an in-process module starts, the
 * script runs in a thread (struct script); afterwards the test drives cm
 * itself and runs the loop until the frame it waits for arrives
 * (run_until, pump_read). Nothing sleeps: every wait polls under a
 * deadline.
 *
 * msgq is a configured module too: it sends module_spec and get_config
 * to every new config manager. cm answers those ([0], [0, {}]) wherever
 * they turn up and otherwise ignores them (answer_msgq).
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <cc/cc.h>

#include "itest.h"

static struct tl_msgq *mq;
static struct event_base *base;
static struct tl_client *cm;	/* the scripted config manager */

/* Header of c's answer to frame f. */
static json_t *
answer_header(struct tl_client *c, const struct tl_frame *f)
{
	int64_t seq = 0;

	(void)tl_frame_int(f, "seq", &seq);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "type", "send",
	    "from", c->lname, "to", tl_frame_str(f, "from"), "group",
	    tl_frame_str(f, "group"), "instance", "*", "reply",
	    (json_int_t)seq);
}

/* Answer f with {"result": result} (stolen). No assertions: threads. */
static int
reply(struct tl_client *c, const struct tl_frame *f, json_t *result)
{
	return tl_client_send(c, answer_header(c, f), json_pack("{s:o}",
	    "result", result));
}

/* If f is one of msgq's own commands to the config manager, answer it
 * and return true. */
static bool
answer_msgq(struct tl_client *c, const struct tl_frame *f)
{
	const char *from = tl_frame_str(f, "from"), *name;
	json_t *args;
	int64_t r;

	if (from == NULL || strcmp(from, "msgq") != 0 ||
	    tl_frame_int(f, "reply", &r) || f->body == NULL ||
	    cc_command_parse(f->body, &name, &args) != CC_OK)
		return false;
	if (strcmp(name, "module_spec") == 0)
		reply(c, f, json_pack("[i]", 0));
	else if (strcmp(name, "get_config") == 0)
		reply(c, f, json_pack("[i,{}]", 0));
	return true;
}

/*
 * The config manager's script: answers by "name:Module" (the args'
 * module_name) or else by "name"; commands without an answer (stopping)
 * are only recorded.
 */
struct script {
	json_t		*answers;	/* key -> the result list */
	json_t		*seen;		/* [name, args] of every command */
	int		 want;		/* answers to give before leaving */
	int		 answered;
	bool		 early;		/* an echo to Hello before get_config's
					 * answer */
	int64_t		 early_seq;
	pthread_t	 thread;
};

static struct script *
script_new(json_t *stored)
{
	struct script *sc = calloc(1, sizeof(*sc));

	ck_assert_ptr_nonnull(sc);
	sc->answers = json_pack("{s:[i], s:[i,o]}", "module_spec", 0,
	    "get_config", 0, stored != NULL ? stored : json_object());
	sc->seen = json_array();
	return sc;
}

static void
script_free(struct script *sc)
{
	json_decref(sc->answers);
	json_decref(sc->seen);
	free(sc);
}

static void
script_handle(struct script *sc, const struct tl_frame *f)
{
	const char *name, *module;
	json_t *args, *ans;
	char key[256];

	if (answer_msgq(cm, f) || f->body == NULL ||
	    cc_command_parse(f->body, &name, &args) != CC_OK)
		return;
	json_array_append_new(sc->seen, json_pack("[s,O?]", name, args));
	module = json_string_value(json_object_get(args, "module_name"));
	snprintf(key, sizeof(key), "%s:%s", name, module != NULL ? module :
	    "");
	if ((ans = json_object_get(sc->answers, key)) == NULL &&
	    (ans = json_object_get(sc->answers, name)) == NULL)
		return;
	if (sc->early && strcmp(name, "get_config") == 0)
		tl_client_send_to(cm, "Hello", NULL, json_pack("{s:[s,{s:s}]}",
		    "command", "echo", "text", "early"), true, &sc->early_seq);
	reply(cm, f, json_incref(ans));
	sc->answered++;
}

/* Read and answer until sc->want answers are given, or the deadline. */
static void *
script_main(void *arg)
{
	struct script *sc = arg;
	int64_t deadline = tl_now_ms() + WAIT;
	struct tl_frame f;

	while (sc->answered < sc->want && tl_now_ms() < deadline &&
	    tl_client_read(cm, (int)(deadline - tl_now_ms()), &f) == 1) {
		script_handle(sc, &f);
		tl_frame_clear(&f);
	}
	return NULL;
}

static void
script_run(struct script *sc, int want)
{
	sc->want = want;
	sc->answered = 0;
	ck_assert_int_eq(pthread_create(&sc->thread, NULL, script_main, sc),
	    0);
}

static void
script_wait(struct script *sc)
{
	ck_assert_int_eq(pthread_join(sc->thread, NULL), 0);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
}

/*
 * Run the loop until done(arg), at most WAIT. c (may be NULL) is a client
 * whose socket wakes the loop; the tick bounds each round.
 */
static bool
run_until(bool (*done)(void *), void *arg, struct tl_client *c)
{
	int64_t deadline = tl_now_ms() + WAIT;
	struct timeval tv = { 0, 20000 };
	struct event *tick = evtimer_new(base, on_tick, NULL), *rd = NULL;
	bool ok;

	ck_assert_ptr_nonnull(tick);
	if (c != NULL) {
		rd = event_new(base, c->fd, EV_READ | EV_PERSIST, on_tick,
		    NULL);
		ck_assert_ptr_nonnull(rd);
		event_add(rd, NULL);
	}
	while (!(ok = done(arg)) && tl_now_ms() < deadline) {
		evtimer_add(tick, &tv);
		event_base_loop(base, EVLOOP_ONCE);
	}
	if (rd != NULL)
		event_free(rd);
	event_free(tick);
	return ok;
}

struct pump {
	struct tl_client *c;
	struct tl_frame *f;
	int r;
};

static bool
pump_done(void *arg)
{
	struct pump *p = arg;

	while ((p->r = tl_client_read(p->c, 0, p->f)) == 1 &&
	    answer_msgq(p->c, p->f))
		tl_frame_clear(p->f);
	return p->r != 0;
}

/* The next frame of c (msgq's commands to cm aside), running the loop. */
static void
pump_read(struct tl_client *c, struct tl_frame *f)
{
	struct pump p = { c, f, 0 };

	ck_assert_msg(run_until(pump_done, &p, c) && p.r == 1,
	    "%s received no frame", c->lname);
	ck_assert_ptr_nonnull(f->hdr);
}

/* Nothing is queued for c: the next frame is the pong of a new ping. */
static void
expect_nothing(struct tl_client *c)
{
	char tag[64];
	struct tl_frame f;

	snprintf(tag, sizeof(tag), "nothing %u", ++c->pings);
	ck_assert_int_eq(tl_client_send(c, json_pack("{s:s}", "type", "ping"),
	    json_string(tag)), 0);
	pump_read(c, &f);
	ck_assert_str_eq(tl_frame_str(&f, "type"), "pong");
	assert_json(f.body, json_string(tag));
	tl_frame_clear(&f);
}

/* Send {"command": [name, args]} (args stolen, may be NULL) from c to
 * group with want_answer; its seq. */
static int64_t
send_command(struct tl_client *c, const char *group, const char *name,
    json_t *args)
{
	json_t *cmd = cc_command_new(name, args);
	int64_t seq;

	json_decref(args);
	ck_assert_int_eq(tl_client_send_to(c, group, NULL, cmd, true, &seq),
	    0);
	return seq;
}

/* The next frame of c must answer seq: its body (new reference), and
 * the sender's lname in from (if not NULL, TL_PATH_MAX bytes). */
static json_t *
expect_answer(struct tl_client *c, int64_t seq, char *from)
{
	struct tl_frame f;
	int64_t r = -1;
	json_t *body;

	pump_read(c, &f);
	ck_assert(tl_frame_int(&f, "reply", &r));
	ck_assert_int_eq(r, seq);
	if (from != NULL)
		snprintf(from, TL_PATH_MAX, "%s", tl_frame_str(&f, "from"));
	body = json_incref(f.body);
	tl_frame_clear(&f);
	return body;
}

/* A command from cm to group, and its answer's result must be want. */
static void
check_call(const char *group, const char *name, json_t *args, json_t *want)
{
	int64_t seq = send_command(cm, group, name, args);

	assert_json_own(expect_answer(cm, seq, NULL), json_pack("{s:o}",
	    "result", want));
}

/* The next frame of cm must be `stopping` for module, without
 * want_answer. */
static void
expect_stopping(const char *module)
{
	struct tl_frame f;

	pump_read(cm, &f);
	ck_assert_str_eq(tl_frame_str(&f, "group"), "ConfigManager");
	ck_assert(!json_is_true(json_object_get(f.hdr, "want_answer")));
	assert_json(f.body, json_pack("{s:[s,{s:s}]}", "command", "stopping",
	    "module_name", module));
	tl_frame_clear(&f);
}

/* What the in-process modules' callbacks saw. */
struct rec {
	json_t	*configs;	/* config_cb's config, in order */
	json_t	*commands;	/* [name, args] of command_cb */
	json_t	*remotes;	/* [module, config] of the remote cb */
	json_t	*notes;		/* [topic, event, params] */
	json_t	*refuse;	/* config_cb's answer when not NULL */
	int	 shutdowns;
	bool	 stop_on_shutdown;
};

static void
rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	r->configs = json_array();
	r->commands = json_array();
	r->remotes = json_array();
	r->notes = json_array();
}

static void
rec_clear(struct rec *r)
{
	json_decref(r->configs);
	json_decref(r->commands);
	json_decref(r->remotes);
	json_decref(r->notes);
	json_decref(r->refuse);
}

static json_t *
rec_config(struct cc_module *m, const json_t *config, void *arg)
{
	struct rec *r = arg;

	json_array_append_new(r->configs, json_deep_copy(config));
	return r->refuse != NULL ? json_incref(r->refuse) : NULL;
}

/* getstats: NULL (libcc answers [0]); the others echo their args. */
static json_t *
rec_command(struct cc_module *m, const char *name, const json_t *args,
    void *arg)
{
	struct rec *r = arg;

	ck_assert_ptr_nonnull(args);
	json_array_append_new(r->commands, json_pack("[s,O]", name, args));
	if (strcmp(name, "getstats") == 0)
		return NULL;
	return cc_answer_new(0, args);
}

static void
rec_remote(struct cc_module *m, const char *module, const json_t *config,
    void *arg)
{
	struct rec *r = arg;

	json_array_append_new(r->remotes, json_pack("[s,O]", module, config));
}

static void
rec_note(struct cc_module *m, const char *topic, const char *event,
    const json_t *params, void *arg)
{
	struct rec *r = arg;

	json_array_append_new(r->notes, json_pack("[s,s,O?]", topic, event,
	    params));
}

static void
rec_shutdown(struct cc_module *m, void *arg)
{
	struct rec *r = arg;

	r->shutdowns++;
	if (r->stop_on_shutdown)
		cc_module_stop(m);
}

/* A module on base started against the script, which answers module_spec
 * and get_config. */
static struct cc_module *
start_module(const char *spec, struct rec *r, struct script *sc)
{
	struct cc_module *m = cc_module_new(base, spec, rec_config,
	    rec_command, r);
	int rc;

	ck_assert_ptr_nonnull(m);
	script_run(sc, 2);
	rc = cc_module_start(m, mq->sock, WAIT);
	script_wait(sc);
	ck_assert_msg(rc == CC_OK, "start %s: %s", spec, cc_module_error(m));
	return m;
}

/* The same with the default script: stored configuration (stolen, NULL:
 * none). */
static struct cc_module *
start_simple(const char *spec, struct rec *r, json_t *stored)
{
	struct script *sc = script_new(stored);
	struct cc_module *m = start_module(spec, r, sc);

	script_free(sc);
	return m;
}

/* A spec file named name in a new temporary directory; its path in
 * path (TL_PATH_MAX). */
static void
write_spec(char *path, const char *name, const char *text)
{
	char dir[TL_DIR_MAX];
	FILE *fp;

	ck_assert_int_eq(tl_tmpdir_make(dir, sizeof(dir)), 0);
	snprintf(path, TL_PATH_MAX, "%s/%s", dir, name);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

/* A second module for the tests that need two. */
#define WATCHER_SPEC "{\"module_spec\": {\"module_name\": \"Watcher\", " \
	"\"commands\": [{\"command_name\": \"mark\", " \
	"\"command_description\": \"answers\", \"command_args\": []}]}}"

static struct cc_module *
start_watcher(struct rec *r)
{
	char path[TL_PATH_MAX];

	write_spec(path, "watcher.spec", WATCHER_SPEC);
	return start_simple(path, r, NULL);
}

/* The hello spec's inner object, as a module sends it (new reference). */
static json_t *
hello_spec_json(void)
{
	char path[TL_PATH_MAX];
	json_t *file, *inner;

	snprintf(path, sizeof(path), "%s/hello.spec", getenv("CCBUS_SPECDIR"));
	ck_assert_ptr_nonnull(file = json_load_file(path, 0, NULL));
	inner = json_incref(json_object_get(file, "module_spec"));
	json_decref(file);
	return inner;
}

static void
setup(void)
{
	mq = it_msgq();
	ck_assert_ptr_nonnull(base = event_base_new());
	cm = it_client(mq);
	ck_assert_int_eq(tl_client_subscribe(cm, "ConfigManager", NULL), 0);
	expect_nothing(cm);
}

static void
teardown(void)
{
	if (cm != NULL)
		tl_client_free(cm);
	cm = NULL;
	event_base_free(base);
	base = NULL;
	it_msgq_end(mq);
	mq = NULL;
}

/* An unknown command answered proves that the module has handled
 * everything sent to it before, and sent what it had to send. */
static void
module_barrier(const char *group)
{
	check_call(group, "barrier", NULL, json_pack("[i,s]", 1,
	    "Unknown command: barrier"));
}

START_TEST(test_start_and_update)
{
	struct script *sc = script_new(json_pack("{s:s}", "greeting", "hi"));
	struct cc_module *m;
	struct rec r;

	rec_init(&r);
	sc->early = true;
	m = start_module("hello.spec", &r, sc);
	assert_json(sc->seen, json_pack("[[s,o],[s,{s:s}]]", "module_spec",
	    hello_spec_json(), "get_config", "module_name", "Hello"));
	ck_assert_str_eq(cc_module_name(m), "Hello");
	ck_assert_ptr_nonnull(cc_module_spec(m));
	ck_assert_ptr_nonnull(cc_module_session(m));
	/* The first call has everything, defaults filled in. */
	assert_json(r.configs, json_pack("[{s:s, s:f}]", "greeting", "hi",
	    "interval", 1.0));
	ck_assert_str_eq(json_string_value(cc_module_get_value(m,
	    "greeting")), "hi");
	ck_assert_ptr_null(cc_module_get_value(m, "peers"));
	ck_assert_ptr_null(cc_module_get_value(m, "greeting/deeper"));
	ck_assert_int_eq(cc_module_start(m, mq->sock, WAIT), CC_ESTATE);
	/* A command that came during the start waited for the attach. */
	assert_json_own(expect_answer(cm, sc->early_seq, NULL),
	    json_pack("{s:[i,{s:s}]}", "result", 0, "text", "early"));
	script_free(sc);

	/* Later calls have only what changed. */
	check_call("Hello", "config_update", json_pack("{s:s, s:f}",
	    "greeting", "hey", "interval", 1.0), json_pack("[i]", 0));
	assert_json(json_array_get(r.configs, 1), json_pack("{s:s}",
	    "greeting", "hey"));
	/* Nothing changed: accepted without the handler. */
	check_call("Hello", "config_update", json_pack("{s:s}", "greeting",
	    "hey"), json_pack("[i]", 0));
	ck_assert_uint_eq(json_array_size(r.configs), 2);
	/* A removed value gets its default back; an optional item without
	 * one comes as null. */
	check_call("Hello", "config_update", json_pack("{s:s, s:[s]}",
	    "greeting", "hey", "peers", "a"), json_pack("[i]", 0));
	check_call("Hello", "config_update", json_object(),
	    json_pack("[i]", 0));
	assert_json(json_array_get(r.configs, 2), json_pack("{s:[s]}",
	    "peers", "a"));
	assert_json(json_array_get(r.configs, 3), json_pack("{s:s, s:n}",
	    "greeting", "hello", "peers"));
	ck_assert_uint_eq(json_array_size(r.configs), 4);
	assert_json(cc_module_config(m), json_pack("{s:s, s:f}", "greeting",
	    "hello", "interval", 1.0));
	cc_module_free(m);
	expect_stopping("Hello");
	rec_clear(&r);
}
END_TEST

START_TEST(test_update_invalid)
{
	struct cc_module *m;
	struct rec r;

	rec_init(&r);
	m = start_simple("hello.spec", &r, NULL);
	check_call("Hello", "config_update", json_pack("{s:s}", "interval",
	    "soon"), json_pack("[i,s]", 1, "Hello/interval should be a real"));
	check_call("Hello", "config_update", json_pack("{s:i}", "colour", 1),
	    json_pack("[i,s]", 1, "Hello: unknown item 'colour'"));
	check_call("Hello", "config_update", json_pack("{s:[i]}", "peers", 1),
	    json_pack("[i,s]", 1, "Hello/peers[0] should be a string"));
	check_call("Hello", "config_update", json_pack("[i]", 1),
	    json_pack("[i,s]", 1, "Hello: config_update needs a map"));
	ck_assert_uint_eq(json_array_size(r.configs), 1);
	ck_assert(json_real_value(cc_module_get_value(m, "interval")) == 1.0);
	cc_module_free(m);
	rec_clear(&r);
}
END_TEST

START_TEST(test_update_refused)
{
	struct cc_module *m;
	struct rec r;

	rec_init(&r);
	m = start_simple("hello.spec", &r, NULL);
	r.refuse = cc_answer_error(3, "not %s", "today");
	check_call("Hello", "config_update", json_pack("{s:s}", "greeting",
	    "hey"), json_pack("[i,s]", 3, "not today"));
	ck_assert_str_eq(json_string_value(cc_module_get_value(m,
	    "greeting")), "hello");
	/* The same change again: it is still a change. */
	json_decref(r.refuse);
	r.refuse = cc_answer_new(0, NULL);
	check_call("Hello", "config_update", json_pack("{s:s}", "greeting",
	    "hey"), json_pack("[i]", 0));
	ck_assert_str_eq(json_string_value(cc_module_get_value(m,
	    "greeting")), "hey");
	assert_json(json_array_get(r.configs, 2), json_pack("{s:s}",
	    "greeting", "hey"));
	cc_module_free(m);
	rec_clear(&r);
}
END_TEST

START_TEST(test_commands)
{
	struct cc_module *m;
	struct rec r;
	json_t *big;
	int64_t seq;
	size_t i;

	rec_init(&r);
	m = start_simple("hello.spec", &r, NULL);
	/* Bad arguments never reach the handler. */
	check_call("Hello", "echo", json_pack("{s:i}", "text", 5),
	    json_pack("[i,s]", 1, "Hello/echo/text should be a string"));
	check_call("Hello", "echo", json_object(), json_pack("[i,s]", 1,
	    "Hello/echo: non-optional item 'text' missing"));
	check_call("Hello", "echo", NULL, json_pack("[i,s]", 1,
	    "Hello/echo: non-optional item 'text' missing"));
	check_call("Hello", "echo", json_pack("{s:s, s:b}", "text", "x",
	    "loud", 1), json_pack("[i,s]", 1,
	    "Hello/echo: unknown item 'loud'"));
	check_call("Hello", "greet", json_pack("[i]", 2), json_pack("[i,s]", 1,
	    "Hello/greet should be a map"));
	check_call("Hello", "frobnicate", NULL, json_pack("[i,s]", 1,
	    "Unknown command: frobnicate"));
	ck_assert_uint_eq(json_array_size(r.commands), 0);
	/* Good ones do, with the arguments' defaults; NULL answers [0]. */
	check_call("Hello", "echo", json_pack("{s:s}", "text", "x"),
	    json_pack("[i,{s:s}]", 0, "text", "x"));
	check_call("Hello", "greet", NULL, json_pack("[i,{s:i}]", 0, "count",
	    1));
	check_call("Hello", "getstats", NULL, json_pack("[i]", 0));
	assert_json(r.commands, json_pack("[[s,{s:s}],[s,{s:i}],[s,{}]]",
	    "echo", "text", "x", "greet", "count", 1, "getstats"));
	/* A body that is not a command is owed no answer. */
	ck_assert_int_eq(tl_client_send_to(cm, "Hello", NULL,
	    json_pack("{s:i}", "data", 1), true, NULL), 0);
	module_barrier("Hello");
	/* One that cannot be decoded gets an answer that says why. */
	big = json_array();
	for (i = 0; i < CC_CODEC_MAX_VALUES; i++)
		ck_assert_int_eq(json_array_append_new(big, json_null()), 0);
	ck_assert_int_eq(tl_client_send_to(cm, "Hello", NULL, big, true,
	    &seq), 0);
	assert_json_own(expect_answer(cm, seq, NULL), json_pack("{s:[i,s]}",
	    "result", 1, "Hello: the body cannot be decoded: more than "
	    "1048576 values (offset 1048580)"));
	ck_assert_uint_eq(json_array_size(r.commands), 3);
	cc_module_free(m);
	rec_clear(&r);
}
END_TEST

START_TEST(test_shutdown_callback)
{
	struct cc_module *m;
	struct rec r;
	int64_t seq;

	rec_init(&r);
	m = start_simple("hello.spec", &r, NULL);
	cc_module_set_shutdown_cb(m, rec_shutdown, &r);
	/* Another process's shutdown is not ours to answer. */
	(void)send_command(cm, "Hello", "shutdown", json_pack("{s:i}", "pid",
	    (int)getppid()));
	module_barrier("Hello");
	ck_assert_int_eq(r.shutdowns, 0);
	check_call("Hello", "shutdown", json_pack("{s:s}", "pid", "me"),
	    json_pack("[i,s]", 1, "shutdown: pid should be an integer"));
	/* Ours: [0], then stopping, then the callback, which stops. */
	r.stop_on_shutdown = true;
	seq = send_command(cm, "Hello", "shutdown", json_pack("{s:i}", "pid",
	    (int)getpid()));
	assert_json_own(expect_answer(cm, seq, NULL), json_pack("{s:[i]}",
	    "result", 0));
	expect_stopping("Hello");
	ck_assert_int_eq(r.shutdowns, 1);
	ck_assert_ptr_null(cc_module_session(m));
	cc_module_stop(m);
	cc_module_free(m);
	/* Stopped once, said once. */
	expect_nothing(cm);
	rec_clear(&r);
}
END_TEST

static bool
loop_exited(void *arg)
{
	return event_base_got_exit(base);
}

START_TEST(test_shutdown_ends_loop)
{
	struct cc_module *m;
	struct rec r;
	int64_t seq;

	rec_init(&r);
	m = start_simple("hello.spec", &r, NULL);
	seq = send_command(cm, "Hello", "shutdown", NULL);
	ck_assert_msg(run_until(loop_exited, NULL, NULL), "the loop runs on");
	assert_json_own(expect_answer(cm, seq, NULL), json_pack("{s:[i]}",
	    "result", 0));
	expect_stopping("Hello");
	ck_assert_int_eq(cc_module_status(m), CC_OK);
	cc_module_free(m);
	expect_nothing(cm);
	rec_clear(&r);
}
END_TEST

static bool
module_lost(void *arg)
{
	return strstr(cc_module_error(arg), "lost the connection") != NULL;
}

/*
 * A lost connection no longer ends the module (BOSS.md 6): it is only
 * recorded, the session reconnects once msgq is back, and the module
 * registers again by itself and is offered what changed meanwhile.
 */
START_TEST(test_connection_lost)
{
	struct cc_module *m;
	struct tl_frame f;
	struct rec r;

	rec_init(&r);
	m = start_simple("hello.spec", &r, NULL);
	cc_module_set_shutdown_cb(m, rec_shutdown, &r);
	ck_assert_int_eq(cc_module_status(m), CC_OK);
	tl_client_free(cm);
	cm = NULL;
	tl_msgq_kill(mq);
	ck_assert_msg(run_until(module_lost, m, NULL), "no loss seen");
	ck_assert_msg(strncmp(cc_module_error(m), "Hello: lost the connection "
	    "to msgq: ", 35) == 0, "error: %s", cc_module_error(m));
	ck_assert_int_eq(cc_module_status(m), CC_OK);
	ck_assert(!event_base_got_exit(base));
	ck_assert_int_eq(r.shutdowns, 0);
	ck_assert_int_eq(cc_module_notify(m, "hello", "x", NULL),
	    CC_ECONNLOST);

	/* A new msgq on the same socket, a new config manager. */
	ck_assert_int_eq(tl_msgq_start(mq, NULL), 0);
	cm = it_client(mq);
	ck_assert_int_eq(tl_client_subscribe(cm, "ConfigManager", NULL), 0);
	pump_read(cm, &f);
	ck_assert_str_eq(tl_frame_str(&f, "from"),
	    cc_session_lname(cc_module_session(m)));
	assert_json(f.body, json_pack("{s:[s,o]}", "command", "module_spec",
	    hello_spec_json()));
	reply(cm, &f, json_pack("[i]", 0));
	tl_frame_clear(&f);
	pump_read(cm, &f);
	assert_json(f.body, json_pack("{s:[s,{s:s}]}", "command",
	    "get_config", "module_name", "Hello"));
	reply(cm, &f, json_pack("[i,{s:s}]", 0, "greeting", "back"));
	tl_frame_clear(&f);
	check_call("Hello", "echo", json_pack("{s:s}", "text", "x"),
	    json_pack("[i,{s:s}]", 0, "text", "x"));
	ck_assert_uint_eq(json_array_size(r.configs), 2);
	assert_json(json_array_get(r.configs, 1), json_pack("{s:s}",
	    "greeting", "back"));
	ck_assert_int_eq(cc_module_status(m), CC_OK);
	ck_assert_int_eq(r.shutdowns, 0);
	cc_module_free(m);
	expect_stopping("Hello");
	rec_clear(&r);
}
END_TEST

START_TEST(test_no_config_manager)
{
	struct cc_module *m;
	struct script *sc;
	char want[512];
	struct rec r;

	rec_init(&r);
	tl_client_free(cm);
	cm = NULL;
	m = cc_module_new(base, "hello.spec", rec_config, rec_command, &r);
	ck_assert_int_eq(cc_module_start(m, mq->sock, WAIT), CC_ENORECIPIENT);
	snprintf(want, sizeof(want), "module_spec for Hello: no config "
	    "manager on the bus at %s", mq->sock);
	ck_assert_str_eq(cc_module_error(m), want);
	ck_assert_ptr_null(cc_module_session(m));
	ck_assert_ptr_null(cc_module_name(m));
	ck_assert_uint_eq(json_array_size(r.configs), 0);
	/* No msgq either. */
	snprintf(want, sizeof(want), "%s/none.sock", mq->dir);
	ck_assert_int_eq(cc_module_start(m, want, WAIT), CC_ECONNECT);
	ck_assert_msg(strncmp(cc_module_error(m), "Hello: cannot connect to "
	    "msgq at ", 30) == 0 && strstr(cc_module_error(m), want) != NULL,
	    "error: %s", cc_module_error(m));
	/* Once there is a config manager, the same module starts. */
	cm = it_client(mq);
	ck_assert_int_eq(tl_client_subscribe(cm, "ConfigManager", NULL), 0);
	expect_nothing(cm);
	sc = script_new(NULL);
	script_run(sc, 2);
	ck_assert_int_eq(cc_module_start(m, mq->sock, WAIT), CC_OK);
	script_wait(sc);
	script_free(sc);
	ck_assert_str_eq(cc_module_error(m), "");
	cc_module_free(m);
	rec_clear(&r);
}
END_TEST

/* Starting m fails with code and an error that starts with prefix and
 * contains needle (may be NULL). */
static void
start_fails(struct cc_module *m, int code, const char *prefix,
    const char *needle)
{
	const char *e;

	ck_assert_int_eq(cc_module_start(m, mq->sock, WAIT), code);
	e = cc_module_error(m);
	ck_assert_msg(strncmp(e, prefix, strlen(prefix)) == 0 &&
	    (needle == NULL || strstr(e, needle) != NULL), "error: %s", e);
	ck_assert_ptr_null(cc_module_session(m));
}

START_TEST(test_spec_errors)
{
	char path[TL_PATH_MAX], want[TL_PATH_MAX + 64];
	struct cc_module *m;

	m = cc_module_new(base, "nope.spec", NULL, NULL, NULL);
	snprintf(want, sizeof(want), "module spec %s/nope.spec: No such file "
	    "or directory", getenv("CCBUS_SPECDIR"));
	start_fails(m, CC_ESYS, want, NULL);
	cc_module_free(m);

	write_spec(path, "broken.spec", "{\"module_spec\": ");
	m = cc_module_new(base, path, NULL, NULL, NULL);
	snprintf(want, sizeof(want), "module spec %s:", path);
	start_fails(m, CC_EDECODE, want, NULL);
	cc_module_free(m);

	write_spec(path, "bad.spec", "{\"module_spec\": {\"module_name\": "
	    "\"Bad\", \"config_data\": [{\"item_name\": \"x\", \"item_type\": "
	    "\"real\", \"item_optional\": false, \"item_default\": \"no\"}]}}");
	m = cc_module_new(base, path, NULL, NULL, NULL);
	snprintf(want, sizeof(want), "module spec %s: ", path);
	start_fails(m, CC_EINVAL, want, "item_default for 'x' should be a "
	    "real");
	cc_module_free(m);
	/* Nothing reached the config manager. */
	expect_nothing(cm);
}
END_TEST

START_TEST(test_start_refused)
{
	struct cc_module *m;
	struct script *sc;
	struct rec r;

	rec_init(&r);
	m = cc_module_new(base, "hello.spec", rec_config, rec_command, &r);
	/* By the config manager: it does not know the module, no stopping. */
	sc = script_new(NULL);
	json_object_set_new(sc->answers, "module_spec", json_pack("[i,s]", 1,
	    "Error in data definition: no"));
	script_run(sc, 1);
	start_fails(m, CC_EANSWER, "module_spec for Hello: refused by the "
	    "config manager: Error in data definition: no", NULL);
	script_wait(sc);
	script_free(sc);
	expect_nothing(cm);
	/* By the module's handler: the config manager gets stopping. */
	r.refuse = cc_answer_error(1, "no way");
	sc = script_new(NULL);
	script_run(sc, 2);
	start_fails(m, CC_EANSWER, "Hello: config refused: no way", NULL);
	script_wait(sc);
	script_free(sc);
	expect_stopping("Hello");
	/* A stored configuration that breaks the spec. */
	sc = script_new(json_pack("{s:s}", "interval", "x"));
	script_run(sc, 2);
	start_fails(m, CC_EINVAL, "the stored configuration of Hello does "
	    "not match its spec: Hello/interval should be a real", NULL);
	script_wait(sc);
	script_free(sc);
	expect_stopping("Hello");
	ck_assert_uint_eq(json_array_size(r.configs), 1);
	cc_module_free(m);
	expect_nothing(cm);
	rec_clear(&r);
}
END_TEST

START_TEST(test_remote_config)
{
	struct cc_module *a, *b;
	struct script *sc = script_new(NULL);
	char from[TL_PATH_MAX];
	struct rec ra, rb;
	int64_t seq;
	int rc;

	rec_init(&ra);
	rec_init(&rb);
	a = start_simple("hello.spec", &ra, json_pack("{s:s}", "greeting",
	    "hi"));
	b = start_watcher(&rb);
	json_object_set_new(sc->answers, "get_module_spec:Hello",
	    json_pack("[i,o]", 0, hello_spec_json()));
	json_object_set_new(sc->answers, "get_config:Hello",
	    json_pack("[i,{s:s}]", 0, "greeting", "hi"));
	json_object_set_new(sc->answers, "get_module_spec:Nobody",
	    json_pack("[i,{}]", 0));
	script_run(sc, 2);
	rc = cc_module_add_remote_config(b, "Hello", rec_remote, &rb, WAIT);
	script_wait(sc);
	ck_assert_msg(rc == CC_OK, "%s", cc_module_error(b));
	assert_json(rb.remotes, json_pack("[[s,{s:s, s:f}]]", "Hello",
	    "greeting", "hi", "interval", 1.0));
	ck_assert_str_eq(json_string_value(cc_module_get_remote_value(b,
	    "Hello", "greeting")), "hi");
	ck_assert_ptr_null(cc_module_get_remote_value(b, "Nobody", NULL));
	ck_assert_int_eq(cc_module_add_remote_config(b, "Hello", rec_remote,
	    &rb, WAIT), CC_ESTATE);
	ck_assert_int_eq(cc_module_add_remote_config(b, "Watcher", rec_remote,
	    &rb, WAIT), CC_EINVAL);
	script_run(sc, 1);
	rc = cc_module_add_remote_config(b, "Nobody", rec_remote, &rb, WAIT);
	script_wait(sc);
	script_free(sc);
	ck_assert_int_eq(rc, CC_EINVAL);
	ck_assert_str_eq(cc_module_error(b), "cannot follow Nobody: the "
	    "config manager has no spec for it");

	/* A change: Hello answers it, Watcher only sees it. Watcher's
	 * answer to mark comes first if it sent nothing before. */
	seq = send_command(cm, "Hello", "config_update", json_pack("{s:s}",
	    "greeting", "hey"));
	assert_json_own(expect_answer(cm, seq, from), json_pack("{s:[i]}",
	    "result", 0));
	ck_assert_str_eq(from, cc_session_lname(cc_module_session(a)));
	check_call("Watcher", "mark", NULL, json_pack("[i,{}]", 0));
	assert_json(json_array_get(rb.remotes, 1), json_pack("[s,{s:s}]",
	    "Hello", "greeting", "hey"));
	assert_json(json_array_get(ra.configs, 1), json_pack("{s:s}",
	    "greeting", "hey"));
	/* Other commands and invalid updates of the group: Hello's only. */
	check_call("Hello", "echo", json_pack("{s:s}", "text", "x"),
	    json_pack("[i,{s:s}]", 0, "text", "x"));
	check_call("Hello", "config_update", json_pack("{s:s}", "interval",
	    "x"), json_pack("[i,s]", 1, "Hello/interval should be a real"));
	check_call("Watcher", "mark", NULL, json_pack("[i,{}]", 0));
	ck_assert_uint_eq(json_array_size(rb.remotes), 2);

	/* Without Hello on the bus the follower still never answers. */
	cc_module_free(a);
	expect_stopping("Hello");
	(void)send_command(cm, "Hello", "config_update", json_pack("{s:s}",
	    "greeting", "yo"));
	check_call("Watcher", "mark", NULL, json_pack("[i,{}]", 0));
	assert_json(json_array_get(rb.remotes, 2), json_pack("[s,{s:s}]",
	    "Hello", "greeting", "yo"));
	/* Unfollowed: unsubscribed, so nobody receives Hello's commands. */
	ck_assert_int_eq(cc_module_remove_remote_config(b, "Hello"), CC_OK);
	ck_assert_int_eq(cc_module_remove_remote_config(b, "Hello"),
	    CC_EINVAL);
	check_call("Hello", "config_update", json_object(),
	    json_pack("[i,s]", -1, "No such recipient"));
	ck_assert_uint_eq(json_array_size(rb.remotes), 3);
	cc_module_free(b);
	rec_clear(&ra);
	rec_clear(&rb);
}
END_TEST

struct count {
	json_t *list;
	size_t n;
};

static bool
count_reached(void *arg)
{
	struct count *c = arg;

	return json_array_size(c->list) >= c->n;
}

START_TEST(test_notifications)
{
	struct cc_module *a, *b, *idle;
	struct tl_client *w = it_client(mq);
	json_t *params = json_pack("{s:i}", "count", 1);
	struct rec ra, rb;
	struct tl_frame f;

	rec_init(&ra);
	rec_init(&rb);
	idle = cc_module_new(base, "hello.spec", NULL, NULL, NULL);
	ck_assert_int_eq(cc_module_notify(idle, "hello", "x", NULL),
	    CC_ESTATE);
	ck_assert_int_eq(cc_module_subscribe_notification(idle, "hello",
	    rec_note, &ra), CC_ESTATE);
	cc_module_free(idle);
	it_subscribe_sync(w, "notifications/hello", NULL);
	a = start_simple("hello.spec", &ra, NULL);
	b = start_watcher(&rb);
	ck_assert_int_eq(cc_module_subscribe_notification(b, "hello",
	    rec_note, &rb), CC_OK);
	ck_assert_int_eq(cc_module_subscribe_notification(b, "other",
	    rec_note, &rb), CC_OK);
	ck_assert_int_eq(cc_module_subscribe_notification(b, "hello",
	    rec_note, &rb), CC_ESTATE);

	ck_assert_int_eq(cc_module_notify(a, "hello", "heartbeat", params),
	    CC_OK);
	ck_assert_int_eq(cc_module_notify(a, "hello", "bare", NULL), CC_OK);
	ck_assert(run_until(count_reached, &(struct count){ rb.notes, 2 },
	    NULL));
	assert_json(rb.notes, json_pack("[[s,s,O],[s,s,n]]", "hello",
	    "heartbeat", params, "hello", "bare"));
	/* On the wire: PROTOCOL.md 7. */
	pump_read(w, &f);
	ck_assert_str_eq(tl_frame_str(&f, "group"), "notifications/hello");
	ck_assert_str_eq(tl_frame_str(&f, "from"),
	    cc_session_lname(cc_module_session(a)));
	ck_assert(!json_is_true(json_object_get(f.hdr, "want_answer")));
	assert_json(f.body, json_pack("{s:[s,O]}", "notification",
	    "heartbeat", params));
	tl_frame_clear(&f);

	ck_assert_int_eq(cc_module_unsubscribe_notification(b, "hello"),
	    CC_OK);
	ck_assert_int_eq(cc_module_unsubscribe_notification(b, "hello"),
	    CC_EINVAL);
	ck_assert_int_eq(cc_module_notify(a, "hello", "unseen", NULL), CC_OK);
	ck_assert_int_eq(cc_module_notify(a, "other", "seen", NULL), CC_OK);
	ck_assert(run_until(count_reached, &(struct count){ rb.notes, 3 },
	    NULL));
	assert_json(json_array_get(rb.notes, 2), json_pack("[s,s,n]",
	    "other", "seen"));
	ck_assert_uint_eq(json_array_size(rb.notes), 3);
	cc_module_free(a);
	cc_module_free(b);
	tl_client_free(w);
	json_decref(params);
	rec_clear(&ra);
	rec_clear(&rb);
}
END_TEST

/* The hello daemon, registered with the script, which gives it stored
 * (stolen, NULL: nothing stored). Answered here, without a thread: the
 * daemon is another process. */
static struct tl_msgq *
hello_start(json_t *stored)
{
	struct tl_msgq *d = tl_daemon_new("modules/hello/hello");
	const char *args[] = { "-s", mq->sock, NULL };
	struct script *sc = script_new(stored);

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(tl_msgq_spawn(d, args), 0);
	sc->want = 2;
	(void)script_main(sc);
	ck_assert_msg(sc->answered == 2, "hello did not register");
	script_free(sc);
	return d;
}

/* The next heartbeat notification seen by w must have count n. */
static void
expect_heartbeat(struct tl_client *w, int n)
{
	struct tl_frame f;

	pump_read(w, &f);
	ck_assert_str_eq(tl_frame_str(&f, "group"), "notifications/hello");
	assert_json(f.body, json_pack("{s:[s,{s:i}]}", "notification",
	    "heartbeat", "count", n));
	tl_frame_clear(&f);
}

START_TEST(test_hello)
{
	struct tl_client *w = it_client(mq);
	struct tl_msgq *d;
	int64_t seq;

	it_subscribe_sync(w, "notifications/hello", NULL);
	d = hello_start(json_pack("{s:s, s:i}", "greeting", "hi", "interval",
	    0));
	check_call("Hello", "echo", json_pack("{s:s}", "text", "ping"),
	    json_pack("[i,s]", 0, "ping"));
	check_call("Hello", "greet", json_pack("{s:i}", "count", 3),
	    json_pack("[i,s]", 0, "hi hi hi"));
	check_call("Hello", "greet", NULL, json_pack("[i,s]", 0, "hi"));
	check_call("Hello", "greet", json_pack("{s:i}", "count", 0),
	    json_pack("[i,s]", 1, "count must be between 1 and 100"));
	check_call("Hello", "greet", json_pack("{s:s}", "count", "x"),
	    json_pack("[i,s]", 1, "Hello/greet/count should be an integer"));
	check_call("Hello", "getstats", NULL, json_pack("[i,{s:i, s:i}]", 0,
	    "echoes", 1, "greetings", 2));
	/* A refused interval changes nothing, not even the greeting. */
	check_call("Hello", "config_update", json_pack("{s:s, s:i}",
	    "greeting", "yo", "interval", -1), json_pack("[i,s]", 1,
	    "interval must not be negative"));
	check_call("Hello", "greet", NULL, json_pack("[i,s]", 0, "hi"));
	/* An accepted one re-arms the heartbeat: every 20 ms now. */
	check_call("Hello", "config_update", json_pack("{s:s, s:f}",
	    "greeting", "yo", "interval", 0.02), json_pack("[i]", 0));
	check_call("Hello", "greet", json_pack("{s:i}", "count", 2),
	    json_pack("[i,s]", 0, "yo yo"));
	expect_heartbeat(w, 1);
	expect_heartbeat(w, 2);
	/* Another process's shutdown, then its own. */
	(void)send_command(cm, "Hello", "shutdown", json_pack("{s:i}", "pid",
	    (int)getpid()));
	seq = send_command(cm, "Hello", "shutdown", json_pack("{s:i}", "pid",
	    (int)d->pid));
	assert_json_own(expect_answer(cm, seq, NULL), json_pack("{s:[i]}",
	    "result", 0));
	expect_stopping("Hello");
	ck_assert_int_eq(tl_msgq_wait_exit(d, WAIT), 0);
	tl_msgq_free(d);
	tl_client_free(w);
}
END_TEST

START_TEST(test_hello_sigterm)
{
	struct tl_msgq *d = hello_start(NULL);

	check_call("Hello", "getstats", NULL, json_pack("[i,{s:i, s:i}]", 0,
	    "echoes", 0, "greetings", 0));
	ck_assert_int_eq(tl_msgq_stop(d), 0);
	expect_stopping("Hello");
	tl_msgq_free(d);
}
END_TEST

START_TEST(test_hello_start_errors)
{
	struct tl_msgq *d = tl_daemon_new("modules/hello/hello");
	const char *args[] = { "-s", mq->sock, NULL };
	char want[512];

	/* No config manager on the bus. */
	tl_client_free(cm);
	cm = NULL;
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(tl_msgq_run(d, args, WAIT), 1);
	snprintf(want, sizeof(want), "hello: module_spec for Hello: no config "
	    "manager on the bus at %s\n", mq->sock);
	ck_assert_msg(tl_file_contains(d->log, want), "%s lacks: %s", d->log,
	    want);
	tl_msgq_free(d);
	/* A stored configuration that hello refuses. */
	cm = it_client(mq);
	ck_assert_int_eq(tl_client_subscribe(cm, "ConfigManager", NULL), 0);
	expect_nothing(cm);
	d = hello_start(json_pack("{s:i}", "interval", -1));
	ck_assert_int_eq(tl_msgq_wait_exit(d, WAIT), 1);
	ck_assert(tl_file_contains(d->log, "hello: Hello: config refused: "
	    "interval must not be negative\n"));
	expect_stopping("Hello");
	tl_msgq_free(d);
}
END_TEST

/* msgq dies: hello carries on, and registers again with the config
 * manager of the new msgq, whose configuration it takes. */
START_TEST(test_hello_bus_lost)
{
	struct tl_msgq *d = hello_start(NULL);
	struct script *sc;

	check_call("Hello", "getstats", NULL, json_pack("[i,{s:i, s:i}]", 0,
	    "echoes", 0, "greetings", 0));
	tl_client_free(cm);
	cm = NULL;
	tl_msgq_kill(mq);
	ck_assert_int_eq(tl_msgq_start(mq, NULL), 0);
	cm = it_client(mq);
	ck_assert_int_eq(tl_client_subscribe(cm, "ConfigManager", NULL), 0);
	sc = script_new(json_pack("{s:s}", "greeting", "again"));
	sc->want = 2;
	(void)script_main(sc);
	ck_assert_msg(sc->answered == 2, "hello did not register again (log "
	    "%s)", d->log);
	script_free(sc);
	check_call("Hello", "greet", NULL, json_pack("[i,s]", 0, "again"));
	ck_assert_int_gt(d->pid, 0);
	ck_assert_int_eq(tl_msgq_stop(d), 0);
	expect_stopping("Hello");
	tl_msgq_free(d);
}
END_TEST

static Suite *
module_suite(void)
{
	Suite *su = suite_create("libcc module API and hello");
	TCase *api = tcase_create("module API");
	TCase *hello = tcase_create("hello");

	tcase_add_checked_fixture(api, setup, teardown);
	tcase_add_test(api, test_start_and_update);
	tcase_add_test(api, test_update_invalid);
	tcase_add_test(api, test_update_refused);
	tcase_add_test(api, test_commands);
	tcase_add_test(api, test_shutdown_callback);
	tcase_add_test(api, test_shutdown_ends_loop);
	tcase_add_test(api, test_connection_lost);
	tcase_add_test(api, test_no_config_manager);
	tcase_add_test(api, test_spec_errors);
	tcase_add_test(api, test_start_refused);
	tcase_add_test(api, test_remote_config);
	tcase_add_test(api, test_notifications);
	suite_add_tcase(su, api);

	tcase_add_checked_fixture(hello, setup, teardown);
	tcase_add_test(hello, test_hello);
	tcase_add_test(hello, test_hello_sigterm);
	tcase_add_test(hello, test_hello_start_errors);
	tcase_add_test(hello, test_hello_bus_lost);
	suite_add_tcase(su, hello);
	return su;
}

int
main(void)
{
	return it_run(module_suite());
}
