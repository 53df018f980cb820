/*
 * Unit tests for a cc_session attached to a libevent event_base, against
 * the fake broker thread of fake_broker.c: delivery to the callback
 * (messages queued earlier first), blocking calls from inside a callback,
 * cc_call_async() with each outcome exactly once, err_cb once on a loss,
 * cc_session_free() from inside each kind of callback (run under ASan and
 * valgrind to prove it), detaching, the output queue cap, and automatic
 * reconnection: the subscriptions given again, in order, to the next
 * connection.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "fake_broker.h"
#include "session-internal.h"

#define TMO	5000	/* ms: something went wrong if it takes this long */
#define MAXREC	16

struct ctx;
typedef void (*msg_hook)(struct ctx *, struct cc_session *, struct cc_msg *);

struct call_rec {
	struct ctx	*c;
	int		 calls;		/* times the callback ran */
	int		 status;
	bool		 answer;	/* an answer was given */
	char		 body[128];
	char		 err[256];
	int		 order;		/* among all callbacks */
};

struct ctx {
	struct event_base	*base;
	struct cc_session	*s;
	int			 events;	/* callbacks run, all kinds */
	int			 nmsg;
	char			 msgs[MAXREC][128];	/* group:body */
	int			 nerr;
	int			 err_status;
	bool			 err_connected;
	int			 err_order;
	struct call_rec		 rec[MAXREC];
	/* Run until: */
	int			 want_msgs;
	int			 want_calls;
	bool			 want_err;
	/* Behaviour: */
	msg_hook		 hook;
	bool			 free_in_err;
	bool			 free_in_answer;
};

static void
body_text(struct cc_msg *m, char *buf, size_t size)
{
	json_t *body;
	char *s;

	ck_assert_int_eq(cc_msg_body(m, &body, NULL, 0), CC_OK);
	s = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
	snprintf(buf, size, "%s", s);
	free(s);
}

static int
ncalls_done(const struct ctx *c)
{
	int i, n = 0;

	for (i = 0; i < MAXREC; i++)
		n += c->rec[i].calls;
	return n;
}

static void
check_done(struct ctx *c)
{
	if (c->nmsg >= c->want_msgs && ncalls_done(c) >= c->want_calls &&
	    (!c->want_err || c->nerr > 0))
		event_base_loopbreak(c->base);
}

static void
on_msg(struct cc_session *s, struct cc_msg *m, void *arg)
{
	struct ctx *c = arg;
	char body[100];

	ck_assert_ptr_eq(s, c->s);
	c->events++;
	body_text(m, body, sizeof(body));
	if (c->nmsg < MAXREC)
		snprintf(c->msgs[c->nmsg], sizeof(c->msgs[0]), "%s:%s",
		    cc_msg_group(m), body);
	c->nmsg++;
	if (c->hook != NULL)
		c->hook(c, s, m);
	check_done(c);
}

static void
on_err(struct cc_session *s, int status, void *arg)
{
	struct ctx *c = arg;

	c->nerr++;
	c->err_status = status;
	c->err_connected = cc_session_connected(s);
	c->err_order = ++c->events;
	if (c->free_in_err) {
		cc_session_free(s);
		c->s = NULL;
	}
	check_done(c);
}

static void
on_answer(struct cc_session *s, int status, struct cc_msg *answer, void *arg)
{
	struct call_rec *r = arg;

	r->calls++;
	r->status = status;
	r->answer = answer != NULL;
	r->order = ++r->c->events;
	if (answer != NULL)
		body_text(answer, r->body, sizeof(r->body));
	snprintf(r->err, sizeof(r->err), "%s", cc_session_error(s));
	if (r->c->free_in_answer) {
		cc_session_free(s);
		r->c->s = NULL;
	}
	check_done(r->c);
}

static void
guard_cb(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(arg);
}

/* Run the loop until check_done() says so, or ms. */
static void
run(struct ctx *c, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	struct event *guard;

	guard = evtimer_new(c->base, guard_cb, c->base);
	evtimer_add(guard, &tv);
	event_base_dispatch(c->base);
	event_free(guard);
}

