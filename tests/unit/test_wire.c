/*
 * Unit tests of framing: the golden vectors of PROTOCOL.md section 2,
 * cc_wire_prefix, cc_frame_encode / cc_frame_build and the accessors, and
 * the incremental decoder fed whole, byte by byte and in random chunks,
 * with every framing error it must report.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <check.h>
#include <jansson.h>

#include "cc/codec.h"
#include "cc/error.h"
#include "cc/wire.h"
#include "wire_testutil.h"

#define GOLDEN1	"00 00 00 0c 00 01 80 81 a5 68 65 6c 6c 6f a1 61"
#define GOLDEN2	"00 00 00 11 00 0f 81 a4 74 79 70 65 a8 67 65 74 6c 6e 61 6d 65"

static size_t
golden(const char *hex, unsigned char *out)
{
	return wt_hex(hex, out, 64);
}

START_TEST(test_golden_encode)
{
	unsigned char want[64];
	size_t n = golden(GOLDEN1, want), hlen, blen, len;
	json_t *hdr = json_object(), *body = json_pack("{s:s}", "hello", "a");
	char *hbuf, *bbuf;
	struct cc_frame *f;

	ck_assert_int_eq(cc_json_pack(hdr, &hbuf, &hlen, NULL, 0), CC_OK);
	ck_assert_int_eq(cc_json_pack(body, &bbuf, &blen, NULL, 0), CC_OK);
	ck_assert_int_eq(cc_frame_encode(hbuf, hlen, bbuf, blen, 0, &f), CC_OK);
	ck_assert_uint_eq(cc_frame_size(f), n);
	ck_assert_mem_eq(cc_frame_bytes(f), want, n);
	ck_assert_ptr_eq(cc_frame_header(f, &len), cc_frame_bytes(f) + 6);
	ck_assert_uint_eq(len, 1);
	ck_assert_ptr_eq(cc_frame_body(f, &len), cc_frame_bytes(f) + 7);
	ck_assert_uint_eq(len, 9);
	cc_frame_unref(f);
	free(hbuf);
	free(bbuf);
	json_decref(hdr);
	json_decref(body);
}
END_TEST

START_TEST(test_golden_build)
{
	unsigned char want[64];
	size_t n = golden(GOLDEN2, want), blen = 99;
	struct cc_header h;
	struct cc_frame *f;

	cc_header_init(&h);
	h.type = cc_strref_of("getlname");
	ck_assert_int_eq(cc_frame_build(&h, NULL, 0, 0, &f), CC_OK);
	ck_assert_uint_eq(cc_frame_size(f), n);
	ck_assert_mem_eq(cc_frame_bytes(f), want, n);
	ck_assert_ptr_nonnull(cc_frame_body(f, &blen));
	ck_assert_uint_eq(blen, 0);
	cc_frame_unref(f);
	cc_header_clear(&h);
}
END_TEST

START_TEST(test_prefix)
{
	unsigned char p[CC_WIRE_PREFIX_LEN], want[CC_WIRE_PREFIX_LEN];

	ck_assert_int_eq(cc_wire_prefix(p, 1, 9), CC_OK);
	ck_assert_mem_eq(p, want, wt_hex("00 00 00 0c 00 01", want, 6));
	ck_assert_int_eq(cc_wire_prefix(p, 65535, 0x01000000), CC_OK);
	ck_assert_mem_eq(p, want, wt_hex("01 01 00 01 ff ff", want, 6));
	ck_assert_int_eq(cc_wire_prefix(p, 0, 5), CC_EINVAL);
	ck_assert_int_eq(cc_wire_prefix(p, 65536, 5), CC_EINVAL);
	ck_assert_int_eq(cc_wire_prefix(p, 1, UINT32_MAX - 3), CC_OK);
	ck_assert_mem_eq(p, want, wt_hex("ff ff ff ff 00 01", want, 6));
	ck_assert_int_eq(cc_wire_prefix(p, 1, UINT32_MAX - 2), CC_EINVAL);
	ck_assert_int_eq(cc_wire_prefix(p, 2, UINT32_MAX - 3), CC_EINVAL);
}
END_TEST

START_TEST(test_encode_limits)
{
	static const unsigned char hdr[3] = { 0x80, 0, 0 };
	static unsigned char body[100];
	struct cc_frame *f = (struct cc_frame *)1;

	/* length = 2 + hlen + blen must not pass max_frame. */
	ck_assert_int_eq(cc_frame_encode(hdr, 1, body, 97, 100, &f), CC_OK);
	ck_assert_uint_eq(cc_frame_size(f), 104);
	cc_frame_unref(f);
	f = (struct cc_frame *)1;
	ck_assert_int_eq(cc_frame_encode(hdr, 1, body, 98, 100, &f), CC_EINVAL);
	ck_assert_ptr_null(f);
	ck_assert_int_eq(cc_frame_encode(hdr, 0, body, 1, 0, &f), CC_EINVAL);
	ck_assert_int_eq(cc_frame_encode(NULL, 1, body, 1, 0, &f), CC_EINVAL);
	ck_assert_int_eq(cc_frame_encode(hdr, 1, NULL, 1, 0, &f), CC_EINVAL);
	ck_assert_int_eq(cc_frame_encode(hdr, 1, NULL, 0, 0, &f), CC_OK);
	ck_assert_uint_eq(cc_frame_size(f), 7);
	cc_frame_unref(f);
	/* 0 means the default, 16 MiB. */
	ck_assert_int_eq(cc_frame_encode(hdr, 1, body, CC_WIRE_MAX_FRAME - 2,
	    0, &f), CC_EINVAL);
	ck_assert_int_eq(cc_frame_encode(hdr, 1, NULL, 0,
	    CC_WIRE_MAX_FRAME, &f), CC_OK);
	cc_frame_unref(f);
}
END_TEST

