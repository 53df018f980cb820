/*
 * What a real ccbus-msgq does with frames that break the protocol:
 * framing errors close only their own connection (PROTOCOL.md 2), bad
 * headers, unknown types and sender mismatches are dropped with the error
 * answer of 5.9 while the connection stays open (4, 5.7, 5.8). Also the
 * exact shapes of the getlname and ping answers and the golden vectors.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"

static struct tl_msgq *mq;

static void
setup(void)
{
	mq = it_msgq();
}

static void
teardown(void)
{
	it_msgq_end(mq);
	mq = NULL;
}

/*
 * The error answer of PROTOCOL.md 5.9 to a frame from c with seq, and
 * group (NULL: not a string in the frame, so ""): exact header, body
 * {"result": [1, text]} with text starting with prefix.
 */
static void
expect_error_answer(struct tl_client *c, const char *group, int64_t seq,
    const char *prefix)
{
	struct tl_frame f;
	const char *text = NULL;
	int rcode = 0;

	it_expect_frame(c, &f);
	assert_json(f.hdr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "type",
	    "send", "from", "msgq", "to", c->lname, "group",
	    group != NULL ? group : "", "instance", "*", "reply",
	    (json_int_t)seq));
	ck_assert_msg(f.body != NULL && json_unpack(f.body, "{s:[is!]!}",
	    "result", &rcode, &text) == 0, "body is not {result: [int, str]}");
	ck_assert_int_eq(rcode, 1);
	ck_assert_msg(strncmp(text, prefix, strlen(prefix)) == 0,
	    "error text \"%s\" does not start with \"%s\"", text, prefix);
	tl_frame_clear(&f);
	it_expect_nothing(c);
}

/* Write raw header bytes (and no body) as one frame. */
static void
send_raw_header(struct tl_client *c, const void *hdr, size_t hlen)
{
	struct cc_frame *f;

	ck_assert_int_eq(cc_frame_encode(hdr, hlen, NULL, 0, 0, &f), CC_OK);
	ck_assert_int_eq(tl_client_write(c, cc_frame_bytes(f),
	    cc_frame_size(f)), 0);
	cc_frame_unref(f);
}

START_TEST(test_bad_header_without_seq_is_dropped)
{
	struct tl_client *a = it_client(mq);
	static const unsigned char undecodable[] = { 0xc1 };
	static const unsigned char truncated[] = { 0x82, 0xa4, 't', 'y' };
	static const unsigned char array[] = { 0x91, 0xa4, 's', 'e', 'n', 'd' };

	/* Nothing to answer to: only dropped, and the connection stays. */
	send_raw_header(a, undecodable, sizeof(undecodable));
	send_raw_header(a, truncated, sizeof(truncated));
	send_raw_header(a, array, sizeof(array));
	it_send(a, json_pack("[s,i]", "send", 1), NULL);
	it_send(a, json_pack("{s:s, s:s, s:i, s:s, s:b}", "type", "send",
	    "from", a->lname, "to", 5, "group", "G", "want_answer", 1), NULL);
	/* seq of the wrong type: cannot be answered either. */
	it_send(a, json_pack("{s:i, s:s, s:s, s:b}", "type", 3, "seq", "7",
	    "group", "G", "want_answer", 1), NULL);
	it_expect_nothing(a);
	ck_assert(tl_log_wait(mq->log, a->lname, WAIT));
	tl_client_free(a);
}
END_TEST

START_TEST(test_bad_header_wrong_field_type)
{
	struct tl_client *a = it_client(mq), *sub = it_client(mq);

	it_subscribe_sync(sub, "G", NULL);
	/* group not a string: the answer's group is "". */
	it_send(a, json_pack("{s:s, s:s, s:s, s:i, s:s, s:i, s:b}", "type",
	    "send", "from", a->lname, "to", "*", "group", 5, "instance", "*",
	    "seq", 31, "want_answer", 1), json_pack("{}"));
	expect_error_answer(a, NULL, 31, "bad header: ");
	/* to not a string, group fine: the answer keeps the group. */
	it_send(a, json_pack("{s:s, s:s, s:i, s:s, s:s, s:i, s:b}", "type",
	    "send", "from", a->lname, "to", 9, "group", "G", "instance", "*",
	    "seq", 32, "want_answer", 1), json_pack("{}"));
	expect_error_answer(a, "G", 32, "bad header: ");
	/* instance not a string. */
	it_send(a, json_pack("{s:s, s:s, s:s, s:s, s:[], s:i, s:b}", "type",
	    "send", "from", a->lname, "to", "*", "group", "G", "instance",
	    "seq", 33, "want_answer", 1), json_pack("{}"));
	expect_error_answer(a, "G", 33, "bad header: ");
	/* type not a string. */
	it_send(a, json_pack("{s:i, s:s, s:s, s:s, s:i, s:b}", "type", 1,
	    "from", a->lname, "to", "*", "group", "G", "seq", 34,
	    "want_answer", 1), json_pack("{}"));
	expect_error_answer(a, "G", 34, "bad header: ");
	/* Dropped, not delivered. */
	it_expect_nothing(sub);
	tl_client_free(a);
	tl_client_free(sub);
}
END_TEST

