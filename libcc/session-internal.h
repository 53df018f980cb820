/*
 * Private to libcc: what lies behind the opaque struct cc_msg and struct
 * cc_session, and the helpers that message.c and the session_*.c files
 * share. Not installed; every symbol here is libcc_* and stays out of the
 * shared object's exports.
 *
 * Who touches a session when: blocking calls (session_call.c) wait on the
 * socket with poll(2) and never call user code; user callbacks run only
 * from the dispatcher in session_event.c, under libcc_session_enter() /
 * libcc_session_leave(), so that a callback may free the session.
 */
#ifndef LIBCC_SESSION_INTERNAL_H
#define LIBCC_SESSION_INTERNAL_H

#include <sys/queue.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cc/error.h"
#include "cc/message.h"
#include "cc/session.h"
#include "cc/wire.h"

struct event;
struct evbuffer;

/* A cc_strref of a string literal, without strlen() at run time. */
#define LIBCC_STRREF(lit)	((struct cc_strref){ (lit), sizeof(lit) - 1 })

#define LIBCC_READ_SIZE		(64u << 10)	/* bytes per read(2) */
#define LIBCC_MAX_QUEUE		(64u << 20)	/* default max_queue */

/*
 * One allocation: the bookkeeping, then NUL-terminated copies of the
 * header's strings in strs (the frame's own strings are not terminated).
 */
struct cc_msg {
	unsigned		 refs;
	unsigned		 flags;		/* CC_HDR_* */
	int64_t			 seq;
	int64_t			 reply;
	struct cc_frame		*frame;		/* the bytes as received */
	const char		*type;		/* into strs; NULL if absent */
	const char		*from;
	const char		*to;
	const char		*group;
	const char		*instance;
	json_t			*header;	/* decoded on first use */
	json_t			*body;		/* decoded on first use */
	TAILQ_ENTRY(cc_msg)	 entry;		/* in a session's queue */
	char			 strs[];
};
TAILQ_HEAD(libcc_msgq, cc_msg);

/*
 * Parse f's header with h (reused across calls) and make a message of it,
 * reference count 1. Takes over the caller's reference to f whatever the
 * outcome. Returns CC_OK, CC_EHEADER (reason in h->error), CC_ENOMEM.
 */
int libcc_msg_parse(struct cc_header *h, struct cc_frame *f,
    struct cc_msg **out);

/* A cc_call_async() in flight. */
struct libcc_call {
	TAILQ_ENTRY(libcc_call)	 entry;
	struct cc_session	*s;
	struct event		*timer;		/* NULL: no timeout */
	int64_t			 seq;
	int			 timeout_ms;
	int			 status;	/* done without an answer */
	struct cc_msg		*answer;	/* when done with one */
	cc_answer_cb		 cb;
	void			*arg;
	const char		*group;		/* into strs, for messages */
	const char		*to;		/* into strs, or NULL */
	char			 strs[];
};
TAILQ_HEAD(libcc_callq, libcc_call);

/* A subscription the session holds, to give a new connection again. */
struct libcc_sub {
	TAILQ_ENTRY(libcc_sub)	 entry;
	const char		*instance;	/* into group's storage */
	char			 group[];
};
TAILQ_HEAD(libcc_subq, libcc_sub);

/* Where automatic reconnection stands (session_reconnect.c). */
enum libcc_rc_state {
	LIBCC_RC_IDLE,		/* connected, off, or not lost */
	LIBCC_RC_PENDING,	/* lost; err_cb first, then the first try */
	LIBCC_RC_WAITING,	/* the timer runs until the next attempt */
	LIBCC_RC_HELLO,		/* connected on rc_fd, getlname sent */
};

/* What the blocking call in progress waits for (s->want). */
enum libcc_want {
	LIBCC_WANT_NONE,
	LIBCC_WANT_LNAME,	/* the getlname answer */
	LIBCC_WANT_REPLY,	/* the answer whose reply is s->want_seq */
	LIBCC_WANT_PONG,	/* the s->want_seq'th pong */
};

struct cc_session {
	int			 fd;		/* -1: not connected */
	bool			 connecting;
	char			*path;
	char			*lname;
	int64_t			 seq;		/* last seq sent */
	size_t			 max_frame;
	size_t			 max_queue;
	int			 send_timeout;	/* ms, blocking sends */
	int			 lost;		/* loss not reported, or 0 */
	struct cc_decoder	*dec;
	struct cc_header	 hdr;		/* reused for each frame */
	unsigned char		*rbuf;		/* LIBCC_READ_SIZE bytes */
	struct evbuffer		*out;		/* not yet written */
	struct libcc_msgq	 queue;		/* received, not delivered */
	size_t			 queued;	/* frame bytes in queue */
	unsigned long		 bad_headers;	/* frames skipped */