START_TEST(test_refcount)
{
	static const unsigned char hdr[1] = { 0x80 };
	struct cc_frame *f, *g;

	ck_assert_int_eq(cc_frame_encode(hdr, 1, NULL, 0, 0, &f), CC_OK);
	g = cc_frame_ref(f);
	ck_assert_ptr_eq(g, f);
	cc_frame_unref(f);
	/* Still alive: the sanitizers and valgrind catch a use after free. */
	ck_assert_uint_eq(cc_frame_bytes(g)[6], 0x80);
	cc_frame_unref(g);
	cc_frame_unref(NULL);
}
END_TEST

START_TEST(test_build_all_fields)
{
	unsigned char want[256];
	size_t n, len;
	struct cc_header h;
	struct cc_frame *f;

	n = wt_hex("00 00 00 4a 00 45 88"
	    "a4 74797065 a4 73656e64"
	    "a4 66726f6d a1 61"
	    "a2 746f a1 2a"
	    "a5 67726f7570 a1 47"
	    "a8 696e7374616e6365 a1 2a"
	    "a3 736571 ff"
	    "ab 77616e745f616e73776572 c3"
	    "a5 7265706c79 cd 01 2c"
	    "c0 c0 c0", want, sizeof(want));
	cc_header_init(&h);
	h.type = cc_strref_of("send");
	h.from = cc_strref_of("a");
	h.to = cc_strref_of("*");
	h.group = cc_strref_of("G");
	h.instance = cc_strref_of("*");
	h.seq = -1;
	h.reply = 300;
	h.flags = CC_HDR_SEQ | CC_HDR_REPLY | CC_HDR_WANT_ANSWER;
	ck_assert_int_eq(cc_frame_build(&h, "\xc0\xc0\xc0", 3, 0, &f), CC_OK);
	ck_assert_uint_eq(cc_frame_size(f), n);
	ck_assert_mem_eq(cc_frame_bytes(f), want, n);
	cc_frame_header(f, &len);
	ck_assert_uint_eq(len, 0x45);
	cc_frame_body(f, &len);
	ck_assert_uint_eq(len, 3);
	cc_frame_unref(f);
}
END_TEST

