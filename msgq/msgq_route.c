/*
 * Frames in: parse the header, dispatch by `type` through msgq_types[]
 * (PROTOCOL.md section 4), and route `send` (section 5).
 *
 * The caller (the read loop) owns the frame; the handlers borrow it and
 * every output queue it is put on takes its own reference, so fan-out
 * neither copies nor re-encodes: all recipients get the bytes that
 * arrived. The header is parsed into m->hdr, reused for every frame; its
 * strings point into the frame.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "msgq.h"

typedef void msgq_type_fn(struct msgq *, struct msgq_client *,
    struct cc_frame *, const struct cc_header *);

static msgq_type_fn msgq_route_send, msgq_route_subscribe,
    msgq_route_unsubscribe, msgq_route_getlname, msgq_route_ping,
    msgq_route_pong, msgq_route_stop;

static const struct msgq_type {
	const char	*name;
	msgq_type_fn	*fn;
} msgq_types[] = {
	{ "send",		msgq_route_send },
	{ "subscribe",		msgq_route_subscribe },
	{ "unsubscribe",	msgq_route_unsubscribe },
	{ "getlname",		msgq_route_getlname },
	{ "ping",		msgq_route_ping },
	{ "pong",		msgq_route_pong },
	{ "stop",		msgq_route_stop },
};

static const struct cc_strref msgq_any = { MSGQ_WILDCARD, 1 };

/* Drop a frame whose header breaks section 3 (5.8); answer if asked. */
static void
msgq_route_bad(struct msgq *m, struct msgq_client *c,
    const struct msgq_replyto *r, const char *reason)
{
	m->stats.dropped++;
	log_warnx("client " CLIENT_FMT ": bad header: %s; frame dropped",
	    CLIENT_ARGS(c), reason);
	msgq_answer_error(m, c, r, "bad header: %s", reason);
}

static void
msgq_route_unknown(struct msgq *m, struct msgq_client *c,
    const struct cc_header *h)
{
	struct msgq_replyto r;

	m->stats.dropped++;
	log_warnx("client " CLIENT_FMT ": unknown message type '%.*s'; "
	    "frame dropped", CLIENT_ARGS(c), (int)h->type.len, h->type.ptr);
	msgq_replyto_from_header(&r, h);
	msgq_answer_error(m, c, &r, "unknown message type: %.*s",
	    (int)h->type.len, h->type.ptr);
}

/*
 * Handle one frame from c. Borrows f: the caller drops its reference
 * after this returns.
 */
void
msgq_route_frame(struct msgq *m, struct msgq_client *c, struct cc_frame *f)
{
	const unsigned char *hbuf;
	struct msgq_replyto r;
	size_t hlen, i;
	int rc;

	hbuf = cc_frame_header(f, &hlen);
	if ((rc = cc_header_parse(&m->hdr, hbuf, hlen)) != CC_OK) {
		if (rc == CC_ENOMEM)
			fatalx("%s: out of memory", __func__);
		/* The parser still set what it could read (never from bytes
		 * that are not msgpack): enough to answer, if asked. */
		msgq_replyto_from_header(&r, &m->hdr);
		msgq_route_bad(m, c, &r, m->hdr.error);
		return;
	}
	for (i = 0; i < sizeof(msgq_types) / sizeof(msgq_types[0]); i++) {
		if (cc_strref_eq(m->hdr.type, msgq_types[i].name)) {
			msgq_types[i].fn(m, c, f, &m->hdr);
			return;
		}
	}
	msgq_route_unknown(m, c, &m->hdr);
}

struct msgq_fanout {
	struct msgq_client	*sender;
	struct cc_frame		*f;
};

static int
msgq_fanout_one(struct msgq_subscriber *s, void *arg)
{
	struct msgq_fanout *fo = arg;
	struct msgq_client *c = s->owner;

	if (c == fo->sender)		/* 5.3: never to oneself */
		return 0;
	return msgq_client_enqueue(c, fo->f);
}

