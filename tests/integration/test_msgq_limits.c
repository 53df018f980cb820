/*
 * msgq's limits (PROTOCOL.md 2 and 6) on a real ccbus-msgq started with
 * small ones: a subscriber that never reads is disconnected once its
 * output queue would pass max_queue while the others receive everything;
 * max_frame is inclusive; max_queue below max_frame is refused at start.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"

#define MAX_FRAME	65536
#define MAX_QUEUE	262144
#define FLOOD_FRAMES	200
#define FLOOD_PAD	60000

static struct tl_msgq *mq;

static void
setup(void)
{
	mq = tl_msgq_new();
	ck_assert_ptr_nonnull(mq);
	ck_assert_int_eq(tl_msgq_start(mq, "--max-frame", "65536",
	    "--max-queue", "262144", NULL), 0);
}

static void
teardown(void)
{
	it_msgq_end(mq);
	mq = NULL;
}

static json_t *
flood_body(int n, const char *pad)
{
	return json_pack("{s:i, s:s}", "n", n, "pad", pad);
}

/* Read frames from c until EOF; how many, checking they are 0, 1, ... */
static int
drain_in_order(struct tl_client *c)
{
	int64_t deadline = tl_now_ms() + WAIT;
	struct tl_frame f;
	json_int_t n;
	int count = 0;

	while (tl_client_read(c, (int)(deadline - tl_now_ms()), &f) == 1) {
		ck_assert(json_unpack(f.body, "{s:I}", "n", &n) == 0);
		ck_assert_int_eq(n, count);
		count++;
		tl_frame_clear(&f);
	}
	ck_assert_msg(c->eof, "the slow client was not disconnected");
	return count;
}

/* The sum of stats.disconnects over its reasons. */
static json_int_t
disconnects(struct tl_client *c)
{
	struct tl_frame f;
	json_t *d, *v;
	const char *reason;
	json_int_t sum = 0;

	ck_assert_int_eq(tl_client_msgq_cmd(c, "stats", NULL, &f), 0);
	d = json_object_get(json_array_get(json_object_get(f.body, "result"),
	    1), "disconnects");
	ck_assert_msg(json_is_object(d), "stats has no disconnects object");
	json_object_foreach(d, reason, v)
		sum += json_integer_value(v);
	tl_frame_clear(&f);
	return sum;
}

START_TEST(test_slow_reader_disconnected)
{
	struct tl_client *w = it_client(mq), *pub = it_client(mq);
	struct tl_client *slow = it_client(mq), *fast = it_client(mq);
	char *pad = malloc(FLOOD_PAD + 1), pid[32];
	struct tl_frame f;
	json_int_t n;
	int got;

	ck_assert_ptr_nonnull(pad);
	memset(pad, 'p', FLOOD_PAD);
	pad[FLOOD_PAD] = '\0';
	ck_assert_int_eq(tl_client_watch_members(w), 0);
	it_subscribe_sync(slow, "Flood", NULL);
	it_subscribe_sync(fast, "Flood", NULL);
	/* 12 MB through a 256 KiB queue: only a reader keeps up. */
	for (int i = 0; i < FLOOD_FRAMES; i++) {
		ck_assert_int_eq(tl_client_send_to(pub, "Flood", NULL,
		    flood_body(i, pad), false, NULL), 0);
		it_expect_frame(fast, &f);
		ck_assert(json_unpack(f.body, "{s:I}", "n", &n) == 0);
		ck_assert_int_eq(n, i);
		tl_frame_clear(&f);
	}
	it_expect_nothing(fast);
	it_expect_nothing(pub);
	got = drain_in_order(slow);
	ck_assert_int_lt(got, FLOOD_FRAMES);
	ck_assert(tl_client_wait_note(w, "disconnected", slow->lname, WAIT));
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	ck_assert_msg(tl_log_wait_line(mq->log, slow->lname, pid, WAIT),
	    "no warning naming %s and its pid", slow->lname);
	ck_assert_int_ge(disconnects(pub), 1);
	free(pad);
	tl_client_free(w);
	tl_client_free(pub);
	tl_client_free(slow);
	tl_client_free(fast);
}
END_TEST

/* A ping whose frame has exactly length `length` (the u32 field). */
static struct cc_frame *
ping_of_length(size_t length)
{
	static const unsigned char ping[] = { 0x81, 0xa4, 't', 'y', 'p', 'e',
	    0xa4, 'p', 'i', 'n', 'g' };
	size_t blen = length - 2 - sizeof(ping), data = blen - 3;
	unsigned char *body = malloc(blen);
	struct cc_frame *fr;

	ck_assert_ptr_nonnull(body);
	body[0] = 0xc5;			/* bin 16 */
	body[1] = (unsigned char)(data >> 8);
	body[2] = (unsigned char)data;
	memset(body + 3, 'b', data);
	ck_assert_int_eq(cc_frame_encode(ping, sizeof(ping), body, blen, 0,
	    &fr), CC_OK);
	free(body);
	return fr;
}