START_TEST(test_build_limits)
{
	static char big[70000];
	struct cc_header h;
	struct cc_frame *f = (struct cc_frame *)1;
	size_t size;

	cc_header_init(&h);
	ck_assert_int_eq(cc_frame_build(&h, NULL, 0, 0, &f), CC_EINVAL);
	ck_assert_ptr_null(f);
	h.type = cc_strref_of("ping");
	ck_assert_int_eq(cc_frame_build(&h, NULL, 1, 0, &f), CC_EINVAL);
	memset(big, 'x', sizeof(big));
	h.group.ptr = big;
	h.group.len = sizeof(big);
	ck_assert_int_eq(cc_frame_build(&h, NULL, 0, 0, &f), CC_EINVAL);
	/* A header of exactly 65535 bytes is the largest allowed: 82, a4
	 * "type" a4 "ping", a5 "group" and a str16 header take 20 bytes. */
	h.group.len = 65535 - 20;
	ck_assert_int_eq(cc_frame_build(&h, NULL, 0, 0, &f), CC_OK);
	cc_frame_header(f, &size);
	ck_assert_uint_eq(size, 65535);
	cc_frame_unref(f);
	h.group.len++;
	ck_assert_int_eq(cc_frame_build(&h, NULL, 0, 0, &f), CC_EINVAL);
	/* max_frame bounds 2 + hlen + blen: here hlen is 11. */
	h.group.ptr = NULL;
	ck_assert_int_eq(cc_frame_build(&h, big, 87, 100, &f), CC_OK);
	ck_assert_uint_eq(cc_frame_size(f), 104);
	cc_frame_unref(f);
	ck_assert_int_eq(cc_frame_build(&h, big, 88, 100, &f), CC_EINVAL);
}
END_TEST

START_TEST(test_strref)
{
	struct cc_strref r = cc_strref_of(NULL);

	ck_assert_ptr_null(r.ptr);
	ck_assert_uint_eq(r.len, 0);
	ck_assert(!cc_strref_eq(r, "x"));
	ck_assert(!cc_strref_eq(r, ""));
	r = cc_strref_of("abc");
	ck_assert_uint_eq(r.len, 3);
	ck_assert(cc_strref_eq(r, "abc"));
	ck_assert(!cc_strref_eq(r, "abcd"));
	ck_assert(!cc_strref_eq(r, "ab"));
	ck_assert(!cc_strref_eq(r, "abd"));
	ck_assert(!cc_strref_eq(r, NULL));
	r.ptr = "abcd";
	ck_assert(cc_strref_eq(r, "abc"));
	ck_assert(cc_strref_eq(cc_strref_of(""), ""));
	ck_assert(!cc_strref_eq(cc_strref_of(""), "a"));
}
END_TEST

START_TEST(test_strerror)
{
	int i;

	ck_assert_str_eq(cc_strerror(CC_OK), "success");
	ck_assert_str_eq(cc_strerror(CC_ECONNLOST), "connection lost");
	for (i = CC_ESTATE; i <= CC_OK; i++) {
		ck_assert_ptr_nonnull(cc_strerror(i));
		ck_assert_str_ne(cc_strerror(i), "unknown error");
	}
	ck_assert_str_eq(cc_strerror(CC_ESTATE - 1), "unknown error");
	ck_assert_str_eq(cc_strerror(1), "unknown error");
	ck_assert_str_eq(cc_strerror(INT32_MIN), "unknown error");
}
END_TEST

/* The decoder. */

static struct cc_decoder *
dec_new(size_t max_frame)
{
	struct cc_decoder *d = cc_decoder_new(max_frame);

	ck_assert_ptr_nonnull(d);
	return d;
}

/* Expect the next frame to be exactly want[0..n). */
static void
expect_frame(struct cc_decoder *d, const unsigned char *want, size_t n)
{
	struct cc_frame *f;

	ck_assert_int_eq(cc_decoder_next(d, &f), 1);
	ck_assert_uint_eq(cc_frame_size(f), n);
	ck_assert_mem_eq(cc_frame_bytes(f), want, n);
	cc_frame_unref(f);
}

static void
expect_error(struct cc_decoder *d, const char *why)
{
	struct cc_frame *f = (struct cc_frame *)1;

	ck_assert_int_eq(cc_decoder_next(d, &f), -1);
	ck_assert_ptr_null(f);
	ck_assert_ptr_nonnull(cc_decoder_error(d));
	ck_assert_str_eq(cc_decoder_error(d), why);
}

static void
expect_nothing(struct cc_decoder *d)
{
	struct cc_frame *f = (struct cc_frame *)1;

	ck_assert_int_eq(cc_decoder_next(d, &f), 0);
	ck_assert_ptr_null(f);
	ck_assert_ptr_null(cc_decoder_error(d));
}

