/*
 * msgq's own commands on group Msgq (PROTOCOL.md 7 and 9) against a real
 * ccbus-msgq: the answer header, members (all, by group, unknown group),
 * clients, stats and its counters, shutdown, unknown commands, and that a
 * body that is not a command gets no answer.
 */
#include "config.h"

#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "itest.h"

static struct tl_msgq *mq;

static void
setup(void)
{
	mq = tl_msgq_new();
	ck_assert_ptr_nonnull(mq);
	ck_assert_int_eq(tl_msgq_start(mq, "--max-frame", "1048576",
	    "--max-queue", "8388608", NULL), 0);
}

static void
teardown(void)
{
	it_msgq_end(mq);
	mq = NULL;
}

/*
 * Run a command from c; check the answer header of PROTOCOL.md 7 and 9
 * and the rcode; return the result's value (new reference, NULL if none).
 */
static json_t *
command(struct tl_client *c, const char *name, json_t *args, int rcode)
{
	struct tl_frame f;
	json_t *result, *value;
	int64_t seq = c->seq;

	ck_assert_int_eq(tl_client_msgq_cmd(c, name, args, &f), 0);
	assert_json(f.hdr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "type",
	    "send", "from", "msgq", "to", c->lname, "group", "Msgq",
	    "instance", "*", "reply", (json_int_t)seq));
	result = json_object_get(f.body, "result");
	ck_assert_msg(json_is_array(result) && json_array_size(result) >= 1 &&
	    json_array_size(result) <= 2, "not an answer");
	ck_assert_int_eq(json_integer_value(json_array_get(result, 0)),
	    rcode);
	value = json_incref(json_array_get(result, 1));
	tl_frame_clear(&f);
	return value;
}

/* The lnames of a members answer, sorted, as a JSON array. */
static json_t *
sorted(json_t *list)
{
	size_t n = json_array_size(list);
	json_t *out = json_array();

	ck_assert_msg(json_is_array(list), "members value is not a list");
	/* Tiny lists: a selection sort by strcmp is enough. */
	while (json_array_size(out) < n) {
		const char *min = NULL;

		for (size_t i = 0; i < n; i++) {
			const char *s = json_string_value(json_array_get(list,
			    i));
			bool used = false;

			ck_assert_ptr_nonnull(s);
			for (size_t j = 0; j < json_array_size(out); j++)
				used |= strcmp(json_string_value(
				    json_array_get(out, j)), s) == 0;
			if (!used && (min == NULL || strcmp(s, min) < 0))
				min = s;
		}
		ck_assert_ptr_nonnull(min);
		json_array_append_new(out, json_string(min));
	}
	json_decref(list);
	return out;
}

static json_t *
sorted3(const char *a, const char *b, const char *c)
{
	json_t *l = json_array();

	json_array_append_new(l, json_string(a));
	if (b != NULL)
		json_array_append_new(l, json_string(b));
	if (c != NULL)
		json_array_append_new(l, json_string(c));
	return sorted(l);
}

START_TEST(test_members)
{
	struct tl_client *a = it_client(mq), *b = it_client(mq);
	struct tl_client *c = it_client(mq);
	json_t *v;

	it_subscribe_sync(b, "G", "x");
	it_subscribe_sync(c, "G", NULL);
	it_subscribe_sync(c, "H", NULL);
	v = sorted(command(a, "members", NULL, 0));
	assert_json(v, sorted3(a->lname, b->lname, c->lname));
	json_decref(v);
	v = sorted(command(a, "members", json_pack("{s:s}", "group", "G"),
	    0));
	assert_json(v, sorted3(b->lname, c->lname, NULL));
	json_decref(v);
	v = command(a, "members", json_pack("{s:s}", "group", "NoSuch"), 0);
	assert_json(v, json_array());
	json_decref(v);
	/* After an unsubscribe, the group forgets b. */
	ck_assert_int_eq(tl_client_unsubscribe(b, "G", "x"), 0);
	ck_assert(tl_client_barrier(b, WAIT));
	v = command(a, "members", json_pack("{s:s}", "group", "G"), 0);
	assert_json(v, json_pack("[s]", c->lname));
	json_decref(v);
	it_expect_nothing(a);
	tl_client_free(a);
	tl_client_free(b);
	tl_client_free(c);
}
END_TEST

START_TEST(test_command_answered_without_want_answer)
{
	struct tl_client *a = it_client(mq);
	struct tl_frame f;
	int64_t seq, reply;

	ck_assert_int_eq(tl_client_send_to(a, "Msgq", NULL, json_pack(
	    "{s:[s]}", "command", "members"), false, &seq), 0);
	it_expect_frame(a, &f);
	ck_assert(tl_frame_int(&f, "reply", &reply));
	ck_assert_int_eq(reply, seq);
	ck_assert(json_object_get(f.hdr, "want_answer") == NULL ||
	    json_is_false(json_object_get(f.hdr, "want_answer")));
	tl_frame_clear(&f);
	it_expect_nothing(a);
	tl_client_free(a);
}
END_TEST