static void
setup(struct ctx *c, struct fake_broker *b)
{
	memset(c, 0, sizeof(*c));
	c->base = event_base_new();
	ck_assert_ptr_nonnull(c->base);
	c->s = cc_session_new();
	ck_assert_int_eq(cc_session_connect(c->s, b->path, TMO), CC_OK);
	for (int i = 0; i < MAXREC; i++)
		c->rec[i].c = c;
}

static void
attach(struct ctx *c)
{
	ck_assert_int_eq(cc_session_attach(c->s, c->base, on_msg, on_err, c),
	    CC_OK);
}

static void
teardown(struct ctx *c)
{
	cc_session_free(c->s);
	event_base_free(c->base);
}

static void
send_echo(struct ctx *c, int i)
{
	json_t *body = json_pack("{s:i}", "i", i);

	ck_assert_int_eq(cc_send(c->s, "echo", NULL, NULL, body, 0, NULL),
	    CC_OK);
	json_decref(body);
}

static void
call_async(struct ctx *c, int i, const char *group, int timeout_ms)
{
	ck_assert_msg(cc_call_async(c->s, group, NULL, NULL, NULL, timeout_ms,
	    on_answer, &c->rec[i]) == CC_OK, "%s", cc_session_error(c->s));
}

START_TEST(test_attach_state)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct cc_session *s = cc_session_new();
	struct ctx c;

	setup(&c, b);
	ck_assert_int_eq(cc_session_attach(s, c.base, on_msg, NULL, NULL),
	    CC_ESTATE);
	ck_assert_int_eq(cc_call_async(c.s, "ok", NULL, NULL, NULL, TMO,
	    on_answer, &c.rec[0]), CC_ESTATE);
	ck_assert_int_eq(cc_session_attach(c.s, c.base, NULL, NULL, NULL),
	    CC_EINVAL);
	attach(&c);
	ck_assert_int_eq(cc_session_attach(c.s, c.base, on_msg, NULL, NULL),
	    CC_ESTATE);
	ck_assert_int_eq(cc_call_async(c.s, "ok", NULL, NULL, NULL, TMO,
	    NULL, NULL), CC_EINVAL);
	cc_session_free(s);
	teardown(&c);
	fb_stop(b);
}
END_TEST

START_TEST(test_attach_delivery)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct ctx c;

	setup(&c, b);
	attach(&c);
	send_echo(&c, 0);
	send_echo(&c, 1);
	send_echo(&c, 2);
	c.want_msgs = 3;
	run(&c, TMO);
	ck_assert_int_eq(c.nmsg, 3);
	ck_assert_str_eq(c.msgs[0], "echo:{\"i\":0}");
	ck_assert_str_eq(c.msgs[1], "echo:{\"i\":1}");
	ck_assert_str_eq(c.msgs[2], "echo:{\"i\":2}");
	ck_assert_int_eq(c.nerr, 0);
	teardown(&c);
	fb_stop(b);
}
END_TEST

START_TEST(test_attach_queued_first)
{
	struct fake_broker *b = fb_start(FB_LNAME_EARLY);
	struct ctx c;

	/* Queued before attach: "early" at connect, then A, the stray
	 * answer and B while cc_call() waited. */
	setup(&c, b);
	ck_assert_int_eq(cc_call(c.s, "other", NULL, NULL, NULL, TMO, NULL),
	    CC_OK);
	attach(&c);
	send_echo(&c, 7);
	c.want_msgs = 5;
	run(&c, TMO);
	ck_assert_int_eq(c.nmsg, 5);
	ck_assert_str_eq(c.msgs[0], "early:{\"n\":\"early\"}");
	ck_assert_str_eq(c.msgs[1], "other:{\"n\":\"A\"}");
	ck_assert_str_eq(c.msgs[2], "other:{\"result\":[0,\"stray\"]}");
	ck_assert_str_eq(c.msgs[3], "other:{\"n\":\"B\"}");
	ck_assert_str_eq(c.msgs[4], "echo:{\"i\":7}");
	teardown(&c);
	fb_stop(b);
}
END_TEST

