/*
 * Unit tests of the msgpack <-> json_t codec: every msgpack type decoded
 * (bytes built with msgpack_pack_* directly), the exact bytes encoded,
 * round trips both ways, and every value refused with its reason.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>
#include <msgpack.h>

#include "cc/codec.h"
#include "cc/error.h"
#include "wire_testutil.h"

/* Decode m (freed here); the value must convert. */
static json_t *
unpack_mp(struct wt_mp *m)
{
	char err[128] = "";
	json_t *v = NULL;

	ck_assert_msg(cc_json_unpack(m->sb.data, m->sb.size, &v, err,
	    sizeof(err)) == CC_OK, "unpack: %s", err);
	ck_assert_ptr_nonnull(v);
	wt_mp_free(m);
	return v;
}

static void
expect_unpack_error(const void *buf, size_t len, const char *why)
{
	char err[128] = "";
	json_t *v = (json_t *)1;

	ck_assert_int_eq(cc_json_unpack(buf, len, &v, err, sizeof(err)),
	    CC_EDECODE);
	ck_assert_ptr_null(v);
	ck_assert_str_eq(err, why);
	/* The reason is optional. */
	ck_assert_int_eq(cc_json_unpack(buf, len, &v, NULL, 0), CC_EDECODE);
}

static void
expect_unpack_error_hex(const char *hex, const char *why)
{
	unsigned char buf[256];

	expect_unpack_error(buf, wt_hex(hex, buf, sizeof(buf)), why);
}

/* Encode v (a reference stolen) and compare with hex. */
static void
expect_pack_hex(json_t *v, const char *hex)
{
	unsigned char want[512];
	size_t n = wt_hex(hex, want, sizeof(want)), len;
	char *buf;

	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(cc_json_pack(v, &buf, &len, NULL, 0), CC_OK);
	ck_assert_uint_eq(len, n);
	ck_assert_mem_eq(buf, want, n);
	free(buf);
	json_decref(v);
}

START_TEST(test_golden)
{
	expect_pack_hex(json_object(), "80");
	expect_pack_hex(json_pack("{s:s}", "hello", "a"),
	    "81 a5 68 65 6c 6c 6f a1 61");
}
END_TEST

START_TEST(test_unpack_scalars)
{
	struct wt_mp m;
	json_t *v;

	wt_mp_init(&m);
	msgpack_pack_nil(&m.pk);
	v = unpack_mp(&m);
	ck_assert(json_is_null(v));
	json_decref(v);
	wt_mp_init(&m);
	msgpack_pack_true(&m.pk);
	v = unpack_mp(&m);
	ck_assert(json_is_true(v));
	json_decref(v);
	wt_mp_init(&m);
	msgpack_pack_false(&m.pk);
	v = unpack_mp(&m);
	ck_assert(json_is_false(v));
	json_decref(v);
	wt_mp_init(&m);
	msgpack_pack_float(&m.pk, 1.5f);
	ck_assert_uint_eq((unsigned char)m.sb.data[0], 0xca);
	v = unpack_mp(&m);
	ck_assert(json_is_real(v));
	ck_assert(json_real_value(v) == 1.5);
	json_decref(v);
	wt_mp_init(&m);
	msgpack_pack_double(&m.pk, -0.1);
	v = unpack_mp(&m);
	ck_assert(json_is_real(v));
	ck_assert(json_real_value(v) == -0.1);
	json_decref(v);
}
END_TEST

