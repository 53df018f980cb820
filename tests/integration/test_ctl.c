/*
 * ccbusctl end to end: a real suite (ccbus with msgq, cfgmgr and hello,
 * as test_boss.h starts it) and the ctl/ccbusctl program run as a
 * process, its stdout, stderr and exit status checked. Covers every
 * subcommand, the exit statuses (0, 1 error answer, 2 no recipient or
 * no suite, 64 usage), arguments typed and checked against the spec,
 * configuration changes in one commit, monitor stopped by SIGINT.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>

#include "test_boss.h"

#define OUT_MAX	65536

/* What one run of ccbusctl left. */
struct run {
	int	status;
	char	out[OUT_MAX];
	char	err[OUT_MAX];
};

static struct run res;

static void
slurp(const char *path, char *buf)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd == -1 ? 0 : read(fd, buf, OUT_MAX - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd != -1)
		close(fd);
}

/* A ccbusctl not started yet (its out and log files are its stdout
 * and stderr). */
static struct tl_msgq *
ctl_new(void)
{
	struct tl_msgq *m = tl_daemon_new("ctl/ccbusctl");

	ck_assert_ptr_nonnull(m);
	return m;
}

/* Run ccbusctl with args (NULL-terminated) to its exit, into res. */
static void
ctl_runv(const char *const *args)
{
	struct tl_msgq *m = ctl_new();

	res.status = tl_msgq_run(m, args, tl_ms(20000));
	slurp(m->out, res.out);
	slurp(m->log, res.err);
	tl_msgq_free(m);
}

#define ARGS_MAX	40

/* args = { "-s", sock, ap's strings up to NULL, NULL }. */
static void
ctl_argv(const char **args, const char *sock, va_list ap)
{
	const char *a;
	int n = 2;

	args[0] = "-s";
	args[1] = sock;
	while ((a = va_arg(ap, const char *)) != NULL && n < ARGS_MAX - 1)
		args[n++] = a;
	args[n] = NULL;
}

/* ccbusctl -s SOCK args...: its exit status must be want. */
static void
ctl_expect(struct bt *r, int want, ...)
{
	const char *args[ARGS_MAX];
	va_list ap;

	va_start(ap, want);
	ctl_argv(args, r != NULL ? r->d->sock : "/nonexistent", ap);
	va_end(ap);
	ctl_runv(args);
	ck_assert_msg(res.status == want, "ccbusctl %s %s: status %d, want "
	    "%d\nstdout: %s\nstderr: %s", args[2], args[3] != NULL ?
	    args[3] : "", res.status, want, res.out, res.err);
}

#define OUT_HAS(s) ck_assert_msg(strstr(res.out, (s)) != NULL,		\
	"stdout lacks '%s':\n%s\nstderr: %s", (s), res.out, res.err)
#define ERR_HAS(s) ck_assert_msg(strstr(res.err, (s)) != NULL,		\
	"stderr lacks '%s':\n%s", (s), res.err)
#define OUT_IS(s) ck_assert_msg(strcmp(res.out, (s)) == 0,		\
	"stdout is '%s', want '%s'; stderr: %s", res.out, (s), res.err)

/* stdout as JSON (new reference). */
static json_t *
out_json(void)
{
	json_error_t e;
	json_t *v = json_loads(res.out, JSON_DECODE_ANY, &e);

	ck_assert_msg(v != NULL, "not JSON (%s): %s", e.text, res.out);
	return v;
}

static struct bt *
suite_start(void)
{
	struct bt *r;

	/* The example module alone, whatever the default list holds. */
	bt_env();
	r = bt_new(json_pack("{s:{s:{s:s, s:s}}}", "components", "hello",
	    "kind", "dispensable", "address", "Hello"));
	bt_start(r);
	return r;
}

