/*
 * The blocking calls that wait for something: cc_recv(), cc_recv_answer(),
 * cc_call() and cc_command(), cc_ping(); and the classification of an
 * answer that cc_call() and cc_call_async() share.
 *
 * They work on attached sessions too (from a callback, say): whatever
 * arrives meanwhile that they do not wait for is queued, and the
 * dispatcher hands it to the callbacks afterwards. They never call user
 * code themselves.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session-internal.h"

/* "group G" or "L (group G)" in buf: what a call was sent to, for error
 * messages. Returns buf. */
const char *
libcc_target(char *buf, size_t size, const char *group, const char *to)
{
	if (to == NULL || strcmp(to, "*") == 0)
		snprintf(buf, size, "group %s", group);
	else
		snprintf(buf, size, "%s (group %s)", to, group);
	return buf;
}

int
cc_recv(struct cc_session *s, int timeout_ms, struct cc_msg **msg)
{
	int64_t deadline = libcc_deadline(timeout_ms);
	int r;

	while ((*msg = libcc_queue_pop(s)) == NULL) {
		if (s->fd == -1)
			return libcc_session_closed(s);
		if ((r = libcc_session_wait(s, deadline)) == CC_ETIMEDOUT)
			return libcc_session_seterr(s, r, "no message from "
			    "msgq at %s within %d ms", s->path, timeout_ms);
		if (r != CC_OK)
			return r;
	}
	return CC_OK;
}

static struct cc_msg *
queue_take_answer(struct cc_session *s, int64_t seq)
{
	struct cc_msg *m;

	TAILQ_FOREACH(m, &s->queue, entry)
		if ((m->flags & CC_HDR_REPLY) && m->reply == seq) {
			libcc_queue_remove(s, m);
			return m;
		}
	return NULL;
}

static int
recv_answer(struct cc_session *s, int64_t seq, int64_t deadline,
    struct cc_msg **msg)
{
	if ((*msg = queue_take_answer(s, seq)) != NULL)
		return CC_OK;
	s->want = LIBCC_WANT_REPLY;
	s->want_seq = seq;
	return libcc_session_await(s, deadline, msg);
}

int
cc_recv_answer(struct cc_session *s, int64_t seq, int timeout_ms,
    struct cc_msg **msg)
{
	int r;

	r = recv_answer(s, seq, libcc_deadline(timeout_ms), msg);
	if (r == CC_ETIMEDOUT)
		return libcc_session_seterr(s, r, "no answer to seq %lld "
		    "within %d ms", (long long)seq, timeout_ms);
	return r;
}

/*
 * What answer m to a call sent to group / to means (cc_call()'s codes),
 * with the session's error string set to say so. msgq's no-recipient
 * answer is the original header with from "msgq" and the body
 * {"result": [-1, "No such recipient"]} (PROTOCOL.md 5.6).
 */
int
libcc_answer_check(struct cc_session *s, struct cc_msg *m,
    const char *group, const char *to)
{
	const char *from = m->from != NULL ? m->from : "(no sender)";
	json_t *body, *value;
	char why[128], where[256];
	int rcode;

	why[0] = '\0';
	if (cc_msg_body(m, &body, why, sizeof(why)) != CC_OK)
		return libcc_session_seterr(s, CC_EPROTO, "undecodable answer "
		    "from %s to a call to %s: %s", from,
		    libcc_target(where, sizeof(where), group, to), why);
	if (cc_answer_parse(body, &rcode, &value) != CC_OK)
		return libcc_session_seterr(s, CC_EPROTO, "answer from %s to "
		    "a call to %s is not {\"result\": [rcode, ...]}", from,
		    libcc_target(where, sizeof(where), group, to));
	if (rcode == 0)
		return CC_OK;
	if (rcode == -1 && m->from != NULL && strcmp(m->from, "msgq") == 0)
		return libcc_session_seterr(s, CC_ENORECIPIENT, "no recipient "
		    "for the call to %s",
		    libcc_target(where, sizeof(where), group, to));
	if (value == NULL)
		return libcc_session_seterr(s, CC_EANSWER, "%s answered error "
		    "%d to a call to %s, without text", from, rcode,
		    libcc_target(where, sizeof(where), group, to));
	return libcc_session_seterr(s, CC_EANSWER, "%s",
	    json_string_value(value));
}

int
cc_call(struct cc_session *s, const char *group, const char *instance,
    const char *to, const json_t *body, int timeout_ms,
    struct cc_msg **answer)
{
	int64_t deadline = libcc_deadline(timeout_ms), seq;
	struct cc_msg *m;
	char where[256];
	int r;

	if (answer != NULL)
		*answer = NULL;
	if ((r = cc_send(s, group, instance, to, body, CC_WANT_ANSWER,
	    &seq)) != CC_OK)
		return r;
	if ((r = recv_answer(s, seq, deadline, &m)) == CC_ETIMEDOUT)
		return libcc_session_seterr(s, r, "no answer from %s within "
		    "%d ms", libcc_target(where, sizeof(where), group, to),
		    timeout_ms);
	if (r != CC_OK)
		return r;
	r = libcc_answer_check(s, m, group, to);
	if (answer != NULL && (r == CC_OK || r == CC_EANSWER))
		*answer = m;
	else
		cc_msg_unref(m);
	return r;
}

int
cc_command(struct cc_session *s, const char *group, const char *name,
    const json_t *args, int timeout_ms, json_t **value)
{
	struct cc_msg *answer;
	json_t *cmd, *body, *v;
	int rcode, r;

	if (value != NULL)
		*value = NULL;
	if ((cmd = cc_command_new(name, args)) == NULL)
		return libcc_session_seterr(s, name == NULL ? CC_EINVAL :
		    CC_ENOMEM, "cannot build command %s", name != NULL ?
		    name : "(null)");
	r = cc_call(s, group, NULL, NULL, cmd, timeout_ms, &answer);
	json_decref(cmd);
	if (r != CC_OK)
		goto out;
	/* cc_call() has decoded and checked this body already. */
	if (value != NULL && cc_msg_body(answer, &body, NULL, 0) == CC_OK &&
	    cc_answer_parse(body, &rcode, &v) == CC_OK && v != NULL)
		*value = json_incref(v);
out:
	cc_msg_unref(answer);
	return r;
}

int
cc_ping(struct cc_session *s, const void *body, size_t len, int timeout_ms,
    void **echo, size_t *echo_len)
{
	struct cc_header h = { .type = LIBCC_STRREF("ping") };
	int64_t deadline = libcc_deadline(timeout_ms);
	struct cc_msg *m;
	const void *b;
	size_t blen;
	int r;

	if ((r = libcc_session_send(s, &h, body, len)) != CC_OK)
		return r;
	s->want = LIBCC_WANT_PONG;
	s->want_seq = (int64_t)++s->pings;
	if ((r = libcc_session_await(s, deadline, &m)) == CC_ETIMEDOUT)
		return libcc_session_seterr(s, r, "no pong from msgq at %s "
		    "within %d ms", s->path, timeout_ms);
	if (r != CC_OK)
		return r;
	b = cc_msg_body_raw(m, &blen);
	if (echo != NULL) {
		/* malloc(0) may return NULL: never for a successful copy. */
		if ((*echo = malloc(blen > 0 ? blen : 1)) == NULL) {
			cc_msg_unref(m);
			return libcc_session_seterr(s, CC_ENOMEM,
			    "out of memory");
		}
		memcpy(*echo, b, blen);
	}
	if (echo_len != NULL)
		*echo_len = blen;
	cc_msg_unref(m);
	return CC_OK;
}