START_TEST(test_unpack_integers)
{
	static const struct {
		const char *hex;
		json_int_t v;
	} ints[] = {
		{ "00", 0 }, { "7f", 127 }, { "e0", -32 }, { "ff", -1 },
		{ "cc 80", 128 }, { "cd 01 00", 256 },
		{ "ce 00 01 00 00", 65536 },
		{ "cf 7f ff ff ff ff ff ff ff", INT64_MAX },
		{ "d0 80", -128 }, { "d1 80 00", -32768 },
		{ "d2 80 00 00 00", INT32_MIN },
		{ "d3 80 00 00 00 00 00 00 00", INT64_MIN },
		{ "d3 00 00 00 00 00 00 00 2a", 42 },
	};
	unsigned char buf[16];
	json_t *v;
	size_t i, n;

	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		n = wt_hex(ints[i].hex, buf, sizeof(buf));
		ck_assert_int_eq(cc_json_unpack(buf, n, &v, NULL, 0), CC_OK);
		ck_assert(json_is_integer(v));
		ck_assert_int_eq(json_integer_value(v), ints[i].v);
		json_decref(v);
	}
}
END_TEST

/* str and bin keep their exact bytes: NULs, invalid UTF-8, every length
 * encoding. */
START_TEST(test_unpack_strings)
{
	static const size_t lens[] = { 0, 31, 32, 255, 256, 65535, 65536 };
	static const char odd[] = "a\0b\xff\xfe\xc3";
	struct wt_mp m;
	char *s;
	json_t *v;
	size_t i;

	wt_mp_init(&m);
	msgpack_pack_str(&m.pk, sizeof(odd) - 1);
	msgpack_pack_str_body(&m.pk, odd, sizeof(odd) - 1);
	v = unpack_mp(&m);
	ck_assert_uint_eq(json_string_length(v), sizeof(odd) - 1);
	ck_assert_mem_eq(json_string_value(v), odd, sizeof(odd) - 1);
	json_decref(v);
	wt_mp_init(&m);
	msgpack_pack_bin(&m.pk, sizeof(odd) - 1);
	msgpack_pack_bin_body(&m.pk, odd, sizeof(odd) - 1);
	v = unpack_mp(&m);
	ck_assert(json_is_string(v));
	ck_assert_uint_eq(json_string_length(v), sizeof(odd) - 1);
	ck_assert_mem_eq(json_string_value(v), odd, sizeof(odd) - 1);
	json_decref(v);
	s = malloc(65536);
	ck_assert_ptr_nonnull(s);
	memset(s, 'q', 65536);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		wt_mp_init(&m);
		msgpack_pack_str(&m.pk, lens[i]);
		msgpack_pack_str_body(&m.pk, s, lens[i]);
		v = unpack_mp(&m);
		ck_assert_uint_eq(json_string_length(v), lens[i]);
		ck_assert_mem_eq(json_string_value(v), s, lens[i]);
		json_decref(v);
		wt_mp_init(&m);
		msgpack_pack_bin(&m.pk, lens[i]);
		msgpack_pack_bin_body(&m.pk, s, lens[i]);
		v = unpack_mp(&m);
		ck_assert_uint_eq(json_string_length(v), lens[i]);
		json_decref(v);
	}
	free(s);
}
END_TEST

