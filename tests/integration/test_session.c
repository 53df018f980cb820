/*
 * libcc's session layer against a real ccbus-msgq: cc_call and its
 * outcomes (answer, EANSWER, ENORECIPIENT, ETIMEDOUT, ECONNLOST),
 * cc_recv_answer queueing other messages, cc_ping, cc_command, and the
 * event-driven side (cc_session_attach, cc_call_async) in a libevent loop.
 *
 * The answering side is a forked responder process with its own blocking
 * session, so the blocking calls under test really wait on msgq.
 */
#include "config.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <event2/event.h>
#include <cc/cc.h>

#include "itest.h"

static struct tl_msgq *mq;
static pid_t responder;
static struct cc_session *s;

/* What the responder does with one command. */
static void
respond(struct cc_session *rs, struct cc_msg *m, const char *name,
    json_t *args, pid_t msgq_pid)
{
	json_t *a = NULL;

	if (strcmp(name, "echo_side") == 0) {
		a = json_pack("{s:i}", "side", 1);
		cc_send(rs, "Side", NULL, NULL, a, 0, NULL);
		json_decref(a);
		name = "echo";
	}
	if (strcmp(name, "echo") == 0)
		a = cc_answer_new(0, args);
	else if (strcmp(name, "fail") == 0)
		a = cc_answer_error(3, "boom %d", 42);
	else if (strcmp(name, "kill") == 0)
		kill(msgq_pid, SIGKILL);
	if (a != NULL)
		cc_reply(rs, m, a);
	json_decref(a);
}

static void
responder_main(const char *sock, int ready_fd, pid_t msgq_pid)
{
	struct cc_session *rs = cc_session_new();
	struct cc_msg *m;
	json_t *body, *args;
	const char *name;

	if (cc_session_connect(rs, sock, WAIT) != CC_OK ||
	    cc_subscribe(rs, "Echo", NULL) != CC_OK ||
	    cc_ping(rs, NULL, 0, WAIT, NULL, NULL) != CC_OK)
		_exit(2);
	if (write(ready_fd, "R", 1) != 1)
		_exit(3);
	close(ready_fd);
	while (cc_recv(rs, CC_FOREVER, &m) == CC_OK) {
		if (cc_msg_body(m, &body, NULL, 0) == CC_OK &&
		    cc_command_parse(body, &name, &args) == CC_OK)
			respond(rs, m, name, args, msgq_pid);
		cc_msg_unref(m);
	}
	_exit(0);
}

static void
start_responder(void)
{
	struct pollfd p;
	int fd[2];
	char c;

	ck_assert_int_eq(pipe(fd), 0);
	responder = fork();
	ck_assert_int_ne(responder, -1);
	if (responder == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(fd[0]);
		responder_main(mq->sock, fd[1], mq->pid);
	}
	close(fd[1]);
	p.fd = fd[0];
	p.events = POLLIN;
	ck_assert_int_eq(poll(&p, 1, WAIT), 1);
	ck_assert_int_eq(read(fd[0], &c, 1), 1);
	close(fd[0]);
}

static struct cc_session *
session(void)
{
	struct cc_session *ns = cc_session_new();

	ck_assert_ptr_nonnull(ns);
	ck_assert_int_eq(cc_session_connect(ns, mq->sock, WAIT), CC_OK);
	ck_assert_ptr_nonnull(cc_session_lname(ns));
	return ns;
}

static void
setup(void)
{
	mq = it_msgq();
	start_responder();
	s = session();
}

static void
teardown(void)
{
	cc_session_free(s);
	s = NULL;
	if (responder > 0) {
		kill(responder, SIGKILL);
		waitpid(responder, NULL, 0);
		responder = 0;
	}
	it_msgq_end(mq);
	mq = NULL;
}

/* cc_call with {"command": [name, args]} to group Echo. */
static int
call(const char *name, json_t *args, int timeout_ms, struct cc_msg **ans)
{
	json_t *cmd = cc_command_new(name, args);
	int r;

	r = cc_call(s, "Echo", NULL, NULL, cmd, timeout_ms, ans);
	json_decref(cmd);
	json_decref(args);
	return r;
}

static json_t *
body_of(struct cc_msg *m)
{
	json_t *b = NULL;
	char err[128];

	ck_assert_int_eq(cc_msg_body(m, &b, err, sizeof(err)), CC_OK);
	return b;
}