START_TEST(test_data_body_to_msgq_not_answered)
{
	struct tl_client *a = it_client(mq);

	/* Not a command: nobody owes an answer, and msgq counts as the
	 * recipient, so no no-recipient error either. */
	ck_assert_int_eq(tl_client_send_to(a, "Msgq", NULL, json_pack(
	    "{s:i}", "data", 1), true, NULL), 0);
	ck_assert_int_eq(tl_client_send_to(a, "Msgq", NULL, json_pack(
	    "[s]", "members"), true, NULL), 0);
	/* to "msgq" is delivered to msgq itself, whatever the group. */
	ck_assert_int_eq(tl_client_send_to(a, "Other", "msgq", json_pack(
	    "{s:i}", "data", 2), true, NULL), 0);
	it_expect_nothing(a);
	tl_client_free(a);
}
END_TEST

/* The clients entry of lname, or NULL. */
static json_t *
find_client(json_t *list, const char *lname)
{
	size_t i;
	json_t *e;

	json_array_foreach(list, i, e)
		if (json_is_string(json_object_get(e, "lname")) &&
		    strcmp(json_string_value(json_object_get(e, "lname")),
		    lname) == 0)
			return e;
	return NULL;
}

START_TEST(test_clients)
{
	struct tl_client *a = it_client(mq), *b = it_client(mq);
	json_t *v, *e, *groups;
	json_int_t pid, uid, queued, sent, received;

	it_subscribe_sync(a, "G1", NULL);
	it_subscribe_sync(a, "G2", "x");
	v = command(b, "clients", NULL, 0);
	ck_assert_msg(json_is_array(v), "clients value is not a list");
	ck_assert_uint_eq(json_array_size(v), 2);
	ck_assert_ptr_nonnull(find_client(v, b->lname));
	e = find_client(v, a->lname);
	ck_assert_ptr_nonnull(e);
	ck_assert_msg(json_unpack(e, "{s:I, s:I, s:o, s:I, s:I, s:I}", "pid",
	    &pid, "uid", &uid, "groups", &groups, "queued", &queued, "sent",
	    &sent, "received", &received) == 0, "fields missing");
	ck_assert_int_eq(pid, getpid());
	ck_assert_int_eq(uid, getuid());
	assert_json_own(sorted(json_incref(groups)), sorted3("G1", "G2",
	    NULL));
	ck_assert_int_ge(queued, 0);
	/* a: getlname, subscribe, ping, subscribe, ping read; getlname
	 * answer and two pongs written. */
	ck_assert_int_ge(received, 5);
	ck_assert_int_ge(sent, 3);
	json_decref(v);
	tl_client_free(a);
	tl_client_free(b);
}
END_TEST

static json_int_t
counter(json_t *stats, const char *key)
{
	json_t *v = json_object_get(stats, key);

	ck_assert_msg(json_is_integer(v), "stats.%s missing", key);
	return json_integer_value(v);
}

START_TEST(test_stats_counters_move)
{
	struct tl_client *a = it_client(mq), *b = it_client(mq);
	struct tl_frame f;
	json_t *s1, *s2;

	it_subscribe_sync(b, "Count", NULL);
	s1 = command(a, "stats", NULL, 0);
	ck_assert_int_eq(counter(s1, "clients"), 2);
	ck_assert_int_eq(counter(s1, "max_frame"), 1048576);
	ck_assert_int_eq(counter(s1, "max_queue"), 8388608);
	ck_assert(json_is_object(json_object_get(s1, "disconnects")));
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(tl_client_send_to(a, "Count", NULL,
		    json_pack("{s:i}", "n", i), false, NULL), 0);
		it_expect_frame(b, &f);
		tl_frame_clear(&f);
	}
	/* One no-recipient, one bad header (dropped). */
	ck_assert_int_eq(tl_client_send_to(a, "Nobody", NULL, NULL, true,
	    NULL), 0);
	it_expect_frame(a, &f);
	tl_frame_clear(&f);
	it_send(a, json_pack("{s:s, s:i}", "from", a->lname, "seq", 1), NULL);
	s2 = command(a, "stats", NULL, 0);
	ck_assert_int_ge(counter(s2, "frames_in") - counter(s1, "frames_in"),
	    8);
	ck_assert_int_ge(counter(s2, "deliveries") -
	    counter(s1, "deliveries"), 5);
	ck_assert_int_eq(counter(s2, "no_recipient") -
	    counter(s1, "no_recipient"), 1);
	ck_assert_int_eq(counter(s2, "dropped") - counter(s1, "dropped"), 1);
	ck_assert_int_eq(counter(s2, "clients"), 2);
	json_decref(s1);
	json_decref(s2);
	tl_client_free(a);
	tl_client_free(b);
}
END_TEST