/*
 * Queue f to every subscriber of (group, instance) and (group, "*"), each
 * once, the sender (NULL for msgq) excepted. Returns how many got it.
 */
size_t
msgq_route_fanout(struct msgq *m, struct msgq_client *sender,
    struct cc_strref group, struct cc_strref instance, struct cc_frame *f)
{
	struct msgq_fanout fo = { sender, f };

	return msgq_subs_match(m->subs, group, instance, msgq_fanout_one, &fo);
}

/* 5.6: nobody got it. Answer if asked, unless it is an answer itself. */
static void
msgq_route_norecipient(struct msgq *m, struct msgq_client *c,
    struct cc_frame *f, const struct cc_header *h)
{
	const unsigned char *hbuf;
	struct cc_strref lname = { c->lname, c->lname_len };
	struct cc_frame *ans;
	size_t hlen;

	m->stats.no_recipient++;
	if (!(h->flags & CC_HDR_WANT_ANSWER) || (h->flags & CC_HDR_REPLY))
		return;
	if (!(h->flags & CC_HDR_SEQ)) {
		log_debug("client " CLIENT_FMT ": no recipient, and no seq "
		    "to answer with", CLIENT_ARGS(c));
		return;
	}
	hbuf = cc_frame_header(f, &hlen);
	ans = msgq_answer_norecipient(hbuf, hlen, lname, h->seq,
	    (h->flags & CC_HDR_SEQ_U64) != 0,
	    m->cfg.max_frame);
	if (ans == NULL) {
		log_warnx("client " CLIENT_FMT ": no recipient, and the answer "
		    "would exceed the frame limits; not answered",
		    CLIENT_ARGS(c));
		return;
	}
	if (msgq_client_enqueue(c, ans))
		m->stats.answers++;
	cc_frame_unref(ans);
}

/* 5.7: `from` must be the sender's own lname. */
static int
msgq_route_check_sender(struct msgq *m, struct msgq_client *c,
    const struct cc_header *h)
{
	struct msgq_replyto r;

	if (h->from.ptr != NULL && h->from.len == c->lname_len &&
	    memcmp(h->from.ptr, c->lname, c->lname_len) == 0)
		return 0;
	m->stats.dropped++;
	if (h->from.ptr == NULL)
		log_warnx("client " CLIENT_FMT ": sender mismatch: send "
		    "without 'from'; frame dropped", CLIENT_ARGS(c));
	else
		log_warnx("client " CLIENT_FMT ": sender mismatch: send from "
		    "'%.*s'; frame dropped", CLIENT_ARGS(c), (int)h->from.len,
		    h->from.ptr);
	msgq_replyto_from_header(&r, h);
	msgq_answer_error(m, c, &r, "sender mismatch");
	return -1;
}

static void
msgq_route_send(struct msgq *m, struct msgq_client *c, struct cc_frame *f,
    const struct cc_header *h)
{
	struct cc_strref to = h->to.ptr != NULL ? h->to : msgq_any;
	struct msgq_client *rc;
	struct msgq_replyto r;
	size_t n = 0;
	int to_msgq = 0;

	if (cc_strref_eq(to, MSGQ_WILDCARD) && h->group.ptr == NULL) {
		msgq_replyto_from_header(&r, h);
		msgq_route_bad(m, c, &r, "field 'group' missing on a group send");
		return;
	}
	if (msgq_route_check_sender(m, c, h) == -1)
		return;
	if (cc_strref_eq(to, MSGQ_WILDCARD)) {
		n = msgq_route_fanout(m, c, h->group, h->instance, f);
		to_msgq = cc_strref_eq(h->group, MSGQ_GROUP);
	} else if (cc_strref_eq(to, MSGQ_LNAME))
		to_msgq = 1;
	else if ((rc = msgq_lookup(m, to)) != NULL && rc != c)
		n = msgq_client_enqueue(rc, f);
	m->stats.deliveries += n;
	if (to_msgq)
		msgq_cmd_receive(m, c, f, h);
	if (n == 0 && !to_msgq)
		msgq_route_norecipient(m, c, f, h);
}