START_TEST(test_decode_byte_by_byte)
{
	unsigned char g1[64], g2[64];
	size_t n1 = golden(GOLDEN1, g1), n2 = golden(GOLDEN2, g2), i;
	struct cc_decoder *d = dec_new(0);

	for (i = 0; i < n1; i++) {
		expect_nothing(d);
		ck_assert_uint_eq(cc_decoder_pending(d), i);
		ck_assert_int_eq(cc_decoder_feed(d, g1 + i, 1), CC_OK);
	}
	ck_assert_uint_eq(cc_decoder_pending(d), n1);
	for (i = 0; i < n2; i++)
		ck_assert_int_eq(cc_decoder_feed(d, g2 + i, 1), CC_OK);
	ck_assert_uint_eq(cc_decoder_pending(d), n1 + n2);
	expect_frame(d, g1, n1);
	ck_assert_uint_eq(cc_decoder_pending(d), n2);
	expect_frame(d, g2, n2);
	ck_assert_uint_eq(cc_decoder_pending(d), 0);
	expect_nothing(d);
	ck_assert_int_eq(cc_decoder_feed(d, NULL, 0), CC_OK);
	expect_nothing(d);
	cc_decoder_free(d);
}
END_TEST

/* A growing byte stream of random frames. */
struct stream {
	unsigned char	*buf;
	size_t		 len, cap;
};

/*
 * Append a frame of random size (now and then one of up to big bytes, so
 * the decoder's growth past its first 64 KiB is exercised); its offset
 * and size in *off, *len. The bytes are a pattern unique to the frame.
 */
static void
stream_add_frame(struct stream *s, uint64_t *rnd, size_t big, size_t *off,
    size_t *len)
{
	size_t hlen = 1 + wt_rand(rnd) % 300, blen, i;
	unsigned r = (unsigned)(wt_rand(rnd) % 100);
	unsigned char salt = (unsigned char)wt_rand(rnd);

	blen = r < 10 ? 0 : r < 97 ? wt_rand(rnd) % 3000 :
	    wt_rand(rnd) % big;
	if (s->len + 6 + hlen + blen > s->cap) {
		s->cap = (s->len + 6 + hlen + blen) * 2;
		s->buf = realloc(s->buf, s->cap);
		ck_assert_ptr_nonnull(s->buf);
	}
	*off = s->len;
	*len = 6 + hlen + blen;
	ck_assert_int_eq(cc_wire_prefix(s->buf + s->len, hlen, blen), CC_OK);
	for (i = 6; i < *len; i++)
		s->buf[s->len + i] = (unsigned char)(i * 13 + salt);
	s->len += *len;
}

#define NFRAMES_MAX	300

/* Feed nframes frames in chunks from pick() and check they all come out,
 * in order and intact, with pending() right after every chunk. */
static void
decode_stream(uint64_t seed, size_t (*pick)(uint64_t *), int nframes,
    size_t big)
{
	size_t offs[NFRAMES_MAX], lens[NFRAMES_MAX], pos = 0, chunk;
	struct stream s = { NULL, 0, 0 };
	uint64_t rnd = seed;
	struct cc_decoder *d = dec_new(0);
	struct cc_frame *f;
	int i, next = 0, rc;

	ck_assert_int_le(nframes, NFRAMES_MAX);
	for (i = 0; i < nframes; i++)
		stream_add_frame(&s, &rnd, big, &offs[i], &lens[i]);
	while (pos < s.len) {
		chunk = pick(&rnd);
		if (chunk > s.len - pos)
			chunk = s.len - pos;
		rc = cc_decoder_feed(d, s.buf + pos, chunk);
		WT_REQUIRE(rc == CC_OK, "feed at %zu: %d", pos, rc);
		pos += chunk;
		while ((rc = cc_decoder_next(d, &f)) == 1) {
			WT_REQUIRE(next < nframes, "frame %d too many", next);
			WT_REQUIRE(cc_frame_size(f) == lens[next] &&
			    memcmp(cc_frame_bytes(f), s.buf + offs[next],
			    lens[next]) == 0, "frame %d differs", next);
			cc_frame_unref(f);
			next++;
		}
		WT_REQUIRE(rc == 0, "next at %zu: %d (%s)", pos, rc,
		    cc_decoder_error(d));
		WT_REQUIRE(cc_decoder_pending(d) ==
		    pos - (next < nframes ? offs[next] : s.len),
		    "pending %zu at %zu", cc_decoder_pending(d), pos);
	}
	ck_assert_int_eq(next, nframes);
	ck_assert_uint_eq(cc_decoder_pending(d), 0);
	cc_decoder_free(d);
	free(s.buf);
}

static size_t
pick_random(uint64_t *rnd)
{
	uint64_t r = wt_rand(rnd);

	switch (r % 4) {
	case 0:
		return 1 + (r >> 8) % 7;
	case 1:
		return 1 + (r >> 8) % 300;
	case 2:
		return 1 + (r >> 8) % 9000;
	default:
		return 1 + (r >> 8) % 200000;
	}
}

