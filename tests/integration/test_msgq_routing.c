/*
 * Routing of `send` through a real ccbus-msgq (PROTOCOL.md section 5):
 * direct sends by lname, group sends with the instance wildcard on the
 * subscriber's side only, byte-for-byte forwarding, order, the exact
 * no-recipient answer and when it must not be sent.
 *
 * "Nothing arrived" is proven with ping barriers, never with a sleep: once
 * the sender's pong is back msgq has handled its frame, and a recipient
 * whose own pong then comes first was queued nothing.
 */
#include "config.h"

#include <string.h>

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

START_TEST(test_direct_send_by_lname)
{
	struct tl_client *a = it_client(mq), *b = it_client(mq);
	struct tl_client *other = it_client(mq);
	struct cc_frame *sent;
	struct tl_frame f;
	json_t *h;

	/* other is in the group: a direct send must not use the group. */
	it_subscribe_sync(other, "Direct", NULL);
	h = it_send_header(a, "Direct", NULL, b->lname, true);
	json_object_set_new(h, "x-unknown", json_pack("[i,s]", 7, "kept"));
	sent = it_send_frame(a, h, json_pack("{s:s}", "hello", "world"));

	it_expect_frame(b, &f);
	it_expect_same_bytes(&f, sent);
	assert_json(f.body, json_pack("{s:s}", "hello", "world"));
	tl_frame_clear(&f);
	/* Delivered, so no error for a; nothing for the others. */
	it_expect_nothing(a);
	it_expect_nothing(b);
	it_expect_nothing(other);
	cc_frame_unref(sent);
	tl_client_free(a);
	tl_client_free(b);
	tl_client_free(other);
}
END_TEST

START_TEST(test_group_send_ten_subscribers)
{
	struct tl_client *subs[10], *pub = it_client(mq);
	struct cc_frame *sent;
	struct tl_frame f;

	for (int i = 0; i < 10; i++) {
		subs[i] = it_client(mq);
		it_subscribe_sync(subs[i], "Fan", NULL);
	}
	/* A repeated subscribe is a no-op: still one copy. */
	it_subscribe_sync(subs[3], "Fan", NULL);
	/* The sender is subscribed too but never gets its own message. */
	it_subscribe_sync(pub, "Fan", NULL);
	sent = it_send_frame(pub, it_send_header(pub, "Fan", NULL, NULL, true),
	    json_pack("{s:[s]}", "command", "ten"));
	it_expect_nothing(pub);
	for (int i = 0; i < 10; i++) {
		it_expect_frame(subs[i], &f);
		it_expect_same_bytes(&f, sent);
		tl_frame_clear(&f);
		it_expect_nothing(subs[i]);
		tl_client_free(subs[i]);
	}
	cc_frame_unref(sent);
	tl_client_free(pub);
}
END_TEST

/* c[i] received one copy of sent if want[i], and nothing else. */
static void
expect_receivers(struct tl_client **c, const bool *want, int n,
    const struct cc_frame *sent)
{
	struct tl_frame f;

	for (int i = 0; i < n; i++) {
		if (want[i]) {
			it_expect_frame(c[i], &f);
			it_expect_same_bytes(&f, sent);
			tl_frame_clear(&f);
		}
		it_expect_nothing(c[i]);
	}
}

START_TEST(test_instance_wildcard_on_subscriber_side)
{
	struct tl_client *pub = it_client(mq);
	struct tl_client *c[3] = { it_client(mq), it_client(mq),
	    it_client(mq) };
	static const bool to_x[3] = { true, true, true };
	static const bool to_star[3] = { false, true, true };
	static const bool to_y[3] = { false, true, true };
	struct cc_frame *sent;

	it_subscribe_sync(c[0], "Inst", "x");	/* only x */
	it_subscribe_sync(c[1], "Inst", "*");	/* the wildcard */
	it_subscribe_sync(c[2], "Inst", "x");	/* both: still once */
	it_subscribe_sync(c[2], "Inst", "*");

	sent = it_send_frame(pub, it_send_header(pub, "Inst", "x", NULL, false),
	    json_pack("{s:i}", "n", 1));
	it_expect_nothing(pub);
	expect_receivers(c, to_x, 3, sent);
	cc_frame_unref(sent);

	sent = it_send_frame(pub, it_send_header(pub, "Inst", "*", NULL, false),
	    json_pack("{s:i}", "n", 2));
	it_expect_nothing(pub);
	expect_receivers(c, to_star, 3, sent);
	cc_frame_unref(sent);

	sent = it_send_frame(pub, it_send_header(pub, "Inst", "y", NULL, false),
	    json_pack("{s:i}", "n", 3));
	it_expect_nothing(pub);
	expect_receivers(c, to_y, 3, sent);
	cc_frame_unref(sent);
	for (int i = 0; i < 3; i++)
		tl_client_free(c[i]);
	tl_client_free(pub);
}
END_TEST