static void
hook_blocking_call(struct ctx *c, struct cc_session *s, struct cc_msg *m)
{
	json_t *value;

	if (c->nmsg != 1)
		return;
	ck_assert_int_eq(cc_call(s, "other", NULL, NULL, NULL, TMO, NULL),
	    CC_OK);
	ck_assert_int_eq(cc_command(s, "ok", "go", NULL, TMO, &value), CC_OK);
	json_decref(value);
	ck_assert_int_eq(cc_ping(s, NULL, 0, TMO, NULL, NULL), CC_OK);
}

START_TEST(test_blocking_call_in_callback)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct ctx c;

	setup(&c, b);
	attach(&c);
	c.hook = hook_blocking_call;
	send_echo(&c, 1);
	c.want_msgs = 4;
	run(&c, TMO);
	ck_assert_int_eq(c.nmsg, 4);
	ck_assert_str_eq(c.msgs[0], "echo:{\"i\":1}");
	ck_assert_str_eq(c.msgs[1], "other:{\"n\":\"A\"}");
	ck_assert_str_eq(c.msgs[2], "other:{\"result\":[0,\"stray\"]}");
	ck_assert_str_eq(c.msgs[3], "other:{\"n\":\"B\"}");
	teardown(&c);
	fb_stop(b);
}
END_TEST

static const struct {
	const char	*group;
	int		 timeout_ms;
	int		 status;
	bool		 answer;
	const char	*body;	/* of the answer, or the error text */
} async_cases[] = {
	{ "ok", TMO, CC_OK, true, "{\"result\":[0,{\"x\":1}]}" },
	{ "err", TMO, CC_EANSWER, true, "it broke" },
	{ "none", TMO, CC_ENORECIPIENT, false, "no recipient" },
	{ "bad", TMO, CC_EPROTO, false, "bad" },
	{ "undecodable", TMO, CC_EPROTO, false, "undecodable" },
	{ "silent", 100, CC_ETIMEDOUT, false, "within 100 ms" },
};

START_TEST(test_async_outcome)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct call_rec *r;
	struct ctx c;

	setup(&c, b);
	attach(&c);
	r = &c.rec[0];
	call_async(&c, 0, async_cases[_i].group, async_cases[_i].timeout_ms);
	c.want_calls = 1;
	run(&c, TMO);
	ck_assert_int_eq(r->calls, 1);
	ck_assert_int_eq(r->status, async_cases[_i].status);
	ck_assert_int_eq(r->answer, async_cases[_i].answer);
	if (async_cases[_i].status == CC_OK)
		ck_assert_str_eq(r->body, async_cases[_i].body);
	else
		ck_assert_msg(strstr(r->err, async_cases[_i].body) != NULL,
		    "error \"%s\" lacks \"%s\"", r->err,
		    async_cases[_i].body);
	/* Exactly once, and the answer never reached the message callback
	 * (a ping makes sure everything sent before has arrived). */
	ck_assert_int_eq(cc_ping(c.s, NULL, 0, TMO, NULL, NULL), CC_OK);
	c.want_calls = 2;
	run(&c, 100);
	ck_assert_int_eq(r->calls, 1);
	ck_assert_int_eq(c.nmsg, 0);
	ck_assert(cc_session_connected(c.s));
	teardown(&c);
	fb_stop(b);
}
END_TEST

START_TEST(test_async_many)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct ctx c;
	int i;

	/* Answers come in order; a message in between still goes to the
	 * message callback. */
	setup(&c, b);
	attach(&c);
	for (i = 0; i < 8; i++)
		call_async(&c, i, i % 2 ? "err" : "ok", TMO);
	send_echo(&c, 3);
	c.want_calls = 8;
	c.want_msgs = 1;
	run(&c, TMO);
	for (i = 0; i < 8; i++) {
		ck_assert_int_eq(c.rec[i].calls, 1);
		ck_assert_int_eq(c.rec[i].status, i % 2 ? CC_EANSWER : CC_OK);
	}
	ck_assert_int_eq(c.nmsg, 1);
	ck_assert_str_eq(c.msgs[0], "echo:{\"i\":3}");
	teardown(&c);
	fb_stop(b);
}
END_TEST

