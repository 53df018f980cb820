/*
 * cc_header_parse(): the fields of PROTOCOL.md section 3, read straight
 * from a header's msgpack bytes. msgq runs this on every frame, so it
 * builds no json_t and allocates nothing: strings point into the caller's
 * bytes and the rest is plain integers. (h->priv, reserved for parser
 * memory, stays NULL: reading the bytes in place needs none, and unlike
 * msgpack_unpack() it never sizes an allocation from a count in the
 * bytes.)
 *
 * A field of the wrong type, or a duplicate, does not stop the parse: the
 * first such error is reported, and every field that could be read is
 * still filled in, because msgq answers a bad header with its `seq`,
 * `want_answer` and `group` (PROTOCOL.md 5.8 and 5.9). Bytes that are not
 * msgpack do stop it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cc/error.h"
#include "wire-internal.h"

enum hfield_kind {
	HF_STR,
	HF_INT,
	HF_BOOL,
};

static const struct hfield {
	const char		*name;
	size_t			 len;
	enum hfield_kind	 kind;
	size_t			 off;	/* of the cc_strref or int64_t */
	unsigned		 flag;	/* CC_HDR_ bit for int and bool */
} hfields[] = {
	{ "type", 4, HF_STR, offsetof(struct cc_header, type), 0 },
	{ "from", 4, HF_STR, offsetof(struct cc_header, from), 0 },
	{ "to", 2, HF_STR, offsetof(struct cc_header, to), 0 },
	{ "group", 5, HF_STR, offsetof(struct cc_header, group), 0 },
	{ "instance", 8, HF_STR, offsetof(struct cc_header, instance), 0 },
	{ "seq", 3, HF_INT, offsetof(struct cc_header, seq), CC_HDR_SEQ },
	{ "want_answer", 11, HF_BOOL, 0, CC_HDR_WANT_ANSWER },
	{ "reply", 5, HF_INT, offsetof(struct cc_header, reply), CC_HDR_REPLY },
};
#define NHFIELDS	(sizeof(hfields) / sizeof(hfields[0]))

struct hdr_parse {
	struct cc_header	*h;
	const unsigned char	*buf;
	size_t			 len;
	size_t			 off;
	unsigned		 seen;	/* bit i: hfields[i] was met */
};

void
cc_header_init(struct cc_header *h)
{
	memset(h, 0, sizeof(*h));
}

void
cc_header_clear(struct cc_header *h)
{
	memset(h, 0, sizeof(*h));
}

