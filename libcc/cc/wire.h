/*
 * The wire layer: frames, the incremental decoder, header parsing.
 *
 * A frame is  length:u32be | hlen:u16be | header (hlen bytes) | body,
 * with length = 2 + hlen + body size (PROTOCOL.md section 2). Nothing in
 * this layer does I/O: bytes go in through cc_decoder_feed(), frames come
 * out of cc_decoder_next(), so a blocking client, an event-driven client,
 * msgq and the tests all share it.
 */
#ifndef CC_WIRE_H
#define CC_WIRE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CC_WIRE_PREFIX_LEN	6		/* length + hlen */
#define CC_WIRE_HLEN_MAX	65535		/* hlen is a u16 */
#define CC_WIRE_MAX_FRAME	(16u << 20)	/* default max_frame, 16 MiB */
#define CC_WIRE_MIN_FRAME	(64u << 10)	/* smallest max_frame accepted */

/*
 * A frame: the exact bytes of one message on the wire, prefix included.
 * Immutable once built, reference counted so that msgq can queue the same
 * bytes to many recipients without copying them. Not thread-safe.
 */
struct cc_frame;

/*
 * Build a frame from an already-encoded header and body. hlen must be
 * 1..CC_WIRE_HLEN_MAX and the whole frame must fit max_frame (0 means
 * CC_WIRE_MAX_FRAME). body may be NULL when blen is 0.
 * Returns CC_OK and a new frame (reference count 1, owned by the caller) in
 * *out, CC_EINVAL if a limit is broken, CC_ENOMEM.
 */
int cc_frame_encode(const void *header, size_t hlen, const void *body,
    size_t blen, size_t max_frame, struct cc_frame **out);

/* Write the 6-byte prefix for a frame of hlen and blen into out. Returns
 * CC_OK, or CC_EINVAL if hlen is 0 or too big or the total overflows u32. */
int cc_wire_prefix(unsigned char out[CC_WIRE_PREFIX_LEN], size_t hlen,
    size_t blen);

/* The whole frame as sent on the wire, and its size (prefix included). */
const unsigned char *cc_frame_bytes(const struct cc_frame *f);
size_t cc_frame_size(const struct cc_frame *f);
/* The header and body bytes inside the frame (borrowed from f). The body
 * pointer is valid (not NULL) even when *blen is 0. */
const unsigned char *cc_frame_header(const struct cc_frame *f, size_t *hlen);
const unsigned char *cc_frame_body(const struct cc_frame *f, size_t *blen);

/* Take one more reference; returns f. */
struct cc_frame *cc_frame_ref(struct cc_frame *f);
/* Drop a reference; the frame is freed with the last one. NULL is a no-op. */
void cc_frame_unref(struct cc_frame *f);

/*
 * The incremental decoder. Feed it bytes in any chunks (one byte at a time
 * works); take complete frames out in order. It checks the limits of
 * PROTOCOL.md section 2 as soon as the 6-byte prefix is in, before it
 * allocates room for the rest, and never trusts the peer's length for more
 * than it has actually received.
 */
struct cc_decoder;

/* A decoder enforcing max_frame (0: CC_WIRE_MAX_FRAME). NULL on ENOMEM. */
struct cc_decoder *cc_decoder_new(size_t max_frame);
void cc_decoder_free(struct cc_decoder *d);
/* Change the limit; applies from the next frame whose prefix arrives. */
void cc_decoder_set_max_frame(struct cc_decoder *d, size_t max_frame);

/*
 * Give the decoder len bytes (copied). Returns CC_OK or CC_ENOMEM. After a
 * framing error the decoder ignores further input: the stream cannot be
 * resynchronised.
 */
int cc_decoder_feed(struct cc_decoder *d, const void *buf, size_t len);

/*
 * Take the next complete frame. Returns 1 and a frame owned by the caller in
 * *out; 0 if more bytes are needed; -1 on a framing error, after every frame
 * that was complete before the bad one has been returned. The reason is
 * then in cc_decoder_error(). Keeps returning -1 after an error.
 */
int cc_decoder_next(struct cc_decoder *d, struct cc_frame **out);

/* Why the decoder failed ("frame length 20000000 exceeds max_frame
 * 16777216"), or NULL if it has not. Borrowed from d. */
const char *cc_decoder_error(const struct cc_decoder *d);

/* Bytes fed but not yet returned as frames (for queue accounting). */
size_t cc_decoder_pending(const struct cc_decoder *d);

/* A string inside a parsed header: not NUL-terminated. ptr is NULL when
 * the field is absent. */