START_TEST(test_unpack_containers)
{
	struct wt_mp m;
	json_t *v, *want;
	int i;

	/* {"a": [1, -2, null, {"b": {}}, []], "": "x", "k\0ey": true,
	 *  bin"z": 16 x 1} */
	wt_mp_init(&m);
	msgpack_pack_map(&m.pk, 4);
	wt_mp_str(&m, "a");
	msgpack_pack_array(&m.pk, 5);
	msgpack_pack_int(&m.pk, 1);
	msgpack_pack_int(&m.pk, -2);
	msgpack_pack_nil(&m.pk);
	msgpack_pack_map(&m.pk, 1);
	wt_mp_str(&m, "b");
	msgpack_pack_map(&m.pk, 0);
	msgpack_pack_array(&m.pk, 0);
	wt_mp_str(&m, "");
	wt_mp_str(&m, "x");
	msgpack_pack_str(&m.pk, 4);
	msgpack_pack_str_body(&m.pk, "k\0ey", 4);
	msgpack_pack_true(&m.pk);
	msgpack_pack_bin(&m.pk, 1);
	msgpack_pack_bin_body(&m.pk, "z", 1);
	msgpack_pack_array(&m.pk, 16);
	for (i = 0; i < 16; i++)
		msgpack_pack_int(&m.pk, 1);
	v = unpack_mp(&m);
	want = json_pack("{s:[i,i,n,{s:{}},[]],s:s,s:[iiiiiiiiiiiiiiii]}",
	    "a", 1, -2, "b", "", "x", "z", 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	    1, 1, 1, 1);
	ck_assert_ptr_nonnull(want);
	ck_assert_uint_eq(json_object_size(v), 4);
	ck_assert(json_is_true(json_object_getn(v, "k\0ey", 4)));
	ck_assert_ptr_null(json_object_get(v, "k"));
	/* json_equal() (jansson 2.14) cannot compare keys holding a NUL. */
	ck_assert_int_eq(json_object_deln(v, "k\0ey", 4), 0);
	ck_assert(json_equal(v, want));
	json_decref(v);
	json_decref(want);
}
END_TEST

/* Duplicate keys: the last value wins, as json_loads() does. */
START_TEST(test_unpack_duplicate_keys)
{
	unsigned char buf[32];
	size_t n = wt_hex("82 a1 61 01 a1 61 02", buf, sizeof(buf));
	json_t *v;

	ck_assert_int_eq(cc_json_unpack(buf, n, &v, NULL, 0), CC_OK);
	ck_assert_uint_eq(json_object_size(v), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(v, "a")), 2);
	json_decref(v);
}
END_TEST

START_TEST(test_pack_bytes)
{
	expect_pack_hex(json_null(), "c0");
	expect_pack_hex(json_true(), "c3");
	expect_pack_hex(json_false(), "c2");
	expect_pack_hex(json_integer(1), "01");
	expect_pack_hex(json_integer(-1), "ff");
	expect_pack_hex(json_integer(200), "cc c8");
	expect_pack_hex(json_integer(-200), "d1 ff 38");
	expect_pack_hex(json_integer(INT64_MAX), "cf 7f ff ff ff ff ff ff ff");
	expect_pack_hex(json_integer(INT64_MIN), "d3 80 00 00 00 00 00 00 00");
	expect_pack_hex(json_real(1.5), "cb 3f f8 00 00 00 00 00 00");
	expect_pack_hex(json_stringn("a\0b", 3), "a3 61 00 62");
	expect_pack_hex(json_pack("[i,[],{}]", 7), "93 07 90 80");
	expect_pack_hex(json_pack("{s:n}", "k"), "81 a1 6b c0");
}
END_TEST

START_TEST(test_pack_nul_key)
{
	json_t *v = json_object();

	ck_assert_int_eq(json_object_setn_new(v, "a\0b", 3, json_null()), 0);
	expect_pack_hex(v, "81 a3 61 00 62 c0");
}
END_TEST

/* json -> msgpack -> json is the identity. */
START_TEST(test_round_trip_json)
{
	json_t *v, *back;
	char *buf;
	size_t len;

	v = json_pack("{s:[i,I,I,f,s,b,b,n],s:{s:{s:[]}}}", "list", 0,
	    (json_int_t)INT64_MIN, (json_int_t)INT64_MAX, -2.5e300, "\xc3\xa9",
	    1, 0, "nest", "a", "b");
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(json_object_set_new(v, "bytes",
	    json_stringn_nocheck("x\0y\xff", 4)), 0);
	ck_assert_int_eq(json_object_setn_new_nocheck(v, "\xff\0", 2,
	    json_integer(3)), 0);
	ck_assert_int_eq(cc_json_pack(v, &buf, &len, NULL, 0), CC_OK);
	ck_assert_int_eq(cc_json_unpack(buf, len, &back, NULL, 0), CC_OK);
	ck_assert_int_eq(json_integer_value(json_object_getn(back, "\xff\0",
	    2)), 3);
	/* json_equal() (jansson 2.14) cannot compare keys holding a NUL. */
	ck_assert_int_eq(json_object_deln(v, "\xff\0", 2), 0);
	ck_assert_int_eq(json_object_deln(back, "\xff\0", 2), 0);
	ck_assert(json_equal(v, back));
	ck_assert_uint_eq(json_string_length(json_object_get(back, "bytes")),
	    4);
	free(buf);
	json_decref(v);
	json_decref(back);
}
END_TEST

