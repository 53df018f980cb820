/*
 * Unit tests of cc_header_parse(): every field and integer encoding, every
 * error with its reason, the fields still filled in on a bad header, reuse
 * of one cc_header across parses, and cc_frame_build() round trips.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <msgpack.h>

#include "cc/error.h"
#include "cc/wire.h"
#include "wire_testutil.h"

static int
parse(struct cc_header *h, const struct wt_mp *m)
{
	return cc_header_parse(h, m->sb.data, m->sb.size);
}

/* Parse m, which must fail for the reason why; frees m. */
static void
expect_bad_mp(struct wt_mp *m, const char *why)
{
	struct cc_header h;

	cc_header_init(&h);
	ck_assert_int_eq(parse(&h, m), CC_EHEADER);
	ck_assert_str_eq(h.error, why);
	cc_header_clear(&h);
	wt_mp_free(m);
}

static void
expect_bad_hex(const char *hex, const char *why)
{
	unsigned char buf[256];
	struct cc_header h;
	size_t n = wt_hex(hex, buf, sizeof(buf));

	cc_header_init(&h);
	ck_assert_int_eq(cc_header_parse(&h, buf, n), CC_EHEADER);
	ck_assert_str_eq(h.error, why);
	cc_header_clear(&h);
}

static int
in(const void *p, const void *buf, size_t len)
{
	return (const char *)p >= (const char *)buf &&
	    (const char *)p < (const char *)buf + len;
}

START_TEST(test_golden_header)
{
	unsigned char buf[64];
	size_t n = wt_hex("81 a4 74 79 70 65 a8 67 65 74 6c 6e 61 6d 65",
	    buf, sizeof(buf));
	struct cc_header h;

	cc_header_init(&h);
	ck_assert_int_eq(cc_header_parse(&h, buf, n), CC_OK);
	ck_assert(cc_strref_eq(h.type, "getlname"));
	ck_assert_ptr_eq(h.type.ptr, (const char *)buf + 7);
	ck_assert_ptr_null(h.from.ptr);
	ck_assert_ptr_null(h.to.ptr);
	ck_assert_ptr_null(h.group.ptr);
	ck_assert_ptr_null(h.instance.ptr);
	ck_assert_uint_eq(h.flags, 0);
	ck_assert_str_eq(h.error, "");
	cc_header_clear(&h);
}
END_TEST

START_TEST(test_all_fields)
{
	struct cc_header h;
	struct wt_mp m;

	wt_mp_init(&m);
	msgpack_pack_map(&m.pk, 10);
	wt_mp_str(&m, "reply");
	msgpack_pack_int64(&m.pk, 41);
	wt_mp_str(&m, "unknown");
	msgpack_pack_array(&m.pk, 2);
	msgpack_pack_map(&m.pk, 1);
	wt_mp_str(&m, "type");
	wt_mp_str(&m, "decoy");
	msgpack_pack_bin(&m.pk, 2);
	msgpack_pack_bin_body(&m.pk, "\xff\x00", 2);
	wt_mp_str(&m, "instance");
	wt_mp_str(&m, "i1");
	wt_mp_str(&m, "want_answer");
	msgpack_pack_true(&m.pk);
	wt_mp_str(&m, "group");
	wt_mp_str(&m, "G");
	wt_mp_str(&m, "seq");
	msgpack_pack_int64(&m.pk, -7);
	wt_mp_str(&m, "to");
	wt_mp_str(&m, "*");
	wt_mp_str(&m, "from");
	wt_mp_str(&m, "me@host");
	wt_mp_str(&m, "type");
	wt_mp_str(&m, "send");
	wt_mp_str(&m, "extra");
	msgpack_pack_ext(&m.pk, 3, 9);
	msgpack_pack_ext_body(&m.pk, "abc", 3);

	cc_header_init(&h);
	ck_assert_int_eq(parse(&h, &m), CC_OK);
	ck_assert(cc_strref_eq(h.type, "send"));
	ck_assert(cc_strref_eq(h.from, "me@host"));
	ck_assert(cc_strref_eq(h.to, "*"));
	ck_assert(cc_strref_eq(h.group, "G"));
	ck_assert(cc_strref_eq(h.instance, "i1"));
	ck_assert_uint_eq(h.flags, CC_HDR_SEQ | CC_HDR_REPLY |
	    CC_HDR_WANT_ANSWER);
	ck_assert_int_eq(h.seq, -7);
	ck_assert_int_eq(h.reply, 41);
	/* Zero-copy: the strings point into the parsed bytes. */
	ck_assert(in(h.type.ptr, m.sb.data, m.sb.size));
	ck_assert(in(h.from.ptr, m.sb.data, m.sb.size));
	ck_assert(in(h.instance.ptr, m.sb.data, m.sb.size));
	cc_header_clear(&h);
	wt_mp_free(&m);
}
END_TEST