	/* What a blocking call waits for, and where it lands. */
	enum libcc_want		 want;
	int64_t			 want_seq;
	struct cc_msg		*got;
	uint64_t		 pings;		/* sent on this connection */
	uint64_t		 pongs;		/* received for them */

	/* Attached: the caller's loop. */
	struct event_base	*base;
	struct event		*ev_read;	/* NULL unless also connected */
	struct event		*ev_write;
	struct event		*ev_drain;	/* runs the dispatcher */
	cc_msg_cb		 cb;
	cc_error_cb		 err_cb;
	void			*arg;
	struct libcc_callq	 calls;		/* awaiting answers */
	struct libcc_callq	 done;		/* complete, not yet reported */
	int			 err_status;	/* loss to give err_cb, or 0 */
	int			 depth;		/* user callbacks running */
	bool			 draining;	/* the dispatcher is running */
	bool			 dying;		/* freed inside a callback */

	/* Subscriptions held, in order, for a new connection. */
	struct libcc_subq	 subs;

	/* Automatic reconnection (attached sessions). */
	bool			 rc_on;
	cc_reconnect_cb		 rc_cb;
	void			*rc_arg;
	enum libcc_rc_state	 rc_state;
	int			 rc_fd;		/* the attempt's socket, or -1 */
	struct event		*rc_timer;	/* back-off, or getlname bound */
	struct event		*rc_read;	/* rc_fd readable */
	int			 rc_backoff;	/* ms before the next attempt */
	uint32_t		 rc_rand;	/* jitter state (xorshift) */

	char			 err[512];
};

/* session.c: life cycle, errors, losses. */
int	 libcc_session_seterr(struct cc_session *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));	/* returns the status */
void	 libcc_session_fail(struct cc_session *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));	/* close, record why */
int	 libcc_session_closed(struct cc_session *);	/* status when closed */
void	 libcc_session_disconnect(struct cc_session *);
void	 libcc_session_enter(struct cc_session *);	/* around user code */
bool	 libcc_session_leave(struct cc_session *);	/* true: s was freed */
void	 libcc_session_set_send_timeout(struct cc_session *, int);
void libcc_queue_remove(struct cc_session *, struct cc_msg *);
struct cc_msg *libcc_queue_pop(struct cc_session *);

/* session_send.c */
int	 libcc_session_send(struct cc_session *, const struct cc_header *,
	    const void *, size_t);

/* session_io.c: the socket, once connected. */
struct pollfd;
int64_t	 libcc_deadline(int);
int	 libcc_remaining_ms(int64_t);
int	 libcc_poll(struct pollfd *, int64_t);
int	 libcc_session_output(struct cc_session *, struct cc_frame *);
int	 libcc_session_write(struct cc_session *);
int	 libcc_session_flush(struct cc_session *, int64_t);
int	 libcc_session_read(struct cc_session *);
int	 libcc_session_wait(struct cc_session *, int64_t);
int	 libcc_session_await(struct cc_session *, int64_t, struct cc_msg **);

/* session_call.c */
int	 libcc_answer_check(struct cc_session *, struct cc_msg *,
	    const char *, const char *);
const char *libcc_target(char *, size_t, const char *, const char *);

/* session_reconnect.c */
int	 libcc_subs_note(struct cc_session *, bool, const char *,
	    const char *);		/* remember a (un)subscribe */
void	 libcc_subs_clear(struct cc_session *);
void	 libcc_reconnect_lost(struct cc_session *);	/* from fail() */
void	 libcc_reconnect_begin(struct cc_session *);	/* after err_cb */
void	 libcc_reconnect_stop(struct cc_session *);

/* session_io.c, for a connection made in the loop */
int	 libcc_session_decode(struct cc_session *);

/* session_event.c */
int	 libcc_session_arm(struct cc_session *);
void	 libcc_session_wake(struct cc_session *);	/* run the dispatcher */
void	 libcc_session_unattach(struct cc_session *);
bool	 libcc_call_match(struct cc_session *, struct cc_msg *);
void	 libcc_calls_lost(struct cc_session *);

#endif
