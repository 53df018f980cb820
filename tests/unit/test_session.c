/*
 * Unit tests for a blocking cc_session against the fake broker thread of
 * fake_broker.c: connecting (and every way it fails), sending, receiving
 * with its queue, cc_call()'s classification of answers, pings, framing
 * and header errors, and a peer that stops reading. Timing checks use
 * generous upper bounds, as the tests also run under valgrind.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <event2/buffer.h>

#include "fake_broker.h"
#include "session-internal.h"

#define TMO	5000	/* ms: something went wrong if it takes this long */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct cc_session *
connected(struct fake_broker *b)
{
	struct cc_session *s = cc_session_new();

	ck_assert_ptr_nonnull(s);
	ck_assert_msg(cc_session_connect(s, b->path, TMO) == CC_OK, "%s",
	    cc_session_error(s));
	return s;
}

static void
assert_error_has(const struct cc_session *s, const char *part)
{
	ck_assert_msg(strstr(cc_session_error(s), part) != NULL,
	    "error \"%s\" lacks \"%s\"", cc_session_error(s), part);
}

/* The body of m as compact JSON text (static buffer). */
static const char *
body_text(struct cc_msg *m)
{
	static char text[256];
	json_t *body;
	char *s;

	ck_assert_int_eq(cc_msg_body(m, &body, NULL, 0), CC_OK);
	s = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
	snprintf(text, sizeof(text), "%s", s);
	free(s);
	return text;
}

START_TEST(test_connect_lname)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct cc_session *s = cc_session_new();
	json_t *h;

	ck_assert(!cc_session_connected(s));
	ck_assert_ptr_null(cc_session_lname(s));
	ck_assert_ptr_null(cc_session_path(s));
	ck_assert_int_eq(cc_session_fd(s), -1);
	ck_assert_int_eq(cc_session_connect(s, b->path, TMO), CC_OK);
	ck_assert(cc_session_connected(s));
	ck_assert_str_eq(cc_session_lname(s), "fake_1@test");
	ck_assert_str_eq(cc_session_path(s), b->path);
	ck_assert_int_ge(cc_session_fd(s), 0);
	/* The getlname request is exactly {"type": "getlname"}. */
	ck_assert_int_eq(cc_ping(s, NULL, 0, TMO, NULL, NULL), CC_OK);
	h = fb_last(b, "getlname");
	ck_assert_int_eq(json_object_size(h), 1);
	json_decref(h);
	ck_assert_int_eq(cc_session_connect(s, b->path, TMO), CC_ESTATE);
	cc_session_close(s);
	ck_assert(!cc_session_connected(s));
	ck_assert_ptr_null(cc_session_lname(s));
	/* Closed sessions connect again, with a new lname. */
	ck_assert_int_eq(cc_session_connect(s, b->path, TMO), CC_OK);
	ck_assert_str_eq(cc_session_lname(s), "fake_2@test");
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

START_TEST(test_connect_missing)
{
	struct cc_session *s = cc_session_new();
	char dir[PATH_MAX], path[PATH_MAX + 16];

	fb_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/msgq.sock", dir);
	ck_assert_int_eq(cc_session_connect(s, path, TMO), CC_ECONNECT);
	assert_error_has(s, path);
	assert_error_has(s, "No such file or directory");
	ck_assert(!cc_session_connected(s));
	ck_assert_int_eq(cc_session_fd(s), -1);
	ck_assert_int_eq(cc_send(s, "g", NULL, NULL, NULL, 0, NULL),
	    CC_ECONNLOST);
	assert_error_has(s, "not connected");
	cc_session_free(s);
	rmdir(dir);
}
END_TEST

