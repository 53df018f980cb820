/*
 * A connection's output queue: the bytes msgq has accepted for a client
 * and not yet written to its socket (PROTOCOL.md section 6).
 *
 * Frames are never copied: the evbuffer holds references to the frames'
 * own bytes, each keeping one reference on its frame until libevent has
 * written or discarded it. Beside it a ring records the size of every
 * queued frame, so that msgq can count frames actually written (the
 * `sent` counter) and, when a connection dies, how many it never got.
 * The cap (max_queue) is the caller's business: see msgq_client_enqueue.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include <event2/buffer.h>

#include "log.h"
#include "msgq.h"
#include "xmalloc.h"

#define MSGQ_OUTQ_WRITE_ROUNDS	64	/* writev calls per flush at most */

void
msgq_outq_init(struct msgq_outq *q)
{
	q->buf = evbuffer_new();
	if (q->buf == NULL)
		fatalx("%s: evbuffer_new failed", __func__);
	q->sizes = NULL;
	q->head = q->nframes = q->cap = 0;
	q->written = 0;
}

/* Free the queue; returns how many frames were still (partly) unwritten. */
size_t
msgq_outq_clear(struct msgq_outq *q)
{
	size_t left = q->nframes;

	if (q->buf != NULL)
		evbuffer_free(q->buf);	/* unrefs every queued frame */
	free(q->sizes);
	q->buf = NULL;
	q->sizes = NULL;
	q->head = q->nframes = q->cap = 0;
	q->written = 0;
	return left;
}

static void
msgq_outq_unref(const void *data, size_t len, void *frame)
{
	cc_frame_unref(frame);
}

static void
msgq_outq_ring_grow(struct msgq_outq *q)
{
	size_t *sizes, i, ncap;

	ncap = q->cap == 0 ? 64 : q->cap * 2;
	sizes = xreallocarray(NULL, ncap, sizeof(*sizes));
	for (i = 0; i < q->nframes; i++)
		sizes[i] = q->sizes[(q->head + i) & (q->cap - 1)];
	free(q->sizes);
	q->sizes = sizes;
	q->cap = ncap;
	q->head = 0;
}

/* Queue f's bytes (by reference: the queue takes its own ref on f). */
void
msgq_outq_push(struct msgq_outq *q, struct cc_frame *f)
{
	size_t size = cc_frame_size(f);

	if (q->nframes == q->cap)
		msgq_outq_ring_grow(q);
	if (evbuffer_add_reference(q->buf, cc_frame_bytes(f), size,
	    msgq_outq_unref, cc_frame_ref(f)) == -1)
		fatalx("%s: evbuffer_add_reference failed", __func__);
	q->sizes[(q->head + q->nframes) & (q->cap - 1)] = size;
	q->nframes++;
}

size_t
msgq_outq_bytes(const struct msgq_outq *q)
{
	return evbuffer_get_length(q->buf);
}

size_t
msgq_outq_frames(const struct msgq_outq *q)
{
	return q->nframes;
}

/* n more bytes went out: retire the frames they completed. */
static size_t
msgq_outq_account(struct msgq_outq *q, size_t n)
{
	size_t done = 0;

	q->written += n;
	while (q->nframes > 0 && q->written >= q->sizes[q->head]) {
		q->written -= q->sizes[q->head];
		q->head = (q->head + 1) & (q->cap - 1);
		q->nframes--;
		done++;
	}
	return done;
}

/*
 * Write as much as the socket takes without blocking. Adds the number of
 * frames completely written to *done. Returns 0 (the queue may still hold
 * bytes: check msgq_outq_bytes) or -1 on a write error, errno set.
 */
int
msgq_outq_write(struct msgq_outq *q, int fd, size_t *done)
{
	int i, n;

	for (i = 0; i < MSGQ_OUTQ_WRITE_ROUNDS; i++) {
		if (evbuffer_get_length(q->buf) == 0)
			break;
		n = evbuffer_write(q->buf, fd);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		if (n == 0)
			break;
		*done += msgq_outq_account(q, (size_t)n);
	}
	return 0;
}