/* Module commands: name=value typed by the spec, JSON, the answer. */
START_TEST(t_module_commands)
{
	struct bt *r = suite_start();

	ctl_expect(r, 0, "hello", "echo", "text=hi there", NULL);
	OUT_IS("hi there\n");
	ctl_expect(r, 0, "Hello", "greet", "count=3", NULL);
	OUT_IS("hello hello hello\n");
	ctl_expect(r, 0, "hello", "greet", NULL);
	OUT_IS("hello\n");
	ctl_expect(r, 0, "hello", "echo", "{\"text\": \"from json\"}", NULL);
	OUT_IS("from json\n");
	ctl_expect(r, 0, "--json", "hello", "echo", "text=x", NULL);
	OUT_IS("\"x\"\n");
	ctl_expect(r, 0, "Boss", "ping", NULL);
	OUT_IS("pong\n");
	/* Not a string: pretty JSON. */
	ctl_expect(r, 0, "hello", "getstats", NULL);
	assert_json_own(out_json(), json_pack("{s:i, s:i}", "echoes", 3,
	    "greetings", 2));
	/* An error answer: status 1, the module's words. */
	ctl_expect(r, 1, "hello", "greet", "count=0", NULL);
	ERR_HAS("count must be between 1 and 100");
	ck_assert_str_eq(res.out, "");
	bt_end(r);
}
END_TEST

/* Bad arguments never reach the module: 64 with the usage; unknown
 * module or command: 1 with the lists. */
START_TEST(t_bad_arguments)
{
	struct bt *r = suite_start();

	ctl_expect(r, 1, "nosuch", "cmd", NULL);
	ERR_HAS("unknown module nosuch; modules: Boss, ConfigManager, Hello, "
	    "Msgq");
	ERR_HAS("or a command of ccbusctl itself: status, config, members, "
	    "monitor, send, help (`ccbusctl help`)\n");
	ctl_expect(r, 1, "hello", "nope", NULL);
	ERR_HAS("unknown command nope of Hello; commands: echo, greet, "
	    "getstats");
	ctl_expect(r, 64, "hello", "greet", "count=abc", NULL);
	ERR_HAS("argument 'count': 'abc' is not an integer");
	ERR_HAS("usage: ccbusctl Hello greet [count=INTEGER]");
	ERR_HAS("How many times to repeat it");
	ctl_expect(r, 64, "hello", "echo", NULL);
	ERR_HAS("missing argument 'text' (string)");
	ERR_HAS("usage: ccbusctl Hello echo text=STRING");
	ctl_expect(r, 64, "hello", "echo", "text=a", "colour=red", NULL);
	ERR_HAS("unknown argument 'colour'");
	ctl_expect(r, 64, "hello", "echo", "text=a", "text=b", NULL);
	ERR_HAS("argument 'text' given twice");
	ctl_expect(r, 64, "hello", "echo", "{\"text\": 1}", NULL);
	ERR_HAS("Hello/echo/text should be a string");
	ctl_expect(r, 64, "hello", "echo", "{\"text\": ", NULL);
	ERR_HAS("not JSON");
	ctl_expect(r, 64, "hello", "echo", "justaword", NULL);
	ERR_HAS("'justaword' is not NAME=VALUE");
	ctl_expect(r, 64, "hello", NULL);
	ERR_HAS("which command?");
	/* Nothing was sent: hello counted no echo and no greeting. */
	ctl_expect(r, 0, "hello", "getstats", NULL);
	assert_json_own(out_json(), json_pack("{s:i, s:i}", "echoes", 0,
	    "greetings", 0));
	/* Options and subcommands. */
	ctl_expect(r, 64, "--bogus", "status", NULL);
	ctl_expect(r, 64, "-t", "abc", "status", NULL);
	ctl_expect(r, 64, "status", "a", "b", NULL);
	ctl_expect(r, 64, "config", "frobnicate", NULL);
	ctl_expect(r, 64, "config", "set", "Hello/greeting", NULL);
	ctl_expect(r, 64, "send", "Hello", "{not json", NULL);
	bt_end(r);
}
END_TEST