START_TEST(test_max_frame_is_inclusive)
{
	struct tl_client *c = it_client(mq), *other = it_client(mq);
	struct cc_frame *fr = ping_of_length(MAX_FRAME);
	struct tl_frame f;

	ck_assert_uint_eq(cc_frame_size(fr), MAX_FRAME + 4);
	ck_assert_int_eq(tl_client_write(c, cc_frame_bytes(fr),
	    cc_frame_size(fr)), 0);
	cc_frame_unref(fr);
	it_expect_frame(c, &f);
	ck_assert_str_eq(tl_frame_str(&f, "type"), "pong");
	ck_assert_uint_eq(cc_frame_size(f.frame), MAX_FRAME + 4);
	tl_frame_clear(&f);

	fr = ping_of_length(MAX_FRAME + 1);
	/* Only the prefix: msgq must judge the length from it alone. */
	ck_assert_int_eq(tl_client_write(c, cc_frame_bytes(fr), 6), 0);
	cc_frame_unref(fr);
	ck_assert_int_eq(tl_client_wait_eof(c, WAIT), 0);
	it_expect_nothing(other);
	tl_client_free(c);
	tl_client_free(other);
}
END_TEST

START_TEST(test_max_queue_below_max_frame_refused)
{
	struct tl_msgq *m = tl_msgq_new();
	const char *args[] = { "-s", NULL, "--max-frame", "1048576",
	    "--max-queue", "524288", NULL };

	ck_assert_ptr_nonnull(m);
	args[1] = m->sock;
	ck_assert_int_eq(tl_msgq_run(m, args, WAIT), 1);
	ck_assert_int_ne(access(m->sock, F_OK), 0);
	tl_msgq_free(m);
}
END_TEST

static void
expect_refused(const char *value)
{
	struct tl_msgq *m = tl_msgq_new();
	const char *args[] = { "-s", NULL, "--busy-poll", value, NULL };

	ck_assert_ptr_nonnull(m);
	args[1] = m->sock;
	ck_assert_msg(tl_msgq_run(m, args, WAIT) == 1,
	    "--busy-poll %s was not refused", value);
	ck_assert_msg(tl_file_contains(m->log, "--busy-poll"),
	    "the error for --busy-poll %s does not name the option", value);
	tl_msgq_free(m);
}

START_TEST(test_busy_poll_bad_values)
{
	expect_refused("abc");
	expect_refused("-5");
	expect_refused("100001");
}
END_TEST

/* A frame through a busy-polling msgq, the Msgq group's answer, then an
 * orderly exit: by SIGTERM (_i 0) or by the shutdown command (_i 1). */
START_TEST(test_busy_poll_routes_and_stops)
{
	struct tl_msgq *m = tl_msgq_new();
	struct tl_client *a, *b;
	struct tl_frame f;
	int64_t seq, reply;
	char *text;

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(tl_msgq_start(m, "--busy-poll", "2000", NULL), 0);
	a = tl_client_new(m->sock);
	b = tl_client_new(m->sock);
	ck_assert(a != NULL && b != NULL);
	ck_assert_int_eq(tl_client_subscribe(b, "Spin", NULL), 0);
	ck_assert(tl_client_barrier(b, WAIT));
	ck_assert_int_eq(tl_client_send_to(a, "Spin", "*",
	    json_pack("{s:i}", "n", 7), true, &seq), 0);
	ck_assert_int_eq(tl_client_read(b, WAIT, &f), 1);
	ck_assert_str_eq(tl_frame_str(&f, "from"), a->lname);
	ck_assert(tl_frame_int(&f, "seq", &reply) && reply == seq);
	tl_frame_clear(&f);
	if (_i == 0) {
		ck_assert_int_eq(tl_msgq_stop(m), 0);
	} else {
		ck_assert_int_eq(tl_client_msgq_cmd(a, "shutdown", NULL, &f),
		    0);
		text = tl_json_text(f.body);
		ck_assert_str_eq(text, "{\"result\":[0]}");
		free(text);
		tl_frame_clear(&f);
		ck_assert_int_eq(tl_msgq_wait_exit(m, WAIT), 0);
	}
	ck_assert_int_ne(access(m->sock, F_OK), 0);
	tl_client_free(a);
	tl_client_free(b);
	tl_msgq_free(m);
}
END_TEST

static Suite *
limits_suite(void)
{
	Suite *s = suite_create("msgq limits");
	TCase *tc = tcase_create("limits");
	TCase *opt = tcase_create("options");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_slow_reader_disconnected);
	tcase_add_test(tc, test_max_frame_is_inclusive);
	suite_add_tcase(s, tc);
	tcase_add_test(opt, test_max_queue_below_max_frame_refused);
	tcase_add_test(opt, test_busy_poll_bad_values);
	tcase_add_loop_test(opt, test_busy_poll_routes_and_stops, 0, 2);
	suite_add_tcase(s, opt);
	return s;
}

int
main(void)
{
	return it_run(limits_suite());
}