static size_t
pick_one(uint64_t *rnd)
{
	(void)rnd;
	return 1;
}

static size_t
pick_all(uint64_t *rnd)
{
	(void)rnd;
	return SIZE_MAX;
}

START_TEST(test_decode_random_chunks)
{
	uint64_t seed = wt_seed("decode_random_chunks");
	int round;

	for (round = 0; round < 3; round++)
		decode_stream(seed + (uint64_t)round, pick_random, 300,
		    300u << 10);
	decode_stream(seed, pick_all, 300, 300u << 10);
}
END_TEST

START_TEST(test_decode_one_byte_chunks)
{
	decode_stream(wt_seed("decode_one_byte_chunks"), pick_one, 150,
	    100u << 10);
}
END_TEST

START_TEST(test_decode_truncated)
{
	unsigned char g[64];
	size_t n = golden(GOLDEN1, g);
	struct cc_decoder *d = dec_new(0);

	ck_assert_int_eq(cc_decoder_feed(d, g, 3), CC_OK);
	expect_nothing(d);
	ck_assert_uint_eq(cc_decoder_pending(d), 3);
	ck_assert_int_eq(cc_decoder_feed(d, g + 3, n - 4), CC_OK);
	expect_nothing(d);
	ck_assert_uint_eq(cc_decoder_pending(d), n - 1);
	cc_decoder_free(d);
}
END_TEST

START_TEST(test_decode_oversized)
{
	unsigned char p[16];
	struct cc_decoder *d = dec_new(0);

	/* Rejected as soon as the prefix is in: no more bytes needed. */
	wt_hex("01 31 2d 00 00 01", p, sizeof(p));
	ck_assert_int_eq(cc_decoder_feed(d, p, 5), CC_OK);
	expect_nothing(d);
	ck_assert_int_eq(cc_decoder_feed(d, p + 5, 1), CC_OK);
	expect_error(d, "frame length 20000000 exceeds max_frame 16777216");
	ck_assert_uint_eq(cc_decoder_pending(d), 6);
	/* Later input is ignored; the error stays. */
	ck_assert_int_eq(cc_decoder_feed(d, p, 6), CC_OK);
	ck_assert_uint_eq(cc_decoder_pending(d), 6);
	expect_error(d, "frame length 20000000 exceeds max_frame 16777216");
	cc_decoder_free(d);

	/* Exactly max_frame is allowed. */
	d = dec_new(0);
	wt_hex("01 00 00 00 00 01", p, sizeof(p));
	ck_assert_int_eq(cc_decoder_feed(d, p, 6), CC_OK);
	expect_nothing(d);
	wt_hex("01 00 00 01 00 01", p, sizeof(p));
	cc_decoder_free(d);
	d = dec_new(0);
	ck_assert_int_eq(cc_decoder_feed(d, p, 6), CC_OK);
	expect_error(d, "frame length 16777217 exceeds max_frame 16777216");
	cc_decoder_free(d);
}
END_TEST

START_TEST(test_decode_bad_prefixes)
{
	static const struct {
		const char *hex, *why;
	} bad[] = {
		{ "00 00 00 05 00 00", "header length 0" },
		{ "00 00 00 0a 00 46", "header length 70 exceeds frame length 10" },
		{ "00 00 00 47 00 46", "header length 70 and its 2-byte field "
		    "exceed frame length 71" },
		{ "00 00 00 02 00 01", "header length 1 and its 2-byte field "
		    "exceed frame length 2" },
		{ "00 00 00 01 00 01", "frame length 1 is shorter than 2" },
		{ "00 00 00 00 00 00", "frame length 0 is shorter than 2" },
		{ "ff ff ff ff 00 01", "frame length 4294967295 exceeds "
		    "max_frame 16777216" },
	};
	unsigned char p[8];
	struct cc_decoder *d;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = dec_new(0);
		ck_assert_int_eq(cc_decoder_feed(d, p,
		    wt_hex(bad[i].hex, p, sizeof(p))), CC_OK);
		expect_error(d, bad[i].why);
		cc_decoder_free(d);
	}
	/* The smallest good frame: hlen 1, no body. */
	d = dec_new(0);
	ck_assert_int_eq(cc_decoder_feed(d, p,
	    wt_hex("00 00 00 03 00 01 80", p, sizeof(p))), CC_OK);
	expect_frame(d, p, 7);
	expect_nothing(d);
	cc_decoder_free(d);
}
END_TEST

