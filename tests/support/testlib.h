/*
 * The integration tests' helpers: a real ccbus-msgq on a temporary socket,
 * and a raw client that speaks the wire protocol through libcc's wire layer
 * only (cc_frame_encode, cc_decoder, cc_header_parse, cc_json_*), so the
 * tests see exactly the bytes msgq sends.
 *
 * Nothing here waits by sleeping: readiness is polled with connect() plus
 * getlname, exits with waitpid(), reads with poll(), each under a deadline.
 * Deadlines given in milliseconds are scaled by tl_ms() when the daemon runs
 * under $CCBUS_TEST_WRAPPER (valgrind is slow).
 *
 * Every daemon started and every temporary directory made is registered and
 * torn down at exit (or by tl_cleanup()), so a failed check leaves neither
 * processes nor files behind. For test processes that end without exit
 * handlers (Check's fork mode uses _exit(), its timeout SIGKILL) the daemon
 * has PR_SET_PDEATHSIG and every directory lives under one root that
 * main() removes (tl_tmproot_make / tl_tmproot_remove).
 *
 * Functions that take json_t arguments steal the references (so that
 * json_pack() can be written inline); functions that return json_t give a
 * new reference, unless stated otherwise.
 */
#ifndef TESTLIB_H
#define TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include <cc/wire.h>

#define TL_PATH_MAX 256
#define TL_DIR_MAX 128		/* a temporary directory's path */

/* ms, multiplied when the daemon runs under a (slow) wrapper. */
int tl_ms(int ms);
/* CLOCK_MONOTONIC in milliseconds. */
int64_t tl_now_ms(void);

/* Make a fresh directory under $TMPDIR (or /tmp when that path is too long
 * for a socket), registered for removal; buf holds TL_DIR_MAX. 0 or -1. */
int tl_tmpdir_make(char *buf, size_t len);
/* Remove dir and everything in it. */
void tl_tmpdir_remove(const char *dir);
/*
 * Make one directory that holds every later temporary directory of this
 * process and its forks, and remove it with everything in it. A test
 * program's main() brackets its tests with these: a test process that a
 * failed check ends with _exit() (Check's fork mode) runs no cleanup of
 * its own, so its files are removed from here. 0 or -1.
 */
int tl_tmproot_make(void);
void tl_tmproot_remove(void);
/* Stop every daemon still running and remove every temporary directory. */
void tl_cleanup(void);

/*
 * A ccbus-msgq under test. dir is its temporary directory, sock the socket
 * path tl_msgq_start() gives it, log its captured stderr, out its stdout.
 */
struct tl_msgq {
	char prog[TL_PATH_MAX];	/* "" for ccbus-msgq (tl_msgq_path()) */
	char dir[TL_DIR_MAX];
	char sock[TL_PATH_MAX];
	char log[TL_PATH_MAX];
	char out[TL_PATH_MAX];
	pid_t pid;		/* 0 once reaped */
	int status;		/* exit code, 128+signal if killed */
};

/* The daemon's path: the one set with tl_msgq_set_path(), else
 * $CCBUS_BUILDDIR/msgq/ccbus-msgq. Borrowed, static. */
const char *tl_msgq_path(void);
/* Use path (copied) as the daemon from now on; NULL: back to the default. */
void tl_msgq_set_path(const char *path);

/* A new temporary directory and paths in it; nothing started. NULL on error. */
struct tl_msgq *tl_msgq_new(void);
/*
 * The same for another daemon of the build tree: rel is its path under
 * $CCBUS_BUILDDIR ("cfgmgr/ccbus-cfgmgr"); log and out are named after its
 * base name, sock is unused unless the test fills it. Every tl_msgq_*
 * call below works on it (tl_msgq_start() passes "-s sock").
 */
struct tl_msgq *tl_daemon_new(const char *rel);
/*
 * Start the daemon with exactly args (NULL-terminated, program name not
 * included), the wrapper prefixed, stdout/stderr to m->out/m->log. Does not
 * wait for anything. 0 or -1.
 */
int tl_msgq_spawn(struct tl_msgq *m, const char *const *args);
/* Spawn with "-s m->sock" followed by the NULL-terminated extra arguments,
 * and wait until it answers getlname. 0 or -1 (then it has been stopped). */
int tl_msgq_start(struct tl_msgq *m, ...);
/* Poll connect()+getlname on sock until it answers; -1 at the deadline or
 * when the daemon exits first. */
int tl_msgq_wait_ready(struct tl_msgq *m, const char *sock, int timeout_ms);
/* Wait for the daemon to exit: its exit code (128+signal if signalled), or
 * -1 if it is still running at the deadline. */
int tl_msgq_wait_exit(struct tl_msgq *m, int timeout_ms);
/* SIGTERM, wait; SIGKILL if it does not go. Returns tl_msgq_wait_exit(). */
int tl_msgq_stop(struct tl_msgq *m);
/* SIGKILL and reap. */
void tl_msgq_kill(struct tl_msgq *m);
/* Stop it if running, remove its directory, free. NULL is a no-op. */
void tl_msgq_free(struct tl_msgq *m);
/* Spawn with args and wait for the exit: the exit code or -1. */
int tl_msgq_run(struct tl_msgq *m, const char *const *args, int timeout_ms);

