/*
 * Received messages and the command / answer / notification bodies of
 * PROTOCOL.md section 7.
 */
#ifndef CC_MESSAGE_H
#define CC_MESSAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A received message: its header fields and its body. Reference counted:
 * cc_recv() and friends hand the caller one reference, a callback borrows
 * the message for its duration (take cc_msg_ref() to keep it longer).
 */
struct cc_msg;

struct cc_msg *cc_msg_ref(struct cc_msg *m);
void cc_msg_unref(struct cc_msg *m);	/* NULL is a no-op */

/* Header fields as NUL-terminated strings borrowed from m; NULL when the
 * header lacks the field. */
const char *cc_msg_type(const struct cc_msg *m);
const char *cc_msg_from(const struct cc_msg *m);
const char *cc_msg_to(const struct cc_msg *m);
const char *cc_msg_group(const struct cc_msg *m);
const char *cc_msg_instance(const struct cc_msg *m);
/* true and *seq / *reply set if the header has that field. A value a
 * foreign client sent as an unsigned integer above INT64_MAX comes as its
 * bit pattern; cc_reply() echoes it back exactly. */
bool cc_msg_seq(const struct cc_msg *m, int64_t *seq);
bool cc_msg_reply(const struct cc_msg *m, int64_t *reply);
bool cc_msg_want_answer(const struct cc_msg *m);
/* An answer is a message with a `reply` field. */
bool cc_msg_is_answer(const struct cc_msg *m);

/* The whole header as a JSON object (unknown keys included), decoded on
 * first use. Borrowed from m; NULL on ENOMEM or when an unknown key holds
 * a value cc/codec.h cannot convert (an ext value, say). */
json_t *cc_msg_header(struct cc_msg *m);

/* The body's msgpack bytes as received (borrowed; *len may be 0). */
const void *cc_msg_body_raw(const struct cc_msg *m, size_t *len);

/*
 * The body as JSON, decoded on first use and kept. Returns CC_OK with a
 * reference borrowed from m in *body (json null for an empty body), or
 * CC_EDECODE with the reason in err when the bytes cannot be converted.
 */
int cc_msg_body(struct cc_msg *m, json_t **body, char *err, size_t errlen);

/*
 * Bodies. The builders return a new reference (NULL on ENOMEM) and steal
 * nothing: args and value stay the caller's.
 */
/* {"command": [name]} or {"command": [name, args]} when args != NULL. */
json_t *cc_command_new(const char *name, const json_t *args);
/* {"result": [rcode]} or {"result": [rcode, value]} when value != NULL. */
json_t *cc_answer_new(int rcode, const json_t *value);
/* {"result": [rcode, text]}: the usual error answer. */
json_t *cc_answer_error(int rcode, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* {"notification": [event]} or {"notification": [event, params]}. */
json_t *cc_notification_new(const char *event, const json_t *params);

/*
 * Parse a body. Each returns CC_OK and borrowed pointers into body, or
 * CC_EPROTO if body does not have that shape (then nothing is set).
 * *args / *value / *params are NULL when the list has one element. The
 * list has one or two elements; other keys in body are ignored. An
 * answer's rcode must fit an int, and a non-zero rcode's value, if any,
 * must be a string (PROTOCOL.md 7).
 */
int cc_command_parse(const json_t *body, const char **name, json_t **args);
int cc_answer_parse(const json_t *body, int *rcode, json_t **value);
int cc_notification_parse(const json_t *body, const char **event,
    json_t **params);

#ifdef __cplusplus
}
#endif
#endif