/* The column of each header word must be where every row's cell
 * starts. */
static void
check_table(const char *text, int rows)
{
	char buf[OUT_MAX], *save = NULL, *line;
	const char *heads[] = { "STATE", "PID", "UPTIME", "RESTARTS",
	    "LAST-EXIT" };
	long col[5];
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", text);
	line = strtok_r(buf, "\n", &save);
	ck_assert_ptr_nonnull(line);
	ck_assert_msg(strncmp(line, "NAME ", 5) == 0, "header: %s", line);
	for (int i = 0; i < 5; i++)
		col[i] = strstr(line, heads[i]) - line;
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		n++;
		for (int i = 0; i < 5; i++)
			ck_assert_msg((long)strlen(line) > col[i] &&
			    line[col[i] - 1] == ' ' && line[col[i]] != ' ',
			    "column %s not aligned in '%s'", heads[i], line);
	}
	ck_assert_int_eq(n, rows);
}

START_TEST(t_status)
{
	struct bt *r = suite_start();
	char want[64];
	json_t *v;

	ctl_expect(r, 0, "status", NULL);
	check_table(res.out, 3);
	OUT_HAS("msgq ");
	OUT_HAS("cfgmgr ");
	snprintf(want, sizeof(want), "hello   running  %d ",
	    (int)bt_pid(r, "hello"));
	OUT_HAS(want);
	/* --json may follow the command. */
	ctl_expect(r, 0, "status", "--json", NULL);
	v = out_json();
	ck_assert_int_eq(json_array_size(v), 3);
	assert_json(json_object_get(json_array_get(v, 2), "name"),
	    json_string("hello"));
	ck_assert(json_is_integer(json_object_get(json_array_get(v, 2),
	    "pid")));
	json_decref(v);
	ctl_expect(r, 1, "status", "nosuch", NULL);
	ERR_HAS("no component named nosuch");
	/* A stopped component: no pid, no uptime; its last exit. */
	ctl_expect(r, 0, "Boss", "stop", "name=hello", NULL);
	ctl_expect(r, 0, "status", "hello", NULL);
	check_table(res.out, 1);
	OUT_HAS("hello  stopped  -    -       0");
	bt_end(r);
}
END_TEST

/* The restart an operator does, and no recipient once a module is
 * stopped. */
START_TEST(t_boss_commands)
{
	struct bt *r = suite_start();
	pid_t pid = bt_pid(r, "hello");

	ctl_expect(r, 0, "Boss", "restart", "name=hello", NULL);
	ck_assert(bt_wait_state(r, "hello", "running", pid, WAIT));
	ctl_expect(r, 0, "hello", "echo", "text=back", NULL);
	OUT_IS("back\n");
	ctl_expect(r, 0, "Boss", "stop", "name=hello", NULL);
	ctl_expect(r, 2, "hello", "echo", "text=x", NULL);
	ERR_HAS("no module is serving group Hello");
	ctl_expect(r, 1, "Boss", "start", "name=nosuch", NULL);
	ERR_HAS("no component named nosuch");
	ctl_expect(r, 0, "Boss", "start", "name=hello", NULL);
	ctl_expect(r, 0, "Boss", "shutdown", NULL);
	ck_assert_int_eq(tl_msgq_wait_exit(r->d, WAIT), 0);
	bt_end(r);
}
END_TEST

/* The stored configuration, through the operator's own session. */
static json_t *
stored(struct bt *r, const char *module)
{
	json_t *v = NULL;

	ck_assert_int_eq(bt_cmd(r, "ConfigManager", "get_config",
	    json_pack("{s:s}", "module_name", module), &v), CC_OK);
	return v;
}