START_TEST(test_call_answer)
{
	struct cc_msg *ans = NULL;
	json_t *v = NULL, *args = json_pack("{s:[i,i]}", "y", 1, 2);

	ck_assert_int_eq(call("echo", json_pack("{s:i}", "x", 1), WAIT, &ans),
	    CC_OK);
	ck_assert_ptr_nonnull(ans);
	ck_assert(cc_msg_is_answer(ans));
	ck_assert_ptr_nonnull(cc_msg_from(ans));
	ck_assert_str_ne(cc_msg_from(ans), "msgq");
	ck_assert_str_eq(cc_msg_to(ans), cc_session_lname(s));
	assert_json(body_of(ans), json_pack("{s:[i,{s:i}]}", "result", 0, "x",
	    1));
	cc_msg_unref(ans);
	/* cc_command gives the value. */
	ck_assert_int_eq(cc_command(s, "Echo", "echo", args, WAIT, &v), CC_OK);
	assert_json(v, args);
	json_decref(v);
}
END_TEST

START_TEST(test_call_error_answer)
{
	struct cc_msg *ans = NULL;

	ck_assert_int_eq(call("fail", NULL, WAIT, &ans), CC_EANSWER);
	ck_assert_ptr_nonnull(ans);
	assert_json(body_of(ans), json_pack("{s:[i,s]}", "result", 3,
	    "boom 42"));
	ck_assert_msg(strstr(cc_session_error(s), "boom 42") != NULL,
	    "session error \"%s\"", cc_session_error(s));
	cc_msg_unref(ans);
}
END_TEST

START_TEST(test_call_no_recipient)
{
	/* Not NULL, to see cc_call set it. */
	struct cc_msg *ans = (struct cc_msg *)&ans;
	json_t *cmd = cc_command_new("hello", NULL);

	ck_assert_int_eq(cc_call(s, "Nobody", NULL, NULL, cmd, WAIT, &ans),
	    CC_ENORECIPIENT);
	ck_assert_ptr_null(ans);
	ck_assert_int_eq(cc_call(s, "Echo", NULL, "nobody@nowhere", cmd, WAIT,
	    NULL), CC_ENORECIPIENT);
	json_decref(cmd);
}
END_TEST

START_TEST(test_call_timeout)
{
	int64_t t0 = tl_now_ms(), dt;

	/* The responder is subscribed but never answers "quiet". */
	ck_assert_int_eq(call("quiet", NULL, 300, NULL), CC_ETIMEDOUT);
	dt = tl_now_ms() - t0;
	ck_assert_int_ge(dt, 290);
	ck_assert_int_lt(dt, WAIT);
	/* The session is still good. */
	ck_assert_int_eq(call("echo", json_pack("{s:i}", "again", 1), WAIT,
	    NULL), CC_OK);
}
END_TEST

START_TEST(test_call_connection_lost)
{
	int64_t t0 = tl_now_ms();

	/* The responder kills msgq instead of answering. */
	ck_assert_int_eq(call("kill", NULL, tl_ms(20000), NULL),
	    CC_ECONNLOST);
	ck_assert_int_lt(tl_now_ms() - t0, tl_ms(10000));
	ck_assert(!cc_session_connected(s));
	ck_assert_int_eq(cc_send(s, "Echo", NULL, NULL, NULL, 0, NULL),
	    CC_ECONNLOST);
	ck_assert_int_eq(tl_msgq_wait_exit(mq, WAIT), 128 + SIGKILL);
}
END_TEST

START_TEST(test_recv_answer_queues_others)
{
	struct cc_msg *m = NULL;

	ck_assert_int_eq(cc_subscribe(s, "Side", NULL), CC_OK);
	ck_assert_int_eq(cc_ping(s, NULL, 0, WAIT, NULL, NULL), CC_OK);
	/* The responder sends to Side before it answers. */
	ck_assert_int_eq(call("echo_side", json_pack("{s:i}", "z", 3), WAIT,
	    NULL), CC_OK);
	ck_assert_int_eq(cc_recv(s, 0, &m), CC_OK);
	ck_assert_str_eq(cc_msg_group(m), "Side");
	ck_assert(!cc_msg_is_answer(m));
	assert_json(body_of(m), json_pack("{s:i}", "side", 1));
	cc_msg_unref(m);
	ck_assert_int_eq(cc_recv(s, 0, &m), CC_ETIMEDOUT);
}
END_TEST

START_TEST(test_ping_and_command_msgq)
{
	void *echo = NULL;
	size_t len = 0;
	json_t *v = NULL, *e;
	size_t i;
	bool found = false;

	ck_assert_int_eq(cc_ping(s, "\xa3" "abc", 4, WAIT, &echo, &len),
	    CC_OK);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(echo, "\xa3" "abc", 4);
	free(echo);
	ck_assert_int_eq(cc_command(s, "Msgq", "members", NULL, WAIT, &v),
	    CC_OK);
	ck_assert(json_is_array(v));
	json_array_foreach(v, i, e)
		found |= strcmp(json_string_value(e), cc_session_lname(s)) == 0;
	ck_assert(found);
	json_decref(v);
	ck_assert_int_eq(cc_command(s, "Msgq", "frobnicate", NULL, WAIT, &v),
	    CC_EANSWER);
}
END_TEST

