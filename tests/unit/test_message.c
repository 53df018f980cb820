/*
 * Unit tests for cc/message.h: the command / answer / notification
 * builders and parsers (every well-formed shape, and every malformed one
 * refused with CC_EPROTO and nothing set), and the cc_msg accessors on
 * messages made from frames built with cc_frame_build().
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "cc/codec.h"
#include "session-internal.h"

/* A message from a frame with header h and body (NULL: none). */
static struct cc_msg *
msg_of(const struct cc_header *h, const json_t *body)
{
	struct cc_header parser;
	struct cc_frame *f;
	struct cc_msg *m;
	char *buf = NULL;
	size_t len = 0;

	if (body != NULL)
		ck_assert_int_eq(cc_json_pack(body, &buf, &len, NULL, 0),
		    CC_OK);
	ck_assert_int_eq(cc_frame_build(h, buf, len, 0, &f), CC_OK);
	free(buf);
	cc_header_init(&parser);
	ck_assert_int_eq(libcc_msg_parse(&parser, f, &m), CC_OK);
	cc_header_clear(&parser);
	return m;
}

/* A message from raw header and body bytes. */
static struct cc_msg *
msg_raw(const void *hdr, size_t hlen, const void *body, size_t blen)
{
	struct cc_header parser;
	struct cc_frame *f;
	struct cc_msg *m;

	ck_assert_int_eq(cc_frame_encode(hdr, hlen, body, blen, 0, &f), CC_OK);
	cc_header_init(&parser);
	ck_assert_int_eq(libcc_msg_parse(&parser, f, &m), CC_OK);
	cc_header_clear(&parser);
	return m;
}

static void
assert_json(const json_t *got, const char *want_text)
{
	json_t *want = json_loads(want_text, JSON_DECODE_ANY, NULL);

	ck_assert_ptr_nonnull(want);
	ck_assert_msg(json_equal((json_t *)got, want), "got %s, want %s",
	    got != NULL ? json_dumps(got, JSON_ENCODE_ANY) : "NULL",
	    want_text);
	json_decref(want);
}

START_TEST(test_command_new)
{
	json_t *args = json_pack("{s:i}", "a", 1), *b;

	b = cc_command_new("show", NULL);
	assert_json(b, "{\"command\": [\"show\"]}");
	json_decref(b);
	b = cc_command_new("set", args);
	assert_json(b, "{\"command\": [\"set\", {\"a\": 1}]}");
	/* args is not stolen: the body took a reference of its own. */
	ck_assert_int_eq(args->refcount, 2);
	json_decref(b);
	ck_assert_int_eq(args->refcount, 1);
	json_decref(args);
	ck_assert_ptr_null(cc_command_new(NULL, NULL));
}
END_TEST

START_TEST(test_answer_new)
{
	json_t *v = json_string("x"), *b;

	b = cc_answer_new(0, NULL);
	assert_json(b, "{\"result\": [0]}");
	json_decref(b);
	b = cc_answer_new(3, v);
	assert_json(b, "{\"result\": [3, \"x\"]}");
	json_decref(b);
	ck_assert_int_eq(v->refcount, 1);
	json_decref(v);
}
END_TEST

START_TEST(test_answer_error)
{
	json_t *b;

	b = cc_answer_error(1, "unknown command: %s (%d)", "frob", 7);
	assert_json(b, "{\"result\": [1, \"unknown command: frob (7)\"]}");
	json_decref(b);
	/* Bytes from a peer that are not UTF-8 must not fail the answer. */
	b = cc_answer_error(2, "bad: %s", "a\xff" "b");
	assert_json(b, "{\"result\": [2, \"bad: a?b\"]}");
	json_decref(b);
}
END_TEST

START_TEST(test_notification_new)
{
	json_t *p = json_pack("{s:s}", "client", "c1"), *b;

	b = cc_notification_new("connected", NULL);
	assert_json(b, "{\"notification\": [\"connected\"]}");
	json_decref(b);
	b = cc_notification_new("connected", p);
	assert_json(b,
	    "{\"notification\": [\"connected\", {\"client\": \"c1\"}]}");
	json_decref(b);
	json_decref(p);
}
END_TEST