START_TEST(t_config_set)
{
	struct bt *r = suite_start();
	json_t *v;

	/* Three pairs, two modules, one commit; 7 for a real is 7.0. */
	ctl_expect(r, 0, "config", "set", "Hello/greeting", "hi",
	    "hello/interval", "2.5", "Boss/ready_timeout", "7", NULL);
	ck_assert_str_eq(res.out, "");
	assert_json_own(stored(r, "Hello"), json_pack("{s:s, s:f}",
	    "greeting", "hi", "interval", 2.5));
	v = stored(r, "Boss");
	assert_json(json_object_get(v, "ready_timeout"), json_real(7.0));
	json_decref(v);
	ctl_expect(r, 0, "hello", "greet", NULL);
	OUT_IS("hi\n");
	/* A bare word is a string; JSON is JSON. */
	ctl_expect(r, 0, "config", "set", "Hello/peers", "[\"ann\", \"bob\"]",
	    "Hello/greeting", "42", NULL);
	assert_json_own(stored(r, "Hello"), json_pack("{s:s, s:f, s:[s,s]}",
	    "greeting", "42", "interval", 2.5, "peers", "ann", "bob"));
	/* Refused: the path in the message, status 1, nothing changed. */
	ctl_expect(r, 1, "config", "set", "Hello/greeting", "x",
	    "Hello/interval", "abc", NULL);
	ERR_HAS("Hello/interval should be a real");
	assert_json_own(stored(r, "Hello"), json_pack("{s:s, s:f, s:[s,s]}",
	    "greeting", "42", "interval", 2.5, "peers", "ann", "bob"));
	ctl_expect(r, 1, "config", "set", "Hello/colour", "red", NULL);
	ERR_HAS("colour");
	ctl_expect(r, 1, "config", "set", "Nosuch/x", "1", NULL);
	ERR_HAS("unknown module Nosuch");
	/* A path into a list. */
	ctl_expect(r, 0, "config", "set", "Hello/peers/1", "cy", NULL);
	ctl_expect(r, 0, "config", "show", "Hello/peers", NULL);
	assert_json_own(out_json(), json_pack("[s,s]", "ann", "cy"));
	/* unset: back to the default. */
	ctl_expect(r, 0, "config", "unset", "Hello/greeting",
	    "Hello/peers/0", NULL);
	assert_json_own(stored(r, "Hello"), json_pack("{s:f, s:[s]}",
	    "interval", 2.5, "peers", "cy"));
	ctl_expect(r, 0, "hello", "greet", NULL);
	OUT_IS("hello\n");
	ctl_expect(r, 1, "config", "unset", "Hello/peers/5", NULL);
	ERR_HAS("Hello/peers/5 is not set");
	ctl_expect(r, 0, "config", "unset", "Hello", NULL);
	assert_json_own(stored(r, "Hello"), json_object());
	bt_end(r);
}
END_TEST

/* A path inside an item: the whole item is sent, built on the default
 * when nothing is stored; unset removes the key inside. */
START_TEST(t_config_nested)
{
	struct bt *r = suite_start();
	pid_t pid = bt_pid(r, "hello");

	ctl_expect(r, 0, "config", "set", "Boss/components/hello/priority",
	    "3", NULL);
	assert_json_own(stored(r, "Boss"), json_pack("{s:{s:{s:s, s:s, s:i}}}",
	    "components", "hello", "kind", "dispensable", "address", "Hello",
	    "priority", 3));
	/* A changed component restarts. */
	ck_assert(bt_wait_state(r, "hello", "running", pid, WAIT));
	/* A named_set is shown one line per member, aligned. */
	ctl_expect(r, 0, "config", "show", "Boss", NULL);
	OUT_HAS("\nBoss/components/hello/priority  3\n");
	OUT_HAS("Boss/components/hello/kind      \"dispensable\"\n");
	OUT_HAS("Boss/stop_timeout               5.0  (default)\n");
	ctl_expect(r, 0, "config", "show", "Boss/components/hello/priority",
	    NULL);
	OUT_IS("3\n");
	ctl_expect(r, 1, "config", "set", "Boss/components/hello/priority",
	    "high", NULL);
	ERR_HAS("Boss/components/hello/priority should be an integer");
	/* The boss's own check, beyond the spec. */
	ctl_expect(r, 1, "config", "set", "Boss/components/hello/kind",
	    "vital", NULL);
	ERR_HAS("kind");
	ctl_expect(r, 0, "config", "unset", "Boss/components/hello/priority",
	    NULL);
	assert_json_own(stored(r, "Boss"), json_pack("{s:{s:{s:s, s:s}}}",
	    "components", "hello", "kind", "dispensable", "address",
	    "Hello"));
	bt_end(r);
}
END_TEST