START_TEST(test_decode_frames_before_error)
{
	unsigned char s[128], g1[64], g2[64];
	size_t n1 = golden(GOLDEN1, g1), n2 = golden(GOLDEN2, g2), n;
	struct cc_decoder *d = dec_new(0);

	memcpy(s, g1, n1);
	memcpy(s + n1, g2, n2);
	n = n1 + n2 + wt_hex("00 00 00 05 00 00 ff ff ff", s + n1 + n2, 16);
	ck_assert_int_eq(cc_decoder_feed(d, s, n), CC_OK);
	expect_frame(d, g1, n1);
	expect_frame(d, g2, n2);
	expect_error(d, "header length 0");
	expect_error(d, "header length 0");
	cc_decoder_free(d);
}
END_TEST

START_TEST(test_decode_set_max_frame)
{
	unsigned char buf[600], p[8];
	struct cc_decoder *d = dec_new(100);

	memset(buf, 0xc0, sizeof(buf));
	ck_assert_int_eq(cc_wire_prefix(buf, 1, 97), CC_OK);
	ck_assert_int_eq(cc_decoder_feed(d, buf, 104), CC_OK);
	expect_frame(d, buf, 104);
	ck_assert_int_eq(cc_wire_prefix(buf, 1, 98), CC_OK);
	ck_assert_int_eq(cc_decoder_feed(d, buf, 6), CC_OK);
	expect_error(d, "frame length 101 exceeds max_frame 100");
	cc_decoder_free(d);

	/* A new limit applies to the next prefix that completes... */
	d = dec_new(1000);
	ck_assert_int_eq(cc_wire_prefix(p, 1, 497), CC_OK);
	ck_assert_int_eq(cc_decoder_feed(d, p, 3), CC_OK);
	cc_decoder_set_max_frame(d, 100);
	ck_assert_int_eq(cc_decoder_feed(d, p + 3, 3), CC_OK);
	expect_error(d, "frame length 500 exceeds max_frame 100");
	cc_decoder_free(d);

	/* ...not to a frame whose prefix is already in. */
	d = dec_new(1000);
	ck_assert_int_eq(cc_wire_prefix(buf, 1, 497), CC_OK);
	ck_assert_int_eq(cc_decoder_feed(d, buf, 10), CC_OK);
	cc_decoder_set_max_frame(d, 100);
	ck_assert_int_eq(cc_decoder_feed(d, buf + 10, 494), CC_OK);
	expect_frame(d, buf, 504);
	ck_assert_int_eq(cc_decoder_feed(d, buf, 6), CC_OK);
	expect_error(d, "frame length 500 exceeds max_frame 100");
	cc_decoder_free(d);

	/* 0 restores the default. */
	d = dec_new(100);
	cc_decoder_set_max_frame(d, 0);
	ck_assert_int_eq(cc_decoder_feed(d, buf, 504), CC_OK);
	expect_frame(d, buf, 504);
	cc_decoder_free(d);
}
END_TEST

START_TEST(test_decode_large_frame)
{
	const size_t blen = (5u << 20) + 123;
	unsigned char *buf = malloc(6 + 1 + blen);
	struct cc_decoder *d = dec_new(0);
	struct cc_frame *f;
	size_t i, pos, chunk;

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(cc_wire_prefix(buf, 1, blen), CC_OK);
	for (i = 6; i < 7 + blen; i++)
		buf[i] = (unsigned char)(i * 7);
	for (pos = 0; pos < 7 + blen; pos += chunk) {
		WT_REQUIRE(cc_decoder_next(d, &f) == 0, "early frame");
		chunk = 7 + blen - pos < 4093 ? 7 + blen - pos : 4093;
		WT_REQUIRE(cc_decoder_feed(d, buf + pos, chunk) == CC_OK,
		    "feed at %zu", pos);
		WT_REQUIRE(cc_decoder_pending(d) == pos + chunk,
		    "pending %zu at %zu", cc_decoder_pending(d), pos);
	}
	expect_frame(d, buf, 7 + blen);
	cc_decoder_free(d);
	free(buf);
}
END_TEST

#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
static size_t
heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}
#else
static size_t
heap_in_use(void)
{
	return 0;
}
#endif