START_TEST(test_missing_instance_and_to_mean_star)
{
	struct tl_client *pub = it_client(mq), *star = it_client(mq);
	struct tl_client *x = it_client(mq);
	struct cc_frame *sent;
	struct tl_frame f;

	/* A subscribe without instance subscribes to "*". */
	ck_assert_int_eq(tl_client_send(star, json_pack("{s:s, s:s}", "type",
	    "subscribe", "group", "Miss"), NULL), 0);
	ck_assert(tl_client_barrier(star, WAIT));
	it_subscribe_sync(x, "Miss", "x");
	sent = it_send_frame(pub, json_pack("{s:s, s:s, s:s, s:I}", "type",
	    "send", "from", pub->lname, "group", "Miss", "seq",
	    (json_int_t)1), json_pack("{s:b}", "bare", 1));
	it_expect_nothing(pub);
	it_expect_frame(star, &f);
	it_expect_same_bytes(&f, sent);
	tl_frame_clear(&f);
	it_expect_nothing(star);
	it_expect_nothing(x);
	cc_frame_unref(sent);
	tl_client_free(pub);
	tl_client_free(star);
	tl_client_free(x);
}
END_TEST

START_TEST(test_order_from_one_sender)
{
	struct tl_client *a = it_client(mq), *b = it_client(mq);
	struct tl_frame f;
	json_int_t n;

	for (int i = 0; i < 300; i++)
		ck_assert_int_eq(tl_client_send_to(a, "Order", b->lname,
		    json_pack("{s:i}", "n", i), false, NULL), 0);
	for (int i = 0; i < 300; i++) {
		it_expect_frame(b, &f);
		ck_assert(json_unpack(f.body, "{s:I}", "n", &n) == 0);
		ck_assert_int_eq(n, i);
		tl_frame_clear(&f);
	}
	it_expect_nothing(b);
	tl_client_free(a);
	tl_client_free(b);
}
END_TEST

/* The no-recipient answer of PROTOCOL.md 5.6, every field checked. */
static void
expect_no_recipient(struct tl_client *a, json_t *sent_header, int64_t seq)
{
	struct tl_frame f;
	json_t *want = json_deep_copy(sent_header);

	json_object_set_new(want, "reply", json_integer(seq));
	json_object_set_new(want, "from", json_string("msgq"));
	json_object_set_new(want, "to", json_string(a->lname));
	it_expect_frame(a, &f);
	assert_json(f.hdr, want);
	assert_json(f.body, json_pack("{s:[i,s]}", "result", -1,
	    "No such recipient"));
	tl_frame_clear(&f);
	it_expect_nothing(a);
}

START_TEST(test_no_recipient_group)
{
	struct tl_client *a = it_client(mq);
	json_t *h = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:b}", "type",
	    "send", "from", a->lname, "to", "*", "group", "Nobody",
	    "instance", "i1", "seq", 42, "want_answer", 1);

	json_incref(h);
	it_send(a, h, json_pack("{s:[s]}", "command",
	    "hello"));
	expect_no_recipient(a, h, 42);
	json_decref(h);
	tl_client_free(a);
}
END_TEST

/* Close c and wait for msgq's "disconnected" event about it. */
static void
close_and_wait(struct tl_client *c)
{
	struct tl_client *w = it_client(mq);
	char lname[sizeof(c->lname)];

	memcpy(lname, c->lname, sizeof(lname));
	ck_assert_int_eq(tl_client_watch_members(w), 0);
	tl_client_free(c);
	ck_assert(tl_client_wait_note(w, "disconnected", lname, WAIT));
	tl_client_free(w);
}

START_TEST(test_no_recipient_direct)
{
	struct tl_client *a = it_client(mq), *gone = it_client(mq);
	char lname[sizeof(gone->lname)];
	json_t *h;

	/* An lname that never existed, and one that did. */
	h = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:b}", "type", "send",
	    "from", a->lname, "to", "nobody@nowhere", "group", "G",
	    "instance", "*", "seq", -5, "want_answer", 1);
	json_incref(h);
	it_send(a, h, NULL);
	expect_no_recipient(a, h, -5);
	json_decref(h);

	memcpy(lname, gone->lname, sizeof(lname));
	close_and_wait(gone);
	h = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:b}", "type", "send",
	    "from", a->lname, "to", lname, "group", "G", "instance", "*",
	    "seq", 1000000, "want_answer", 1);
	json_incref(h);
	it_send(a, h, json_pack("{}"));
	expect_no_recipient(a, h, 1000000);
	json_decref(h);
	tl_client_free(a);
}
END_TEST

