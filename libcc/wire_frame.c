/*
 * Frames (PROTOCOL.md section 2): one reference-counted allocation holding
 * the exact bytes on the wire, prefix included, so msgq can queue the same
 * frame to many recipients and write it with one call. Also the one header
 * encoder, cc_frame_build(), which packs the header straight into the new
 * frame: one allocation per frame, no intermediate buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "cc/error.h"
#include "wire-internal.h"

struct cc_frame *
libcc_frame_alloc(size_t cap)
{
	struct cc_frame *f;

	if (cap > SIZE_MAX - sizeof(*f))
		return NULL;
	if ((f = malloc(sizeof(*f) + cap)) == NULL)
		return NULL;
	f->refs = 1;
	f->size = 0;
	return f;
}

static size_t
frame_limit(size_t max_frame)
{
	return max_frame == 0 ? CC_WIRE_MAX_FRAME : max_frame;
}

int
cc_wire_prefix(unsigned char out[CC_WIRE_PREFIX_LEN], size_t hlen,
    size_t blen)
{
	uint32_t length;

	if (hlen == 0 || hlen > CC_WIRE_HLEN_MAX ||
	    blen > UINT32_MAX - 2 - hlen)
		return CC_EINVAL;
	length = (uint32_t)(2 + hlen + blen);
	out[0] = (unsigned char)(length >> 24);
	out[1] = (unsigned char)(length >> 16);
	out[2] = (unsigned char)(length >> 8);
	out[3] = (unsigned char)length;
	out[4] = (unsigned char)(hlen >> 8);
	out[5] = (unsigned char)hlen;
	return CC_OK;
}

/* max_frame bounds `length`, which counts hlen's 2 bytes, header and body
 * but not itself: the same rule the decoder applies, so whatever one end
 * encodes the other end, configured alike, accepts. */
static int
frame_check(size_t hlen, size_t blen, size_t max_frame,
    unsigned char prefix[CC_WIRE_PREFIX_LEN])
{
	if (cc_wire_prefix(prefix, hlen, blen) != CC_OK)
		return CC_EINVAL;
	if (2 + hlen + blen > frame_limit(max_frame))
		return CC_EINVAL;
	return CC_OK;
}

int
cc_frame_encode(const void *header, size_t hlen, const void *body,
    size_t blen, size_t max_frame, struct cc_frame **out)
{
	unsigned char prefix[CC_WIRE_PREFIX_LEN];
	struct cc_frame *f;

	if (out == NULL)
		return CC_EINVAL;
	*out = NULL;
	if (header == NULL || (body == NULL && blen > 0))
		return CC_EINVAL;
	if (frame_check(hlen, blen, max_frame, prefix) != CC_OK)
		return CC_EINVAL;
	if ((f = libcc_frame_alloc(CC_WIRE_PREFIX_LEN + hlen + blen)) == NULL)
		return CC_ENOMEM;
	memcpy(f->bytes, prefix, CC_WIRE_PREFIX_LEN);
	memcpy(f->bytes + CC_WIRE_PREFIX_LEN, header, hlen);
	if (blen > 0)
		memcpy(f->bytes + CC_WIRE_PREFIX_LEN + hlen, body, blen);
	f->size = CC_WIRE_PREFIX_LEN + hlen + blen;
	*out = f;
	return CC_OK;
}

const unsigned char *
cc_frame_bytes(const struct cc_frame *f)
{
	return f->bytes;
}

size_t
cc_frame_size(const struct cc_frame *f)
{
	return f->size;
}

static size_t
frame_hlen(const struct cc_frame *f)
{
	return (size_t)f->bytes[4] << 8 | f->bytes[5];
}

const unsigned char *
cc_frame_header(const struct cc_frame *f, size_t *hlen)
{
	if (hlen != NULL)
		*hlen = frame_hlen(f);
	return f->bytes + CC_WIRE_PREFIX_LEN;
}

const unsigned char *
cc_frame_body(const struct cc_frame *f, size_t *blen)
{
	size_t hlen = frame_hlen(f);

	if (blen != NULL)
		*blen = f->size - CC_WIRE_PREFIX_LEN - hlen;
	return f->bytes + CC_WIRE_PREFIX_LEN + hlen;
}

struct cc_frame *
cc_frame_ref(struct cc_frame *f)
{
	f->refs++;
	return f;
}

void
cc_frame_unref(struct cc_frame *f)
{
	if (f != NULL && --f->refs == 0)
		free(f);
}

struct cc_strref
cc_strref_of(const char *s)
{
	struct cc_strref r;

	r.ptr = s;
	r.len = s != NULL ? strlen(s) : 0;
	return r;
}

int
cc_strref_eq(struct cc_strref r, const char *s)
{
	if (r.ptr == NULL || s == NULL)
		return 0;
	return strlen(s) == r.len && memcmp(r.ptr, s, r.len) == 0;
}

/*
 * cc_frame_build: the string fields in wire order. The integer and boolean
 * fields follow them (seq, want_answer, reply).
 */
static const struct {
	const char	*name;
	size_t		 off;
} build_strs[] = {
	{ "type", offsetof(struct cc_header, type) },
	{ "from", offsetof(struct cc_header, from) },
	{ "to", offsetof(struct cc_header, to) },
	{ "group", offsetof(struct cc_header, group) },
	{ "instance", offsetof(struct cc_header, instance) },
};
#define NBUILD_STRS	(sizeof(build_strs) / sizeof(build_strs[0]))