START_TEST(test_connect_errors)
{
	struct cc_session *ns = cc_session_new();
	char path[TL_PATH_MAX];

	snprintf(path, sizeof(path), "%s/none.sock", mq->dir);
	ck_assert_int_eq(cc_session_connect(ns, path, WAIT), CC_ECONNECT);
	ck_assert_msg(strstr(cc_session_error(ns), path) != NULL,
	    "error \"%s\" does not name the path", cc_session_error(ns));
	ck_assert(!cc_session_connected(ns));
	ck_assert_int_eq(cc_session_connect(ns, mq->sock, WAIT), CC_OK);
	ck_assert_int_eq(cc_session_connect(ns, mq->sock, WAIT), CC_ESTATE);
	ck_assert_str_ne(cc_session_lname(ns), cc_session_lname(s));
	cc_session_free(ns);
}
END_TEST

/* The event-driven tests' state; slots tell the async calls apart. */
struct loop;
struct slot {
	struct loop *l;
	int i;
};

struct loop {
	struct event_base *base;
	int received, next_n, answers, errors, status[3];
	struct slot slots[3];
	bool timed_out;
};

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct loop *l = arg;

	l->timed_out = true;
	event_base_loopbreak(l->base);
}

/* Run the loop until something breaks it, at most ms. */
static void
run_loop(struct loop *l, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
	    .tv_usec = (ms % 1000) * 1000 };
	struct event *t = evtimer_new(l->base, on_deadline, l);

	ck_assert_ptr_nonnull(t);
	evtimer_add(t, &tv);
	event_base_dispatch(l->base);
	event_free(t);
	ck_assert_msg(!l->timed_out, "the loop ran into its deadline");
}

static void
on_feed(struct cc_session *as, struct cc_msg *m, void *arg)
{
	struct loop *l = arg;
	json_int_t n = -1;

	json_unpack(body_of(m), "{s:I}", "n", &n);
	ck_assert_int_eq(n, l->next_n);
	l->next_n++;
	if (++l->received == 5)
		event_base_loopbreak(l->base);
}

static void
on_error(struct cc_session *as, int status, void *arg)
{
	struct loop *l = arg;

	l->errors++;
	l->status[2] = status;
	if (l->answers > 0)
		event_base_loopbreak(l->base);
}

START_TEST(test_attach_receives)
{
	struct cc_session *rx = session();
	struct loop l = { .base = event_base_new() };
	json_t *b;

	ck_assert_int_eq(cc_subscribe(rx, "Feed", NULL), CC_OK);
	ck_assert_int_eq(cc_ping(rx, NULL, 0, WAIT, NULL, NULL), CC_OK);
	ck_assert_int_eq(cc_session_attach(rx, l.base, on_feed, on_error, &l),
	    CC_OK);
	ck_assert_int_eq(cc_session_attach(rx, l.base, on_feed, on_error, &l),
	    CC_ESTATE);
	for (int i = 0; i < 5; i++) {
		b = json_pack("{s:i}", "n", i);
		ck_assert_int_eq(cc_send(s, "Feed", NULL, NULL, b, 0, NULL),
		    CC_OK);
		json_decref(b);
	}
	run_loop(&l, WAIT);
	ck_assert_int_eq(l.received, 5);
	ck_assert_int_eq(l.errors, 0);
	cc_session_free(rx);
	event_base_free(l.base);
}
END_TEST

/* The service side of the async test: answers echo, ignores quiet. */
static void
on_service(struct cc_session *as, struct cc_msg *m, void *arg)
{
	json_t *args, *a;
	const char *name;

	if (cc_command_parse(body_of(m), &name, &args) != CC_OK ||
	    strcmp(name, "echo") != 0)
		return;
	a = cc_answer_new(0, args);
	ck_assert_int_eq(cc_reply(as, m, a), CC_OK);
	json_decref(a);
}

static void
on_stray(struct cc_session *as, struct cc_msg *m, void *arg)
{
	struct loop *l = arg;

	l->received++;
}

static void
on_answer(struct cc_session *as, int status, struct cc_msg *ans, void *arg)
{
	struct slot *slot = arg;
	struct loop *l = slot->l;

	ck_assert_int_eq(l->status[slot->i], 1);
	l->status[slot->i] = status;
	if (status == CC_OK)
		assert_json(body_of(ans), json_pack("{s:[i,{s:s}]}", "result",
		    0, "k", "v"));
	else
		ck_assert_ptr_null(ans);
	if (++l->answers == 3)
		event_base_loopbreak(l->base);
}