START_TEST(test_bad_header_missing_type_or_group)
{
	struct tl_client *a = it_client(mq), *sub = it_client(mq);

	it_subscribe_sync(sub, "G", NULL);
	it_send(a, json_pack("{s:s, s:s, s:s, s:s, s:i, s:b}", "from",
	    a->lname, "to", "*", "group", "G", "instance", "*", "seq", 41,
	    "want_answer", 1), json_pack("{s:i}", "x", 1));
	expect_error_answer(a, "G", 41, "bad header: ");
	/* A group send without a group. */
	it_send(a, json_pack("{s:s, s:s, s:s, s:s, s:i, s:b}", "type", "send",
	    "from", a->lname, "to", "*", "instance", "*", "seq", 42,
	    "want_answer", 1), json_pack("{s:i}", "x", 2));
	expect_error_answer(a, NULL, 42, "bad header: ");
	it_expect_nothing(sub);
	tl_client_free(a);
	tl_client_free(sub);
}
END_TEST

START_TEST(test_unknown_type)
{
	struct tl_client *a = it_client(mq);

	it_send(a, json_pack("{s:s, s:s, s:s, s:i, s:b}", "type",
	    "frobnicate", "from", a->lname, "group", "G", "seq", 11,
	    "want_answer", 1), NULL);
	expect_error_answer(a, "G", 11, "unknown message type: frobnicate");
	/* Without a group, the answer's group is "". */
	it_send(a, json_pack("{s:s, s:i, s:b}", "type", "frobnicate", "seq",
	    12, "want_answer", 1), NULL);
	expect_error_answer(a, NULL, 12, "unknown message type: frobnicate");
	/* Without want_answer: logged and ignored. */
	it_send(a, json_pack("{s:s, s:s, s:i}", "type", "frobnicate",
	    "group", "G", "seq", 13), NULL);
	/* A pong from a client is ignored. */
	it_send(a, json_pack("{s:s}", "type", "pong"), json_string("x"));
	it_expect_nothing(a);
	tl_client_free(a);
}
END_TEST

START_TEST(test_sender_mismatch)
{
	struct tl_client *a = it_client(mq), *b = it_client(mq);
	const char *forged[] = { "someone@else", b->lname, "msgq" };
	json_t *h;

	it_subscribe_sync(b, "Victim", NULL);
	/* from missing. */
	it_send(a, json_pack("{s:s, s:s, s:s, s:s, s:i, s:b}", "type", "send",
	    "to", "*", "group", "Victim", "instance", "*", "seq", 21,
	    "want_answer", 1), json_pack("{s:[s]}", "command", "x"));
	expect_error_answer(a, "Victim", 21, "sender mismatch");
	for (int i = 0; i < 3; i++) {
		h = it_send_header(a, "Victim", NULL, NULL, true);
		json_object_set_new(h, "from", json_string(forged[i]));
		json_object_set_new(h, "seq", json_integer(22 + i));
		it_send(a, h, json_pack("{s:[s]}", "command", "x"));
		/* The answer goes to a's real lname, not the forged one. */
		expect_error_answer(a, "Victim", 22 + i, "sender mismatch");
	}
	/* Without want_answer: dropped silently for a. */
	h = it_send_header(a, "Victim", NULL, b->lname, false);
	json_object_set_new(h, "from", json_string("someone@else"));
	it_send(a, h, json_pack("{}"));
	it_expect_nothing(a);
	it_expect_nothing(b);
	/* "dropped with a warning": one that names the sender. */
	ck_assert(tl_log_wait(mq->log, a->lname, WAIT));
	tl_client_free(a);
	tl_client_free(b);
}
END_TEST

START_TEST(test_getlname_answer_shape)
{
	struct tl_client *a = tl_client_connect(mq->sock);
	struct tl_client *b = it_client(mq);
	struct tl_frame f;
	const char *l;
	char first[128];

	ck_assert_ptr_nonnull(a);
	/* Other messages are allowed before getlname. */
	ck_assert(tl_client_barrier(a, WAIT));
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(tl_client_send(a, json_pack("{s:s}", "type",
		    "getlname"), NULL), 0);
		it_expect_frame(a, &f);
		assert_json(f.hdr, json_pack("{s:s}", "type", "getlname"));
		ck_assert_ptr_nonnull(f.body);
		ck_assert_int_eq(json_object_size(f.body), 1);
		l = json_string_value(json_object_get(f.body, "lname"));
		ck_assert_ptr_nonnull(l);
		ck_assert_uint_gt(strlen(l), 0);
		ck_assert_str_ne(l, "msgq");
		ck_assert_str_ne(l, b->lname);
		/* The lname belongs to the connection: the same twice. */
		if (i == 0)
			snprintf(first, sizeof(first), "%s", l);
		else
			ck_assert_str_eq(l, first);
		tl_frame_clear(&f);
	}
	tl_client_free(a);
	tl_client_free(b);
}
END_TEST