struct cc_strref {
	const char *ptr;
	size_t len;
};

enum {
	CC_HDR_SEQ = 1 << 0,		/* seq is present */
	CC_HDR_REPLY = 1 << 1,		/* reply is present */
	CC_HDR_WANT_ANSWER = 1 << 2,	/* want_answer is present and true */
	/*
	 * seq / reply was a msgpack positive integer above INT64_MAX: the
	 * field holds its bit pattern, (uint64_t)seq is the value, and the
	 * encoder packs it back unsigned. PROTOCOL.md lets a sender pick any
	 * integer and msgq never checks it, so such a seq must route and be
	 * echoed exactly like any other.
	 */
	CC_HDR_SEQ_U64 = 1 << 3,
	CC_HDR_REPLY_U64 = 1 << 4,
};

/*
 * The fields of PROTOCOL.md section 3, parsed from a header without
 * building any json_t. Strings point into the parsed bytes, so they live as
 * long as those bytes. Embed one, cc_header_init() it, parse many headers
 * with it (it reuses its memory), cc_header_clear() it at the end.
 */
struct cc_header {
	struct cc_strref type, from, to, group, instance;
	int64_t seq;		/* valid if flags & CC_HDR_SEQ */
	int64_t reply;		/* valid if flags & CC_HDR_REPLY */
	unsigned flags;
	char error[128];	/* why the last parse failed */
	void *priv;		/* private: parser memory */
};

void cc_header_init(struct cc_header *h);
void cc_header_clear(struct cc_header *h);

/*
 * Parse buf (exactly one msgpack map with string keys and nothing after it)
 * into h. Checks the type of every known field (type, from, to, group,
 * instance: str; seq, reply: int of any width, see CC_HDR_SEQ_U64;
 * want_answer: bool), that `type` is present, and that no known field
 * appears twice. Unknown keys are skipped. Returns CC_OK, CC_EHEADER with
 * the reason in h->error ("field 'seq' should be an integer"), or
 * CC_ENOMEM. On CC_EHEADER the fields that could be read are still set
 * (msgq answers a bad header with its seq), unless the bytes are not
 * msgpack at all: then none is.
 */
int cc_header_parse(struct cc_header *h, const void *buf, size_t len);

/*
 * The one header encoder: build a whole frame whose header holds the
 * fields of h that are set (a strref with ptr NULL is left out; seq, reply
 * and want_answer per h->flags), in the order type, from, to, group,
 * instance, seq, want_answer, reply, followed by body (already msgpack,
 * may be NULL when blen is 0). Returns CC_OK and a new frame in *out,
 * CC_EINVAL if h has no type or the frame would break a limit, CC_ENOMEM.
 */
int cc_frame_build(const struct cc_header *h, const void *body, size_t blen,
    size_t max_frame, struct cc_frame **out);

/*
 * Check, without allocating, that buf holds one complete msgpack value
 * that a decoder may be given: nested at most 32 containers deep (the
 * limit of cc_json_unpack and of msgpack-c's unpacker), every str, bin
 * and ext length within the bytes present, and every array or map count
 * bounded by them (each element takes at least one byte), byte 0xc1
 * nowhere. ext values pass: this checks the shape, not the content.
 *
 * Why: msgpack-c's msgpack_unpack_next() allocates
 * count * sizeof(msgpack_object) from an array or map header before it
 * looks for the elements, so five bytes (dd 0f ff ff ff) make it reserve
 * gigabytes. After this check passes, what it allocates is bounded by a
 * small multiple of len (one msgpack_object, 24 bytes on 64-bit systems,
 * per byte of input at most). Call it on untrusted bytes before
 * msgpack-c's unpacker.
 *
 * used NULL: the value must fill buf exactly (trailing bytes are an
 * error). used not NULL: bytes after the value are allowed and *used gets
 * the value's size. Returns CC_OK, or CC_EDECODE with the reason and the
 * offset in err when err is not NULL ("truncated value at byte 1",
 * "containers nested deeper than 32 at byte 32", "trailing bytes after
 * the value at byte 5"); CC_EINVAL if buf is NULL and len is not 0. An
 * empty buf is truncated. buf is only read.
 */
int cc_msgpack_check(const void *buf, size_t len, size_t *used, char *err,
    size_t errlen);

/* A strref of a C string (ptr NULL for s NULL). */
struct cc_strref cc_strref_of(const char *s);

/* True if r holds exactly the NUL-terminated string s. */
int cc_strref_eq(struct cc_strref r, const char *s);

#ifdef __cplusplus
}
#endif
#endif
