/*
 * Private to libcc: the layout of a frame, shared by the encoder and the
 * decoder, and the msgpack reading primitives shared by the header parser
 * and the json_t codec. Not installed; every symbol here is libcc_* and
 * stays out of the shared object's exports.
 */
#ifndef LIBCC_WIRE_INTERNAL_H
#define LIBCC_WIRE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "cc/wire.h"

/*
 * One allocation: the bookkeeping followed by the frame's bytes, prefix
 * included. size is the frame's final size; while the decoder assembles a
 * frame the allocation may hold fewer bytes than that.
 */
struct cc_frame {
	unsigned	 refs;
	size_t		 size;
	unsigned char	 bytes[];
};

/* A frame with room for cap bytes, reference count 1, size 0; NULL on
 * ENOMEM. */
struct cc_frame *libcc_frame_alloc(size_t cap);

/* The error-buffer formatter used across the wire layer: snprintf into
 * err when err is not NULL. */
void libcc_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * msgpack, read straight from the bytes. msgpack-c's unpacker allocates
 * count * sizeof(msgpack_object) up front for every array and map header,
 * trusting the count the peer wrote (5 bytes can ask it for gigabytes);
 * these readers never allocate and check every count against the bytes
 * that are actually there.
 */
enum libcc_mp_kind {
	LIBCC_MP_NIL,
	LIBCC_MP_BOOL,
	LIBCC_MP_UINT,		/* positive fixint, uint 8..64: v.u */
	LIBCC_MP_INT,		/* negative fixint, int 8..64: v.i */
	LIBCC_MP_FLOAT32,	/* v.f */
	LIBCC_MP_FLOAT64,	/* v.f */
	LIBCC_MP_STR,		/* ptr, len */
	LIBCC_MP_BIN,		/* ptr, len */
	LIBCC_MP_EXT,		/* ptr, len, ext_type */
	LIBCC_MP_ARRAY,		/* v.count elements follow */
	LIBCC_MP_MAP,		/* v.count key/value pairs follow */
};

struct libcc_mp_item {
	enum libcc_mp_kind	 kind;
	union {
		int		 b;
		uint64_t	 u;
		int64_t		 i;
		double		 f;
		uint32_t	 count;
	} v;
	const unsigned char	*ptr;
	uint32_t		 len;
	int8_t			 ext_type;
};

/* Deepest nesting of containers libcc reads or writes: msgpack-c's own
 * unpacker limit, and CC_CODEC_MAX_DEPTH. */
#define LIBCC_MP_MAX_DEPTH	32

enum {
	LIBCC_MP_TRUNCATED = -1,	/* the value runs past the end */
	LIBCC_MP_INVALID = -2,		/* byte 0xc1, never used by msgpack */
	LIBCC_MP_TOO_DEEP = -3,		/* containers nested too deeply */
};

/*
 * Read the item starting at buf[*off]: a scalar whole, a container's
 * header only. Returns 0 and moves *off past it, or LIBCC_MP_TRUNCATED
 * (also for an array or map claiming more elements than bytes remain) or
 * LIBCC_MP_INVALID, leaving *off where the item starts.
 */
int libcc_mp_read(const unsigned char *buf, size_t len, size_t *off,
    struct libcc_mp_item *it);

/*
 * Skip one complete value starting at buf[*off]. A container in it may be
 * nested at most max_depth deep (the value itself, if a container, is at
 * depth 1; max_depth is capped at LIBCC_MP_MAX_DEPTH). Returns 0 and moves
 * *off past the value, or a LIBCC_MP_ error with *off at the item that
 * failed.
 */
int libcc_mp_skip(const unsigned char *buf, size_t len, size_t *off,
    int max_depth);

#endif
