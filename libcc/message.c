/*
 * Received messages (struct cc_msg) and the command / answer /
 * notification bodies of PROTOCOL.md section 7.
 *
 * A message keeps a reference to the frame it came in, so that its body
 * can be handed out raw or decoded only when somebody asks; the header's
 * strings are copied once, NUL-terminated, into the same allocation as the
 * message itself.
 */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc/codec.h"
#include "session-internal.h"

static size_t
strref_size(struct cc_strref r)
{
	return r.ptr != NULL ? r.len + 1 : 0;
}

/* Copy r to *at as a C string, advancing *at; NULL for an absent field. */
static const char *
strref_copy(struct cc_strref r, char **at)
{
	char *s = *at;

	if (r.ptr == NULL)
		return NULL;
	memcpy(s, r.ptr, r.len);
	s[r.len] = '\0';
	*at += r.len + 1;
	return s;
}

static int
msg_new(const struct cc_header *h, struct cc_frame *f, struct cc_msg **out)
{
	struct cc_msg *m;
	size_t size;
	char *at;

	size = strref_size(h->type) + strref_size(h->from) +
	    strref_size(h->to) + strref_size(h->group) +
	    strref_size(h->instance);
	if ((m = malloc(sizeof(*m) + size)) == NULL)
		return CC_ENOMEM;
	m->refs = 1;
	m->flags = h->flags;
	m->seq = h->seq;
	m->reply = h->reply;
	m->frame = f;
	at = m->strs;
	m->type = strref_copy(h->type, &at);
	m->from = strref_copy(h->from, &at);
	m->to = strref_copy(h->to, &at);
	m->group = strref_copy(h->group, &at);
	m->instance = strref_copy(h->instance, &at);
	m->header = NULL;
	m->body = NULL;
	*out = m;
	return CC_OK;
}

int
libcc_msg_parse(struct cc_header *h, struct cc_frame *f, struct cc_msg **out)
{
	const unsigned char *hb;
	size_t hlen;
	int r;

	hb = cc_frame_header(f, &hlen);
	if ((r = cc_header_parse(h, hb, hlen)) == CC_OK)
		r = msg_new(h, f, out);
	if (r != CC_OK)
		cc_frame_unref(f);
	return r;
}

struct cc_msg *
cc_msg_ref(struct cc_msg *m)
{
	m->refs++;
	return m;
}

void
cc_msg_unref(struct cc_msg *m)
{
	if (m == NULL || --m->refs > 0)
		return;
	json_decref(m->header);
	json_decref(m->body);
	cc_frame_unref(m->frame);
	free(m);
}

const char *
cc_msg_type(const struct cc_msg *m)
{
	return m->type;
}

const char *
cc_msg_from(const struct cc_msg *m)
{
	return m->from;
}

const char *
cc_msg_to(const struct cc_msg *m)
{
	return m->to;
}

const char *
cc_msg_group(const struct cc_msg *m)
{
	return m->group;
}

const char *
cc_msg_instance(const struct cc_msg *m)
{
	return m->instance;
}

bool
cc_msg_seq(const struct cc_msg *m, int64_t *seq)
{
	if (!(m->flags & CC_HDR_SEQ))
		return false;
	if (seq != NULL)
		*seq = m->seq;
	return true;
}

bool
cc_msg_reply(const struct cc_msg *m, int64_t *reply)
{
	if (!(m->flags & CC_HDR_REPLY))
		return false;
	if (reply != NULL)
		*reply = m->reply;
	return true;
}

bool
cc_msg_want_answer(const struct cc_msg *m)
{
	return (m->flags & CC_HDR_WANT_ANSWER) != 0;
}

bool
cc_msg_is_answer(const struct cc_msg *m)
{
	return (m->flags & CC_HDR_REPLY) != 0;
}

json_t *
cc_msg_header(struct cc_msg *m)
{
	const unsigned char *hb;
	size_t hlen;

	if (m->header == NULL) {
		hb = cc_frame_header(m->frame, &hlen);
		(void)cc_json_unpack(hb, hlen, &m->header, NULL, 0);
	}
	return m->header;
}

const void *
cc_msg_body_raw(const struct cc_msg *m, size_t *len)
{
	return cc_frame_body(m->frame, len);
}