START_TEST(t_config_show_spec)
{
	struct bt *r = suite_start();
	json_t *v;

	ctl_expect(r, 0, "config", "set", "Hello/greeting", "hey", NULL);
	ctl_expect(r, 0, "config", "show", "hello", NULL);
	OUT_IS("Hello/greeting  \"hey\"\n"
	    "Hello/interval  1.0  (default)\n"
	    "Hello/peers     (not set)\n");
	ctl_expect(r, 0, "config", "show", NULL);
	OUT_HAS("Boss/stop_timeout ");
	OUT_HAS("Msgq/max_clients ");
	OUT_HAS("\"hey\"\n");
	ctl_expect(r, 0, "--json", "config", "show", NULL);
	v = out_json();
	assert_json(json_object_get(json_object_get(v, "Hello"), "greeting"),
	    json_string("hey"));
	assert_json(json_object_get(json_object_get(v, "Msgq"),
	    "max_clients"), json_integer(1024));
	json_decref(v);
	ctl_expect(r, 0, "--json", "config", "show", "Hello", NULL);
	assert_json_own(out_json(), json_pack("{s:s, s:f}", "greeting", "hey",
	    "interval", 1.0));
	ctl_expect(r, 0, "config", "show", "Hello/greeting", NULL);
	OUT_IS("\"hey\"\n");
	ctl_expect(r, 1, "config", "show", "Hello/nope", NULL);
	ERR_HAS("Hello has no configuration item nope");
	ctl_expect(r, 1, "config", "show", "Hello/peers", NULL);
	ERR_HAS("Hello/peers is not set");
	ctl_expect(r, 0, "config", "spec", "Hello", NULL);
	OUT_HAS("Hello/interval  real, default 1.0\n    Seconds between");
	OUT_HAS("Hello/peers  list of string, optional\n");
	ctl_expect(r, 0, "config", "spec", "Boss", NULL);
	OUT_HAS("Boss/components/NAME/kind  string, optional, default "
	    "\"dispensable\"\n");
	ctl_expect(r, 0, "--json", "config", "spec", "Hello", NULL);
	v = out_json();
	assert_json(json_object_get(v, "module_name"), json_string("Hello"));
	json_decref(v);
	ctl_expect(r, 1, "config", "spec", "Nosuch", NULL);
	bt_end(r);
}
END_TEST