static int
msgq_route_need_group(struct msgq *m, struct msgq_client *c,
    const struct cc_header *h)
{
	struct msgq_replyto r;

	if (h->group.ptr != NULL)
		return 0;
	msgq_replyto_from_header(&r, h);
	msgq_route_bad(m, c, &r, "field 'group' missing");
	return -1;
}

static void
msgq_route_subscribe(struct msgq *m, struct msgq_client *c,
    struct cc_frame *f, const struct cc_header *h)
{
	if (msgq_route_need_group(m, c, h) == -1)
		return;
	if (msgq_subs_add(m->subs, &c->sub, h->group, h->instance) ==
	    MSGQ_SUBS_GROUP) {
		msgq_notify_members(m, "subscribed", c, h->group);
		msgq_cfg_subscribed(m, h->group);
	}
	log_debug("client %s: subscribed to %.*s/%.*s", c->lname,
	    (int)h->group.len, h->group.ptr,
	    h->instance.ptr != NULL ? (int)h->instance.len : 1,
	    h->instance.ptr != NULL ? h->instance.ptr : MSGQ_WILDCARD);
}

static void
msgq_route_unsubscribe(struct msgq *m, struct msgq_client *c,
    struct cc_frame *f, const struct cc_header *h)
{
	if (msgq_route_need_group(m, c, h) == -1)
		return;
	if (msgq_subs_remove(m->subs, &c->sub, h->group, h->instance) ==
	    MSGQ_SUBS_GROUP)
		msgq_notify_members(m, "unsubscribed", c, h->group);
}

/* Answer: header exactly {"type": "getlname"}, body {"lname": L}. */
static void
msgq_route_getlname(struct msgq *m, struct msgq_client *c,
    struct cc_frame *f, const struct cc_header *h)
{
	struct cc_header a;
	msgpack_packer pk;

	memset(&a, 0, sizeof(a));
	a.type = cc_strref_of("getlname");
	msgq_body_begin(m, &pk);
	msgpack_pack_map(&pk, 1);
	msgq_pack_cstr(&pk, "lname");
	msgq_pack_cstr(&pk, c->lname);
	if (msgq_send_own(m, c, &a, m->sbuf.data, m->sbuf.size) == -1)
		fatalx("%s: cannot build the answer", __func__);
}

/* Answer {"type": "pong"} with the ping's body bytes, unchanged. */
static void
msgq_route_ping(struct msgq *m, struct msgq_client *c, struct cc_frame *f,
    const struct cc_header *h)
{
	struct cc_header a;
	const unsigned char *body;
	size_t blen;

	memset(&a, 0, sizeof(a));
	a.type = cc_strref_of("pong");
	body = cc_frame_body(f, &blen);
	if (msgq_send_own(m, c, &a, body, blen) == -1)
		log_warnx("client " CLIENT_FMT ": pong would exceed max_frame; "
		    "not sent", CLIENT_ARGS(c));
}

static void
msgq_route_pong(struct msgq *m, struct msgq_client *c, struct cc_frame *f,
    const struct cc_header *h)
{
}

static void
msgq_route_stop(struct msgq *m, struct msgq_client *c, struct cc_frame *f,
    const struct cc_header *h)
{
	char why[256];

	if (!msgq_client_may_stop(c)) {
		log_warnx("client " CLIENT_FMT ": stop refused: only uid %ld "
		    "or root may stop msgq", CLIENT_ARGS(c), (long)m->euid);
		return;
	}
	snprintf(why, sizeof(why), "stop from client %s (pid %ld, uid %ld)",
	    CLIENT_ARGS(c));
	msgq_stop(m, why);
}