/* Longest encodings: a fixstr key of up to 11 bytes, a str32 header, an
 * int64 with its tag, a map32 header. */
#define KEY_MAX		12
#define STRHDR_MAX	5
#define INT_MAX_ENC	9
#define MAPHDR_MAX	5

static const struct cc_strref *
build_str(const struct cc_header *h, size_t i)
{
	return (const struct cc_strref *)((const char *)h + build_strs[i].off);
}

/*
 * An upper bound on the header's encoded size, and the number of fields.
 * CC_EINVAL as soon as the strings alone could not fit hlen, so a huge
 * string is refused before anything is allocated for it.
 */
static int
header_bound(const struct cc_header *h, size_t *bound, size_t *nfields)
{
	const struct cc_strref *s;
	size_t i, text = 0;

	*bound = MAPHDR_MAX;
	*nfields = 0;
	for (i = 0; i < NBUILD_STRS; i++) {
		s = build_str(h, i);
		if (s->ptr == NULL)
			continue;
		if (s->len > CC_WIRE_HLEN_MAX - text)
			return CC_EINVAL;
		text += s->len;
		*bound += KEY_MAX + STRHDR_MAX + s->len;
		(*nfields)++;
	}
	if (h->flags & CC_HDR_SEQ) {
		*bound += KEY_MAX + INT_MAX_ENC;
		(*nfields)++;
	}
	if (h->flags & CC_HDR_WANT_ANSWER) {
		*bound += KEY_MAX + 1;
		(*nfields)++;
	}
	if (h->flags & CC_HDR_REPLY) {
		*bound += KEY_MAX + INT_MAX_ENC;
		(*nfields)++;
	}
	return CC_OK;
}

struct frame_writer {
	unsigned char	*p;
	size_t		 left;
};

static int
frame_write(void *data, const char *buf, size_t len)
{
	struct frame_writer *w = data;

	if (len > w->left)
		return -1;
	memcpy(w->p, buf, len);
	w->p += len;
	w->left -= len;
	return 0;
}

static int
pack_key(msgpack_packer *pk, const char *key)
{
	size_t len = strlen(key);

	return msgpack_pack_str(pk, len) || msgpack_pack_str_body(pk, key, len);
}

/* seq and reply: unsigned when the header said so (CC_HDR_SEQ_U64). */
static int
pack_int(msgpack_packer *pk, int64_t v, unsigned is_u64)
{
	return is_u64 ? msgpack_pack_uint64(pk, (uint64_t)v) :
	    msgpack_pack_int64(pk, v);
}

static int
pack_header(msgpack_packer *pk, const struct cc_header *h, size_t nfields)
{
	const struct cc_strref *s;
	size_t i;
	int bad;

	bad = msgpack_pack_map(pk, nfields);
	for (i = 0; i < NBUILD_STRS; i++) {
		s = build_str(h, i);
		if (s->ptr == NULL)
			continue;
		bad = bad || pack_key(pk, build_strs[i].name) ||
		    msgpack_pack_str(pk, s->len) ||
		    msgpack_pack_str_body(pk, s->ptr, s->len);
	}
	if (h->flags & CC_HDR_SEQ)
		bad = bad || pack_key(pk, "seq") ||
		    pack_int(pk, h->seq, h->flags & CC_HDR_SEQ_U64);
	if (h->flags & CC_HDR_WANT_ANSWER)
		bad = bad || pack_key(pk, "want_answer") ||
		    msgpack_pack_true(pk);
	if (h->flags & CC_HDR_REPLY)
		bad = bad || pack_key(pk, "reply") ||
		    pack_int(pk, h->reply, h->flags & CC_HDR_REPLY_U64);
	return bad ? CC_EINVAL : CC_OK;
}

/*
 * The frame is allocated for the bound on the header, the header packed in
 * place after the prefix, then the body copied behind it; the slack (a few
 * dozen bytes at most) is never sent.
 */
int
cc_frame_build(const struct cc_header *h, const void *body, size_t blen,
    size_t max_frame, struct cc_frame **out)
{
	struct frame_writer w;
	msgpack_packer pk;
	struct cc_frame *f;
	size_t bound, nfields, hlen;

	if (out == NULL)
		return CC_EINVAL;
	*out = NULL;
	if (h == NULL || h->type.ptr == NULL || (body == NULL && blen > 0))
		return CC_EINVAL;
	if (header_bound(h, &bound, &nfields) != CC_OK ||
	    blen > frame_limit(max_frame))
		return CC_EINVAL;
	if ((f = libcc_frame_alloc(CC_WIRE_PREFIX_LEN + bound + blen)) == NULL)
		return CC_ENOMEM;
	w.p = f->bytes + CC_WIRE_PREFIX_LEN;
	w.left = bound;
	msgpack_packer_init(&pk, &w, frame_write);
	if (pack_header(&pk, h, nfields) != CC_OK)
		goto fail;
	hlen = bound - w.left;
	if (frame_check(hlen, blen, max_frame, f->bytes) != CC_OK)
		goto fail;
	if (blen > 0)
		memcpy(w.p, body, blen);
	f->size = CC_WIRE_PREFIX_LEN + hlen + blen;
	*out = f;
	return CC_OK;
fail:
	free(f);
	return CC_EINVAL;
}
