/*
 * A fake msgq for the session unit tests: a thread that listens on a Unix
 * socket in a fresh mkdtemp(3) directory, serves one connection at a
 * time, answers getlname and ping like msgq, and answers a `send`
 * according to its group (fake_broker.c lists them: "ok", "err", "none"
 * with msgq's exact no-recipient answer, "close", "deaf", ...). Every
 * header it reads is logged, so a test can check what the client sent;
 * a cc_ping() after the send is the barrier, as with the real msgq.
 */
#ifndef FAKE_BROKER_H
#define FAKE_BROKER_H

#include <limits.h>
#include <pthread.h>

#include <jansson.h>

enum fb_lname_mode {
	FB_LNAME_OK,		/* {"lname": "fake_N@test"}: N-th connection */
	FB_LNAME_SILENT,	/* never answer getlname */
	FB_LNAME_BAD,		/* answer without an lname */
	FB_LNAME_EARLY,		/* a message in group "early" first */
};

struct fake_broker {
	char			 dir[PATH_MAX];
	char			 path[PATH_MAX];
	int			 lfd;
	int			 wake[2];
	pthread_t		 thread;
	enum fb_lname_mode	 lname_mode;
	pthread_mutex_t		 lock;
	unsigned		 conns;		/* accepted so far */
	json_t			*log;		/* headers read, in order */
};

/* Start a broker with the given getlname behaviour; fails the test if it
 * cannot. */
struct fake_broker *fb_start(enum fb_lname_mode mode);
/* Stop the thread, remove the socket and its directory, free. */
void fb_stop(struct fake_broker *b);

/* The last header of this type the broker read (a new reference), NULL
 * if none. */
json_t *fb_last(struct fake_broker *b, const char *type);

/* A fresh mkdtemp directory for tests that need a path without a
 * broker; the caller rmdir()s it. */
void fb_tmpdir(char *dir, size_t size);

struct sockaddr_un;
/* sun for dir/msgq.sock; fails the test if that does not fit. */
void fb_sockaddr(struct sockaddr_un *sun, const char *dir);

#endif