/*
 * A peer announcing a 16 MiB frame and sending 10 bytes must not get 16
 * MiB allocated. (Measured with glibc's mallinfo2; under the sanitizers,
 * whose allocator it does not see, the check is vacuous.)
 */
START_TEST(test_decode_no_trust_in_length)
{
	unsigned char p[16] = { 0 };
	struct cc_decoder *d = dec_new(0);
	size_t before;

	before = heap_in_use();
	ck_assert_int_eq(cc_wire_prefix(p, 1, CC_WIRE_MAX_FRAME - 3), CC_OK);
	ck_assert_int_eq(cc_decoder_feed(d, p, sizeof(p)), CC_OK);
	expect_nothing(d);
	ck_assert_uint_lt(heap_in_use() - before, 1u << 20);
	cc_decoder_free(d);
}
END_TEST

/* cc_msgpack_check(): one whole value, bounded by the bytes present. */

static int
mp_check_hex(const char *hex, size_t *used, char *err, size_t errlen)
{
	unsigned char b[64];
	size_t n = wt_hex(hex, b, sizeof(b));

	return cc_msgpack_check(b, n, used, err, errlen);
}

START_TEST(test_msgpack_check_valid)
{
	static const char *const ok[] = {
		"c0", "c3", "7f", "e0", "cf ff ff ff ff ff ff ff ff",
		"cb 3f f0 00 00 00 00 00 00", "a0", "a3 61 62 63",
		"c4 02 00 01", "d4 01 02", "90", "80",
		"82 a1 61 01 a1 62 92 c0 c2",
		"dd 00 00 00 02 01 02", "df 00 00 00 01 a1 6b 90",
		/* {"command": ["stats"]} */
		"81 a7 63 6f 6d 6d 61 6e 64 91 a5 73 74 61 74 73",
	};
	struct wt_mp m;
	char err[128];
	size_t i, used;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_msg(mp_check_hex(ok[i], NULL, err, sizeof(err)) ==
		    CC_OK, "%s: %s", ok[i], err);
	/* With used: the value's size, trailing bytes allowed. */
	ck_assert_int_eq(mp_check_hex("92 01 02 c0 c0", &used, NULL, 0),
	    CC_OK);
	ck_assert_uint_eq(used, 3);
	/* A map of 1000 keys packed by msgpack-c. */
	wt_mp_init(&m);
	msgpack_pack_map(&m.pk, 1000);
	for (i = 0; i < 1000; i++) {
		msgpack_pack_uint64(&m.pk, i);
		msgpack_pack_str(&m.pk, 1);
		msgpack_pack_str_body(&m.pk, "x", 1);
	}
	ck_assert_int_eq(cc_msgpack_check(m.sb.data, m.sb.size, NULL, err,
	    sizeof(err)), CC_OK);
	wt_mp_free(&m);
}
END_TEST

START_TEST(test_msgpack_check_truncated)
{
	static const char *const bad[] = {
		"92 01", "a3 61 62", "cd 01", "c4 05 00", "82 a1 61 01",
		"d4 01", "df 00 00 00 01 a1 6b",
	};
	char err[128];
	size_t i, used;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(mp_check_hex(bad[i], NULL, err, sizeof(err)) ==
		    CC_EDECODE, "%s passed", bad[i]);
		ck_assert_msg(strstr(err, "truncated") != NULL, "%s: %s",
		    bad[i], err);
		/* used does not make a truncated value whole. */
		ck_assert_int_eq(mp_check_hex(bad[i], &used, NULL, 0),
		    CC_EDECODE);
	}
	ck_assert_int_eq(cc_msgpack_check("", 0, NULL, err, sizeof(err)),
	    CC_EDECODE);
	ck_assert_int_eq(cc_msgpack_check(NULL, 0, NULL, NULL, 0), CC_EDECODE);
	ck_assert_int_eq(cc_msgpack_check(NULL, 1, NULL, NULL, 0), CC_EINVAL);
	/* 0xc1 is never msgpack. */
	ck_assert_int_eq(mp_check_hex("91 c1", NULL, err, sizeof(err)),
	    CC_EDECODE);
	ck_assert_str_eq(err, "invalid byte 0xc1 at byte 1");
}
END_TEST

/*
 * The five bytes that make msgpack-c reserve 8 GiB (an array of 2^28 - 1
 * elements announced, none present), and their map twin: refused at
 * once, without allocating.
 */