START_TEST(test_async_connection_lost)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct ctx c;

	setup(&c, b);
	attach(&c);
	call_async(&c, 0, "silent", CC_FOREVER);
	call_async(&c, 1, "close", TMO);
	c.want_calls = 2;
	c.want_err = true;
	run(&c, TMO);
	ck_assert_int_eq(c.rec[0].calls, 1);
	ck_assert_int_eq(c.rec[0].status, CC_ECONNLOST);
	ck_assert_int_eq(c.rec[1].calls, 1);
	ck_assert_int_eq(c.rec[1].status, CC_ECONNLOST);
	ck_assert(!c.rec[1].answer);
	ck_assert_int_eq(c.nerr, 1);
	ck_assert_int_eq(c.err_status, CC_ECONNLOST);
	ck_assert(!c.err_connected);
	/* The calls first, then err_cb. */
	ck_assert_int_gt(c.err_order, c.rec[1].order);
	run(&c, 100);
	ck_assert_int_eq(c.nerr, 1);
	ck_assert_int_eq(c.rec[0].calls + c.rec[1].calls, 2);
	ck_assert_int_eq(cc_send(c.s, "x", NULL, NULL, NULL, 0, NULL),
	    CC_ECONNLOST);
	teardown(&c);
	fb_stop(b);
}
END_TEST

START_TEST(test_err_cb_framing)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct ctx c;

	setup(&c, b);
	attach(&c);
	ck_assert_int_eq(cc_send(c.s, "garbage", NULL, NULL, NULL, 0, NULL),
	    CC_OK);
	c.want_msgs = 1;
	c.want_err = true;
	run(&c, TMO);
	ck_assert_int_eq(c.nmsg, 1);
	ck_assert_str_eq(c.msgs[0], "garbage:{\"n\":\"before\"}");
	ck_assert_int_eq(c.nerr, 1);
	ck_assert_int_eq(c.err_status, CC_EFRAME);
	ck_assert(!cc_session_connected(c.s));
	teardown(&c);
	fb_stop(b);
}
END_TEST

static void
hook_free(struct ctx *c, struct cc_session *s, struct cc_msg *m)
{
	cc_session_free(s);
	c->s = NULL;
	/* m is borrowed and must outlive the call even now. */
	ck_assert_str_eq(cc_msg_group(m), "echo");
}

START_TEST(test_free_in_callback)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct ctx c;

	setup(&c, b);
	attach(&c);
	c.hook = hook_free;
	call_async(&c, 0, "silent", 50);
	send_echo(&c, 0);
	send_echo(&c, 1);
	send_echo(&c, 2);
	ck_assert_int_eq(cc_ping(c.s, NULL, 0, TMO, NULL, NULL), CC_OK);
	/* All three are queued now; the first callback frees the session
	 * and no callback may follow, not even the call's timeout. */
	c.want_msgs = 1;
	run(&c, TMO);
	ck_assert_int_eq(c.nmsg, 1);
	ck_assert_ptr_null(c.s);
	c.want_msgs = 99;
	run(&c, 200);
	ck_assert_int_eq(c.nmsg, 1);
	ck_assert_int_eq(c.rec[0].calls, 0);
	teardown(&c);
	fb_stop(b);
}
END_TEST

START_TEST(test_free_in_answer_callback)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct ctx c;

	setup(&c, b);
	attach(&c);
	c.free_in_answer = true;
	call_async(&c, 0, "ok", TMO);
	call_async(&c, 1, "ok", TMO);
	send_echo(&c, 0);
	c.want_calls = 1;
	run(&c, TMO);
	ck_assert_ptr_null(c.s);
	c.want_calls = 99;
	run(&c, 200);
	ck_assert_int_eq(c.rec[0].calls, 1);
	ck_assert_int_eq(c.rec[0].status, CC_OK);
	ck_assert_int_eq(c.rec[1].calls, 0);
	ck_assert_int_eq(c.nmsg, 0);
	teardown(&c);
	fb_stop(b);
}
END_TEST

START_TEST(test_free_in_timeout_callback)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct ctx c;

	setup(&c, b);
	attach(&c);
	c.free_in_answer = true;
	call_async(&c, 0, "silent", 50);
	call_async(&c, 1, "silent", 60);
	c.want_calls = 1;
	run(&c, TMO);
	ck_assert_ptr_null(c.s);
	c.want_calls = 99;
	run(&c, 200);
	ck_assert_int_eq(c.rec[0].calls, 1);
	ck_assert_int_eq(c.rec[0].status, CC_ETIMEDOUT);
	ck_assert_int_eq(c.rec[1].calls, 0);
	teardown(&c);
	fb_stop(b);
}
END_TEST