START_TEST(test_golden_vectors)
{
	static const unsigned char hello[] = { 0x00, 0x00, 0x00, 0x0c, 0x00,
	    0x01, 0x80, 0x81, 0xa5, 'h', 'e', 'l', 'l', 'o', 0xa1, 'a' };
	static const unsigned char getlname[] = { 0x00, 0x00, 0x00, 0x11,
	    0x00, 0x0f, 0x81, 0xa4, 't', 'y', 'p', 'e', 0xa8, 'g', 'e', 't',
	    'l', 'n', 'a', 'm', 'e' };
	struct cc_frame *fr;
	struct tl_client *c = tl_client_connect(mq->sock);
	struct tl_frame f;

	fr = tl_frame_make(json_object(), json_pack("{s:s}", "hello", "a"));
	ck_assert_uint_eq(cc_frame_size(fr), sizeof(hello));
	ck_assert_mem_eq(cc_frame_bytes(fr), hello, sizeof(hello));
	cc_frame_unref(fr);
	fr = tl_frame_make(json_pack("{s:s}", "type", "getlname"), NULL);
	ck_assert_uint_eq(cc_frame_size(fr), sizeof(getlname));
	ck_assert_mem_eq(cc_frame_bytes(fr), getlname, sizeof(getlname));
	cc_frame_unref(fr);
	/* msgq takes the golden bytes, even one byte per write. */
	ck_assert_ptr_nonnull(c);
	for (size_t i = 0; i < sizeof(getlname); i++)
		ck_assert_int_eq(tl_client_write(c, getlname + i, 1), 0);
	it_expect_frame(c, &f);
	ck_assert_str_eq(tl_frame_str(&f, "type"), "getlname");
	tl_frame_clear(&f);
	tl_client_free(c);
}
END_TEST

/* A ping frame with a raw body; the pong must echo it exactly. */
static void
ping_echo(struct tl_client *c, const unsigned char *body, size_t blen)
{
	static const unsigned char ping[] = { 0x81, 0xa4, 't', 'y', 'p', 'e',
	    0xa4, 'p', 'i', 'n', 'g' };
	struct cc_frame *fr;
	struct tl_frame f;
	const unsigned char *got;
	size_t glen;

	ck_assert_int_eq(cc_frame_encode(ping, sizeof(ping), body, blen, 0,
	    &fr), CC_OK);
	ck_assert_int_eq(tl_client_write(c, cc_frame_bytes(fr),
	    cc_frame_size(fr)), 0);
	cc_frame_unref(fr);
	ck_assert_int_eq(tl_client_read(c, tl_ms(10000), &f), 1);
	assert_json(f.hdr, json_pack("{s:s}", "type", "pong"));
	got = cc_frame_body(f.frame, &glen);
	ck_assert_uint_eq(glen, blen);
	if (blen > 0)
		ck_assert_mem_eq(got, body, blen);
	tl_frame_clear(&f);
}

START_TEST(test_ping_echo_exact)
{
	struct tl_client *c = it_client(mq);
	size_t n = 2u << 20;
	unsigned char *big = malloc(n + 5);

	ping_echo(c, NULL, 0);
	ping_echo(c, (const unsigned char *)"\xa3" "abc", 4);
	/* A 2 MiB bin body, every byte different from its neighbour. */
	ck_assert_ptr_nonnull(big);
	big[0] = 0xc6;
	big[1] = (unsigned char)(n >> 24);
	big[2] = (unsigned char)(n >> 16);
	big[3] = (unsigned char)(n >> 8);
	big[4] = (unsigned char)n;
	for (size_t i = 0; i < n; i++)
		big[5 + i] = (unsigned char)(i * 7 + (i >> 8));
	ping_echo(c, big, n + 5);
	free(big);
	it_expect_nothing(c);
	tl_client_free(c);
}
END_TEST