START_TEST(test_unknown_command)
{
	struct tl_client *a = it_client(mq);

	assert_json_own(command(a, "frobnicate", NULL, 1),
	    json_string("unknown command: frobnicate"));
	assert_json_own(command(a, "frobnicate", json_pack("{s:i}", "x", 1),
	    1), json_string("unknown command: frobnicate"));
	it_expect_nothing(a);
	tl_client_free(a);
}
END_TEST

START_TEST(test_shutdown)
{
	struct tl_client *a = it_client(mq), *b = it_client(mq);
	json_t *v = command(a, "shutdown", NULL, 0);

	ck_assert_ptr_null(v);
	ck_assert_int_eq(tl_msgq_wait_exit(mq, WAIT), 0);
	ck_assert_msg(access(mq->sock, F_OK) == -1, "socket file left");
	ck_assert_int_eq(tl_client_wait_eof(a, WAIT), 0);
	ck_assert_int_eq(tl_client_wait_eof(b, WAIT), 0);
	tl_client_free(a);
	tl_client_free(b);
}
END_TEST

/* What the child of another uid saw. */
struct outsider {
	char lname[128];
	int rcode;
	char text[64];
};

/* As uid/gid 65534: connect, try shutdown, then stop; report. */
static void __attribute__((noreturn))
outsider_main(int fd)
{
	struct outsider o;
	struct tl_client *c;
	struct tl_frame f;
	const char *text = "";

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	memset(&o, 0, sizeof(o));
	if (setgid(65534) == -1 || setuid(65534) == -1)
		_exit(2);
	c = tl_client_new(mq->sock);
	if (c == NULL || tl_client_msgq_cmd(c, "shutdown", NULL, &f) == -1)
		_exit(3);
	json_unpack(f.body, "{s:[i,s]}", "result", &o.rcode, &text);
	snprintf(o.text, sizeof(o.text), "%s", text);
	snprintf(o.lname, sizeof(o.lname), "%s", c->lname);
	tl_frame_clear(&f);
	if (tl_client_send(c, json_pack("{s:s}", "type", "stop"), NULL) == -1 ||
	    !tl_client_barrier(c, WAIT))
		_exit(4);
	_exit(write(fd, &o, sizeof(o)) == (ssize_t)sizeof(o) ? 0 : 5);
}

START_TEST(test_shutdown_and_stop_refused_for_other_uid)
{
	struct outsider o;
	struct tl_client *a;
	char dir[TL_DIR_MAX];
	int p[2], st;
	pid_t pid;

	if (geteuid() != 0) {
		fprintf(stderr, "not root: cannot test another uid\n");
		return;
	}
	/* Let uid 65534 reach the socket. */
	snprintf(dir, sizeof(dir), "%s", mq->dir);
	ck_assert_int_eq(chmod(mq->dir, 0711), 0);
	ck_assert_int_eq(chmod(dirname(dir), 0711), 0);
	ck_assert_int_eq(chmod(mq->sock, 0666), 0);
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0)
		outsider_main(p[1]);
	close(p[1]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "the outsider failed (%d)", st);
	ck_assert_int_eq(read(p[0], &o, sizeof(o)), sizeof(o));
	close(p[0]);
	ck_assert_int_eq(o.rcode, 1);
	ck_assert_str_eq(o.text, "permission denied");
	/* stop was ignored with a warning: msgq is still here. */
	ck_assert(tl_log_wait(mq->log, o.lname, WAIT));
	ck_assert_int_eq(tl_msgq_wait_exit(mq, 0), -1);
	a = it_client(mq);
	it_expect_nothing(a);
	tl_client_free(a);
}
END_TEST

static Suite *
commands_suite(void)
{
	Suite *s = suite_create("msgq commands");
	TCase *tc = tcase_create("Msgq");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_members);
	tcase_add_test(tc, test_command_answered_without_want_answer);
	tcase_add_test(tc, test_data_body_to_msgq_not_answered);
	tcase_add_test(tc, test_clients);
	tcase_add_test(tc, test_stats_counters_move);
	tcase_add_test(tc, test_unknown_command);
	tcase_add_test(tc, test_shutdown);
	tcase_add_test(tc, test_shutdown_and_stop_refused_for_other_uid);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return it_run(commands_suite());
}