START_TEST(test_command_parse)
{
	const char *name = NULL;
	json_t *b, *args = NULL;

	b = json_loads("{\"command\": [\"show\"]}", 0, NULL);
	ck_assert_int_eq(cc_command_parse(b, &name, &args), CC_OK);
	ck_assert_str_eq(name, "show");
	ck_assert_ptr_null(args);
	json_decref(b);
	b = json_loads("{\"command\": [\"set\", {\"a\": 1}], \"x\": 0}", 0,
	    NULL);
	ck_assert_int_eq(cc_command_parse(b, &name, &args), CC_OK);
	ck_assert_str_eq(name, "set");
	assert_json(args, "{\"a\": 1}");
	json_decref(b);
	/* Round trip through the builder. */
	b = cc_command_new("go", json_null());
	ck_assert_int_eq(cc_command_parse(b, &name, &args), CC_OK);
	ck_assert_str_eq(name, "go");
	ck_assert(json_is_null(args));
	json_decref(b);
}
END_TEST

/* Every shape that is not a command, answer or notification. */
static const char *const malformed_common[] = {
	"[]", "\"command\"", "null", "42", "{}",
	"{\"KEY\": null}", "{\"KEY\": \"x\"}", "{\"KEY\": {}}",
	"{\"KEY\": []}", "{\"KEY\": [\"a\", 1, 2]}", "{\"KEY\": [null]}",
	"{\"KEY\": [[\"a\"]]}", "{\"KEY\": [{}]}",
};

/* The malformed shape i with KEY replaced by key. */
static json_t *
malformed(size_t i, const char *key)
{
	char text[128], *at;
	json_t *b;

	snprintf(text, sizeof(text), "%s", malformed_common[i]);
	if ((at = strstr(text, "KEY")) != NULL) {
		memmove(at + strlen(key), at + 3, strlen(at + 3) + 1);
		memcpy(at, key, strlen(key));
	}
	b = json_loads(text, JSON_DECODE_ANY, NULL);
	ck_assert_ptr_nonnull(b);
	return b;
}

START_TEST(test_command_parse_malformed)
{
	const char *name = "unset";
	json_t *b, *args = (json_t *)&name;

	b = malformed((size_t)_i, "command");
	ck_assert_int_eq(cc_command_parse(b, &name, &args), CC_EPROTO);
	ck_assert_str_eq(name, "unset");
	ck_assert_ptr_eq(args, (json_t *)&name);
	json_decref(b);
}
END_TEST

START_TEST(test_notification_parse_malformed)
{
	const char *event = "unset";
	json_t *b, *params = (json_t *)&event;

	b = malformed((size_t)_i, "notification");
	ck_assert_int_eq(cc_notification_parse(b, &event, &params),
	    CC_EPROTO);
	ck_assert_str_eq(event, "unset");
	ck_assert_ptr_eq(params, (json_t *)&event);
	json_decref(b);
}
END_TEST

START_TEST(test_answer_parse_malformed)
{
	int rcode = 99;
	json_t *b, *value = (json_t *)&rcode;

	b = malformed((size_t)_i, "result");
	ck_assert_int_eq(cc_answer_parse(b, &rcode, &value), CC_EPROTO);
	ck_assert_int_eq(rcode, 99);
	ck_assert_ptr_eq(value, (json_t *)&rcode);
	json_decref(b);
}
END_TEST

START_TEST(test_parse_wrong_key_or_null)
{
	const char *name;
	json_t *b, *rest;
	int rcode;

	b = json_loads("{\"result\": [0]}", 0, NULL);
	ck_assert_int_eq(cc_command_parse(b, &name, &rest), CC_EPROTO);
	ck_assert_int_eq(cc_notification_parse(b, &name, &rest), CC_EPROTO);
	json_decref(b);
	b = json_loads("{\"command\": [\"x\"]}", 0, NULL);
	ck_assert_int_eq(cc_answer_parse(b, &rcode, &rest), CC_EPROTO);
	json_decref(b);
	ck_assert_int_eq(cc_command_parse(NULL, &name, &rest), CC_EPROTO);
	ck_assert_int_eq(cc_answer_parse(NULL, &rcode, &rest), CC_EPROTO);
	ck_assert_int_eq(cc_notification_parse(NULL, &name, &rest),
	    CC_EPROTO);
}
END_TEST

