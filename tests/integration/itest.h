/*
 * Check-side helpers shared by the integration test programs: the
 * testlib.h calls wrapped in assertions, so a test reads as the protocol
 * steps it checks. Static inline because every program includes this and
 * uses only some of them.
 */
#ifndef ITEST_H
#define ITEST_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <check.h>
#include <jansson.h>

#include <cc/error.h>
#include <cc/wire.h>

#include "testlib.h"

/* The deadline for anything that should happen "at once". */
#define WAIT tl_ms(5000)

/* got must equal want (want is stolen); the message shows both. */
#define assert_json(got, want) do {					\
	char *d_ = tl_json_diff((got), (want));				\
	ck_assert_msg(d_ == NULL, "%s: %s", #got, d_);			\
} while (0)

/* The same for a got that is a new reference: both are stolen. */
#define assert_json_own(got, want) do {					\
	json_t *g_ = (got);						\
	assert_json(g_, want);						\
	json_decref(g_);						\
} while (0)

/* A running msgq with default options, or with the given ones. */
static inline struct tl_msgq *
it_msgq(void)
{
	struct tl_msgq *m = tl_msgq_new();

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(tl_msgq_start(m, NULL), 0);
	return m;
}

/*
 * Stop m if it still runs and free it. A daemon still running must stop in
 * order, with status 0: under a wrapper (valgrind --error-exitcode) this
 * is where its memory errors fail the test.
 */
static inline void
it_msgq_end(struct tl_msgq *m)
{
	if (m != NULL && m->pid > 0)
		ck_assert_int_eq(tl_msgq_stop(m), 0);
	tl_msgq_free(m);
}

/* A raw client that knows its lname. */
static inline struct tl_client *
it_client(const struct tl_msgq *m)
{
	struct tl_client *c = tl_client_new(m->sock);

	ck_assert_ptr_nonnull(c);
	return c;
}

static inline void
it_subscribe_sync(struct tl_client *c, const char *group,
    const char *instance)
{
	ck_assert_int_eq(tl_client_subscribe(c, group, instance), 0);
	ck_assert(tl_client_barrier(c, WAIT));
}

static inline void
it_expect_frame(struct tl_client *c, struct tl_frame *f)
{
	ck_assert_int_eq(tl_client_read(c, WAIT, f), 1);
	ck_assert_ptr_nonnull(f->hdr);
}

/* Nothing is queued for c: its next frame is the pong of a new ping. */
static inline void
it_expect_nothing(struct tl_client *c)
{
	ck_assert_msg(tl_client_barrier(c, WAIT), "%s received a frame",
	    c->lname);
}

/* A send header from c; to and instance NULL mean "*". */
static inline json_t *
it_send_header(struct tl_client *c, const char *group, const char *instance,
    const char *to, bool want)
{
	json_t *h = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "type",
	    "send", "from", c->lname, "to", to != NULL ? to : "*", "group",
	    group, "instance", instance != NULL ? instance : "*", "seq",
	    (json_int_t)c->seq++);

	if (want)
		json_object_set_new(h, "want_answer", json_true());
	return h;
}

/* Encode header + body (both stolen), write them; the frame sent. */
static inline struct cc_frame *
it_send_frame(struct tl_client *c, json_t *header, json_t *body)
{
	struct cc_frame *f = tl_frame_make(header, body);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(tl_client_write(c, cc_frame_bytes(f),
	    cc_frame_size(f)), 0);
	return f;
}

/* The same, when the test does not need the frame afterwards. */
static inline void
it_send(struct tl_client *c, json_t *header, json_t *body)
{
	cc_frame_unref(it_send_frame(c, header, body));
}

/* The frame f must carry exactly the bytes of sent. */
static inline void
it_expect_same_bytes(const struct tl_frame *f, const struct cc_frame *sent)
{
	ck_assert_uint_eq(cc_frame_size(f->frame), cc_frame_size(sent));
	ck_assert_mem_eq(cc_frame_bytes(f->frame), cc_frame_bytes(sent),
	    cc_frame_size(sent));
}

/* Run the suite; the exit status for main(). */
static inline int
it_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	if (tl_tmproot_make() == -1) {
		perror("temporary directory");
		return EXIT_FAILURE;
	}
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	tl_cleanup();
	tl_tmproot_remove();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