START_TEST(test_free_in_err_callback)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct ctx c;

	setup(&c, b);
	attach(&c);
	c.free_in_err = true;
	ck_assert_int_eq(cc_send(c.s, "close", NULL, NULL, NULL, 0, NULL),
	    CC_OK);
	c.want_err = true;
	run(&c, TMO);
	ck_assert_int_eq(c.nerr, 1);
	ck_assert_ptr_null(c.s);
	run(&c, 100);
	ck_assert_int_eq(c.nerr, 1);
	teardown(&c);
	fb_stop(b);
}
END_TEST

static void
hook_close(struct ctx *c, struct cc_session *s, struct cc_msg *m)
{
	cc_session_close(s);
}

START_TEST(test_close_in_callback)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct ctx c;

	/* An explicit close is no loss: calls fail, err_cb stays quiet, and
	 * messages queued behind are dropped. */
	setup(&c, b);
	attach(&c);
	c.hook = hook_close;
	call_async(&c, 0, "silent", CC_FOREVER);
	send_echo(&c, 0);
	send_echo(&c, 1);
	ck_assert_int_eq(cc_ping(c.s, NULL, 0, TMO, NULL, NULL), CC_OK);
	c.want_msgs = 1;
	c.want_calls = 1;
	run(&c, TMO);
	run(&c, 100);
	ck_assert_int_eq(c.nmsg, 1);
	ck_assert_int_eq(c.rec[0].calls, 1);
	ck_assert_int_eq(c.rec[0].status, CC_ECONNLOST);
	ck_assert_int_eq(c.nerr, 0);
	ck_assert(!cc_session_connected(c.s));
	/* Attached still: connecting again re-arms the events. */
	ck_assert_int_eq(cc_session_connect(c.s, b->path, TMO), CC_OK);
	send_echo(&c, 2);
	c.hook = NULL;
	c.want_msgs = 2;
	run(&c, TMO);
	ck_assert_int_eq(c.nmsg, 2);
	ck_assert_str_eq(c.msgs[1], "echo:{\"i\":2}");
	teardown(&c);
	fb_stop(b);
}
END_TEST

static void
hook_detach(struct ctx *c, struct cc_session *s, struct cc_msg *m)
{
	cc_session_detach(s);
}

START_TEST(test_detach)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct cc_msg *m;
	struct ctx c;

	setup(&c, b);
	attach(&c);
	c.hook = hook_detach;
	call_async(&c, 0, "silent", CC_FOREVER);
	send_echo(&c, 0);
	send_echo(&c, 1);
	ck_assert_int_eq(cc_ping(c.s, NULL, 0, TMO, NULL, NULL), CC_OK);
	c.want_msgs = 1;
	run(&c, TMO);
	run(&c, 100);
	/* The detach in the first callback ended the pending call with
	 * CC_ESTATE and stopped delivery; the rest waits for cc_recv(). */
	ck_assert_int_eq(c.nmsg, 1);
	ck_assert_int_eq(c.rec[0].calls, 1);
	ck_assert_int_eq(c.rec[0].status, CC_ESTATE);
	ck_assert(cc_session_connected(c.s));
	ck_assert_int_eq(cc_recv(c.s, TMO, &m), CC_OK);
	ck_assert_str_eq(cc_msg_group(m), "echo");
	cc_msg_unref(m);
	ck_assert_int_eq(cc_call(c.s, "ok", NULL, NULL, NULL, TMO, NULL),
	    CC_OK);
	cc_session_detach(c.s);
	ck_assert_int_eq(cc_call_async(c.s, "ok", NULL, NULL, NULL, TMO,
	    on_answer, &c.rec[1]), CC_ESTATE);
	/* Attached again, the callback gets what arrives. */
	attach(&c);
	c.hook = NULL;
	send_echo(&c, 5);
	c.want_msgs = 2;
	run(&c, TMO);
	ck_assert_str_eq(c.msgs[1], "echo:{\"i\":5}");
	teardown(&c);
	fb_stop(b);
}
END_TEST