START_TEST(test_answer_parse)
{
	static const struct {
		const char *text;
		int rcode;
		const char *value;	/* NULL: none */
	} ok[] = {
		{ "{\"result\": [0]}", 0, NULL },
		{ "{\"result\": [0, {\"a\": [1, 2]}]}", 0, "{\"a\": [1, 2]}" },
		{ "{\"result\": [0, null]}", 0, "null" },
		{ "{\"result\": [1, \"it broke\"]}", 1, "\"it broke\"" },
		{ "{\"result\": [-1, \"No such recipient\"]}", -1,
		    "\"No such recipient\"" },
		{ "{\"result\": [7]}", 7, NULL },
	};
	json_t *b, *value;
	size_t i;
	int rcode;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		b = json_loads(ok[i].text, 0, NULL);
		ck_assert_int_eq(cc_answer_parse(b, &rcode, &value), CC_OK);
		ck_assert_int_eq(rcode, ok[i].rcode);
		if (ok[i].value == NULL)
			ck_assert_ptr_null(value);
		else
			assert_json(value, ok[i].value);
		json_decref(b);
	}
}
END_TEST

START_TEST(test_answer_parse_bad_rcode)
{
	static const char *const bad[] = {
		"{\"result\": [\"0\"]}",
		"{\"result\": [0.0]}",
		"{\"result\": [true]}",
		"{\"result\": [null, \"x\"]}",
		"{\"result\": [4294967296]}",
		"{\"result\": [-4294967296, \"x\"]}",
		/* An error's value is its text (PROTOCOL.md 7). */
		"{\"result\": [1, 5]}",
		"{\"result\": [1, {\"why\": \"x\"}]}",
		"{\"result\": [-1, null]}",
	};
	json_t *b, *value = NULL;
	size_t i;
	int rcode = 99;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = json_loads(bad[i], 0, NULL);
		ck_assert_ptr_nonnull(b);
		ck_assert_msg(cc_answer_parse(b, &rcode, &value) == CC_EPROTO,
		    "%s accepted", bad[i]);
		ck_assert_int_eq(rcode, 99);
		json_decref(b);
	}
}
END_TEST

START_TEST(test_notification_parse)
{
	const char *event;
	json_t *b, *params;

	b = cc_notification_new("subscribed", NULL);
	ck_assert_int_eq(cc_notification_parse(b, &event, &params), CC_OK);
	ck_assert_str_eq(event, "subscribed");
	ck_assert_ptr_null(params);
	json_decref(b);
	b = json_loads("{\"notification\": [\"gone\", {\"client\": \"c\"}]}",
	    0, NULL);
	ck_assert_int_eq(cc_notification_parse(b, &event, &params), CC_OK);
	ck_assert_str_eq(event, "gone");
	assert_json(params, "{\"client\": \"c\"}");
	json_decref(b);
}
END_TEST

START_TEST(test_msg_fields)
{
	struct cc_header h = {
		.type = LIBCC_STRREF("send"),
		.from = LIBCC_STRREF("a_1@host"),
		.to = LIBCC_STRREF("*"),
		.group = LIBCC_STRREF("Boss"),
		.instance = LIBCC_STRREF("i"),
		.seq = 41,
		.reply = -3,
		.flags = CC_HDR_SEQ | CC_HDR_REPLY | CC_HDR_WANT_ANSWER,
	};
	struct cc_msg *m;
	int64_t n;

	m = msg_of(&h, NULL);
	ck_assert_str_eq(cc_msg_type(m), "send");
	ck_assert_str_eq(cc_msg_from(m), "a_1@host");
	ck_assert_str_eq(cc_msg_to(m), "*");
	ck_assert_str_eq(cc_msg_group(m), "Boss");
	ck_assert_str_eq(cc_msg_instance(m), "i");
	ck_assert(cc_msg_seq(m, &n));
	ck_assert_int_eq(n, 41);
	ck_assert(cc_msg_reply(m, &n));
	ck_assert_int_eq(n, -3);
	ck_assert(cc_msg_reply(m, NULL));
	ck_assert(cc_msg_want_answer(m));
	ck_assert(cc_msg_is_answer(m));
	cc_msg_unref(m);
}
END_TEST