START_TEST(test_connect_refused)
{
	struct sockaddr_un sun;
	struct cc_session *s = cc_session_new();
	char dir[PATH_MAX];
	int fd;

	/* A socket file nobody listens on: a stale msgq socket. */
	fb_tmpdir(dir, sizeof(dir));
	fb_sockaddr(&sun, dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(cc_session_connect(s, sun.sun_path, TMO),
	    CC_ECONNECT);
	assert_error_has(s, sun.sun_path);
	assert_error_has(s, "Connection refused");
	close(fd);
	unlink(sun.sun_path);
	rmdir(dir);
	cc_session_free(s);
}
END_TEST

START_TEST(test_connect_path_too_long)
{
	struct cc_session *s = cc_session_new();
	char path[300];

	memset(path, 'x', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	ck_assert_int_eq(cc_session_connect(s, path, TMO), CC_ECONNECT);
	assert_error_has(s, "too long");
	assert_error_has(s, path);
	ck_assert_int_eq(cc_session_connect(s, "", TMO), CC_ECONNECT);
	assert_error_has(s, "empty");
	cc_session_free(s);
}
END_TEST

START_TEST(test_connect_default_path)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct cc_session *s = cc_session_new();

	unsetenv("CCBUS_SOCKET");
	ck_assert_str_eq(cc_default_socket_path(), CCBUS_DEFAULT_SOCKET);
	setenv("CCBUS_SOCKET", "", 1);
	ck_assert_str_eq(cc_default_socket_path(), CCBUS_DEFAULT_SOCKET);
	setenv("CCBUS_SOCKET", b->path, 1);
	ck_assert_str_eq(cc_default_socket_path(), b->path);
	ck_assert_int_eq(cc_session_connect(s, NULL, TMO), CC_OK);
	ck_assert_str_eq(cc_session_path(s), b->path);
	unsetenv("CCBUS_SOCKET");
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

START_TEST(test_connect_getlname_timeout)
{
	struct fake_broker *b = fb_start(FB_LNAME_SILENT);
	struct cc_session *s = cc_session_new();
	int64_t t0 = now_ms(), dt;

	ck_assert_int_eq(cc_session_connect(s, b->path, 200), CC_ETIMEDOUT);
	dt = now_ms() - t0;
	ck_assert_int_ge(dt, 190);
	ck_assert_int_lt(dt, 2000);
	assert_error_has(s, "getlname");
	ck_assert(!cc_session_connected(s));
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

START_TEST(test_connect_getlname_bad)
{
	struct fake_broker *b = fb_start(FB_LNAME_BAD);
	struct cc_session *s = cc_session_new();

	ck_assert_int_eq(cc_session_connect(s, b->path, TMO), CC_EPROTO);
	assert_error_has(s, "lname");
	ck_assert(!cc_session_connected(s));
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

START_TEST(test_connect_queues_early)
{
	struct fake_broker *b = fb_start(FB_LNAME_EARLY);
	struct cc_session *s = connected(b);
	struct cc_msg *m;

	ck_assert_int_eq(cc_recv(s, 0, &m), CC_OK);
	ck_assert_str_eq(cc_msg_group(m), "early");
	cc_msg_unref(m);
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

START_TEST(test_connect_backlog_full)
{
	struct sockaddr_un sun;
	struct cc_session *s = cc_session_new();
	char dir[PATH_MAX];
	int lfd, first;
	int64_t t0, dt;

	/* Backlog 0 holds one pending connection; the second must wait. */
	fb_tmpdir(dir, sizeof(dir));
	fb_sockaddr(&sun, dir);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, 0), 0);
	first = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(first, (struct sockaddr *)&sun,
	    sizeof(sun)), 0);
	t0 = now_ms();
	ck_assert_int_eq(cc_session_connect(s, sun.sun_path, 300),
	    CC_ETIMEDOUT);
	dt = now_ms() - t0;
	ck_assert_int_ge(dt, 250);
	ck_assert_int_lt(dt, 3000);
	assert_error_has(s, "listen queue");
	ck_assert_int_eq(cc_session_fd(s), -1);
	close(first);
	close(lfd);
	unlink(sun.sun_path);
	rmdir(dir);
	cc_session_free(s);
}
END_TEST

START_TEST(test_recv_timeout)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct cc_session *s = connected(b);
	struct cc_msg *m = (struct cc_msg *)&m;
	int64_t t0, dt;

	t0 = now_ms();
	ck_assert_int_eq(cc_recv(s, 200, &m), CC_ETIMEDOUT);
	dt = now_ms() - t0;
	ck_assert_ptr_null(m);
	ck_assert_int_ge(dt, 190);
	ck_assert_int_lt(dt, 2000);
	assert_error_has(s, "200 ms");
	t0 = now_ms();
	ck_assert_int_eq(cc_recv(s, 0, &m), CC_ETIMEDOUT);
	ck_assert_int_lt(now_ms() - t0, 1000);
	ck_assert(cc_session_connected(s));
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

START_TEST(test_send_header)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct cc_session *s = connected(b);
	json_t *body = json_pack("{s:i}", "a", 1), *h;
	int64_t seq1, seq2;

	ck_assert_int_eq(cc_send(s, "silent", NULL, NULL, body,
	    CC_WANT_ANSWER, &seq1), CC_OK);
	ck_assert_int_eq(cc_ping(s, NULL, 0, TMO, NULL, NULL), CC_OK);
	h = fb_last(b, "send");
	ck_assert_str_eq(json_string_value(json_object_get(h, "from")),
	    "fake_1@test");
	ck_assert_str_eq(json_string_value(json_object_get(h, "to")), "*");
	ck_assert_str_eq(json_string_value(json_object_get(h, "group")),
	    "silent");
	ck_assert_str_eq(json_string_value(json_object_get(h, "instance")),
	    "*");
	ck_assert_int_eq(json_integer_value(json_object_get(h, "seq")), seq1);
	ck_assert(json_is_true(json_object_get(h, "want_answer")));
	ck_assert_ptr_null(json_object_get(h, "reply"));
	json_decref(h);
	ck_assert_int_eq(cc_send(s, "silent", "inst", "x_1@h", NULL, 0,
	    &seq2), CC_OK);
	ck_assert_int_eq(seq2, seq1 + 1);
	ck_assert_int_ge(seq1, 0);
	ck_assert_int_eq(cc_ping(s, NULL, 0, TMO, NULL, NULL), CC_OK);
	h = fb_last(b, "send");
	ck_assert_str_eq(json_string_value(json_object_get(h, "to")),
	    "x_1@h");
	ck_assert_str_eq(json_string_value(json_object_get(h, "instance")),
	    "inst");
	ck_assert_ptr_null(json_object_get(h, "want_answer"));
	json_decref(h);
	ck_assert_int_eq(cc_send(s, NULL, NULL, NULL, body, 0, NULL),
	    CC_EINVAL);
	json_decref(body);
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

START_TEST(test_send_max_frame)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct cc_session *s = connected(b);
	char big[2000];
	json_t *body;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	body = json_pack("{s:s}", "big", big);
	cc_session_set_max_frame(s, 1000);
	ck_assert_int_eq(cc_send(s, "ok", NULL, NULL, body, 0, NULL),
	    CC_EINVAL);
	assert_error_has(s, "max_frame");
	ck_assert(cc_session_connected(s));
	ck_assert_int_eq(cc_ping(s, NULL, 0, TMO, NULL, NULL), CC_OK);
	ck_assert_ptr_null(fb_last(b, "send"));
	json_decref(body);
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

START_TEST(test_subscribe)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct cc_session *s = connected(b);
	json_t *h;

	ck_assert_int_eq(cc_subscribe(s, "G", NULL), CC_OK);
	ck_assert_int_eq(cc_unsubscribe(s, "G", "i2"), CC_OK);
	ck_assert_int_eq(cc_ping(s, NULL, 0, TMO, NULL, NULL), CC_OK);
	h = fb_last(b, "subscribe");
	ck_assert_str_eq(json_string_value(json_object_get(h, "group")), "G");
	ck_assert_str_eq(json_string_value(json_object_get(h, "instance")),
	    "*");
	json_decref(h);
	h = fb_last(b, "unsubscribe");
	ck_assert_str_eq(json_string_value(json_object_get(h, "instance")),
	    "i2");
	json_decref(h);
	ck_assert_int_eq(cc_subscribe(s, NULL, NULL), CC_EINVAL);
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

START_TEST(test_ping_echo)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct cc_session *s = connected(b);
	void *echo;
	size_t len;

	ck_assert_int_eq(cc_ping(s, "\x91\x01", 2, TMO, &echo, &len), CC_OK);
	ck_assert_uint_eq(len, 2);
	ck_assert_mem_eq(echo, "\x91\x01", 2);
	free(echo);
	ck_assert_int_eq(cc_ping(s, NULL, 0, TMO, &echo, &len), CC_OK);
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_nonnull(echo);
	free(echo);
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

START_TEST(test_pong_not_received)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct cc_session *s = connected(b);
	struct cc_msg *m;

	ck_assert_int_eq(cc_send(s, "pongs", NULL, NULL, NULL, 0, NULL),
	    CC_OK);
	ck_assert_int_eq(cc_recv(s, TMO, &m), CC_OK);
	ck_assert_str_eq(cc_msg_type(m), "send");
	ck_assert_str_eq(cc_msg_group(m), "pongs");
	cc_msg_unref(m);
	/* The stray pong did not count as the answer to this ping. */
	ck_assert_int_eq(cc_ping(s, "\x01", 1, TMO, NULL, NULL), CC_OK);
	ck_assert_int_eq(cc_recv(s, 0, &m), CC_ETIMEDOUT);
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

START_TEST(test_answers_queued_in_order)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct cc_session *s = connected(b);
	struct cc_msg *m;
	int64_t seq, r;

	ck_assert_int_eq(cc_send(s, "other", NULL, NULL, NULL,
	    CC_WANT_ANSWER, &seq), CC_OK);
	ck_assert_int_eq(cc_recv_answer(s, seq, TMO, &m), CC_OK);
	ck_assert(cc_msg_reply(m, &r));
	ck_assert_int_eq(r, seq);
	ck_assert_str_eq(body_text(m), "{\"result\":[0,\"real\"]}");
	cc_msg_unref(m);
	ck_assert_int_eq(cc_recv(s, 0, &m), CC_OK);
	ck_assert_str_eq(body_text(m), "{\"n\":\"A\"}");
	cc_msg_unref(m);
	ck_assert_int_eq(cc_recv(s, 0, &m), CC_OK);
	ck_assert(cc_msg_reply(m, &r));
	ck_assert_int_eq(r, seq + 1000);
	cc_msg_unref(m);
	ck_assert_int_eq(cc_recv(s, 0, &m), CC_OK);
	ck_assert_str_eq(body_text(m), "{\"n\":\"B\"}");
	cc_msg_unref(m);
	ck_assert_int_eq(cc_recv(s, 0, &m), CC_ETIMEDOUT);
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

/* Messages piling up while a call waits are capped: the session closes
 * with CC_EQUEUE rather than grow without bound, keeping what it had. */
START_TEST(test_receive_queue_cap)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct cc_session *s = connected(b);
	struct cc_msg *m;
	int64_t seq;

	cc_session_set_max_queue(s, 120);	/* room for one message */
	ck_assert_int_eq(cc_send(s, "other", NULL, NULL, NULL,
	    CC_WANT_ANSWER, &seq), CC_OK);
	ck_assert_int_eq(cc_recv_answer(s, seq, TMO, &m), CC_EQUEUE);
	assert_error_has(s, "not being consumed");
	ck_assert(!cc_session_connected(s));
	ck_assert_int_eq(cc_recv(s, 0, &m), CC_OK);
	ck_assert_str_eq(body_text(m), "{\"n\":\"A\"}");
	cc_msg_unref(m);
	ck_assert_int_eq(cc_recv(s, 0, &m), CC_ECONNLOST);
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

START_TEST(test_recv_answer_from_queue)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct cc_session *s = connected(b);
	struct cc_msg *m;
	int64_t seq, r;

	/* The stray answer (seq + 1000) was queued by the first wait; a
	 * later wait for it finds it there. */
	ck_assert_int_eq(cc_send(s, "other", NULL, NULL, NULL,
	    CC_WANT_ANSWER, &seq), CC_OK);
	ck_assert_int_eq(cc_recv_answer(s, seq, TMO, &m), CC_OK);
	cc_msg_unref(m);
	ck_assert_int_eq(cc_recv_answer(s, seq + 1000, 0, &m), CC_OK);
	ck_assert(cc_msg_reply(m, &r));
	ck_assert_int_eq(r, seq + 1000);
	cc_msg_unref(m);
	ck_assert_int_eq(cc_recv_answer(s, seq + 5, 100, &m), CC_ETIMEDOUT);
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

START_TEST(test_call_ok)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct cc_session *s = connected(b);
	json_t *body = cc_command_new("go", NULL), *value, *h;
	struct cc_msg *m;

	ck_assert_int_eq(cc_call(s, "ok", NULL, NULL, body, TMO, &m), CC_OK);
	ck_assert_str_eq(body_text(m), "{\"result\":[0,{\"x\":1}]}");
	ck_assert_str_eq(cc_msg_from(m), "peer");
	cc_msg_unref(m);
	ck_assert_int_eq(cc_call(s, "okbare", NULL, NULL, body, TMO, NULL),
	    CC_OK);
	ck_assert_int_eq(cc_command(s, "ok", "go", NULL, TMO, &value), CC_OK);
	ck_assert_int_eq(json_integer_value(json_object_get(value, "x")), 1);
	json_decref(value);
	ck_assert_int_eq(cc_command(s, "okbare", "go", NULL, TMO, &value),
	    CC_OK);
	ck_assert_ptr_null(value);
	h = fb_last(b, "send");
	ck_assert(json_is_true(json_object_get(h, "want_answer")));
	json_decref(h);
	json_decref(body);
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

START_TEST(test_call_error_answer)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct cc_session *s = connected(b);
	struct cc_msg *m;
	json_t *value = json_null();

	ck_assert_int_eq(cc_call(s, "err", NULL, NULL, NULL, TMO, &m),
	    CC_EANSWER);
	ck_assert_str_eq(cc_session_error(s), "it broke");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(body_text(m), "{\"result\":[1,\"it broke\"]}");
	cc_msg_unref(m);
	ck_assert_int_eq(cc_call(s, "errbare", NULL, NULL, NULL, TMO, NULL),
	    CC_EANSWER);
	assert_error_has(s, "error 2");
	/* rcode -1 is "no recipient" only when msgq says it. */
	ck_assert_int_eq(cc_call(s, "minus1", NULL, NULL, NULL, TMO, NULL),
	    CC_EANSWER);
	ck_assert_str_eq(cc_session_error(s), "not msgq");
	ck_assert_int_eq(cc_command(s, "err", "go", NULL, TMO, &value),
	    CC_EANSWER);
	ck_assert_ptr_null(value);
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

START_TEST(test_call_no_recipient)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct cc_session *s = connected(b);
	struct cc_msg *m = (struct cc_msg *)&m;

	ck_assert_int_eq(cc_call(s, "none", NULL, NULL, NULL, TMO, &m),
	    CC_ENORECIPIENT);
	ck_assert_ptr_null(m);
	assert_error_has(s, "group none");
	ck_assert_int_eq(cc_call(s, "none", NULL, "x_9@h", NULL, TMO, NULL),
	    CC_ENORECIPIENT);
	assert_error_has(s, "x_9@h");
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

START_TEST(test_call_malformed_answer)
{
	static const char *const groups[] = { "bad", "badrc", "undecodable" };
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct cc_session *s = connected(b);
	struct cc_msg *m;
	size_t i;

	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		m = (struct cc_msg *)&m;
		ck_assert_int_eq(cc_call(s, groups[i], NULL, NULL, NULL, TMO,
		    &m), CC_EPROTO);
		ck_assert_ptr_null(m);
		assert_error_has(s, groups[i]);
	}
	ck_assert(cc_session_connected(s));
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

START_TEST(test_call_timeout)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct cc_session *s = connected(b);
	int64_t t0 = now_ms(), dt;

	ck_assert_int_eq(cc_call(s, "silent", NULL, NULL, NULL, 200, NULL),
	    CC_ETIMEDOUT);
	dt = now_ms() - t0;
	ck_assert_int_ge(dt, 190);
	ck_assert_int_lt(dt, 2000);
	assert_error_has(s, "group silent");
	ck_assert(cc_session_connected(s));
	ck_assert_int_eq(cc_call(s, "ok", NULL, NULL, NULL, TMO, NULL), CC_OK);
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

START_TEST(test_call_connection_lost)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct cc_session *s = connected(b);

	ck_assert_int_eq(cc_call(s, "close", NULL, NULL, NULL, TMO, NULL),
	    CC_ECONNLOST);
	assert_error_has(s, "closed the connection");
	ck_assert(!cc_session_connected(s));
	ck_assert_ptr_null(cc_session_lname(s));
	ck_assert_int_eq(cc_call(s, "ok", NULL, NULL, NULL, TMO, NULL),
	    CC_ECONNLOST);
	ck_assert_int_eq(cc_ping(s, NULL, 0, TMO, NULL, NULL), CC_ECONNLOST);
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

START_TEST(test_reply)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct cc_session *s = connected(b);
	json_t *answer = cc_answer_new(0, NULL), *h;
	struct cc_msg *m;

	ck_assert_int_eq(cc_send(s, "cmd", NULL, NULL, NULL, 0, NULL), CC_OK);
	ck_assert_int_eq(cc_recv(s, TMO, &m), CC_OK);
	ck_assert(cc_msg_want_answer(m));
	ck_assert_int_eq(cc_reply(s, m, answer), CC_OK);
	ck_assert_int_eq(cc_ping(s, NULL, 0, TMO, NULL, NULL), CC_OK);
	h = fb_last(b, "send");
	ck_assert_str_eq(json_string_value(json_object_get(h, "to")), "peer");
	ck_assert_str_eq(json_string_value(json_object_get(h, "from")),
	    "fake_1@test");
	ck_assert_str_eq(json_string_value(json_object_get(h, "group")),
	    "cmd");
	ck_assert_str_eq(json_string_value(json_object_get(h, "instance")),
	    "i1");
	ck_assert_int_eq(json_integer_value(json_object_get(h, "reply")), 77);
	ck_assert(json_is_integer(json_object_get(h, "seq")));
	ck_assert_ptr_null(json_object_get(h, "want_answer"));
	json_decref(h);
	cc_msg_unref(m);
	json_decref(answer);
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

START_TEST(test_reply_needs_seq)
{
	struct fake_broker *b = fb_start(FB_LNAME_EARLY);
	struct cc_session *s = connected(b);
	struct cc_msg *m;

	/* The early message has a seq and a sender: take each away. */
	ck_assert_int_eq(cc_recv(s, 0, &m), CC_OK);
	m->flags &= ~CC_HDR_SEQ;
	ck_assert_int_eq(cc_reply(s, m, NULL), CC_EINVAL);
	assert_error_has(s, "seq");
	m->flags |= CC_HDR_SEQ;
	m->from = NULL;
	ck_assert_int_eq(cc_reply(s, m, NULL), CC_EINVAL);
	assert_error_has(s, "from");
	cc_msg_unref(m);
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

START_TEST(test_bad_header_skipped)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct cc_session *s = connected(b);
	struct cc_msg *m;

	ck_assert_int_eq(cc_send(s, "badhdr", NULL, NULL, NULL, 0, NULL),
	    CC_OK);
	ck_assert_int_eq(cc_recv(s, TMO, &m), CC_OK);
	ck_assert_str_eq(body_text(m), "{\"n\":\"after\"}");
	cc_msg_unref(m);
	ck_assert_uint_eq(s->bad_headers, 1);
	ck_assert(cc_session_connected(s));
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

START_TEST(test_framing_error)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct cc_session *s = connected(b);
	struct cc_msg *m;

	ck_assert_int_eq(cc_send(s, "garbage", NULL, NULL, NULL, 0, NULL),
	    CC_OK);
	/* The frame before the bad one still comes out, then the error,
	 * once; the session is closed by then. */
	ck_assert_int_eq(cc_recv(s, TMO, &m), CC_OK);
	ck_assert_str_eq(body_text(m), "{\"n\":\"before\"}");
	cc_msg_unref(m);
	ck_assert_int_eq(cc_recv(s, TMO, &m), CC_EFRAME);
	assert_error_has(s, "framing error");
	ck_assert(!cc_session_connected(s));
	ck_assert_int_eq(cc_recv(s, TMO, &m), CC_ECONNLOST);
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

START_TEST(test_send_peer_not_reading)
{
	struct fake_broker *b = fb_start(FB_LNAME_OK);
	struct cc_session *s = connected(b);
	size_t len = 8u << 20;
	char *big = calloc(1, len);
	int64_t t0, dt;
	int r;

	libcc_session_set_send_timeout(s, 300);
	ck_assert_int_eq(cc_send(s, "deaf", NULL, NULL, NULL, 0, NULL), CC_OK);
	t0 = now_ms();
	/* 8 MiB is more than any socket buffer takes. */
	r = cc_send_raw(s, "x", NULL, NULL, big, len, 0, NULL);
	dt = now_ms() - t0;
	ck_assert_int_eq(r, CC_ETIMEDOUT);
	ck_assert_int_ge(dt, 290);
	ck_assert_int_lt(dt, 3000);
	assert_error_has(s, "closed");
	ck_assert(!cc_session_connected(s));
	ck_assert_int_eq(cc_send(s, "x", NULL, NULL, NULL, 0, NULL),
	    CC_ECONNLOST);
	free(big);
	cc_session_free(s);
	fb_stop(b);
}
END_TEST

START_TEST(test_close_drops_queue)
{
	struct fake_broker *b = fb_start(FB_LNAME_EARLY);
	struct cc_session *s = connected(b);
	struct cc_msg *m;

	cc_session_close(s);
	ck_assert_int_eq(cc_recv(s, 0, &m), CC_ECONNLOST);
	assert_error_has(s, "not connected");
	cc_session_close(s);
	cc_session_free(s);
	cc_session_free(NULL);
	fb_stop(b);
}
END_TEST

static Suite *
session_suite(void)
{
	Suite *s = suite_create("session");
	TCase *tc;

	tc = tcase_create("connect");
	tcase_add_test(tc, test_connect_lname);
	tcase_add_test(tc, test_connect_missing);
	tcase_add_test(tc, test_connect_refused);
	tcase_add_test(tc, test_connect_path_too_long);
	tcase_add_test(tc, test_connect_default_path);
	tcase_add_test(tc, test_connect_getlname_timeout);
	tcase_add_test(tc, test_connect_getlname_bad);
	tcase_add_test(tc, test_connect_queues_early);
	tcase_add_test(tc, test_connect_backlog_full);
	suite_add_tcase(s, tc);

	tc = tcase_create("send_recv");
	tcase_add_test(tc, test_recv_timeout);
	tcase_add_test(tc, test_send_header);
	tcase_add_test(tc, test_send_max_frame);
	tcase_add_test(tc, test_subscribe);
	tcase_add_test(tc, test_ping_echo);
	tcase_add_test(tc, test_pong_not_received);
	tcase_add_test(tc, test_answers_queued_in_order);
	tcase_add_test(tc, test_recv_answer_from_queue);
	tcase_add_test(tc, test_receive_queue_cap);
	tcase_add_test(tc, test_reply);
	tcase_add_test(tc, test_reply_needs_seq);
	tcase_add_test(tc, test_bad_header_skipped);
	tcase_add_test(tc, test_framing_error);
	tcase_add_test(tc, test_send_peer_not_reading);
	tcase_add_test(tc, test_close_drops_queue);
	suite_add_tcase(s, tc);

	tc = tcase_create("call");
	tcase_add_test(tc, test_call_ok);
	tcase_add_test(tc, test_call_error_answer);
	tcase_add_test(tc, test_call_no_recipient);
	tcase_add_test(tc, test_call_malformed_answer);
	tcase_add_test(tc, test_call_timeout);
	tcase_add_test(tc, test_call_connection_lost);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(session_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
