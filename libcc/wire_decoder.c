/*
 * The incremental frame decoder: bytes in, whole frames out, no I/O.
 *
 * Bytes are copied once, straight into the frame being assembled. The
 * 6-byte prefix is collected first and checked against the limits of
 * PROTOCOL.md section 2 before anything is allocated for the frame; a
 * frame of up to DEC_EAGER bytes then gets its whole room at once, a larger
 * one grows geometrically as its bytes actually arrive, so a peer that
 * announces 16 MiB and sends 10 bytes costs 64 KiB, not 16 MiB. Complete
 * frames wait in a small ring until cc_decoder_next() takes them. A
 * framing error is latched: frames completed before it are still handed
 * out, then next() reports it for good.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc/error.h"
#include "wire-internal.h"

#define DEC_EAGER	(64u << 10)
#define DEC_RING_MIN	8

struct cc_decoder {
	size_t		  max_frame;
	unsigned char	  prefix[CC_WIRE_PREFIX_LEN];
	size_t		  prefix_have;
	struct cc_frame	 *cur;		/* being assembled; NULL between frames */
	size_t		  cur_cap;	/* room allocated for cur's bytes */
	size_t		  cur_have;	/* bytes in cur, prefix included */
	struct cc_frame	**ring;		/* complete frames, oldest at head */
	size_t		  head, count, cap;
	size_t		  queued;	/* bytes of the frames in the ring */
	int		  failed;
	char		  error[96];
};

struct cc_decoder *
cc_decoder_new(size_t max_frame)
{
	struct cc_decoder *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	cc_decoder_set_max_frame(d, max_frame);
	return d;
}

void
cc_decoder_free(struct cc_decoder *d)
{
	if (d == NULL)
		return;
	while (d->count > 0) {
		cc_frame_unref(d->ring[d->head]);
		d->head = (d->head + 1) % d->cap;
		d->count--;
	}
	free(d->ring);
	free(d->cur);
	free(d);
}

void
cc_decoder_set_max_frame(struct cc_decoder *d, size_t max_frame)
{
	d->max_frame = max_frame == 0 ? CC_WIRE_MAX_FRAME : max_frame;
}