/* msgpack -> json -> msgpack gives the same bytes when they were packed
 * the way msgpack-c packs (bin and float32 excepted: they become str and
 * float64). */
START_TEST(test_round_trip_msgpack)
{
	struct wt_mp m;
	json_t *v;
	char *buf;
	size_t len;

	wt_mp_init(&m);
	msgpack_pack_map(&m.pk, 3);
	wt_mp_str(&m, "n");
	msgpack_pack_array(&m.pk, 6);
	msgpack_pack_int64(&m.pk, -129);
	msgpack_pack_int64(&m.pk, 4294967296LL);
	msgpack_pack_double(&m.pk, 3.25);
	msgpack_pack_nil(&m.pk);
	msgpack_pack_false(&m.pk);
	msgpack_pack_str(&m.pk, 3);
	msgpack_pack_str_body(&m.pk, "\0\xff\x01", 3);
	wt_mp_str(&m, "m");
	msgpack_pack_map(&m.pk, 1);
	wt_mp_str(&m, "deeper");
	msgpack_pack_map(&m.pk, 0);
	wt_mp_str(&m, "s");
	wt_mp_str(&m, "a string long enough for str8, more than 32 bytes");
	ck_assert_int_eq(cc_json_unpack(m.sb.data, m.sb.size, &v, NULL, 0),
	    CC_OK);
	ck_assert_int_eq(cc_json_pack(v, &buf, &len, NULL, 0), CC_OK);
	ck_assert_uint_eq(len, m.sb.size);
	ck_assert_mem_eq(buf, m.sb.data, len);
	free(buf);
	json_decref(v);
	wt_mp_free(&m);
}
END_TEST

START_TEST(test_unpack_ext)
{
	expect_unpack_error_hex("d4 05 00",
	    "ext value (type 5) at offset 0 cannot be converted");
	expect_unpack_error_hex("92 01 c7 02 fe 61 62",
	    "ext value (type -2) at offset 2 cannot be converted");
	expect_unpack_error_hex("81 a1 6b d8 01 00 01 02 03 04 05 06 07 08 09 "
	    "0a 0b 0c 0d 0e 0f", "ext value (type 1) at offset 3 cannot be "
	    "converted");
	/* msgpack-c's timestamp is an ext too. */
	expect_unpack_error_hex("d6 ff 00 00 00 01",
	    "ext value (type -1) at offset 0 cannot be converted");
}
END_TEST

START_TEST(test_unpack_bad_keys)
{
	expect_unpack_error_hex("81 01 02",
	    "map key at depth 1 is not a string (offset 1)");
	expect_unpack_error_hex("91 81 c0 02",
	    "map key at depth 2 is not a string (offset 2)");
	expect_unpack_error_hex("81 a1 61 81 90 02",
	    "map key at depth 2 is not a string (offset 4)");
	expect_unpack_error_hex("81 c3 02",
	    "map key at depth 1 is not a string (offset 1)");
	expect_unpack_error_hex("81 cb 3f f8 00 00 00 00 00 00 02",
	    "map key at depth 1 is not a string (offset 1)");
}
END_TEST

START_TEST(test_unpack_big_integers)
{
	expect_unpack_error_hex("cf ff ff ff ff ff ff ff ff",
	    "integer 18446744073709551615 at offset 0 is above INT64_MAX");
	expect_unpack_error_hex("92 00 cf 80 00 00 00 00 00 00 00",
	    "integer 9223372036854775808 at offset 2 is above INT64_MAX");
}
END_TEST