START_TEST(test_msg_absent_fields)
{
	struct cc_header h = { .type = LIBCC_STRREF("pong") };
	struct cc_msg *m;
	int64_t n = 5;

	m = msg_of(&h, NULL);
	ck_assert_str_eq(cc_msg_type(m), "pong");
	ck_assert_ptr_null(cc_msg_from(m));
	ck_assert_ptr_null(cc_msg_to(m));
	ck_assert_ptr_null(cc_msg_group(m));
	ck_assert_ptr_null(cc_msg_instance(m));
	ck_assert(!cc_msg_seq(m, &n));
	ck_assert(!cc_msg_reply(m, &n));
	ck_assert_int_eq(n, 5);
	ck_assert(!cc_msg_want_answer(m));
	ck_assert(!cc_msg_is_answer(m));
	cc_msg_unref(m);
}
END_TEST

START_TEST(test_msg_strings_exact)
{
	/* Strings taken by length, not up to a NUL the frame lacks. */
	struct cc_header h = {
		.type = { "sendXYZ", 4 },
		.group = { "abcdef", 3 },
		.instance = { "", 0 },
	};
	struct cc_msg *m;

	m = msg_of(&h, NULL);
	ck_assert_str_eq(cc_msg_type(m), "send");
	ck_assert_str_eq(cc_msg_group(m), "abc");
	ck_assert_str_eq(cc_msg_instance(m), "");
	cc_msg_unref(m);
}
END_TEST

START_TEST(test_msg_body)
{
	struct cc_header h = { .type = LIBCC_STRREF("send") };
	json_t *body = json_pack("{s:[i,s]}", "result", 0, "ok"), *got, *again;
	const unsigned char *raw;
	struct cc_msg *m;
	char *packed;
	size_t len, plen;

	m = msg_of(&h, body);
	ck_assert_int_eq(cc_json_pack(body, &packed, &plen, NULL, 0), CC_OK);
	raw = cc_msg_body_raw(m, &len);
	ck_assert_uint_eq(len, plen);
	ck_assert_mem_eq(raw, packed, len);
	free(packed);
	ck_assert_int_eq(cc_msg_body(m, &got, NULL, 0), CC_OK);
	ck_assert(json_equal(got, body));
	/* Decoded once and kept: the same borrowed reference again. */
	ck_assert_int_eq(cc_msg_body(m, &again, NULL, 0), CC_OK);
	ck_assert_ptr_eq(got, again);
	cc_msg_unref(m);
	json_decref(body);
}
END_TEST

START_TEST(test_msg_empty_body)
{
	struct cc_header h = { .type = LIBCC_STRREF("send") };
	struct cc_msg *m;
	json_t *body;
	size_t len = 99;

	m = msg_of(&h, NULL);
	ck_assert_ptr_nonnull(cc_msg_body_raw(m, &len));
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(cc_msg_body(m, &body, NULL, 0), CC_OK);
	ck_assert(json_is_null(body));
	cc_msg_unref(m);
}
END_TEST

START_TEST(test_msg_body_undecodable)
{
	/* {"type": "send"} and a body that is not msgpack. */
	static const unsigned char hdr[] = { 0x81, 0xa4, 't', 'y', 'p', 'e',
	    0xa4, 's', 'e', 'n', 'd' };
	static const unsigned char body[] = { 0xc1 };
	struct cc_msg *m;
	json_t *got = NULL;
	char err[128] = "";

	m = msg_raw(hdr, sizeof(hdr), body, sizeof(body));
	ck_assert_int_eq(cc_msg_body(m, &got, err, sizeof(err)), CC_EDECODE);
	ck_assert_ptr_null(got);
	ck_assert_str_ne(err, "");
	/* Still failing, not cached as something else. */
	ck_assert_int_eq(cc_msg_body(m, &got, NULL, 0), CC_EDECODE);
	cc_msg_unref(m);
}
END_TEST