START_TEST(test_no_error_without_want_answer_or_with_reply)
{
	struct tl_client *a = it_client(mq);
	json_t *h;

	/* want_answer absent. */
	it_send(a, it_send_header(a, "Nobody", NULL, NULL,
	    false), json_pack("{s:i}", "x", 1));
	/* want_answer false. */
	h = it_send_header(a, "Nobody", NULL, NULL, false);
	json_object_set_new(h, "want_answer", json_false());
	it_send(a, h, NULL);
	/* An answer (reply present) with want_answer: errors cannot loop. */
	h = it_send_header(a, "Nobody", NULL, NULL, true);
	json_object_set_new(h, "reply", json_integer(17));
	it_send(a, h, json_pack("{s:[i]}", "result", 0));
	/* Same, directly to an lname that does not exist. */
	h = it_send_header(a, "Nobody", NULL, "nobody@nowhere", true);
	json_object_set_new(h, "reply", json_integer(18));
	it_send(a, h, json_pack("{s:[i]}", "result", 0));
	it_expect_nothing(a);
	tl_client_free(a);
}
END_TEST

START_TEST(test_no_recipient_after_unsubscribe)
{
	struct tl_client *a = it_client(mq), *b = it_client(mq);
	struct tl_frame f;
	json_t *h;

	it_subscribe_sync(b, "Unsub", NULL);
	it_send(a, it_send_header(a, "Unsub", NULL, NULL,
	    true), json_pack("{s:i}", "n", 1));
	it_expect_nothing(a);
	it_expect_frame(b, &f);
	tl_frame_clear(&f);

	ck_assert_int_eq(tl_client_unsubscribe(b, "Unsub", NULL), 0);
	/* Unsubscribing again is a no-op and keeps the connection. */
	ck_assert_int_eq(tl_client_unsubscribe(b, "Unsub", NULL), 0);
	ck_assert(tl_client_barrier(b, WAIT));

	h = it_send_header(a, "Unsub", NULL, NULL, true);
	json_incref(h);
	it_send(a, h, json_pack("{s:i}", "n", 2));
	expect_no_recipient(a, h, json_integer_value(json_object_get(h,
	    "seq")));
	json_decref(h);
	it_expect_nothing(b);
	tl_client_free(a);
	tl_client_free(b);
}
END_TEST

START_TEST(test_unsubscribe_one_instance_keeps_other)
{
	struct tl_client *a = it_client(mq), *b = it_client(mq);
	struct tl_frame f;

	it_subscribe_sync(b, "Two", "x");
	it_subscribe_sync(b, "Two", "y");
	ck_assert_int_eq(tl_client_unsubscribe(b, "Two", "x"), 0);
	ck_assert(tl_client_barrier(b, WAIT));
	ck_assert_int_eq(tl_client_send_to(a, "Two", NULL, json_pack("{}"),
	    true, NULL), 0);
	/* instance "*" reaches neither x nor y subscribers. */
	ck_assert_int_eq(tl_client_read(a, WAIT, &f), 1);
	ck_assert_str_eq(tl_frame_str(&f, "from"), "msgq");
	tl_frame_clear(&f);
	it_send(a, it_send_header(a, "Two", "y", NULL, true),
	    NULL);
	it_expect_nothing(a);
	it_expect_frame(b, &f);
	ck_assert_str_eq(tl_frame_str(&f, "instance"), "y");
	tl_frame_clear(&f);
	it_expect_nothing(b);
	tl_client_free(a);
	tl_client_free(b);
}
END_TEST

static Suite *
routing_suite(void)
{
	Suite *s = suite_create("msgq routing");
	TCase *tc = tcase_create("send");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_direct_send_by_lname);
	tcase_add_test(tc, test_group_send_ten_subscribers);
	tcase_add_test(tc, test_instance_wildcard_on_subscriber_side);
	tcase_add_test(tc, test_missing_instance_and_to_mean_star);
	tcase_add_test(tc, test_order_from_one_sender);
	tcase_add_test(tc, test_no_recipient_group);
	tcase_add_test(tc, test_no_recipient_direct);
	tcase_add_test(tc, test_no_error_without_want_answer_or_with_reply);
	tcase_add_test(tc, test_no_recipient_after_unsubscribe);
	tcase_add_test(tc, test_unsubscribe_one_instance_keeps_other);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return it_run(routing_suite());
}