START_TEST(test_unpack_not_finite)
{
	struct wt_mp m;
	char err[128];
	json_t *v;

	wt_mp_init(&m);
	msgpack_pack_double(&m.pk, INFINITY);
	ck_assert_int_eq(cc_json_unpack(m.sb.data, m.sb.size, &v, err,
	    sizeof(err)), CC_EDECODE);
	ck_assert_str_eq(err, "float inf at offset 0 is not finite");
	wt_mp_free(&m);
	wt_mp_init(&m);
	msgpack_pack_float(&m.pk, NAN);
	ck_assert_int_eq(cc_json_unpack(m.sb.data, m.sb.size, &v, err,
	    sizeof(err)), CC_EDECODE);
	ck_assert_ptr_nonnull(strstr(err, "nan at offset 0 is not finite"));
	wt_mp_free(&m);
}
END_TEST

START_TEST(test_unpack_malformed)
{
	expect_unpack_error("", 0, "no value: the input is empty");
	expect_unpack_error(NULL, 0, "no value: the input is empty");
	expect_unpack_error_hex("c1", "invalid msgpack byte 0xc1 at offset 0");
	expect_unpack_error_hex("92 01 c1",
	    "invalid msgpack byte 0xc1 at offset 2");
	expect_unpack_error_hex("92 01", "truncated msgpack value at offset 0");
	expect_unpack_error_hex("91 a5 61 62",
	    "truncated msgpack value at offset 1");
	expect_unpack_error_hex("cd 01", "truncated msgpack value at offset 0");
	expect_unpack_error_hex("81 a1 61", "truncated msgpack value at offset 3");
	/* Counts nobody could send in the bytes given are not believed. */
	expect_unpack_error_hex("dd ff ff ff ff 00",
	    "truncated msgpack value at offset 0");
	expect_unpack_error_hex("df 00 00 00 03 a1 61 01 a1 62",
	    "truncated msgpack value at offset 0");
	expect_unpack_error_hex("c0 c0",
	    "trailing bytes after the value (1 of 2 bytes used)");
	expect_unpack_error_hex("80 00 00",
	    "trailing bytes after the value (1 of 3 bytes used)");
}
END_TEST

/* Nested arrays, the innermost holding inner (an empty array or nothing
 * when inner is 0). */
static void
pack_nested(struct wt_mp *m, int depth, int empty_inner)
{
	int i;

	for (i = 0; i < depth; i++)
		msgpack_pack_array(&m->pk, i + 1 < depth || !empty_inner ? 1 : 0);
	if (!empty_inner)
		msgpack_pack_int(&m->pk, 1);
}

static json_t *
json_nested(int depth)
{
	json_t *v = json_integer(1), *a;
	int i;

	for (i = 0; i < depth; i++) {
		a = json_array();
		ck_assert_int_eq(json_array_append_new(a, v), 0);
		v = a;
	}
	return v;
}