START_TEST(t_members_send)
{
	struct bt *r = suite_start();
	json_t *lnames = NULL;
	const char *hello;

	ck_assert_int_eq(bt_cmd(r, "Msgq", "members", json_pack("{s:s}",
	    "group", "Hello"), &lnames), CC_OK);
	ck_assert_int_eq(json_array_size(lnames), 1);
	hello = json_string_value(json_array_get(lnames, 0));
	ctl_expect(r, 0, "members", "Hello", NULL);
	OUT_HAS("LNAME ");
	OUT_HAS(hello);
	OUT_HAS("[\"Hello\"]");
	ctl_expect(r, 0, "--json", "members", "Hello", NULL);
	assert_json_own(out_json(), json_incref(lnames));
	ctl_expect(r, 0, "members", "Hello", "--json", NULL);
	assert_json_own(out_json(), json_incref(lnames));
	/* After "--", --json is an argument: a group of that name. */
	ctl_expect(r, 0, "members", "--", "--json", NULL);
	OUT_IS("LNAME  PID      GROUPS\n");
	ctl_expect(r, 0, "members", NULL);
	OUT_HAS(hello);
	OUT_HAS(cc_session_lname(r->s));
	OUT_HAS("(this ccbusctl)");
	ctl_expect(r, 0, "members", "Nobody", NULL);
	ck_assert_ptr_null(strstr(res.out, "@"));
	/* send: a command gets its answer printed, data only a check. */
	ctl_expect(r, 0, "send", "Hello",
	    "{\"command\": [\"echo\", {\"text\": \"sent\"}]}", NULL);
	OUT_IS("sent\n");
	ctl_expect(r, 1, "send", "Hello", "{\"command\": [\"nope\"]}", NULL);
	ERR_HAS("nope");
	ctl_expect(r, 0, "send", "Hello", "{\"just\": \"data\"}", NULL);
	ck_assert_str_eq(res.out, "");
	ctl_expect(r, 2, "send", "Nobody", "{\"just\": \"data\"}", NULL);
	ERR_HAS("no module is serving group Nobody");
	ctl_expect(r, 2, "send", "Nobody", "{\"command\": [\"x\"]}", NULL);
	json_decref(lnames);
	bt_end(r);
}
END_TEST

/* A monitor in the background: started, ready (its stderr says so),
 * stopped by SIGINT. */
static struct tl_msgq *
monitor_start(struct bt *r, ...)
{
	struct tl_msgq *m = ctl_new();
	const char *args[ARGS_MAX];
	va_list ap;

	va_start(ap, r);
	ctl_argv(args, r->d->sock, ap);
	va_end(ap);
	ck_assert_int_eq(tl_msgq_spawn(m, args), 0);
	ck_assert_msg(tl_log_wait(m->log, "monitoring ", WAIT),
	    "monitor not ready");
	return m;
}

static void
monitor_stop(struct tl_msgq *m)
{
	ck_assert_int_eq(kill(m->pid, SIGINT), 0);
	ck_assert_int_eq(tl_msgq_wait_exit(m, WAIT), 0);
	slurp(m->out, res.out);
	slurp(m->log, res.err);
	tl_msgq_free(m);
}

START_TEST(t_monitor)
{
	struct bt *r = suite_start();
	json_t *body = json_pack("{s:i}", "from_test", 1);
	struct tl_msgq *m = monitor_start(r, "monitor", "Hello", "Other",
	    NULL);
	char want[256];

	ck_assert(tl_file_contains(m->log, "[\"Hello\",\"Other\"]"));
	ck_assert_int_eq(cc_send(r->s, "Other", NULL, NULL, body, 0, NULL),
	    CC_OK);
	snprintf(want, sizeof(want), " %s Other {\"from_test\":1}",
	    cc_session_lname(r->s));
	ck_assert_msg(tl_log_wait(m->out, want, WAIT), "no line '%s'", want);
	monitor_stop(m);
	/* One line, starting with the time. */
	ck_assert_int_eq(strlen(res.out), 24 + strlen(want) + 1);
	ck_assert_msg(res.out[4] == '-' && res.out[10] == 'T' &&
	    res.out[23] == 'Z', "time: %s", res.out);

	/* Without groups: the modules' among them; --json lines. */
	m = monitor_start(r, "--json", "monitor", NULL);
	ck_assert(tl_file_contains(m->log, "\"Hello\""));
	ck_assert(tl_file_contains(m->log, "\"notifications/cc_members\""));
	ctl_expect(r, 0, "hello", "echo", "text=seen", NULL);
	ck_assert(tl_log_wait(m->out, "{\"command\":[\"echo\",{\"text\":"
	    "\"seen\"}]}", WAIT));
	monitor_stop(m);
	OUT_HAS("\"group\":\"Hello\"");
	OUT_HAS("\"from\":\"");
	json_decref(body);
	bt_end(r);
}
END_TEST