int
cc_msg_body(struct cc_msg *m, json_t **body, char *err, size_t errlen)
{
	const unsigned char *b;
	size_t blen;
	int r;

	if (m->body == NULL) {
		b = cc_frame_body(m->frame, &blen);
		if (blen == 0)
			m->body = json_null();
		else if ((r = cc_json_unpack(b, blen, &m->body, err,
		    errlen)) != CC_OK)
			return r;
	}
	*body = m->body;
	return CC_OK;
}

/*
 * {key: [head]} or {key: [head, tail]}. Steals head (which may be NULL,
 * from a failed constructor), takes its own reference to tail.
 */
static json_t *
body_new(const char *key, json_t *head, const json_t *tail)
{
	json_t *list, *body;

	if (head == NULL)
		return NULL;
	if ((list = json_array()) == NULL) {
		json_decref(head);
		return NULL;
	}
	/* jansson is not const-correct: appending only takes a reference. */
	if (json_array_append_new(list, head) == -1 || (tail != NULL &&
	    json_array_append(list, (json_t *)tail) == -1)) {
		json_decref(list);
		return NULL;
	}
	if ((body = json_object()) == NULL) {
		json_decref(list);
		return NULL;
	}
	if (json_object_set_new(body, key, list) == -1) {
		json_decref(body);
		return NULL;
	}
	return body;
}

json_t *
cc_command_new(const char *name, const json_t *args)
{
	return body_new("command", json_string(name), args);
}

json_t *
cc_answer_new(int rcode, const json_t *value)
{
	return body_new("result", json_integer(rcode), value);
}

json_t *
cc_notification_new(const char *event, const json_t *params)
{
	return body_new("notification", json_string(event), params);
}

/*
 * A json string of text, which may not be UTF-8 when it quotes bytes a
 * peer sent (msgpack bin becomes a string unchecked): such bytes become
 * '?' rather than failing the whole answer.
 */
static json_t *
text_string(char *text)
{
	json_t *s;
	char *p;

	if ((s = json_string(text)) != NULL)
		return s;
	for (p = text; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	return json_string(text);
}

json_t *
cc_answer_error(int rcode, const char *fmt, ...)
{
	va_list ap;
	json_t *value, *body;
	char *text;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n == -1)
		return NULL;
	value = text_string(text);
	free(text);
	if (value == NULL)
		return NULL;
	body = cc_answer_new(rcode, value);
	json_decref(value);
	return body;
}

/* The list under key in body, if body is {key: [x]} or {key: [x, y]}. */
static json_t *
body_list(const json_t *body, const char *key)
{
	json_t *list;

	if (!json_is_object(body))
		return NULL;
	list = json_object_get(body, key);
	if (!json_is_array(list) || json_array_size(list) < 1 ||
	    json_array_size(list) > 2)
		return NULL;
	return list;
}

/* body_list() whose first element is a string. */
static int
named_parse(const json_t *body, const char *key, const char **name,
    json_t **rest)
{
	json_t *list, *first;

	if ((list = body_list(body, key)) == NULL)
		return CC_EPROTO;
	first = json_array_get(list, 0);
	if (!json_is_string(first))
		return CC_EPROTO;
	*name = json_string_value(first);
	*rest = json_array_get(list, 1);
	return CC_OK;
}

int
cc_command_parse(const json_t *body, const char **name, json_t **args)
{
	return named_parse(body, "command", name, args);
}

int
cc_notification_parse(const json_t *body, const char **event,
    json_t **params)
{
	return named_parse(body, "notification", event, params);
}

int
cc_answer_parse(const json_t *body, int *rcode, json_t **value)
{
	json_t *list, *first, *second;
	json_int_t n;

	if ((list = body_list(body, "result")) == NULL)
		return CC_EPROTO;
	first = json_array_get(list, 0);
	if (!json_is_integer(first))
		return CC_EPROTO;
	n = json_integer_value(first);
	if (n < INT_MIN || n > INT_MAX)
		return CC_EPROTO;
	second = json_array_get(list, 1);
	/* PROTOCOL.md 7: an error's value is the human-readable text. */
	if (n != 0 && second != NULL && !json_is_string(second))
		return CC_EPROTO;
	*rcode = (int)n;
	*value = second;
	return CC_OK;
}