START_TEST(test_max_queue)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	size_t len = 256u << 10, queued = 0;
	char *big = calloc(1, len);
	struct ctx c;
	int i, r = CC_OK;

	setup(&c, b);
	ck_assert_int_eq(cc_send(c.s, "deaf", NULL, NULL, NULL, 0, NULL),
	    CC_OK);
	attach(&c);
	cc_session_set_max_queue(c.s, 1u << 20);
	/* Sends return at once; once the socket buffer is full the queue
	 * grows to its cap, and a frame that does not fit is refused whole. */
	for (i = 0; i < 200 && r == CC_OK; i++) {
		queued = evbuffer_get_length(c.s->out);
		r = cc_send_raw(c.s, "x", NULL, NULL, big, len, 0, NULL);
	}
	ck_assert_int_eq(r, CC_EQUEUE);
	ck_assert_uint_eq(evbuffer_get_length(c.s->out), queued);
	ck_assert_uint_le(queued, 1u << 20);
	ck_assert_msg(strstr(cc_session_error(c.s), "max_queue") != NULL,
	    "%s", cc_session_error(c.s));
	ck_assert(cc_session_connected(c.s));
	free(big);
	teardown(&c);
	fb_stop(b);
}
END_TEST

/* Reconnection: the reconnect callback counts, and may free. */
struct rc_ctx {
	struct ctx	*c;
	int		 reconnects;
	bool		 free_in_cb;
};

static void
on_reconnect(struct cc_session *s, void *arg)
{
	struct rc_ctx *r = arg;

	r->reconnects++;
	ck_assert(cc_session_connected(s));
	if (r->free_in_cb) {
		cc_session_free(s);
		r->c->s = NULL;
	}
	event_base_loopbreak(r->c->base);
}

/* The types, groups and instances the broker read after its n-th
 * getlname, as "type group/instance" strings in a JSON array. */
static json_t *
log_after_getlname(struct fake_broker *b, int n)
{
	json_t *out = json_array(), *h;
	const char *type;
	size_t i;
	int seen = 0;

	pthread_mutex_lock(&b->lock);
	json_array_foreach(b->log, i, h) {
		type = json_string_value(json_object_get(h, "type"));
		if (type != NULL && strcmp(type, "getlname") == 0) {
			seen++;
			continue;
		}
		if (seen == n)
			json_array_append_new(out, json_sprintf("%s %s/%s",
			    type, json_string_value(json_object_get(h,
			    "group")), json_string_value(json_object_get(h,
			    "instance"))));
	}
	pthread_mutex_unlock(&b->lock);
	return out;
}

START_TEST(test_reconnect_replays_subscriptions)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct rc_ctx r = { NULL, 0, false };
	json_t *got, *want;
	struct ctx c;

	setup(&c, b);
	r.c = &c;
	ck_assert_str_eq(cc_session_lname(c.s), "fake_1@test");
	ck_assert_int_eq(cc_subscribe(c.s, "ga", NULL), CC_OK);
	ck_assert_int_eq(cc_subscribe(c.s, "gc", NULL), CC_OK);
	ck_assert_int_eq(cc_subscribe(c.s, "gb", "i1"), CC_OK);
	ck_assert_int_eq(cc_subscribe(c.s, "ga", NULL), CC_OK);
	ck_assert_int_eq(cc_unsubscribe(c.s, "gc", NULL), CC_OK);
	ck_assert_int_eq(cc_unsubscribe(c.s, "gd", NULL), CC_OK);
	cc_session_set_reconnect(c.s, true, on_reconnect, &r);
	attach(&c);
	send_echo(&c, 0);
	c.want_msgs = 1;
	run(&c, TMO);
	/* The broker closes the connection: err_cb, then a new one. */
	ck_assert_int_eq(cc_send(c.s, "close", NULL, NULL, NULL, 0, NULL),
	    CC_OK);
	c.want_msgs = MAXREC;	/* only on_reconnect ends the run */
	run(&c, TMO);
	ck_assert_int_eq(c.nerr, 1);
	ck_assert_int_eq(c.err_status, CC_ECONNLOST);
	ck_assert_int_eq(r.reconnects, 1);
	ck_assert_str_eq(cc_session_lname(c.s), "fake_2@test");
	/* The ping makes the broker log everything sent before it. */
	ck_assert_int_eq(cc_ping(c.s, NULL, 0, TMO, NULL, NULL), CC_OK);
	got = log_after_getlname(b, 2);
	want = json_pack("[s,s,s]", "subscribe ga/*", "subscribe gb/i1",
	    "ping (null)/(null)");
	ck_assert_msg(json_equal(got, want), "sent: %s",
	    json_dumps(got, JSON_COMPACT));
	json_decref(got);
	json_decref(want);
	/* Messages flow again. */
	send_echo(&c, 1);
	c.want_msgs = 2;
	run(&c, TMO);
	ck_assert_str_eq(c.msgs[1], "echo:{\"i\":1}");
	teardown(&c);
	fb_stop(b);
}
END_TEST