START_TEST(t_help)
{
	struct bt *r = suite_start();
	json_t *v;

	ctl_expect(r, 0, "help", NULL);
	OUT_HAS("usage: ccbusctl ");
	OUT_HAS("config set MODULE/PATH VALUE");
	OUT_HAS("  Hello: The example module");
	OUT_HAS("    echo text=STRING              Answer with the text given\n");
	OUT_HAS("    greet [count=INTEGER]         Answer with the configured");
	OUT_HAS("    restart name=STRING ");
	ctl_expect(r, 0, "help", "hello", NULL);
	OUT_HAS("usage: ccbusctl Hello greet [count=INTEGER]\n");
	OUT_HAS("count       integer  optional, default 1; How many times");
	ctl_expect(r, 0, "help", "config", NULL);
	OUT_HAS("usage: ccbusctl config unset");
	ctl_expect(r, 1, "help", "nosuch", NULL);
	ERR_HAS("unknown module nosuch");
	ctl_expect(r, 0, "--json", "help", "hello", NULL);
	v = out_json();
	ck_assert_int_eq(json_array_size(v), 3);
	json_decref(v);
	/* A module that is not running is still listed. */
	ctl_expect(r, 0, "Boss", "stop", "name=hello", NULL);
	ctl_expect(r, 0, "help", NULL);
	OUT_HAS("    echo text=STRING ");
	ctl_expect(r, 0, "-h", NULL);
	OUT_HAS("Exit status: 0 success");
	bt_end(r);
}
END_TEST

/* No suite: status 2, the socket tried and how to choose another. */
START_TEST(t_no_suite)
{
	char dir[TL_DIR_MAX], sock[TL_PATH_MAX + 16];
	const char *args[] = { "status", NULL };
	const char *help[] = { "help", NULL };

	ck_assert_int_eq(tl_tmpdir_make(dir, sizeof(dir)), 0);
	snprintf(sock, sizeof(sock), "%s/none.sock", dir);
	setenv("CCBUS_SOCKET", sock, 1);
	ctl_runv(args);
	ck_assert_int_eq(res.status, 2);
	ERR_HAS(sock);
	ERR_HAS("from $CCBUS_SOCKET");
	ERR_HAS("CCBUS_SOCKET");
	ERR_HAS("-s PATH");
	ERR_HAS("ccbus");
	ck_assert_str_eq(res.out, "");
	ctl_expect(NULL, 2, "hello", "echo", "text=x", NULL);
	ERR_HAS("/nonexistent");
	ERR_HAS("(socket given with -s)");
	ctl_expect(NULL, 2, "config", "show", NULL);
	ctl_expect(NULL, 2, "monitor", NULL);
	/* help still helps: the modules from the spec files. */
	ctl_runv(help);
	ck_assert_int_eq(res.status, 0);
	OUT_HAS("from the spec files in");
	OUT_HAS("    echo text=STRING ");
	unsetenv("CCBUS_SOCKET");
	tl_tmpdir_remove(dir);
}
END_TEST

/* msgq without the suite: the boss and cfgmgr are named as missing;
 * help falls back on the spec files. */
START_TEST(t_msgq_alone)
{
	struct tl_msgq *mq = it_msgq();
	const char *args[6] = { "-s", mq->sock, NULL };

	args[2] = "status";
	ctl_runv(args);
	ck_assert_int_eq(res.status, 2);
	ERR_HAS("no boss (ccbus) on the bus at ");
	ERR_HAS("start the suite with `ccbus`");
	args[2] = "config";
	args[3] = "show";
	ctl_runv(args);
	ck_assert_int_eq(res.status, 2);
	ERR_HAS("no configuration manager (ccbus-cfgmgr) on the bus at ");
	args[2] = "help";
	args[3] = NULL;
	ctl_runv(args);
	ck_assert_int_eq(res.status, 0);
	OUT_HAS("from the spec files in");
	OUT_HAS("    echo text=STRING ");
	args[2] = "members";
	ctl_runv(args);
	ck_assert_int_eq(res.status, 0);
	OUT_HAS("(this ccbusctl)");
	it_msgq_end(mq);
}
END_TEST