/* seq and reply in every msgpack integer encoding. */
START_TEST(test_integer_encodings)
{
	static const struct {
		const char *hex;
		int64_t v;
	} ints[] = {
		{ "00", 0 }, { "7f", 127 }, { "ff", -1 }, { "e0", -32 },
		{ "cc ff", 255 }, { "cd ff ff", 65535 },
		{ "ce ff ff ff ff", 4294967295LL },
		{ "cf 7f ff ff ff ff ff ff ff", INT64_MAX },
		{ "cf 00 00 00 00 00 00 00 05", 5 },
		{ "d0 80", -128 }, { "d0 05", 5 }, { "d1 80 00", -32768 },
		{ "d2 80 00 00 00", INT32_MIN },
		{ "d3 80 00 00 00 00 00 00 00", INT64_MIN },
		{ "d3 7f ff ff ff ff ff ff ff", INT64_MAX },
	};
	char hex[128];
	unsigned char buf[64];
	struct cc_header h;
	size_t i, n;

	cc_header_init(&h);
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		/* {"type": "t", "seq": v, "reply": v} */
		snprintf(hex, sizeof(hex), "83 a4 74797065 a1 74 a3 736571 %s "
		    "a5 7265706c79 %s", ints[i].hex, ints[i].hex);
		n = wt_hex(hex, buf, sizeof(buf));
		ck_assert_int_eq(cc_header_parse(&h, buf, n), CC_OK);
		ck_assert_uint_eq(h.flags, CC_HDR_SEQ | CC_HDR_REPLY);
		ck_assert_int_eq(h.seq, ints[i].v);
		ck_assert_int_eq(h.reply, ints[i].v);
	}
	cc_header_clear(&h);
}
END_TEST

START_TEST(test_want_answer_false)
{
	struct cc_header h;

	cc_header_init(&h);
	/* {"type": "t", "want_answer": false} */
	ck_assert_int_eq(cc_header_parse(&h, "\x82\xa4type\xa1t"
	    "\xabwant_answer\xc2", 21), CC_OK);
	ck_assert_uint_eq(h.flags, 0);
	ck_assert_int_eq(cc_header_parse(&h, "\x82\xa4type\xa1t"
	    "\xabwant_answer\xc3", 21), CC_OK);
	ck_assert_uint_eq(h.flags, CC_HDR_WANT_ANSWER);
	cc_header_clear(&h);
}
END_TEST

START_TEST(test_not_msgpack)
{
	struct cc_header h;

	expect_bad_hex("", "header is not valid msgpack");
	expect_bad_hex("c1", "header is not valid msgpack");
	expect_bad_hex("81 a4 74797065", "header is not valid msgpack");
	expect_bad_hex("81 a4 747970", "header is not valid msgpack");
	expect_bad_hex("81 a4 74797065 a5 6162", "header is not valid msgpack");
	expect_bad_hex("82 a4 74797065 a1 74", "header is not valid msgpack");
	expect_bad_hex("81 a4 74797065 c1", "header is not valid msgpack");
	expect_bad_hex("81 a1 78 92 01", "header is not valid msgpack");
	/* A hostile count is caught without being believed. */
	expect_bad_hex("df ff ff ff ff", "header is not valid msgpack");
	expect_bad_hex("81 a1 78 dd ff ff ff ff 00",
	    "header is not valid msgpack");
	cc_header_init(&h);
	ck_assert_int_eq(cc_header_parse(&h, NULL, 0), CC_EHEADER);
	ck_assert_str_eq(h.error, "header is not valid msgpack");
	cc_header_clear(&h);
}
END_TEST