START_TEST(test_free_in_reconnect_callback)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct rc_ctx r = { NULL, 0, true };
	struct ctx c;

	setup(&c, b);
	r.c = &c;
	ck_assert_int_eq(cc_subscribe(c.s, "ga", NULL), CC_OK);
	cc_session_set_reconnect(c.s, true, on_reconnect, &r);
	attach(&c);
	ck_assert_int_eq(cc_send(c.s, "close", NULL, NULL, NULL, 0, NULL),
	    CC_OK);
	c.want_msgs = MAXREC;	/* only on_reconnect ends the run */
	run(&c, TMO);
	ck_assert_int_eq(r.reconnects, 1);
	ck_assert_ptr_null(c.s);
	run(&c, 50);
	teardown(&c);
	fb_stop(b);
}
END_TEST

/* Closing in err_cb, or turning reconnection off, means no attempt. */
START_TEST(test_reconnect_off)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct rc_ctx r = { NULL, 0, false };
	struct ctx c;

	setup(&c, b);
	r.c = &c;
	cc_session_set_reconnect(c.s, true, on_reconnect, &r);
	cc_session_set_reconnect(c.s, false, NULL, NULL);
	attach(&c);
	ck_assert_int_eq(cc_send(c.s, "close", NULL, NULL, NULL, 0, NULL),
	    CC_OK);
	c.want_err = true;
	run(&c, TMO);
	run(&c, 100);
	ck_assert_int_eq(c.nerr, 1);
	ck_assert_int_eq(r.reconnects, 0);
	ck_assert(!cc_session_connected(c.s));
	teardown(&c);
	fb_stop(b);
}
END_TEST

static Suite *
session_event_suite(void)
{
	int ncases = sizeof(async_cases) / sizeof(async_cases[0]);
	Suite *s = suite_create("session_event");
	TCase *tc;

	tc = tcase_create("attach");
	tcase_add_test(tc, test_attach_state);
	tcase_add_test(tc, test_attach_delivery);
	tcase_add_test(tc, test_attach_queued_first);
	tcase_add_test(tc, test_blocking_call_in_callback);
	tcase_add_test(tc, test_err_cb_framing);
	tcase_add_test(tc, test_detach);
	tcase_add_test(tc, test_max_queue);
	suite_add_tcase(s, tc);

	tc = tcase_create("async");
	tcase_add_loop_test(tc, test_async_outcome, 0, ncases);
	tcase_add_test(tc, test_async_many);
	tcase_add_test(tc, test_async_connection_lost);
	suite_add_tcase(s, tc);

	tc = tcase_create("free");
	tcase_add_test(tc, test_free_in_callback);
	tcase_add_test(tc, test_free_in_answer_callback);
	tcase_add_test(tc, test_free_in_timeout_callback);
	tcase_add_test(tc, test_free_in_err_callback);
	tcase_add_test(tc, test_close_in_callback);
	tcase_add_test(tc, test_free_in_reconnect_callback);
	suite_add_tcase(s, tc);

	tc = tcase_create("reconnect");
	tcase_add_test(tc, test_reconnect_replays_subscriptions);
	tcase_add_test(tc, test_reconnect_off);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(session_event_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