START_TEST(test_msgpack_check_huge_counts)
{
	char err[128];
	size_t used;

	ck_assert_int_eq(mp_check_hex("dd 0f ff ff ff", NULL, err,
	    sizeof(err)), CC_EDECODE);
	ck_assert_str_eq(err, "truncated value at byte 0");
	ck_assert_int_eq(mp_check_hex("df ff ff ff ff", &used, err,
	    sizeof(err)), CC_EDECODE);
	/* Nested inside a command, as a peer would send it. */
	ck_assert_int_eq(mp_check_hex("81 a7 63 6f 6d 6d 61 6e 64 dd 0f ff "
	    "ff ff", NULL, err, sizeof(err)), CC_EDECODE);
	ck_assert_str_eq(err, "truncated value at byte 9");
	/* A count exactly covered by one-byte elements passes. */
	ck_assert_int_eq(mp_check_hex("dc 00 03 01 02 03", NULL, NULL, 0),
	    CC_OK);
	ck_assert_int_eq(mp_check_hex("dc 00 04 01 02 03", NULL, NULL, 0),
	    CC_EDECODE);
}
END_TEST

START_TEST(test_msgpack_check_depth)
{
	unsigned char b[64];
	char err[128];
	size_t i;

	/* 32 nested arrays around nil: the deepest accepted. */
	for (i = 0; i < 32; i++)
		b[i] = 0x91;
	b[32] = 0xc0;
	ck_assert_int_eq(cc_msgpack_check(b, 33, NULL, err, sizeof(err)),
	    CC_OK);
	/* 33: refused, whatever follows. */
	for (i = 0; i < 33; i++)
		b[i] = 0x91;
	b[33] = 0xc0;
	ck_assert_int_eq(cc_msgpack_check(b, 34, NULL, err, sizeof(err)),
	    CC_EDECODE);
	ck_assert_str_eq(err, "containers nested deeper than 32 at byte 32");
	/* Empty containers count as a level too. */
	b[32] = 0x80;
	ck_assert_int_eq(cc_msgpack_check(b, 33, NULL, NULL, 0), CC_EDECODE);
}
END_TEST

START_TEST(test_msgpack_check_trailing)
{
	char err[128];
	size_t used = 99;

	ck_assert_int_eq(mp_check_hex("80 00", NULL, err, sizeof(err)),
	    CC_EDECODE);
	ck_assert_str_eq(err, "trailing bytes after the value at byte 1");
	ck_assert_int_eq(mp_check_hex("01 c1", NULL, err, sizeof(err)),
	    CC_EDECODE);
	ck_assert_int_eq(mp_check_hex("01 c1", &used, NULL, 0), CC_OK);
	ck_assert_uint_eq(used, 1);
	/* Two whole values are not one. */
	ck_assert_int_eq(mp_check_hex("91 01 91 02", NULL, NULL, 0),
	    CC_EDECODE);
}
END_TEST

static Suite *
wire_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("frame");

	tcase_add_test(tc, test_golden_encode);
	tcase_add_test(tc, test_golden_build);
	tcase_add_test(tc, test_prefix);
	tcase_add_test(tc, test_encode_limits);
	tcase_add_test(tc, test_refcount);
	tcase_add_test(tc, test_build_all_fields);
	tcase_add_test(tc, test_build_limits);
	tcase_add_test(tc, test_strref);
	tcase_add_test(tc, test_strerror);
	suite_add_tcase(s, tc);
	tc = tcase_create("decoder");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_decode_byte_by_byte);
	tcase_add_test(tc, test_decode_random_chunks);
	tcase_add_test(tc, test_decode_one_byte_chunks);
	tcase_add_test(tc, test_decode_truncated);
	tcase_add_test(tc, test_decode_oversized);
	tcase_add_test(tc, test_decode_bad_prefixes);
	tcase_add_test(tc, test_decode_frames_before_error);
	tcase_add_test(tc, test_decode_set_max_frame);
	tcase_add_test(tc, test_decode_large_frame);
	tcase_add_test(tc, test_decode_no_trust_in_length);
	suite_add_tcase(s, tc);
	tc = tcase_create("msgpack_check");
	tcase_add_test(tc, test_msgpack_check_valid);
	tcase_add_test(tc, test_msgpack_check_truncated);
	tcase_add_test(tc, test_msgpack_check_huge_counts);
	tcase_add_test(tc, test_msgpack_check_depth);
	tcase_add_test(tc, test_msgpack_check_trailing);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(wire_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