START_TEST(test_pipelined_frames)
{
	struct tl_client *c = it_client(mq);
	struct cc_frame *fr[3];
	unsigned char buf[256];
	size_t len = 0;
	struct tl_frame f;

	/* Three pings in one write: three pongs, in order. */
	for (int i = 0; i < 3; i++) {
		fr[i] = tl_frame_make(json_pack("{s:s}", "type", "ping"),
		    json_integer(i));
		memcpy(buf + len, cc_frame_bytes(fr[i]), cc_frame_size(fr[i]));
		len += cc_frame_size(fr[i]);
		cc_frame_unref(fr[i]);
	}
	ck_assert_int_eq(tl_client_write(c, buf, len), 0);
	for (int i = 0; i < 3; i++) {
		it_expect_frame(c, &f);
		ck_assert_str_eq(tl_frame_str(&f, "type"), "pong");
		ck_assert_int_eq(json_integer_value(f.body), i);
		tl_frame_clear(&f);
	}
	tl_client_free(c);
}
END_TEST

/*
 * A framing error: the bad client is disconnected and logged with its
 * lname and pid; a bystander connected before, and a client connected
 * after, keep working.
 */
static void
framing_error(const unsigned char *bytes, size_t len)
{
	struct tl_client *bad = it_client(mq), *ok = it_client(mq), *later;
	struct tl_frame f;
	char pid[32];

	it_subscribe_sync(ok, "Bystander", NULL);
	ck_assert_int_eq(tl_client_write(bad, bytes, len), 0);
	ck_assert_msg(tl_client_wait_eof(bad, WAIT) == 0,
	    "msgq kept a connection after a framing error");
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	ck_assert_msg(tl_log_wait_line(mq->log, bad->lname, pid, WAIT),
	    "no log line naming %s and pid %s", bad->lname, pid);
	it_expect_nothing(ok);
	later = it_client(mq);
	ck_assert_int_eq(tl_client_send_to(later, "Bystander", NULL,
	    json_pack("{}"), true, NULL), 0);
	it_expect_frame(ok, &f);
	ck_assert_str_eq(tl_frame_str(&f, "from"), later->lname);
	tl_frame_clear(&f);
	it_expect_nothing(later);
	tl_client_free(bad);
	tl_client_free(ok);
	tl_client_free(later);
}

START_TEST(test_framing_zero_hlen)
{
	static const unsigned char b[] = { 0, 0, 0, 3, 0, 0, 0x80 };

	framing_error(b, sizeof(b));
}
END_TEST

START_TEST(test_framing_length_below_two)
{
	static const unsigned char b1[] = { 0, 0, 0, 1, 0, 1 };
	static const unsigned char b0[] = { 0, 0, 0, 0, 0, 0 };

	framing_error(b1, sizeof(b1));
	framing_error(b0, sizeof(b0));
}
END_TEST

START_TEST(test_framing_hlen_beyond_length)
{
	static const unsigned char b[] = { 0, 0, 0, 5, 0, 9, 0x80, 0x80,
	    0x80 };

	framing_error(b, sizeof(b));
}
END_TEST

START_TEST(test_framing_oversized_length)
{
	/* 16 MiB + 1: refused from the prefix alone, nothing else sent. */
	static const unsigned char b[] = { 0x01, 0x00, 0x00, 0x01, 0x00, 0x01 };
	static const unsigned char huge[] = { 0xff, 0xff, 0xff, 0xff, 0x00,
	    0x01 };

	framing_error(b, sizeof(b));
	framing_error(huge, sizeof(huge));
}
END_TEST

static Suite *
errors_suite(void)
{
	Suite *s = suite_create("msgq errors");
	TCase *hdr = tcase_create("headers");
	TCase *shape = tcase_create("shapes");
	TCase *frm = tcase_create("framing");

	tcase_add_checked_fixture(hdr, setup, teardown);
	tcase_add_test(hdr, test_bad_header_without_seq_is_dropped);
	tcase_add_test(hdr, test_bad_header_wrong_field_type);
	tcase_add_test(hdr, test_bad_header_missing_type_or_group);
	tcase_add_test(hdr, test_unknown_type);
	tcase_add_test(hdr, test_sender_mismatch);
	suite_add_tcase(s, hdr);

	tcase_add_checked_fixture(shape, setup, teardown);
	tcase_add_test(shape, test_getlname_answer_shape);
	tcase_add_test(shape, test_golden_vectors);
	tcase_add_test(shape, test_ping_echo_exact);
	tcase_add_test(shape, test_pipelined_frames);
	suite_add_tcase(s, shape);

	tcase_add_checked_fixture(frm, setup, teardown);
	tcase_add_test(frm, test_framing_zero_hlen);
	tcase_add_test(frm, test_framing_length_below_two);
	tcase_add_test(frm, test_framing_hlen_beyond_length);
	tcase_add_test(frm, test_framing_oversized_length);
	suite_add_tcase(s, frm);
	return s;
}

int
main(void)
{
	return it_run(errors_suite());
}