START_TEST(test_not_a_map)
{
	expect_bad_hex("90", "header is not a map");
	expect_bad_hex("91 80", "header is not a map");
	expect_bad_hex("a4 74797065", "header is not a map");
	expect_bad_hex("01", "header is not a map");
	expect_bad_hex("c0", "header is not a map");
}
END_TEST

START_TEST(test_trailing_bytes)
{
	expect_bad_hex("81 a4 74797065 a1 74 c0",
	    "trailing bytes after the header");
	expect_bad_hex("81 a4 74797065 a1 74 81 a4 74797065 a1 74",
	    "trailing bytes after the header");
}
END_TEST

START_TEST(test_key_not_string)
{
	expect_bad_hex("82 01 a1 78 a4 74797065 a1 74",
	    "header key is not a string");
	expect_bad_hex("82 c4 04 74797065 a1 78 a4 74797065 a1 74",
	    "header key is not a string");
	/* A container as key is skipped whole, then reported. */
	expect_bad_hex("82 92 01 02 a1 78 a4 74797065 a1 74",
	    "header key is not a string");
}
END_TEST

static void
expect_field_error(const char *field, void (*pack)(msgpack_packer *),
    const char *why)
{
	struct wt_mp m;

	wt_mp_init(&m);
	msgpack_pack_map(&m.pk, 2);
	if (strcmp(field, "type") != 0) {
		wt_mp_str(&m, "type");
		wt_mp_str(&m, "t");
	} else {
		wt_mp_str(&m, "x");
		wt_mp_str(&m, "y");
	}
	wt_mp_str(&m, field);
	pack(&m.pk);
	expect_bad_mp(&m, why);
}

static void
pack_int(msgpack_packer *pk)
{
	msgpack_pack_int(pk, 5);
}

static void
pack_str(msgpack_packer *pk)
{
	msgpack_pack_str(pk, 1);
	msgpack_pack_str_body(pk, "5", 1);
}

static void
pack_bin(msgpack_packer *pk)
{
	msgpack_pack_bin(pk, 1);
	msgpack_pack_bin_body(pk, "5", 1);
}

static void
pack_nil(msgpack_packer *pk)
{
	msgpack_pack_nil(pk);
}

static void
pack_float(msgpack_packer *pk)
{
	msgpack_pack_double(pk, 5.0);
}

static void
pack_map(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	msgpack_pack_int(pk, 1);
	msgpack_pack_array(pk, 0);
}

static void
pack_true(msgpack_packer *pk)
{
	msgpack_pack_true(pk);
}

static void
pack_big(msgpack_packer *pk)
{
	msgpack_pack_uint64(pk, (uint64_t)INT64_MAX + 1);
}

static void
pack_max(msgpack_packer *pk)
{
	msgpack_pack_uint64(pk, UINT64_MAX);
}

/*
 * PROTOCOL.md lets a sender pick any integer seq and msgq never checks
 * it: one above INT64_MAX parses, is flagged, and cc_frame_build() packs
 * it back as the same unsigned integer, byte for byte.
 */
START_TEST(test_u64_seq_and_reply)
{
	struct cc_header h, out;
	struct cc_frame *f;
	struct wt_mp m;
	const unsigned char *hb;
	size_t hlen;

	wt_mp_init(&m);
	msgpack_pack_map(&m.pk, 3);
	wt_mp_str(&m, "type");
	wt_mp_str(&m, "send");
	wt_mp_str(&m, "seq");
	pack_big(&m.pk);
	wt_mp_str(&m, "reply");
	pack_max(&m.pk);
	cc_header_init(&h);
	ck_assert_int_eq(cc_header_parse(&h, m.sb.data, m.sb.size), CC_OK);
	ck_assert_uint_eq(h.flags, CC_HDR_SEQ | CC_HDR_SEQ_U64 | CC_HDR_REPLY |
	    CC_HDR_REPLY_U64);
	ck_assert((uint64_t)h.seq == (uint64_t)INT64_MAX + 1);
	ck_assert((uint64_t)h.reply == UINT64_MAX);

	memset(&out, 0, sizeof(out));
	out.type = h.type;
	out.seq = h.seq;
	out.reply = h.reply;
	out.flags = h.flags;
	ck_assert_int_eq(cc_frame_build(&out, NULL, 0, 0, &f), CC_OK);
	hb = cc_frame_header(f, &hlen);
	ck_assert_uint_eq(hlen, m.sb.size);
	ck_assert_mem_eq(hb, m.sb.data, hlen);
	cc_frame_unref(f);
	cc_header_clear(&h);
	wt_mp_free(&m);
}
END_TEST

