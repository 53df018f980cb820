/*
 * The session layer: one connection to ccbus-msgq.
 *
 * A session is used either blocking (every call waits on the socket with
 * poll(2), bounded by its timeout) or attached to the caller's libevent
 * event_base, where received messages are delivered to a callback and
 * sends never block: bytes the socket does not take at once wait in an
 * output queue flushed when the socket is writable. libcc never owns the
 * loop, never exits and never prints. A session is not thread-safe.
 *
 * Errors: every call returns CC_OK or a negative CC_E... code (cc/error.h);
 * cc_session_error() then says what went wrong in words. After
 * CC_ECONNLOST or CC_EFRAME (or a blocking send's CC_ETIMEDOUT) the
 * session is closed; further calls return CC_ECONNLOST.
 */
#ifndef CC_SESSION_H
#define CC_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <jansson.h>
#include <cc/message.h>

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;
struct cc_session;

/* Flags for cc_send(). */
enum {
	CC_WANT_ANSWER = 1 << 0,	/* set want_answer in the header */
};

/* Timeouts are in milliseconds; CC_FOREVER waits without a bound. */
#define CC_FOREVER (-1)
#define CC_DEFAULT_TIMEOUT 4000

/*
 * The socket path a client should use when none is given: $CCBUS_SOCKET if
 * set and not empty, else the compiled default
 * ($(runstatedir)/ccbus/msgq.sock). Borrowed, static or from environ.
 */
const char *cc_default_socket_path(void);

/* A new, unconnected session; NULL only on ENOMEM. */
struct cc_session *cc_session_new(void);
/* Close the connection (if any), detach, drop queued messages and pending
 * async calls (their callbacks are NOT called), free. NULL is a no-op. */
void cc_session_free(struct cc_session *s);

/*
 * Connect to msgq at path (NULL: cc_default_socket_path()) and learn this
 * session's lname with getlname, waiting at most timeout_ms in all.
 * Returns CC_OK, CC_ECONNECT (no broker there: the message names the path
 * and the reason), CC_ETIMEDOUT, CC_ECONNLOST, CC_EPROTO, CC_ESTATE if
 * already connected.
 */
int cc_session_connect(struct cc_session *s, const char *path,
    int timeout_ms);

/* Close the connection; the session may be connected again. Queued
 * messages are dropped; on an attached session, which stays attached,
 * pending async calls complete with CC_ECONNLOST and err_cb is not
 * called. */
void cc_session_close(struct cc_session *s);

/* Words for the last error (borrowed; "" if none). */
const char *cc_session_error(const struct cc_session *s);
/* This connection's lname (borrowed), NULL if not connected. */
const char *cc_session_lname(const struct cc_session *s);
/* The path connected to (borrowed), NULL if never connected. */
const char *cc_session_path(const struct cc_session *s);
/* The socket descriptor, -1 if not connected. Do not read or write it. */
int cc_session_fd(const struct cc_session *s);
bool cc_session_connected(const struct cc_session *s);

/*
 * Largest frame this session sends or accepts (default CC_WIRE_MAX_FRAME,
 * same as msgq's default). A send that would exceed it fails with
 * CC_EINVAL and sends nothing.
 */
void cc_session_set_max_frame(struct cc_session *s, size_t max_frame);
/*
 * Cap on each of the session's queues (default 64 MiB). Output of an
 * attached session: a send that would pass it fails with CC_EQUEUE and
 * queues nothing. Received messages not yet taken (by cc_recv() or the
 * callback, e.g. while a blocking call waits for its answer): a message
 * that would pass it closes the session with CC_EQUEUE, as msgq
 * disconnects a client that does not read; what was queued before stays
 * available to cc_recv().
 */
void cc_session_set_max_queue(struct cc_session *s, size_t max_queue);

/*
 * Subscribe to (group, instance); instance NULL means "*". msgq sends no
 * answer; the subscription is active once a later cc_ping() returns.
 */
int cc_subscribe(struct cc_session *s, const char *group,
    const char *instance);
int cc_unsubscribe(struct cc_session *s, const char *group,
    const char *instance);

/*
 * Send body (NULL: no body) to group/instance (instance NULL: "*"), to
 * `to` (NULL: "*", the group's subscribers; else an lname). flags:
 * CC_WANT_ANSWER. On CC_OK, *seq (if seq is not NULL) is the seq put in
 * the header, to match the answer with cc_recv_answer().
 * Blocking session: returns once every byte is written. Attached: returns
 * at once, the bytes queued. Errors: CC_EINVAL (NULL group, a body that
 * cannot be encoded, a frame over max_frame), CC_EQUEUE, CC_ECONNLOST;
 * CC_ETIMEDOUT when msgq takes no bytes for CC_DEFAULT_TIMEOUT ms
 * (blocking only), after which the session is closed, as part of a frame
 * may be on the wire.
 */
int cc_send(struct cc_session *s, const char *group, const char *instance,
    const char *to, const json_t *body, unsigned flags, int64_t *seq);

/* The same with a body already encoded as msgpack (body may be NULL when
 * len is 0): no conversion, for hot paths. */
int cc_send_raw(struct cc_session *s, const char *group,
    const char *instance, const char *to, const void *body, size_t len,
    unsigned flags, int64_t *seq);

/*
 * Answer msg: group and instance of msg, to = its sender, reply = its seq,
 * no want_answer. CC_EINVAL if msg has no seq or no from.
 */
int cc_reply(struct cc_session *s, const struct cc_msg *msg,
    const json_t *body);

/*
 * Wait up to timeout_ms (0: do not wait, CC_FOREVER) for the next message,
 * messages queued earlier first. Pongs are not returned here (see
 * cc_ping()). Returns CC_OK and a reference the caller must
 * cc_msg_unref() in *msg; CC_ETIMEDOUT; CC_ECONNLOST; CC_EFRAME.
 */
