/*
 * Fuzz target: the incremental frame decoder (cc_decoder_* in cc/wire.h)
 * and what every frame it returns goes through next.
 *
 * The input is one configuration byte, then the byte stream. The low four
 * bits of the first byte choose how the stream is cut into feeds (0: all
 * at once, 1: a byte at a time, n: chunks of 1 to n*n bytes from a PRNG
 * seeded by the input); bits 4-6 choose max_frame (0: the default, k:
 * 8 << k bytes, so that small frames can break it); bit 7 takes frames
 * out only at the end instead of after every feed, so that many wait in
 * the decoder at once.
 *
 * The decoder is held to a model of PROTOCOL.md section 2 written here
 * from the text: the same frames, byte for byte and in order, the framing
 * error exactly where the model finds one and only once its prefix has
 * been fed, every frame within max_frame, every byte fed and not yet
 * returned counted as pending. Each frame is encoded again with
 * cc_frame_encode(), its header goes through fuzz_check_header(), its
 * body through fuzz_check_value() and fuzz_check_body().
 */
#include <stdbool.h>
#include <string.h>

#include <cc/error.h>
#include <cc/wire.h>

#include "fuzz.h"

struct run {
	struct cc_decoder	*d;
	const unsigned char	*s;	/* the stream */
	size_t			 len;
	size_t			 max_frame; /* as given; 0: the default */
	size_t			 limit;	/* the limit in force */
	size_t			 fed;	/* bytes fed */
	size_t			 off;	/* returned in frames */
	bool			 failed; /* next() said -1 */
};

/*
 * The model: the frame starting at r->off. 1 and its size when it is
 * whole in the stream, 0 when the stream ends first, -1 when its prefix
 * breaks a limit: 1 <= hlen, 2 + hlen <= length <= max_frame.
 */
static int
model_next(const struct run *r, size_t *size)
{
	const unsigned char *p = r->s + r->off;
	size_t left = r->len - r->off;
	uint32_t length, hlen;

	if (left < CC_WIRE_PREFIX_LEN)
		return 0;
	length = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	hlen = (uint32_t)p[4] << 8 | p[5];
	if (length > r->limit || length < 2 || hlen < 1 || hlen > length - 2)
		return -1;
	if (left - 4 < length)
		return 0;
	*size = (size_t)length + 4;
	return 1;
}

/* A frame the decoder returned: the model's next one, whole. */
static void
check_frame(struct run *r, struct cc_frame *f)
{
	const unsigned char *b = cc_frame_bytes(f), *hb, *body;
	size_t size = cc_frame_size(f), want = 0, hlen, blen;
	struct cc_frame *g;
	json_t *v;

	FUZZ_REQUIRE(model_next(r, &want) == 1 && size == want,
	    "frame of %zu bytes at offset %zu, the model expects %zu", size,
	    r->off, want);
	FUZZ_REQUIRE(r->off + size <= r->fed && memcmp(b, r->s + r->off,
	    size) == 0, "frame at offset %zu is not the bytes fed", r->off);
	FUZZ_REQUIRE(size - 4 <= r->limit, "frame length %zu above "
	    "max_frame %zu", size - 4, r->limit);
	hb = cc_frame_header(f, &hlen);
	body = cc_frame_body(f, &blen);
	FUZZ_REQUIRE(hb == b + CC_WIRE_PREFIX_LEN && hlen >= 1 &&
	    body == hb + hlen && CC_WIRE_PREFIX_LEN + hlen + blen == size,
	    "header and body do not tile the frame");
	/* What one end accepts, the other end, configured alike, encodes. */
	FUZZ_REQUIRE(cc_frame_encode(hb, hlen, body, blen, r->max_frame,
	    &g) == CC_OK && cc_frame_size(g) == size &&
	    memcmp(cc_frame_bytes(g), b, size) == 0,
	    "cc_frame_encode does not reproduce a decoded frame");
	cc_frame_unref(g);
	fuzz_check_header(hb, hlen);
	if (blen > 0 && (v = fuzz_check_value(body, blen)) != NULL) {
		fuzz_check_body(v);
		json_decref(v);
	}
	r->off += size;
}

/* Take out every frame the decoder has. */
static void
drain(struct run *r)
{
	struct cc_frame *f;
	size_t want;
	int rc;

	while ((rc = cc_decoder_next(r->d, &f)) == 1) {
		FUZZ_REQUIRE(!r->failed, "a frame after the framing error");
		check_frame(r, f);
		cc_frame_unref(f);
	}
	FUZZ_REQUIRE(f == NULL, "cc_decoder_next returned %d and a frame", rc);
	if (rc == 0) {
		FUZZ_REQUIRE(!r->failed && cc_decoder_error(r->d) == NULL,
		    "more bytes needed, yet an error");
		FUZZ_REQUIRE(cc_decoder_pending(r->d) == r->fed - r->off,
		    "pending %zu, fed %zu, returned %zu",
		    cc_decoder_pending(r->d), r->fed, r->off);
		return;
	}
	FUZZ_REQUIRE(rc == -1, "cc_decoder_next returned %d", rc);
	FUZZ_REQUIRE(cc_decoder_error(r->d) != NULL, "-1 without a reason");
	FUZZ_REQUIRE(model_next(r, &want) == -1 &&
	    r->off + CC_WIRE_PREFIX_LEN <= r->fed, "framing error at offset "
	    "%zu that the model does not see: %s", r->off,
	    cc_decoder_error(r->d));
	r->failed = true;
}

static uint32_t
xorshift32(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run r = { 0 };
	unsigned cut, drain_each;
	uint32_t x;
	size_t n;
	int rc;

	if (size == 0)
		return 0;
	cut = data[0] & 0x0f;
	r.max_frame = (data[0] >> 4 & 7) != 0 ? 8u << (data[0] >> 4 & 7) : 0;
	r.limit = r.max_frame != 0 ? r.max_frame : CC_WIRE_MAX_FRAME;
	drain_each = !(data[0] & 0x80);
	r.s = data + 1;
	r.len = size - 1;
	x = (uint32_t)size * 2654435761u ^ data[0] ^ 1;
	if ((r.d = cc_decoder_new(r.max_frame)) == NULL)
		return 0;
	FUZZ_REQUIRE(cc_decoder_feed(r.d, NULL, 0) == CC_OK,
	    "an empty feed refused");
	while (r.fed < r.len) {
		n = cut == 0 ? r.len : cut == 1 ? 1 :
		    1 + xorshift32(&x) % (cut * cut);
		if (n > r.len - r.fed)
			n = r.len - r.fed;
		/* After a framing error input is ignored, still accepted. */
		if ((rc = cc_decoder_feed(r.d, r.s + r.fed, n)) == CC_ENOMEM)
			goto out;
		FUZZ_REQUIRE(rc == CC_OK, "cc_decoder_feed returned %d", rc);
		r.fed += n;
		if (drain_each)
			drain(&r);
	}
	drain(&r);
	FUZZ_REQUIRE(r.failed == (model_next(&r, &n) == -1),
	    "the stream ends %s a framing error, the model says otherwise",
	    r.failed ? "with" : "without");
out:
	cc_decoder_free(r.d);
	return 0;
}