START_TEST(test_field_types)
{
	static const char *strs[] = { "type", "from", "to", "group",
	    "instance" };
	void (*notstr[])(msgpack_packer *) = { pack_int, pack_bin, pack_nil,
	    pack_map, pack_true };
	char why[64];
	size_t i, j;

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		snprintf(why, sizeof(why), "field '%s' should be a string",
		    strs[i]);
		for (j = 0; j < sizeof(notstr) / sizeof(notstr[0]); j++)
			expect_field_error(strs[i], notstr[j], why);
	}
	expect_field_error("seq", pack_str, "field 'seq' should be an integer");
	expect_field_error("seq", pack_float,
	    "field 'seq' should be an integer");
	expect_field_error("seq", pack_nil, "field 'seq' should be an integer");
	expect_field_error("seq", pack_true,
	    "field 'seq' should be an integer");
	expect_field_error("reply", pack_map,
	    "field 'reply' should be an integer");
	expect_field_error("want_answer", pack_int,
	    "field 'want_answer' should be a boolean");
	expect_field_error("want_answer", pack_str,
	    "field 'want_answer' should be a boolean");
	expect_field_error("want_answer", pack_nil,
	    "field 'want_answer' should be a boolean");
}
END_TEST

START_TEST(test_type_missing)
{
	expect_bad_hex("80", "field 'type' missing");
	expect_bad_hex("81 a4 66726f6d a1 61", "field 'type' missing");
	/* Case matters. */
	expect_bad_hex("81 a4 54797065 a1 61", "field 'type' missing");
}
END_TEST

START_TEST(test_duplicates)
{
	static const struct {
		const char *name;
		void (*pack)(msgpack_packer *);
	} fields[] = {
		{ "type", pack_str }, { "from", pack_str }, { "to", pack_str },
		{ "group", pack_str }, { "instance", pack_str },
		{ "seq", pack_int }, { "want_answer", pack_true },
		{ "reply", pack_int },
	};
	char why[64];
	struct wt_mp m;
	size_t i;

	/* Each value well typed, so the duplicate is the only error. */
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		wt_mp_init(&m);
		msgpack_pack_map(&m.pk, 3);
		wt_mp_str(&m, "type");
		wt_mp_str(&m, "t");
		if (strcmp(fields[i].name, "type") == 0) {
			wt_mp_str(&m, "x");
			msgpack_pack_nil(&m.pk);
		} else {
			wt_mp_str(&m, fields[i].name);
			fields[i].pack(&m.pk);
		}
		wt_mp_str(&m, fields[i].name);
		fields[i].pack(&m.pk);
		snprintf(why, sizeof(why), "duplicate field '%s'",
		    fields[i].name);
		expect_bad_mp(&m, why);
	}
	/* Both false still counts twice. */
	expect_bad_hex("83 a4 74797065 a1 74 ab 77616e745f616e73776572 c2 "
	    "ab 77616e745f616e73776572 c2", "duplicate field 'want_answer'");
}
END_TEST

/*
 * On a bad header the readable fields are still there, so that msgq can
 * answer with the frame's seq and group (PROTOCOL.md 5.8, 5.9); the first
 * error is the one reported, and duplicates keep the first value.
 */