int cc_recv(struct cc_session *s, int timeout_ms, struct cc_msg **msg);

/*
 * Wait up to timeout_ms for the answer whose reply is seq; every other
 * message that arrives meanwhile is queued for cc_recv() (or, attached,
 * for the callback). Same returns as cc_recv(); a no-recipient answer from
 * msgq is returned like any answer (see cc_call() to tell them apart).
 */
int cc_recv_answer(struct cc_session *s, int64_t seq, int timeout_ms,
    struct cc_msg **msg);

/*
 * Send body with CC_WANT_ANSWER and wait for its answer. Returns:
 *   CC_OK            the answer's result rcode is 0;
 *   CC_EANSWER       a non-zero rcode; cc_session_error() holds its text;
 *   CC_ENORECIPIENT  nobody was subscribed / no such lname;
 *   CC_ETIMEDOUT, CC_ECONNLOST;
 *   CC_EPROTO        the answer is not {"result": [int, ...]}.
 * On CC_OK and CC_EANSWER *answer (if answer is not NULL) holds a
 * reference to the answer the caller must cc_msg_unref(); else NULL.
 */
int cc_call(struct cc_session *s, const char *group, const char *instance,
    const char *to, const json_t *body, int timeout_ms,
    struct cc_msg **answer);

/*
 * Convenience over cc_call(): send {"command": [name, args]} (args may be
 * NULL) to group, and on CC_OK give the result's value in *value (a new
 * reference, NULL if the result had none). Same returns as cc_call().
 */
int cc_command(struct cc_session *s, const char *group, const char *name,
    const json_t *args, int timeout_ms, json_t **value);

/*
 * Send a ping with body (raw bytes, may be NULL/0) and wait for the pong.
 * Because msgq handles one connection's frames in order, a returned ping
 * means every earlier subscribe is active. On CC_OK, if echo is not NULL,
 * *echo / *echo_len get a malloc'd copy of the pong's body.
 */
int cc_ping(struct cc_session *s, const void *body, size_t len,
    int timeout_ms, void **echo, size_t *echo_len);

/*
 * Event-driven use.
 *
 * cb is called for every message received (and, first, for those already
 * queued), with the message borrowed for the duration of the call. The
 * callback may send, subscribe, reply and even cc_session_free(): libcc
 * copes. err_cb (may be NULL) is called once when the connection is lost
 * or a framing error occurs, with the status code; the session is closed
 * by then, but stays attached: cc_session_connect() re-arms it. Returns
 * CC_OK, CC_ESTATE if not connected or already attached, CC_EINVAL if base
 * or cb is NULL.
 */
typedef void (*cc_msg_cb)(struct cc_session *s, struct cc_msg *msg,
    void *arg);
typedef void (*cc_error_cb)(struct cc_session *s, int status, void *arg);

int cc_session_attach(struct cc_session *s, struct event_base *base,
    cc_msg_cb cb, cc_error_cb err_cb, void *arg);
/* Stop delivering to the callback; the session stays connected and can be
 * used blocking again. Unsent queued bytes are flushed blocking first.
 * Pending async calls complete at once: those already answered with their
 * answer, the others with CC_ESTATE. */
void cc_session_detach(struct cc_session *s);

/*
 * Automatic reconnection (attached sessions; PROTOCOL.md 6, BOSS.md 6).
 * With it on, when the connection is lost (not after cc_session_close()),
 * the session connects again to the same path on its own, inside the
 * loop and never blocking it: the first attempt at once, then with
 * back-off (10 ms doubling up to 1 s, +-10 % jitter) while msgq is not
 * there; an attempt whose getlname is not answered within 1 s counts as
 * failed. It keeps trying until it succeeds or is stopped. Once
 * connected it has a new lname, subscribes again to every group it was
 * subscribed to (cc_subscribe()/cc_unsubscribe() are remembered, in
 * order: a pair subscribed then unsubscribed is forgotten), and calls cb
 * (may be NULL; it may send, call and free the session) so that the layer
 * above can register again. err_cb is still called once per loss, before
 * the first attempt (it may close the session to prevent the attempts);
 * async calls pending at the loss complete with CC_ECONNLOST. While
 * disconnected, sends, subscribes and blocking calls fail with
 * CC_ECONNLOST and cc_session_connected() is false. cc_session_close(),
 * cc_session_detach(), cc_session_free() and turning it off stop trying.
 * On a detached session the setting is only recorded; it takes effect
 * while attached. Subscriptions are remembered on every session; they
 * are forgotten by cc_session_close() and cc_session_connect(), whose new
 * connection starts without any.
 */
typedef void (*cc_reconnect_cb)(struct cc_session *s, void *arg);

void cc_session_set_reconnect(struct cc_session *s, bool on,
    cc_reconnect_cb cb, void *arg);

/*
 * Attached sessions only: send like cc_call() and return at once; cb gets
 * the outcome (same codes as cc_call()) and the answer (borrowed, NULL
 * unless CC_OK or CC_EANSWER) exactly once: on the answer, on timeout, or
 * on connection loss. The answer is not also given to the message
 * callback (one arriving after the timeout is: it matches no call then).
 * Returns CC_OK, CC_ESTATE if not attached, or cc_send()'s errors; cb is
 * never called when this returns an error.
 */
typedef void (*cc_answer_cb)(struct cc_session *s, int status,
    struct cc_msg *answer, void *arg);

int cc_call_async(struct cc_session *s, const char *group,
    const char *instance, const char *to, const json_t *body,
    int timeout_ms, cc_answer_cb cb, void *arg);

#ifdef __cplusplus
}
#endif
#endif
