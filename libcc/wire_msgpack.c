/*
 * Reading msgpack straight from bytes, for the header parser and the
 * json_t codec. One item at a time, no allocation, every length and count
 * checked against the bytes actually present: this is where a hostile peer
 * meets libcc first, so nothing it writes is trusted to size anything.
 * cc_msgpack_check() offers the same guarantee to callers that decode
 * with msgpack-c (msgq).
 */
#include <string.h>

#include "cc/error.h"

#include "wire-internal.h"

/* What the tags 0xc0..0xdf mean: the item kind and the width in bytes of
 * the big-endian number after the tag (a length, a count or the value). */
enum {
	TAG_FIXED = 1,		/* fixext: width is the payload size */
	TAG_BAD = 2,		/* 0xc1 */
};

static const struct {
	uint8_t	kind;
	uint8_t	width;
	uint8_t	flags;
} mp_tags[32] = {
	[0x00] = { LIBCC_MP_NIL, 0, 0 },
	[0x01] = { LIBCC_MP_NIL, 0, TAG_BAD },
	[0x02] = { LIBCC_MP_BOOL, 0, 0 },
	[0x03] = { LIBCC_MP_BOOL, 0, 0 },
	[0x04] = { LIBCC_MP_BIN, 1, 0 },
	[0x05] = { LIBCC_MP_BIN, 2, 0 },
	[0x06] = { LIBCC_MP_BIN, 4, 0 },
	[0x07] = { LIBCC_MP_EXT, 1, 0 },
	[0x08] = { LIBCC_MP_EXT, 2, 0 },
	[0x09] = { LIBCC_MP_EXT, 4, 0 },
	[0x0a] = { LIBCC_MP_FLOAT32, 4, 0 },
	[0x0b] = { LIBCC_MP_FLOAT64, 8, 0 },
	[0x0c] = { LIBCC_MP_UINT, 1, 0 },
	[0x0d] = { LIBCC_MP_UINT, 2, 0 },
	[0x0e] = { LIBCC_MP_UINT, 4, 0 },
	[0x0f] = { LIBCC_MP_UINT, 8, 0 },
	[0x10] = { LIBCC_MP_INT, 1, 0 },
	[0x11] = { LIBCC_MP_INT, 2, 0 },
	[0x12] = { LIBCC_MP_INT, 4, 0 },
	[0x13] = { LIBCC_MP_INT, 8, 0 },
	[0x14] = { LIBCC_MP_EXT, 1, TAG_FIXED },
	[0x15] = { LIBCC_MP_EXT, 2, TAG_FIXED },
	[0x16] = { LIBCC_MP_EXT, 4, TAG_FIXED },
	[0x17] = { LIBCC_MP_EXT, 8, TAG_FIXED },
	[0x18] = { LIBCC_MP_EXT, 16, TAG_FIXED },
	[0x19] = { LIBCC_MP_STR, 1, 0 },
	[0x1a] = { LIBCC_MP_STR, 2, 0 },
	[0x1b] = { LIBCC_MP_STR, 4, 0 },
	[0x1c] = { LIBCC_MP_ARRAY, 2, 0 },
	[0x1d] = { LIBCC_MP_ARRAY, 4, 0 },
	[0x1e] = { LIBCC_MP_MAP, 2, 0 },
	[0x1f] = { LIBCC_MP_MAP, 4, 0 },
};

static uint64_t
load_be(const unsigned char *p, unsigned width)
{
	uint64_t n = 0;
	unsigned i;

	for (i = 0; i < width; i++)
		n = n << 8 | p[i];
	return n;
}

static int64_t
sign_extend(uint64_t n, unsigned width)
{
	switch (width) {
	case 1:
		return (int8_t)n;
	case 2:
		return (int16_t)n;
	case 4:
		return (int32_t)n;
	default:
		return (int64_t)n;
	}
}

/* The fix* forms: the whole item is the tag byte. */
static void
read_fix(unsigned char tag, struct libcc_mp_item *it)
{
	if (tag <= 0x7f) {
		it->kind = LIBCC_MP_UINT;
		it->v.u = tag;
	} else if (tag <= 0x8f) {
		it->kind = LIBCC_MP_MAP;
		it->v.count = tag & 0x0f;
	} else if (tag <= 0x9f) {
		it->kind = LIBCC_MP_ARRAY;
		it->v.count = tag & 0x0f;
	} else if (tag <= 0xbf) {
		it->kind = LIBCC_MP_STR;
		it->len = tag & 0x1f;
	} else {
		it->kind = LIBCC_MP_INT;
		it->v.i = (int8_t)tag;
	}
}