START_TEST(test_fields_after_error)
{
	struct cc_header h;
	struct wt_mp m;

	wt_mp_init(&m);
	msgpack_pack_map(&m.pk, 6);
	wt_mp_str(&m, "type");
	msgpack_pack_int(&m.pk, 5);
	wt_mp_str(&m, "group");
	wt_mp_str(&m, "G");
	wt_mp_str(&m, "seq");
	msgpack_pack_int(&m.pk, 77);
	wt_mp_str(&m, "seq");
	msgpack_pack_int(&m.pk, 78);
	wt_mp_str(&m, "from");
	msgpack_pack_nil(&m.pk);
	wt_mp_str(&m, "want_answer");
	msgpack_pack_true(&m.pk);
	cc_header_init(&h);
	ck_assert_int_eq(parse(&h, &m), CC_EHEADER);
	ck_assert_str_eq(h.error, "field 'type' should be a string");
	ck_assert_ptr_null(h.type.ptr);
	ck_assert_ptr_null(h.from.ptr);
	ck_assert(cc_strref_eq(h.group, "G"));
	ck_assert_uint_eq(h.flags, CC_HDR_SEQ | CC_HDR_WANT_ANSWER);
	ck_assert_int_eq(h.seq, 77);
	cc_header_clear(&h);
	wt_mp_free(&m);
}
END_TEST

/* Unknown values nest as deep as the header allows: 32 containers with
 * the header map itself. */
START_TEST(test_depth)
{
	struct cc_header h;
	struct wt_mp m;
	int depth, i;

	cc_header_init(&h);
	for (depth = 30; depth <= 32; depth++) {
		wt_mp_init(&m);
		msgpack_pack_map(&m.pk, 2);
		wt_mp_str(&m, "deep");
		for (i = 0; i < depth; i++)
			msgpack_pack_array(&m.pk, i + 1 < depth ? 1 : 0);
		wt_mp_str(&m, "type");
		wt_mp_str(&m, "t");
		if (depth < 32) {
			ck_assert_int_eq(parse(&h, &m), CC_OK);
			ck_assert(cc_strref_eq(h.type, "t"));
		} else {
			ck_assert_int_eq(parse(&h, &m), CC_EHEADER);
			ck_assert_str_eq(h.error, "header nested deeper than 32");
		}
		wt_mp_free(&m);
	}
	cc_header_clear(&h);
}
END_TEST

/* One cc_header parses many headers; nothing leaks from one to the next. */
START_TEST(test_reuse)
{
	unsigned char buf[128];
	struct cc_header h;
	size_t n;

	cc_header_init(&h);
	n = wt_hex("84 a4 74797065 a1 74 a3 736571 05 a2 746f a1 78 "
	    "a5 7265706c79 06", buf, sizeof(buf));
	ck_assert_int_eq(cc_header_parse(&h, buf, n), CC_OK);
	ck_assert_uint_eq(h.flags, CC_HDR_SEQ | CC_HDR_REPLY);
	n = wt_hex("81 a4 74797065 05", buf, sizeof(buf));
	ck_assert_int_eq(cc_header_parse(&h, buf, n), CC_EHEADER);
	ck_assert_ptr_null(h.to.ptr);
	ck_assert_uint_eq(h.flags, 0);
	n = wt_hex("81 a4 74797065 a2 7475", buf, sizeof(buf));
	ck_assert_int_eq(cc_header_parse(&h, buf, n), CC_OK);
	ck_assert_str_eq(h.error, "");
	ck_assert(cc_strref_eq(h.type, "tu"));
	ck_assert_ptr_null(h.to.ptr);
	ck_assert_uint_eq(h.flags, 0);
	ck_assert_int_eq(h.seq, 0);
	cc_header_clear(&h);
}
END_TEST

/* cc_frame_build -> cc_header_parse gives back every field, for every
 * combination of fields and a spread of integers. */