START_TEST(test_depth)
{
	struct wt_mp m;
	char err[128], *buf;
	json_t *v;
	size_t len;

	wt_mp_init(&m);
	pack_nested(&m, CC_CODEC_MAX_DEPTH, 0);
	json_decref(unpack_mp(&m));
	wt_mp_init(&m);
	pack_nested(&m, CC_CODEC_MAX_DEPTH + 1, 0);
	expect_unpack_error(m.sb.data, m.sb.size,
	    "nested deeper than 32 at offset 32");
	wt_mp_free(&m);
	/* Empty containers count too: the rule does not depend on content. */
	wt_mp_init(&m);
	pack_nested(&m, CC_CODEC_MAX_DEPTH + 1, 1);
	expect_unpack_error(m.sb.data, m.sb.size,
	    "nested deeper than 32 at offset 32");
	wt_mp_free(&m);

	v = json_nested(CC_CODEC_MAX_DEPTH);
	ck_assert_int_eq(cc_json_pack(v, &buf, &len, err, sizeof(err)), CC_OK);
	ck_assert_uint_eq(len, CC_CODEC_MAX_DEPTH + 1);
	free(buf);
	json_decref(v);
	v = json_nested(CC_CODEC_MAX_DEPTH + 1);
	buf = (char *)1;
	ck_assert_int_eq(cc_json_pack(v, &buf, &len, err, sizeof(err)),
	    CC_EDECODE);
	ck_assert_ptr_null(buf);
	ck_assert_str_eq(err, "value nested deeper than 32");
	ck_assert_int_eq(cc_json_pack(v, &buf, &len, NULL, 0), CC_EDECODE);
	json_decref(v);
}
END_TEST

/* An array of n nils, packed by hand: array32 header, then n 0xc0. */
static unsigned char *
nils(uint32_t n, size_t *len)
{
	unsigned char *b = malloc(5 + (size_t)n);

	ck_assert_ptr_nonnull(b);
	b[0] = 0xdd;
	b[1] = (unsigned char)(n >> 24);
	b[2] = (unsigned char)(n >> 16);
	b[3] = (unsigned char)(n >> 8);
	b[4] = (unsigned char)n;
	memset(b + 5, 0xc0, n);
	*len = 5 + (size_t)n;
	return b;
}

/* At most CC_CODEC_MAX_VALUES values, the array itself included. */
START_TEST(test_max_values)
{
	char err[128] = "";
	unsigned char *b;
	json_t *v = NULL;
	size_t len;

	b = nils(CC_CODEC_MAX_VALUES - 1, &len);
	ck_assert_int_eq(cc_json_unpack(b, len, &v, err, sizeof(err)), CC_OK);
	ck_assert_uint_eq(json_array_size(v), CC_CODEC_MAX_VALUES - 1);
	json_decref(v);
	free(b);
	b = nils(CC_CODEC_MAX_VALUES, &len);
	ck_assert_int_eq(cc_json_unpack(b, len, &v, err, sizeof(err)),
	    CC_EDECODE);
	ck_assert_ptr_null(v);
	ck_assert_str_eq(err, "more than 1048576 values (offset 1048580)");
	free(b);
}
END_TEST

START_TEST(test_pack_bad_args)
{
	char err[64] = "", *buf;
	size_t len;

	ck_assert_int_eq(cc_json_pack(NULL, &buf, &len, err, sizeof(err)),
	    CC_EINVAL);
	ck_assert_str_eq(err, "no value");
	ck_assert_int_eq(cc_json_unpack("\xc0", 1, NULL, NULL, 0), CC_EINVAL);
}
END_TEST

static Suite *
codec_suite(void)
{
	Suite *s = suite_create("codec");
	TCase *tc = tcase_create("convert");

	tcase_add_test(tc, test_golden);
	tcase_add_test(tc, test_unpack_scalars);
	tcase_add_test(tc, test_unpack_integers);
	tcase_add_test(tc, test_unpack_strings);
	tcase_add_test(tc, test_unpack_containers);
	tcase_add_test(tc, test_unpack_duplicate_keys);
	tcase_add_test(tc, test_pack_bytes);
	tcase_add_test(tc, test_pack_nul_key);
	tcase_add_test(tc, test_round_trip_json);
	tcase_add_test(tc, test_round_trip_msgpack);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_test(tc, test_unpack_ext);
	tcase_add_test(tc, test_unpack_bad_keys);
	tcase_add_test(tc, test_unpack_big_integers);
	tcase_add_test(tc, test_unpack_not_finite);
	tcase_add_test(tc, test_unpack_malformed);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_max_values);
	tcase_add_test(tc, test_pack_bad_args);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(codec_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