static void
call_async(struct cc_session *cs, struct loop *l, int i, const char *group,
    const char *name, int timeout_ms)
{
	json_t *args = json_pack("{s:s}", "k", "v");
	json_t *cmd = cc_command_new(name, args);

	l->slots[i].l = l;
	l->slots[i].i = i;
	l->status[i] = 1;	/* not called yet: no CC_ code is positive */
	ck_assert_int_eq(cc_call_async(cs, group, NULL, NULL, cmd, timeout_ms,
	    on_answer, &l->slots[i]), CC_OK);
	json_decref(cmd);
	json_decref(args);
}

START_TEST(test_call_async)
{
	struct cc_session *svc = session(), *cli = session();
	struct loop l = { .base = event_base_new() };

	ck_assert_int_eq(cc_subscribe(svc, "Svc", NULL), CC_OK);
	ck_assert_int_eq(cc_ping(svc, NULL, 0, WAIT, NULL, NULL), CC_OK);
	ck_assert_int_eq(cc_session_attach(svc, l.base, on_service, NULL,
	    NULL), CC_OK);
	ck_assert_int_eq(cc_session_attach(cli, l.base, on_stray, NULL, &l),
	    CC_OK);
	call_async(cli, &l, 0, "Svc", "echo", WAIT);
	call_async(cli, &l, 1, "Nobody", "echo", WAIT);
	call_async(cli, &l, 2, "Svc", "quiet", 300);
	run_loop(&l, WAIT * 2);
	ck_assert_int_eq(l.answers, 3);
	ck_assert_int_eq(l.status[0], CC_OK);
	ck_assert_int_eq(l.status[1], CC_ENORECIPIENT);
	ck_assert_int_eq(l.status[2], CC_ETIMEDOUT);
	/* Answers go to their callbacks only. */
	ck_assert_int_eq(l.received, 0);
	cc_session_free(cli);
	cc_session_free(svc);
	event_base_free(l.base);
}
END_TEST

static void
on_lost_answer(struct cc_session *as, int status, struct cc_msg *ans,
    void *arg)
{
	struct loop *l = arg;

	l->answers++;
	l->status[0] = status;
	if (l->errors > 0)
		event_base_loopbreak(l->base);
}

START_TEST(test_attached_connection_lost)
{
	struct cc_session *cli = session();
	struct loop l = { .base = event_base_new() };
	json_t *cmd = cc_command_new("kill", NULL);

	ck_assert_int_eq(cc_session_attach(cli, l.base, on_stray, on_error,
	    &l), CC_OK);
	ck_assert_int_eq(cc_call_async(cli, "Echo", NULL, NULL, cmd,
	    tl_ms(20000), on_lost_answer, &l), CC_OK);
	json_decref(cmd);
	run_loop(&l, WAIT * 2);
	ck_assert_int_eq(l.answers, 1);
	ck_assert_int_eq(l.status[0], CC_ECONNLOST);
	ck_assert_int_eq(l.errors, 1);
	ck_assert_int_eq(l.status[2], CC_ECONNLOST);
	ck_assert(!cc_session_connected(cli));
	cc_session_free(cli);
	event_base_free(l.base);
	ck_assert_int_eq(tl_msgq_wait_exit(mq, WAIT), 128 + SIGKILL);
}
END_TEST

static Suite *
session_suite(void)
{
	Suite *su = suite_create("libcc session with msgq");
	TCase *blk = tcase_create("blocking");
	TCase *ev = tcase_create("attached");

	tcase_add_checked_fixture(blk, setup, teardown);
	tcase_add_test(blk, test_call_answer);
	tcase_add_test(blk, test_call_error_answer);
	tcase_add_test(blk, test_call_no_recipient);
	tcase_add_test(blk, test_call_timeout);
	tcase_add_test(blk, test_call_connection_lost);
	tcase_add_test(blk, test_recv_answer_queues_others);
	tcase_add_test(blk, test_ping_and_command_msgq);
	tcase_add_test(blk, test_connect_errors);
	suite_add_tcase(su, blk);

	tcase_add_checked_fixture(ev, setup, teardown);
	tcase_add_test(ev, test_attach_receives);
	tcase_add_test(ev, test_call_async);
	tcase_add_test(ev, test_attached_connection_lost);
	suite_add_tcase(su, ev);
	return su;
}

int
main(void)
{
	return it_run(session_suite());
}