START_TEST(test_build_round_trip)
{
	static const int64_t ints[] = { 0, 1, -1, 127, 128, -32, -33, 255,
	    256, 65535, 65536, -32768, -32769, INT32_MAX, INT32_MIN,
	    (int64_t)UINT32_MAX + 1, INT64_MAX, INT64_MIN };
	const size_t nints = sizeof(ints) / sizeof(ints[0]);
	struct cc_header in, out;
	struct cc_frame *f;
	const unsigned char *hdr, *body;
	unsigned mask;
	size_t hlen, blen;
	char group[300];

	memset(group, 'g', sizeof(group));
	cc_header_init(&out);
	for (mask = 0; mask < 128; mask++) {
		cc_header_init(&in);
		in.type = cc_strref_of("send");
		in.from = mask & 1 ? cc_strref_of("a@b") : in.from;
		in.to = mask & 2 ? cc_strref_of("") : in.to;
		in.group.ptr = mask & 4 ? group : NULL;
		in.group.len = mask & 4 ? 40 + mask * 2 : 0;
		in.instance = mask & 8 ? cc_strref_of("*") : in.instance;
		in.flags = (mask >> 4) & 7;
		in.seq = ints[mask % nints];
		in.reply = ints[(mask * 7) % nints];
		ck_assert_int_eq(cc_frame_build(&in, "\x90", 1, 0, &f), CC_OK);
		hdr = cc_frame_header(f, &hlen);
		body = cc_frame_body(f, &blen);
		ck_assert_uint_eq(blen, 1);
		ck_assert_uint_eq(body[0], 0x90);
		ck_assert_int_eq(cc_header_parse(&out, hdr, hlen), CC_OK);
		ck_assert(cc_strref_eq(out.type, "send"));
		ck_assert_int_eq(out.from.ptr != NULL, (mask & 1) != 0);
		ck_assert_int_eq(out.to.ptr != NULL, (mask & 2) != 0);
		ck_assert_int_eq(out.group.ptr != NULL, (mask & 4) != 0);
		ck_assert_int_eq(out.instance.ptr != NULL, (mask & 8) != 0);
		if (mask & 1)
			ck_assert(cc_strref_eq(out.from, "a@b"));
		if (mask & 2)
			ck_assert_uint_eq(out.to.len, 0);
		if (mask & 4) {
			ck_assert_uint_eq(out.group.len, in.group.len);
			ck_assert_mem_eq(out.group.ptr, group, in.group.len);
		}
		ck_assert_uint_eq(out.flags, in.flags);
		if (in.flags & CC_HDR_SEQ)
			ck_assert_int_eq(out.seq, in.seq);
		if (in.flags & CC_HDR_REPLY)
			ck_assert_int_eq(out.reply, in.reply);
		cc_frame_unref(f);
	}
	cc_header_clear(&out);
}
END_TEST

/* A parsed header rebuilt with cc_frame_build is the same bytes when it
 * was in canonical order: what msgq's no-recipient answer relies on. */
START_TEST(test_parse_build_same_bytes)
{
	unsigned char buf[128];
	struct cc_header h;
	struct cc_frame *f;
	const unsigned char *hdr;
	size_t n, hlen;

	n = wt_hex("86 a4 74797065 a4 73656e64 a4 66726f6d a1 61 "
	    "a5 67726f7570 a1 47 a8 696e7374616e6365 a1 2a "
	    "a3 736571 d1 80 00 ab 77616e745f616e73776572 c3",
	    buf, sizeof(buf));
	cc_header_init(&h);
	ck_assert_int_eq(cc_header_parse(&h, buf, n), CC_OK);
	ck_assert_int_eq(cc_frame_build(&h, NULL, 0, 0, &f), CC_OK);
	hdr = cc_frame_header(f, &hlen);
	ck_assert_uint_eq(hlen, n);
	ck_assert_mem_eq(hdr, buf, n);
	cc_frame_unref(f);
	cc_header_clear(&h);
}
END_TEST

static Suite *
header_suite(void)
{
	Suite *s = suite_create("header");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_golden_header);
	tcase_add_test(tc, test_all_fields);
	tcase_add_test(tc, test_integer_encodings);
	tcase_add_test(tc, test_want_answer_false);
	tcase_add_test(tc, test_not_msgpack);
	tcase_add_test(tc, test_not_a_map);
	tcase_add_test(tc, test_trailing_bytes);
	tcase_add_test(tc, test_key_not_string);
	tcase_add_test(tc, test_field_types);
	tcase_add_test(tc, test_u64_seq_and_reply);
	tcase_add_test(tc, test_type_missing);
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_fields_after_error);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_reuse);
	suite_add_tcase(s, tc);
	tc = tcase_create("build");
	tcase_add_test(tc, test_build_round_trip);
	tcase_add_test(tc, test_parse_build_same_bytes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(header_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