static void dec_fail(struct cc_decoder *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
dec_fail(struct cc_decoder *d, const char *fmt, ...)
{
	va_list ap;

	d->failed = 1;
	va_start(ap, fmt);
	vsnprintf(d->error, sizeof(d->error), fmt, ap);
	va_end(ap);
}

/* The limits of PROTOCOL.md section 2, on the prefix alone. */
static int
dec_check_prefix(struct cc_decoder *d, uint32_t length, uint32_t hlen)
{
	if (length > d->max_frame)
		dec_fail(d, "frame length %" PRIu32 " exceeds max_frame %zu",
		    length, d->max_frame);
	else if (length < 2)
		dec_fail(d, "frame length %" PRIu32 " is shorter than 2",
		    length);
	else if (hlen == 0)
		dec_fail(d, "header length 0");
	else if (hlen > length)
		dec_fail(d, "header length %" PRIu32 " exceeds frame length %"
		    PRIu32, hlen, length);
	else if (hlen > length - 2)
		dec_fail(d, "header length %" PRIu32 " and its 2-byte field "
		    "exceed frame length %" PRIu32, hlen, length);
	return d->failed ? -1 : 0;
}

/* The prefix is in and good: allocate the frame, room for avail more
 * bytes (what the caller has in hand) but never beyond the frame. */
static int
dec_start_frame(struct cc_decoder *d, size_t avail)
{
	const unsigned char *p = d->prefix;
	uint32_t length, hlen;
	size_t total, cap;

	length = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	hlen = (uint32_t)p[4] << 8 | p[5];
	if (dec_check_prefix(d, length, hlen) != 0)
		return CC_EFRAME;
	total = (size_t)length + 4;
	cap = total;
	if (cap > DEC_EAGER)
		cap = CC_WIRE_PREFIX_LEN + avail > DEC_EAGER ?
		    CC_WIRE_PREFIX_LEN + avail : DEC_EAGER;
	if (cap > total)
		cap = total;
	if ((d->cur = libcc_frame_alloc(cap)) == NULL)
		return CC_ENOMEM;
	d->cur->size = total;
	d->cur_cap = cap;
	memcpy(d->cur->bytes, d->prefix, CC_WIRE_PREFIX_LEN);
	d->cur_have = CC_WIRE_PREFIX_LEN;
	d->prefix_have = 0;
	return CC_OK;
}

static int
dec_grow(struct cc_decoder *d, size_t need)
{
	struct cc_frame *f;
	size_t cap;

	if (need <= d->cur_cap)
		return CC_OK;
	cap = d->cur_cap * 2 > need ? d->cur_cap * 2 : need;
	if (cap > d->cur->size)
		cap = d->cur->size;
	if ((f = realloc(d->cur, sizeof(*f) + cap)) == NULL)
		return CC_ENOMEM;
	d->cur = f;
	d->cur_cap = cap;
	return CC_OK;
}

static int
dec_push(struct cc_decoder *d, struct cc_frame *f)
{
	struct cc_frame **ring;
	size_t cap, i;

	if (d->count == d->cap) {
		cap = d->cap > 0 ? d->cap * 2 : DEC_RING_MIN;
		if ((ring = calloc(cap, sizeof(*ring))) == NULL)
			return CC_ENOMEM;
		for (i = 0; i < d->count; i++)
			ring[i] = d->ring[(d->head + i) % d->cap];
		free(d->ring);
		d->ring = ring;
		d->cap = cap;
		d->head = 0;
	}
	d->ring[(d->head + d->count) % d->cap] = f;
	d->count++;
	d->queued += f->size;
	return CC_OK;
}

/* Copy what fits of buf into the frame under way; queue it when whole. */
static int
dec_fill(struct cc_decoder *d, const unsigned char *buf, size_t len,
    size_t *used)
{
	struct cc_frame *f;
	size_t take;

	take = d->cur->size - d->cur_have;
	if (take > len)
		take = len;
	if (dec_grow(d, d->cur_have + take) != CC_OK)
		return CC_ENOMEM;
	memcpy(d->cur->bytes + d->cur_have, buf, take);
	d->cur_have += take;
	*used = take;
	if (d->cur_have < d->cur->size)
		return CC_OK;
	f = d->cur;
	d->cur = NULL;
	d->cur_have = d->cur_cap = 0;
	if (dec_push(d, f) != CC_OK) {
		free(f);
		return CC_ENOMEM;
	}
	return CC_OK;
}

/*
 * Out of memory mid-stream loses bytes the stream needs, so it is latched
 * like a framing error: the caller has to drop the connection either way.
 */
int
cc_decoder_feed(struct cc_decoder *d, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t take;
	int rc = CC_OK;

	if (p == NULL && len > 0)
		return CC_EINVAL;
	while (len > 0 && !d->failed) {
		if (d->cur == NULL) {
			take = CC_WIRE_PREFIX_LEN - d->prefix_have;
			if (take > len)
				take = len;
			memcpy(d->prefix + d->prefix_have, p, take);
			d->prefix_have += take;
			p += take;
			len -= take;
			if (d->prefix_have < CC_WIRE_PREFIX_LEN)
				break;
			if ((rc = dec_start_frame(d, len)) != CC_OK)
				break;
		}
		if ((rc = dec_fill(d, p, len, &take)) != CC_OK)
			break;
		p += take;
		len -= take;
	}
	if (rc == CC_ENOMEM) {
		dec_fail(d, "out of memory");
		return CC_ENOMEM;
	}
	return CC_OK;
}

int
cc_decoder_next(struct cc_decoder *d, struct cc_frame **out)
{
	struct cc_frame *f;

	*out = NULL;
	if (d->count == 0)
		return d->failed ? -1 : 0;
	f = d->ring[d->head];
	d->ring[d->head] = NULL;
	d->head = (d->head + 1) % d->cap;
	d->count--;
	d->queued -= f->size;
	*out = f;
	return 1;
}

const char *
cc_decoder_error(const struct cc_decoder *d)
{
	return d->failed ? d->error : NULL;
}

size_t
cc_decoder_pending(const struct cc_decoder *d)
{
	return d->prefix_have + d->cur_have + d->queued;
}
