/*
 * The calls that put one frame on the wire: subscribe, unsubscribe, send,
 * reply. Each fills a struct cc_header for cc_frame_build(), the one
 * header encoder, and hands the frame to libcc_session_output().
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>

#include "cc/codec.h"
#include "session-internal.h"

/* Build the frame of h and body and put it on the wire (or in the output
 * queue). */
int
libcc_session_send(struct cc_session *s, const struct cc_header *h,
    const void *body, size_t blen)
{
	struct cc_frame *f;
	int r;

	if (s->fd == -1)
		return libcc_session_closed(s);
	r = cc_frame_build(h, body, blen, s->max_frame, &f);
	if (r == CC_EINVAL)
		return libcc_session_seterr(s, r, "%.*s message (group %.*s, "
		    "body of %zu bytes) does not fit max_frame %zu",
		    (int)h->type.len, h->type.ptr,
		    h->group.ptr != NULL ? (int)h->group.len : 1,
		    h->group.ptr != NULL ? h->group.ptr : "-",
		    blen, s->max_frame);
	if (r != CC_OK)
		return libcc_session_seterr(s, r, "cannot build a frame: %s",
		    cc_strerror(r));
	r = libcc_session_output(s, f);
	cc_frame_unref(f);
	return r;
}

/*
 * (Un)subscribe and remember the outcome for a later connection
 * (session_reconnect.c): a subscription is noted before it is sent, so
 * that running out of memory sends nothing, and forgotten again if the
 * send fails; an unsubscribe is forgotten once sent.
 */
static int
session_membership(struct cc_session *s, bool sub, const char *group,
    const char *instance)
{
	struct cc_header h = { .type = sub ? LIBCC_STRREF("subscribe") :
	    LIBCC_STRREF("unsubscribe") };
	int added = 0, r;

	if (group == NULL)
		return libcc_session_seterr(s, CC_EINVAL, "%s without a group",
		    sub ? "subscribe" : "unsubscribe");
	if (instance == NULL)
		instance = "*";
	if (s->fd == -1)
		return libcc_session_closed(s);
	if (sub && (added = libcc_subs_note(s, true, group, instance)) < 0)
		return libcc_session_seterr(s, added, "out of memory");
	h.group = cc_strref_of(group);
	h.instance = cc_strref_of(instance);
	r = libcc_session_send(s, &h, NULL, 0);
	if ((r != CC_OK && added == 1) || (r == CC_OK && !sub))
		(void)libcc_subs_note(s, false, group, instance);
	return r;
}

int
cc_subscribe(struct cc_session *s, const char *group, const char *instance)
{
	return session_membership(s, true, group, instance);
}

int
cc_unsubscribe(struct cc_session *s, const char *group,
    const char *instance)
{
	return session_membership(s, false, group, instance);
}

/* Encode body (NULL: none) into *buf (the caller frees it) and *len. */
static int
body_pack(struct cc_session *s, const json_t *body, char **buf, size_t *len)
{
	char why[128];
	int r;

	*buf = NULL;
	*len = 0;
	if (body == NULL)
		return CC_OK;
	why[0] = '\0';
	r = cc_json_pack(body, buf, len, why, sizeof(why));
	if (r == CC_ENOMEM)
		return libcc_session_seterr(s, r, "out of memory");
	if (r != CC_OK)
		return libcc_session_seterr(s, CC_EINVAL,
		    "cannot encode the body: %s", why);
	return CC_OK;
}

int
cc_send(struct cc_session *s, const char *group, const char *instance,
    const char *to, const json_t *body, unsigned flags, int64_t *seq)
{
	char *buf;
	size_t len;
	int r;

	if ((r = body_pack(s, body, &buf, &len)) != CC_OK)
		return r;
	r = cc_send_raw(s, group, instance, to, buf, len, flags, seq);
	free(buf);
	return r;
}

int
cc_send_raw(struct cc_session *s, const char *group, const char *instance,
    const char *to, const void *body, size_t len, unsigned flags,
    int64_t *seq)
{
	struct cc_header h = { .type = LIBCC_STRREF("send") };
	int r;

	if (group == NULL)
		return libcc_session_seterr(s, CC_EINVAL,
		    "cannot send without a group");
	if (s->fd == -1)
		return libcc_session_closed(s);
	h.from = cc_strref_of(s->lname);
	h.to = to != NULL ? cc_strref_of(to) : LIBCC_STRREF("*");
	h.group = cc_strref_of(group);
	h.instance = instance != NULL ? cc_strref_of(instance) :
	    LIBCC_STRREF("*");
	h.seq = ++s->seq;
	h.flags = CC_HDR_SEQ;
	if (flags & CC_WANT_ANSWER)
		h.flags |= CC_HDR_WANT_ANSWER;
	if ((r = libcc_session_send(s, &h, body, len)) == CC_OK &&
	    seq != NULL)
		*seq = h.seq;
	return r;
}

/* The answer carries a seq of its own too, as every send does (as in
 * BIND 10): a peer may rely on every message from a client having one. */
int
cc_reply(struct cc_session *s, const struct cc_msg *msg, const json_t *body)
{
	struct cc_header h = { .type = LIBCC_STRREF("send") };
	char *buf;
	size_t len;
	int r;

	if (!(msg->flags & CC_HDR_SEQ) || msg->from == NULL)
		return libcc_session_seterr(s, CC_EINVAL, "cannot answer a "
		    "message without %s", msg->from == NULL ? "from" : "seq");
	if (s->fd == -1)
		return libcc_session_closed(s);
	if ((r = body_pack(s, body, &buf, &len)) != CC_OK)
		return r;
	h.from = cc_strref_of(s->lname);
	h.to = cc_strref_of(msg->from);
	h.group = cc_strref_of(msg->group);
	h.instance = msg->instance != NULL ? cc_strref_of(msg->instance) :
	    LIBCC_STRREF("*");
	h.seq = ++s->seq;
	h.reply = msg->seq;
	h.flags = CC_HDR_SEQ | CC_HDR_REPLY |
	    ((msg->flags & CC_HDR_SEQ_U64) ? CC_HDR_REPLY_U64 : 0);
	r = libcc_session_send(s, &h, buf, len);
	free(buf);
	return r;
}
