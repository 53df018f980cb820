/*
 * Frames msgq writes itself: answers, error answers (PROTOCOL.md 5.9),
 * the no-recipient answer (5.6), and the msgpack helpers their bodies
 * share. Headers go through the one header encoder of libcc
 * (cc_frame_build), except the no-recipient answer, which must keep every
 * key of the original header and is therefore re-packed from the
 * original map here. Bodies are packed with msgpack_packer into m->sbuf,
 * which every answer reuses (msgq_body_begin clears it).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "msgq.h"

/* sbuffer writes that die on out-of-memory instead of truncating. */
static int
msgq_sbuf_write(void *data, const char *buf, size_t len)
{
	if (msgpack_sbuffer_write(data, buf, len) != 0)
		fatalx("msgpack: out of memory");
	return 0;
}

static void
msgq_packer_init(msgpack_packer *pk, msgpack_sbuffer *sbuf)
{
	msgpack_packer_init(pk, sbuf, msgq_sbuf_write);
}

/* Start a body in m->sbuf; returns pk, ready to pack one value. */
msgpack_packer *
msgq_body_begin(struct msgq *m, msgpack_packer *pk)
{
	msgpack_sbuffer_clear(&m->sbuf);
	msgq_packer_init(pk, &m->sbuf);
	return pk;
}

void
msgq_pack_strref(msgpack_packer *pk, struct cc_strref s)
{
	msgpack_pack_str(pk, s.len);
	msgpack_pack_str_body(pk, s.ptr, s.len);
}

void
msgq_pack_cstr(msgpack_packer *pk, const char *s)
{
	msgq_pack_strref(pk, cc_strref_of(s));
}