/* True if the file contains needle. */
bool tl_file_contains(const char *path, const char *needle);
/* Wait until the file contains needle; false at the deadline. */
bool tl_log_wait(const char *path, const char *needle, int timeout_ms);
/* Wait until one line of the file contains both a and b (b may be NULL). */
bool tl_log_wait_line(const char *path, const char *a, const char *b,
    int timeout_ms);

/* Encode a frame: header and body (body NULL: none) packed with
 * cc_json_pack, framed with cc_frame_encode. Steals both. NULL on error. */
struct cc_frame *tl_frame_make(json_t *header, json_t *body);

/* A frame read by a raw client. hdr is NULL if the header is not msgpack,
 * body is NULL if the frame has no body; h is valid if h_ok. */
struct tl_frame {
	struct cc_frame *frame;
	json_t *hdr;
	json_t *body;
	struct cc_header h;
	bool h_ok;
};

void tl_frame_clear(struct tl_frame *f);
/* A header field as a string (borrowed) or integer; NULL / false if absent
 * or of another type. */
const char *tl_frame_str(const struct tl_frame *f, const char *key);
bool tl_frame_int(const struct tl_frame *f, const char *key, int64_t *v);

/* A raw client connection. */
struct tl_client {
	int fd;
	struct cc_decoder *dec;
	char lname[128];
	int64_t seq;		/* next seq this client puts in a header */
	unsigned pings;		/* for unique ping bodies */
	bool eof;
};

/* Connect only (no getlname). NULL on error. */
struct tl_client *tl_client_connect(const char *path);
/* Connect and learn the lname with getlname. NULL on error. */
struct tl_client *tl_client_new(const char *path);
void tl_client_free(struct tl_client *c);

/* Write all len bytes. 0 or -1 (errno set). Never raises SIGPIPE. */
int tl_client_write(struct tl_client *c, const void *buf, size_t len);
/* tl_frame_make() and write it. Steals both. 0 or -1. */
int tl_client_send(struct tl_client *c, json_t *header, json_t *body);
/*
 * Read the next frame within timeout_ms. Returns 1 with *f filled (clear it
 * with tl_frame_clear), 0 at the deadline, -1 on EOF (c->eof set), a read
 * error or a framing error.
 */
int tl_client_read(struct tl_client *c, int timeout_ms, struct tl_frame *f);
/* Read and discard until EOF: 0 on EOF, -1 at the deadline. */
int tl_client_wait_eof(struct tl_client *c, int timeout_ms);

/* Send {"type": "subscribe"/"unsubscribe", group, instance}. 0 or -1. */
int tl_client_subscribe(struct tl_client *c, const char *group,
    const char *instance);
int tl_client_unsubscribe(struct tl_client *c, const char *group,
    const char *instance);
/*
 * A ping with a body unique to this call; true if the very next frame is
 * its pong (so nothing was queued for this client before it, and every
 * earlier frame of this client has been handled). Prints what came instead.
 */
bool tl_client_barrier(struct tl_client *c, int timeout_ms);
/*
 * Send a send-frame {type send, from lname, to, group, instance "*", seq,
 * want_answer if want} with body (stolen). *seq (if not NULL) gets the seq
 * used. to NULL means "*". 0 or -1.
 */
int tl_client_send_to(struct tl_client *c, const char *group, const char *to,
    json_t *body, bool want, int64_t *seq);
/*
 * Send {"command": [name, args]} (args stolen, may be NULL) to group Msgq
 * with want_answer and read frames until the answer with reply = its seq
 * (skipping others). Returns 0 with the answer in *f, -1 otherwise.
 */
int tl_client_msgq_cmd(struct tl_client *c, const char *name, json_t *args,
    struct tl_frame *f);

/*
 * Subscribe to notifications/cc_members and wait for the client's own
 * "subscribed" event (PROTOCOL.md 8), then for a barrier. 0 or -1.
 */
int tl_client_watch_members(struct tl_client *c);
/* Skip frames until the cc_members notification [event, {"client":
 * lname, ...}]; false at the deadline or EOF. */
bool tl_client_wait_note(struct tl_client *c, const char *event,
    const char *lname, int timeout_ms);

/*
 * Skip frames until the plain message {"running": name} (what a daemon
 * sends to group Boss once ready; c must be subscribed to Boss). False
 * at the deadline or EOF.
 */
bool tl_client_wait_running(struct tl_client *c, const char *name,
    int timeout_ms);

/* A JSON value as compact text for messages (malloc'd; free it). */
char *tl_json_text(const json_t *v);
/* NULL if got equals want, else "got X, want Y" (malloc'd). Steals want. */
char *tl_json_diff(const json_t *got, json_t *want);

#endif