/* The README's first session ("A first session with `ccbusctl`"), as
 * written there, against the default suite (hello and stats): every
 * ccbusctl line of its first sh block but monitor (tested above) exits
 * 0, and the last, `boss shutdown`, stops the suite with status 0. */
#define README_LINES 32

static int
readme_session(char lines[][256])
{
	char path[TL_PATH_MAX], *line = NULL, *hash;
	const char *top = getenv("CCBUS_SRCDIR");
	size_t cap = 0;
	int n = 0, where = 0;	/* 0 before the section, 1 in it, 2 in sh */
	FILE *fp;

	snprintf(path, sizeof(path), "%s/README.md", top != NULL ? top : ".");
	ck_assert_msg((fp = fopen(path, "r")) != NULL, "cannot open %s", path);
	while (getline(&line, &cap, fp) != -1 && n < README_LINES) {
		if (where == 0 && strncmp(line, "## A first session", 18) == 0)
			where = 1;
		else if (where == 1 && strcmp(line, "```sh\n") == 0)
			where = 2;
		else if (where == 2 && strncmp(line, "```", 3) == 0)
			break;
		else if (where == 2 && strncmp(line, "ccbusctl ", 9) == 0) {
			if ((hash = strstr(line, "  #")) != NULL)
				*hash = '\0';
			snprintf(lines[n++], 256, "%s", line + 9);
		}
	}
	free(line);
	fclose(fp);
	return n;
}

START_TEST(t_readme_session)
{
	char lines[README_LINES][256], words[256], *save, *w;
	const char *args[24];
	struct bt *r;
	int n = readme_session(lines), done = 0;

	ck_assert_int_ge(n, 8);
	ck_assert_msg(strstr(lines[n - 1], "shutdown") != NULL,
	    "the session should end with shutdown: %s", lines[n - 1]);
	bt_env();
	r = bt_new(NULL);
	bt_start(r);
	for (int i = 0; i < n; i++) {
		int k = 2;

		args[0] = "-s";
		args[1] = r->d->sock;
		memcpy(words, lines[i], sizeof(words));
		for (w = strtok_r(words, " \n", &save); w != NULL && k < 23;
		    w = strtok_r(NULL, " \n", &save))
			args[k++] = w;
		args[k] = NULL;
		if (strcmp(args[2], "monitor") == 0)
			continue;
		ctl_runv(args);
		ck_assert_msg(res.status == 0, "README: ccbusctl %s: status "
		    "%d\nstdout: %s\nstderr: %s", lines[i], res.status,
		    res.out, res.err);
		ck_assert_msg(res.out[0] != '\0' || strcmp(args[2], "config")
		    == 0 || strcmp(args[3], "shutdown") == 0 ||
		    strcmp(args[3], "restart") == 0, "README: ccbusctl %s: "
		    "no output", lines[i]);
		done++;
	}
	ck_assert_int_eq(tl_msgq_wait_exit(r->d, WAIT), 0);
	ck_assert_int_ge(done, n - 1);
	bt_end(r);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ccbusctl");
	TCase *tc = tcase_create("ctl");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, t_module_commands);
	tcase_add_test(tc, t_bad_arguments);
	tcase_add_test(tc, t_status);
	tcase_add_test(tc, t_boss_commands);
	tcase_add_test(tc, t_config_set);
	tcase_add_test(tc, t_config_nested);
	tcase_add_test(tc, t_config_show_spec);
	tcase_add_test(tc, t_members_send);
	tcase_add_test(tc, t_monitor);
	tcase_add_test(tc, t_help);
	tcase_add_test(tc, t_no_suite);
	tcase_add_test(tc, t_msgq_alone);
	tcase_add_test(tc, t_readme_session);
	suite_add_tcase(s, tc);
	return it_run(s);
}