/* The value of "result": [rcode] if fmt is NULL, else [rcode, message]. */
void
msgq_pack_result(msgpack_packer *pk, int rcode, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	msgpack_pack_array(pk, fmt == NULL ? 1 : 2);
	msgpack_pack_int(pk, rcode);
	if (fmt == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	msgq_pack_cstr(pk, msg);
}

/* A frame from h and body, or NULL if it would break max_frame. */
struct cc_frame *
msgq_frame_build(struct msgq *m, const struct cc_header *h,
    const void *body, size_t blen)
{
	struct cc_frame *f;
	int rc;

	rc = cc_frame_build(h, body, blen, m->cfg.max_frame, &f);
	if (rc == CC_ENOMEM)
		fatalx("%s: out of memory", __func__);
	return rc == CC_OK ? f : NULL;
}

/*
 * Build a frame from h and body and queue it to c. Returns 0, or -1 if
 * the frame would exceed max_frame (nothing is sent; the caller decides).
 */
int
msgq_send_own(struct msgq *m, struct msgq_client *c,
    const struct cc_header *h, const void *body, size_t blen)
{
	struct cc_frame *f;

	if ((f = msgq_frame_build(m, h, body, blen)) == NULL)
		return -1;
	if (msgq_client_enqueue(c, f))
		m->stats.answers++;
	cc_frame_unref(f);
	return 0;
}

void
msgq_replyto_from_header(struct msgq_replyto *r, const struct cc_header *h)
{
	r->group = h->group;
	r->instance = h->instance;
	r->has_seq = (h->flags & CC_HDR_SEQ) != 0;
	r->seq = r->has_seq ? h->seq : 0;
	r->seq_u64 = (h->flags & CC_HDR_SEQ_U64) != 0;
	r->want_answer = (h->flags & CC_HDR_WANT_ANSWER) != 0;
}

/*
 * The error answer of PROTOCOL.md 5.9, {"result": [1, message]}, sent only
 * if the frame asked for an answer and has an integer seq.
 */
void
msgq_answer_error(struct msgq *m, struct msgq_client *c,
    const struct msgq_replyto *r, const char *fmt, ...)
{
	struct cc_header a;
	msgpack_packer pk;
	char msg[512];
	va_list ap;

	if (!r->want_answer || !r->has_seq)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memset(&a, 0, sizeof(a));
	a.type = cc_strref_of("send");
	a.from = cc_strref_of(MSGQ_LNAME);
	a.to.ptr = c->lname;
	a.to.len = c->lname_len;
	a.group = r->group.ptr != NULL ? r->group : cc_strref_of("");
	a.instance = cc_strref_of(MSGQ_WILDCARD);
	a.reply = r->seq;
	a.flags = CC_HDR_REPLY | (r->seq_u64 ? CC_HDR_REPLY_U64 : 0);
	msgq_body_begin(m, &pk);
	msgpack_pack_map(&pk, 1);
	msgq_pack_cstr(&pk, "result");
	msgq_pack_result(&pk, 1, "%s", msg);
	if (msgq_send_own(m, c, &a, m->sbuf.data, m->sbuf.size) == -1)
		log_warnx("client " CLIENT_FMT ": error answer too large",
		    CLIENT_ARGS(c));
}

static int
msgq_key_is(const msgpack_object *k, const char *name)
{
	struct cc_strref key;

	if (k->type != MSGPACK_OBJECT_STR)
		return 0;
	key.ptr = k->via.str.ptr;
	key.len = k->via.str.size;
	return cc_strref_eq(key, name);
}

/*
 * Re-pack header map hm with from = "msgq", to = lname and reply = seq set
 * (replaced in place where present, else appended in that order), every
 * other key and value kept as they were.
 */
static void
msgq_pack_seq(msgpack_packer *pk, int64_t seq, int seq_u64)
{
	if (seq_u64)
		msgpack_pack_uint64(pk, (uint64_t)seq);
	else
		msgpack_pack_int64(pk, seq);
}

static void
msgq_pack_norecipient_header(msgpack_packer *pk, const msgpack_object *hm,
    struct cc_strref lname, int64_t seq, int seq_u64)
{
	static const char *const keys[] = { "from", "to", "reply" };
	int have[3] = { 0, 0, 0 }, i, nnew = 3;
	const msgpack_object_kv *kv;
	uint32_t j;

	for (j = 0; j < hm->via.map.size; j++)
		for (i = 0; i < 3; i++)
			if (!have[i] && msgq_key_is(&hm->via.map.ptr[j].key,
			    keys[i])) {
				have[i] = 1;
				nnew--;
			}
	msgpack_pack_map(pk, hm->via.map.size + nnew);
	for (j = 0; j < hm->via.map.size; j++) {
		kv = &hm->via.map.ptr[j];
		msgpack_pack_object(pk, kv->key);
		if (msgq_key_is(&kv->key, "from"))
			msgq_pack_cstr(pk, MSGQ_LNAME);
		else if (msgq_key_is(&kv->key, "to"))
			msgq_pack_strref(pk, lname);
		else if (msgq_key_is(&kv->key, "reply"))
			msgq_pack_seq(pk, seq, seq_u64);
		else
			msgpack_pack_object(pk, kv->val);
	}
	for (i = 0; i < 3; i++) {
		if (have[i])
			continue;
		msgq_pack_cstr(pk, keys[i]);
		if (i == 0)
			msgq_pack_cstr(pk, MSGQ_LNAME);
		else if (i == 1)
			msgq_pack_strref(pk, lname);
		else
			msgq_pack_seq(pk, seq, seq_u64);
	}
}

/*
 * The no-recipient answer of PROTOCOL.md 5.6 to a frame whose header bytes
 * are hbuf: that header with reply = seq, from = "msgq", to = lname (the
 * sender) and everything else kept, and the body
 * {"result": [-1, "No such recipient"]}. Returns a new frame (owned by the
 * caller), or NULL if hbuf is not a msgpack map or the answer would break
 * a limit (a header near 64 KiB that grows past CC_WIRE_HLEN_MAX).
 */
struct cc_frame *
msgq_answer_norecipient(const void *hbuf, size_t hlen, struct cc_strref lname,
    int64_t seq, int seq_u64, size_t max_frame)
{
	msgpack_sbuffer hs, bs;
	msgpack_packer pk;
	msgpack_unpacked u;
	struct cc_frame *f = NULL;
	size_t off = 0;
	int rc;

	/* Only headers cc_header_parse() accepted come here: it has checked
	 * every count in them against the bytes present, so msgpack-c's
	 * unpacker cannot be made to size an allocation from a lie. */
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, hbuf, hlen, &off) != MSGPACK_UNPACK_SUCCESS ||
	    u.data.type != MSGPACK_OBJECT_MAP) {
		msgpack_unpacked_destroy(&u);
		return NULL;
	}
	msgpack_sbuffer_init(&hs);
	msgpack_sbuffer_init(&bs);
	msgq_packer_init(&pk, &hs);
	msgq_pack_norecipient_header(&pk, &u.data, lname, seq, seq_u64);
	msgq_packer_init(&pk, &bs);
	msgpack_pack_map(&pk, 1);
	msgq_pack_cstr(&pk, "result");
	msgq_pack_result(&pk, -1, "No such recipient");
	rc = cc_frame_encode(hs.data, hs.size, bs.data, bs.size, max_frame, &f);
	if (rc == CC_ENOMEM)
		fatalx("%s: out of memory", __func__);
	msgpack_sbuffer_destroy(&hs);
	msgpack_sbuffer_destroy(&bs);
	msgpack_unpacked_destroy(&u);
	return rc == CC_OK ? f : NULL;
}