/* Give the item its value from n, the number that followed the tag. */
static void
set_value(struct libcc_mp_item *it, unsigned char tag, uint64_t n,
    unsigned width)
{
	uint32_t f32;
	double f64;
	float f;

	switch (it->kind) {
	case LIBCC_MP_BOOL:
		it->v.b = tag == 0xc3;
		break;
	case LIBCC_MP_UINT:
		it->v.u = n;
		break;
	case LIBCC_MP_INT:
		it->v.i = sign_extend(n, width);
		break;
	case LIBCC_MP_FLOAT32:
		f32 = (uint32_t)n;
		memcpy(&f, &f32, sizeof(f));
		it->v.f = f;
		break;
	case LIBCC_MP_FLOAT64:
		memcpy(&f64, &n, sizeof(f64));
		it->v.f = f64;
		break;
	case LIBCC_MP_ARRAY:
	case LIBCC_MP_MAP:
		it->v.count = (uint32_t)n;
		break;
	default:
		it->len = (uint32_t)n;
		break;
	}
}

/*
 * Where the payload of str, bin and ext starts and that it fits; that the
 * elements a container announces can exist (each takes a byte at least).
 */
static int
check_rest(const unsigned char *buf, size_t len, size_t at,
    struct libcc_mp_item *it)
{
	uint64_t need;

	switch (it->kind) {
	case LIBCC_MP_EXT:
		if (at >= len)
			return LIBCC_MP_TRUNCATED;
		it->ext_type = (int8_t)buf[at++];
		/* FALLTHROUGH */
	case LIBCC_MP_STR:
	case LIBCC_MP_BIN:
		if (it->len > len - at)
			return LIBCC_MP_TRUNCATED;
		it->ptr = buf + at;
		return 0;
	case LIBCC_MP_ARRAY:
	case LIBCC_MP_MAP:
		need = it->v.count;
		if (it->kind == LIBCC_MP_MAP)
			need *= 2;
		return need > len - at ? LIBCC_MP_TRUNCATED : 0;
	default:
		return 0;
	}
}

int
libcc_mp_read(const unsigned char *buf, size_t len, size_t *off,
    struct libcc_mp_item *it)
{
	size_t at = *off;
	unsigned char tag;
	unsigned width = 0;
	int rc;

	if (at >= len)
		return LIBCC_MP_TRUNCATED;
	memset(it, 0, sizeof(*it));
	tag = buf[at++];
	if (tag < 0xc0 || tag >= 0xe0)
		read_fix(tag, it);
	else {
		if (mp_tags[tag - 0xc0].flags & TAG_BAD)
			return LIBCC_MP_INVALID;
		it->kind = mp_tags[tag - 0xc0].kind;
		width = mp_tags[tag - 0xc0].width;
		if (mp_tags[tag - 0xc0].flags & TAG_FIXED)
			it->len = width;
		else {
			if (width > len - at)
				return LIBCC_MP_TRUNCATED;
			set_value(it, tag, load_be(buf + at, width), width);
			at += width;
		}
	}
	if ((rc = check_rest(buf, len, at, it)) != 0)
		return rc;
	if (it->ptr != NULL)
		at = (size_t)(it->ptr - buf) + it->len;
	*off = at;
	return 0;
}

int
libcc_mp_skip(const unsigned char *buf, size_t len, size_t *off,
    int max_depth)
{
	/* Elements still to come in each open container. */
	uint64_t left[LIBCC_MP_MAX_DEPTH];
	struct libcc_mp_item it;
	size_t at;
	int top = 0, rc;

	if (max_depth > LIBCC_MP_MAX_DEPTH)
		max_depth = LIBCC_MP_MAX_DEPTH;
	for (;;) {
		at = *off;
		if ((rc = libcc_mp_read(buf, len, off, &it)) != 0)
			return rc;
		if (it.kind == LIBCC_MP_ARRAY || it.kind == LIBCC_MP_MAP) {
			if (top >= max_depth) {
				*off = at;
				return LIBCC_MP_TOO_DEEP;
			}
			if (it.v.count > 0) {
				left[top++] = it.kind == LIBCC_MP_MAP ?
				    2 * (uint64_t)it.v.count : it.v.count;
				continue;
			}
		}
		while (top > 0 && --left[top - 1] == 0)
			top--;
		if (top == 0)
			return 0;
	}
}

int
cc_msgpack_check(const void *buf, size_t len, size_t *used, char *err,
    size_t errlen)
{
	size_t off = 0;
	int rc;

	if (buf == NULL && len > 0) {
		libcc_errf(err, errlen, "no buffer");
		return CC_EINVAL;
	}
	rc = libcc_mp_skip(buf, len, &off, LIBCC_MP_MAX_DEPTH);
	switch (rc) {
	case 0:
		break;
	case LIBCC_MP_TRUNCATED:
		libcc_errf(err, errlen, "truncated value at byte %zu", off);
		return CC_EDECODE;
	case LIBCC_MP_INVALID:
		libcc_errf(err, errlen, "invalid byte 0xc1 at byte %zu", off);
		return CC_EDECODE;
	default:
		libcc_errf(err, errlen, "containers nested deeper than %d at "
		    "byte %zu", LIBCC_MP_MAX_DEPTH, off);
		return CC_EDECODE;
	}
	if (used != NULL)
		*used = off;
	else if (off != len) {
		libcc_errf(err, errlen, "trailing bytes after the value at "
		    "byte %zu", off);
		return CC_EDECODE;
	}
	return CC_OK;
}