START_TEST(test_msg_header_unknown_keys)
{
	/* {"type": "send", "x": 1}: unknown keys stay in the header. */
	static const unsigned char hdr[] = { 0x82, 0xa4, 't', 'y', 'p', 'e',
	    0xa4, 's', 'e', 'n', 'd', 0xa1, 'x', 0x01 };
	struct cc_msg *m;
	json_t *h;

	m = msg_raw(hdr, sizeof(hdr), NULL, 0);
	h = cc_msg_header(m);
	assert_json(h, "{\"type\": \"send\", \"x\": 1}");
	ck_assert_ptr_eq(cc_msg_header(m), h);
	cc_msg_unref(m);
}
END_TEST

START_TEST(test_msg_bad_header)
{
	static const unsigned char notmap[] = { 0x91, 0x01 };
	static const unsigned char notype[] = { 0x81, 0xa1, 'x', 0x01 };
	struct cc_header parser;
	struct cc_frame *f;
	struct cc_msg *m = NULL;

	cc_header_init(&parser);
	ck_assert_int_eq(cc_frame_encode(notmap, sizeof(notmap), NULL, 0, 0,
	    &f), CC_OK);
	/* The frame is released on failure too (valgrind checks). */
	ck_assert_int_eq(libcc_msg_parse(&parser, f, &m), CC_EHEADER);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(cc_frame_encode(notype, sizeof(notype), NULL, 0, 0,
	    &f), CC_OK);
	ck_assert_int_eq(libcc_msg_parse(&parser, f, &m), CC_EHEADER);
	ck_assert_ptr_nonnull(strstr(parser.error, "type"));
	cc_header_clear(&parser);
}
END_TEST

START_TEST(test_msg_refcount)
{
	struct cc_header h = { .type = LIBCC_STRREF("send") };
	struct cc_msg *m;

	m = msg_of(&h, NULL);
	ck_assert_ptr_eq(cc_msg_ref(m), m);
	cc_msg_unref(m);
	ck_assert_str_eq(cc_msg_type(m), "send");
	cc_msg_unref(m);
	cc_msg_unref(NULL);
}
END_TEST

static Suite *
message_suite(void)
{
	int nmal = sizeof(malformed_common) / sizeof(malformed_common[0]);
	Suite *s = suite_create("message");
	TCase *tc;

	tc = tcase_create("bodies");
	tcase_add_test(tc, test_command_new);
	tcase_add_test(tc, test_answer_new);
	tcase_add_test(tc, test_answer_error);
	tcase_add_test(tc, test_notification_new);
	tcase_add_test(tc, test_command_parse);
	tcase_add_test(tc, test_answer_parse);
	tcase_add_test(tc, test_notification_parse);
	tcase_add_loop_test(tc, test_command_parse_malformed, 0, nmal);
	tcase_add_loop_test(tc, test_answer_parse_malformed, 0, nmal);
	tcase_add_loop_test(tc, test_notification_parse_malformed, 0, nmal);
	tcase_add_test(tc, test_parse_wrong_key_or_null);
	tcase_add_test(tc, test_answer_parse_bad_rcode);
	suite_add_tcase(s, tc);

	tc = tcase_create("msg");
	tcase_add_test(tc, test_msg_fields);
	tcase_add_test(tc, test_msg_absent_fields);
	tcase_add_test(tc, test_msg_strings_exact);
	tcase_add_test(tc, test_msg_body);
	tcase_add_test(tc, test_msg_empty_body);
	tcase_add_test(tc, test_msg_body_undecodable);
	tcase_add_test(tc, test_msg_header_unknown_keys);
	tcase_add_test(tc, test_msg_bad_header);
	tcase_add_test(tc, test_msg_refcount);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(message_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