static void hdr_error(struct cc_header *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Keep the first error: later ones are often its consequences. */
static void
hdr_error(struct cc_header *h, const char *fmt, ...)
{
	va_list ap;

	if (h->error[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(h->error, sizeof(h->error), fmt, ap);
	va_end(ap);
}

static void
hdr_clear_fields(struct cc_header *h)
{
	h->type = h->from = h->to = h->group = h->instance =
	    (struct cc_strref){ NULL, 0 };
	h->seq = h->reply = 0;
	h->flags = 0;
}

/* Nothing read before bytes that are not msgpack is trusted: a reader
 * must not answer a seq found in garbage. */
static int
hdr_bad_bytes(struct cc_header *h, int mp_error)
{
	hdr_clear_fields(h);
	if (mp_error == LIBCC_MP_TOO_DEEP)
		hdr_error(h, "header nested deeper than %d", LIBCC_MP_MAX_DEPTH);
	else
		hdr_error(h, "header is not valid msgpack");
	return CC_EHEADER;
}

static const struct hfield *
hfield_find(const unsigned char *key, size_t len)
{
	size_t i;

	for (i = 0; i < NHFIELDS; i++)
		if (hfields[i].len == len &&
		    memcmp(hfields[i].name, key, len) == 0)
			return &hfields[i];
	return NULL;
}

/* An integer of any msgpack width: 1 if it is unsigned above INT64_MAX
 * (*n then holds its bit pattern), 0 otherwise, -1 if not an integer. */
static int
hdr_int(const struct libcc_mp_item *v, int64_t *n)
{
	if (v->kind == LIBCC_MP_INT) {
		*n = v->v.i;
		return 0;
	}
	if (v->kind != LIBCC_MP_UINT)
		return -1;
	*n = (int64_t)v->v.u;
	return v->v.u > INT64_MAX;
}

/* Store a known field's value in h, or note why it has the wrong type. */
static void
hdr_store(struct cc_header *h, const struct hfield *hf,
    const struct libcc_mp_item *v)
{
	struct cc_strref *s;
	int64_t n;
	int rc;

	switch (hf->kind) {
	case HF_STR:
		if (v->kind != LIBCC_MP_STR) {
			hdr_error(h, "field '%s' should be a string", hf->name);
			return;
		}
		s = (struct cc_strref *)((char *)h + hf->off);
		s->ptr = (const char *)v->ptr;
		s->len = v->len;
		return;
	case HF_INT:
		if ((rc = hdr_int(v, &n)) == -1) {
			hdr_error(h, "field '%s' should be an integer",
			    hf->name);
			return;
		}
		*(int64_t *)((char *)h + hf->off) = n;
		h->flags |= hf->flag;
		if (rc == 1)
			h->flags |= hf->flag == CC_HDR_SEQ ? CC_HDR_SEQ_U64 :
			    CC_HDR_REPLY_U64;
		return;
	case HF_BOOL:
		if (v->kind != LIBCC_MP_BOOL)
			hdr_error(h, "field '%s' should be a boolean", hf->name);
		else if (v->v.b)
			h->flags |= hf->flag;
		return;
	}
}

/* Read the next value; a container is skipped whole, its header kept in
 * *it. Fails only on bytes that are not msgpack. */
static int
hdr_next(struct hdr_parse *ps, struct libcc_mp_item *it)
{
	size_t at = ps->off;
	int rc;

	if ((rc = libcc_mp_read(ps->buf, ps->len, &ps->off, it)) != 0)
		return hdr_bad_bytes(ps->h, rc);
	if (it->kind != LIBCC_MP_ARRAY && it->kind != LIBCC_MP_MAP)
		return CC_OK;
	ps->off = at;
	rc = libcc_mp_skip(ps->buf, ps->len, &ps->off, LIBCC_MP_MAX_DEPTH - 1);
	return rc != 0 ? hdr_bad_bytes(ps->h, rc) : CC_OK;
}

/* One key/value pair of the header map. */
static int
hdr_pair(struct hdr_parse *ps)
{
	const struct hfield *hf = NULL;
	struct libcc_mp_item k, v;
	unsigned bit;

	if (hdr_next(ps, &k) != CC_OK || hdr_next(ps, &v) != CC_OK)
		return CC_EHEADER;
	if (k.kind != LIBCC_MP_STR)
		hdr_error(ps->h, "header key is not a string");
	else
		hf = hfield_find(k.ptr, k.len);
	if (hf == NULL)
		return CC_OK;
	bit = 1u << (hf - hfields);
	if (ps->seen & bit)
		hdr_error(ps->h, "duplicate field '%s'", hf->name);
	else
		hdr_store(ps->h, hf, &v);
	ps->seen |= bit;
	return CC_OK;
}

int
cc_header_parse(struct cc_header *h, const void *buf, size_t len)
{
	struct hdr_parse ps = { h, buf, len, 0, 0 };
	struct libcc_mp_item m;
	uint32_t i;
	int rc;

	hdr_clear_fields(h);
	h->error[0] = '\0';
	if (buf == NULL)
		ps.len = 0;
	if ((rc = libcc_mp_read(ps.buf, ps.len, &ps.off, &m)) != 0)
		return hdr_bad_bytes(h, rc);
	if (m.kind != LIBCC_MP_MAP) {
		hdr_error(h, "header is not a map");
		return CC_EHEADER;
	}
	for (i = 0; i < m.v.count; i++)
		if (hdr_pair(&ps) != CC_OK)
			return CC_EHEADER;
	if (ps.off != ps.len)
		hdr_error(h, "trailing bytes after the header");
	if (h->type.ptr == NULL)
		hdr_error(h, "field 'type' missing");
	return h->error[0] != '\0' ? CC_EHEADER : CC_OK;
}
