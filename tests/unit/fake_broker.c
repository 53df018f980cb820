/*
 * The fake msgq of the session unit tests (see fake_broker.h). It speaks
 * the protocol through libcc's public wire layer (cc_decoder,
 * cc_header_parse, cc_frame_build), so the bytes are the real framing,
 * and answers by a table of groups, each a small behaviour a test needs.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "cc/codec.h"
#include "cc/error.h"
#include "cc/wire.h"
#include "fake_broker.h"

#define STRREF(lit)	((struct cc_strref){ (lit), sizeof(lit) - 1 })

struct conn {
	struct fake_broker	*b;
	int			 fd;
	struct cc_decoder	*dec;
	struct cc_header	 h;	/* of the frame being handled */
	char			 lname[64];
	bool			 deaf;	/* stopped reading */
	bool			 closed;
};

void
fb_tmpdir(char *dir, size_t size)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, size, "%s/ccbus-test.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

void
fb_sockaddr(struct sockaddr_un *sun, const char *dir)
{
	size_t len = strlen(dir);

	ck_assert_uint_lt(len + sizeof("/msgq.sock"), sizeof(sun->sun_path));
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, dir, len);
	memcpy(sun->sun_path + len, "/msgq.sock", sizeof("/msgq.sock"));
}

static void
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return;		/* the client went away */
		p += n;
		len -= (size_t)n;
	}
}

/* Send the client a frame of header h and body raw bytes. */
static void
conn_send_raw(struct conn *c, const struct cc_header *h, const void *body,
    size_t blen)
{
	struct cc_frame *f;

	if (cc_frame_build(h, body, blen, 0, &f) != CC_OK)
		abort();
	write_all(c->fd, cc_frame_bytes(f), cc_frame_size(f));
	cc_frame_unref(f);
}

/* The same with a json body (stolen; NULL: none). */
static void
conn_send(struct conn *c, const struct cc_header *h, json_t *body)
{
	char *buf = NULL;
	size_t len = 0;

	if (body != NULL && cc_json_pack(body, &buf, &len, NULL, 0) != CC_OK)
		abort();
	conn_send_raw(c, h, buf, len);
	free(buf);
	json_decref(body);
}

/* An answer to the frame being handled, from a peer called "peer". */
static void
conn_answer(struct conn *c, int64_t reply, json_t *body)
{
	struct cc_header h = {
		.type = STRREF("send"),
		.from = STRREF("peer"),
		.to = cc_strref_of(c->lname),
		.group = c->h.group,
		.instance = c->h.instance,
		.seq = 9000,
		.reply = reply,
		.flags = CC_HDR_SEQ | CC_HDR_REPLY,
	};

	conn_send(c, &h, body);
}

/* A message (not an answer) to the client in group, from "peer". */
static void
conn_data(struct conn *c, const char *group, int64_t seq, json_t *body)
{
	struct cc_header h = {
		.type = STRREF("send"),
		.from = STRREF("peer"),
		.to = cc_strref_of(c->lname),
		.group = cc_strref_of(group),
		.instance = STRREF("*"),
		.seq = seq,
		.flags = CC_HDR_SEQ,
	};

	conn_send(c, &h, body);
}

static void
g_ok(struct conn *c, struct cc_frame *f)
{
	conn_answer(c, c->h.seq, json_pack("{s:[i,{s:i}]}", "result", 0, "x",
	    1));
}

static void
g_okbare(struct conn *c, struct cc_frame *f)
{
	conn_answer(c, c->h.seq, json_pack("{s:[i]}", "result", 0));
}

static void
g_err(struct conn *c, struct cc_frame *f)
{
	conn_answer(c, c->h.seq, json_pack("{s:[i,s]}", "result", 1,
	    "it broke"));
}

static void
g_errbare(struct conn *c, struct cc_frame *f)
{
	conn_answer(c, c->h.seq, json_pack("{s:[i]}", "result", 2));
}

static void
g_minus1(struct conn *c, struct cc_frame *f)
{
	conn_answer(c, c->h.seq, json_pack("{s:[i,s]}", "result", -1,
	    "not msgq"));
}

/* PROTOCOL.md 5.6: the original header with reply = seq, from = "msgq",
 * to = the sender; type, group, instance, seq, want_answer untouched. */
static void
g_none(struct conn *c, struct cc_frame *f)
{
	struct cc_header h = c->h;

	h.from = STRREF("msgq");
	h.to = cc_strref_of(c->lname);
	h.reply = c->h.seq;
	h.flags |= CC_HDR_REPLY;
	conn_send(c, &h, json_pack("{s:[i,s]}", "result", -1,
	    "No such recipient"));
}

static void
g_bad(struct conn *c, struct cc_frame *f)
{
	conn_answer(c, c->h.seq, json_pack("{s:i}", "nope", 1));
}

static void
g_badrc(struct conn *c, struct cc_frame *f)
{
	conn_answer(c, c->h.seq, json_pack("{s:[s]}", "result", "zero"));
}

static void
g_undecodable(struct conn *c, struct cc_frame *f)
{
	struct cc_header h = {
		.type = STRREF("send"),
		.from = STRREF("peer"),
		.to = cc_strref_of(c->lname),
		.group = c->h.group,
		.reply = c->h.seq,
		.flags = CC_HDR_REPLY,
	};

	conn_send_raw(c, &h, "\xc1", 1);
}

static void
g_echo(struct conn *c, struct cc_frame *f)
{
	struct cc_header h = {
		.type = STRREF("send"),
		.from = STRREF("peer"),
		.to = cc_strref_of(c->lname),
		.group = STRREF("echo"),
		.instance = STRREF("*"),
		.seq = c->h.seq + 100000,
		.flags = CC_HDR_SEQ,
	};
	const unsigned char *body;
	size_t blen;

	body = cc_frame_body(f, &blen);
	conn_send_raw(c, &h, body, blen);
}

/* Others first: a message, an answer to another seq, a message; then the
 * answer. */
static void
g_other(struct conn *c, struct cc_frame *f)
{
	conn_data(c, "other", 500, json_pack("{s:s}", "n", "A"));
	conn_answer(c, c->h.seq + 1000, json_pack("{s:[i,s]}", "result", 0,
	    "stray"));
	conn_data(c, "other", 501, json_pack("{s:s}", "n", "B"));
	conn_answer(c, c->h.seq, json_pack("{s:[i,s]}", "result", 0,
	    "real"));
}

static void
g_cmd(struct conn *c, struct cc_frame *f)
{
	struct cc_header h = {
		.type = STRREF("send"),
		.from = STRREF("peer"),
		.to = cc_strref_of(c->lname),
		.group = STRREF("cmd"),
		.instance = STRREF("i1"),
		.seq = 77,
		.flags = CC_HDR_SEQ | CC_HDR_WANT_ANSWER,
	};

	conn_send(c, &h, json_pack("{s:[s]}", "command", "hello"));
}

/* A good message, then a prefix with hlen 0: a framing error. */
static void
g_garbage(struct conn *c, struct cc_frame *f)
{
	static const unsigned char bad[] = { 0, 0, 0, 2, 0, 0 };

	conn_data(c, "garbage", 1, json_pack("{s:s}", "n", "before"));
	write_all(c->fd, bad, sizeof(bad));
}

/* A header that is not msgpack, then a good message. */
static void
g_badhdr(struct conn *c, struct cc_frame *f)
{
	struct cc_frame *bad;

	if (cc_frame_encode("\xc1", 1, NULL, 0, 0, &bad) != CC_OK)
		abort();
	write_all(c->fd, cc_frame_bytes(bad), cc_frame_size(bad));
	cc_frame_unref(bad);
	conn_data(c, "badhdr", 2, json_pack("{s:s}", "n", "after"));
}

/* A pong nobody asked for, then a good message. */
static void
g_pongs(struct conn *c, struct cc_frame *f)
{
	struct cc_header h = { .type = STRREF("pong") };

	conn_send_raw(c, &h, NULL, 0);
	conn_data(c, "pongs", 3, json_pack("{s:s}", "n", "after"));
}

static void
g_deaf(struct conn *c, struct cc_frame *f)
{
	c->deaf = true;
}

static void
g_close(struct conn *c, struct cc_frame *f)
{
	c->closed = true;
}

static void
g_silent(struct conn *c, struct cc_frame *f)
{
}

static const struct group_handler {
	const char	*group;
	void		(*fn)(struct conn *, struct cc_frame *);
} group_handlers[] = {
	{ "ok", g_ok },
	{ "okbare", g_okbare },
	{ "err", g_err },
	{ "errbare", g_errbare },
	{ "minus1", g_minus1 },
	{ "none", g_none },
	{ "bad", g_bad },
	{ "badrc", g_badrc },
	{ "undecodable", g_undecodable },
	{ "echo", g_echo },
	{ "other", g_other },
	{ "cmd", g_cmd },
	{ "garbage", g_garbage },
	{ "badhdr", g_badhdr },
	{ "pongs", g_pongs },
	{ "deaf", g_deaf },
	{ "close", g_close },
	{ "silent", g_silent },
};

static void
conn_getlname(struct conn *c)
{
	struct cc_header h = { .type = STRREF("getlname") };

	switch (c->b->lname_mode) {
	case FB_LNAME_SILENT:
		return;
	case FB_LNAME_BAD:
		conn_send(c, &h, json_pack("{s:i}", "nolname", 1));
		return;
	case FB_LNAME_EARLY:
		conn_data(c, "early", 1, json_pack("{s:s}", "n", "early"));
		break;
	case FB_LNAME_OK:
		break;
	}
	conn_send(c, &h, json_pack("{s:s}", "lname", c->lname));
}

static void
conn_log(struct conn *c, struct cc_frame *f)
{
	const unsigned char *hb;
	json_t *header;
	size_t hlen;

	hb = cc_frame_header(f, &hlen);
	if (cc_json_unpack(hb, hlen, &header, NULL, 0) != CC_OK)
		header = json_null();
	pthread_mutex_lock(&c->b->lock);
	json_array_append_new(c->b->log, header);
	pthread_mutex_unlock(&c->b->lock);
}

static void
conn_frame(struct conn *c, struct cc_frame *f)
{
	const unsigned char *hb;
	size_t hlen, i;

	conn_log(c, f);
	hb = cc_frame_header(f, &hlen);
	if (cc_header_parse(&c->h, hb, hlen) != CC_OK)
		return;
	if (cc_strref_eq(c->h.type, "getlname"))
		conn_getlname(c);
	else if (cc_strref_eq(c->h.type, "ping")) {
		struct cc_header h = { .type = STRREF("pong") };
		const unsigned char *body;
		size_t blen;

		body = cc_frame_body(f, &blen);
		conn_send_raw(c, &h, body, blen);
	} else if (cc_strref_eq(c->h.type, "send"))
		for (i = 0; i < sizeof(group_handlers) /
		    sizeof(group_handlers[0]); i++)
			if (cc_strref_eq(c->h.group, group_handlers[i].group))
				group_handlers[i].fn(c, f);
}

/* Read what the client sent and handle every complete frame. Returns
 * false when the connection is over. */
static bool
conn_input(struct conn *c)
{
	unsigned char buf[65536];
	struct cc_frame *f;
	ssize_t n;

	n = read(c->fd, buf, sizeof(buf));
	if (n == -1 && errno == EINTR)
		return true;
	if (n <= 0 || cc_decoder_feed(c->dec, buf, (size_t)n) != CC_OK)
		return false;
	while (!c->closed && !c->deaf && cc_decoder_next(c->dec, &f) == 1) {
		conn_frame(c, f);
		cc_frame_unref(f);
	}
	return !c->closed;
}

/* Serve one connection until it ends; returns false when told to stop. */
static bool
serve(struct fake_broker *b, int fd)
{
	struct conn c = { .b = b, .fd = fd };
	struct pollfd p[2];
	bool stop = false;

	c.dec = cc_decoder_new(0);
	cc_header_init(&c.h);
	pthread_mutex_lock(&b->lock);
	snprintf(c.lname, sizeof(c.lname), "fake_%u@test", ++b->conns);
	pthread_mutex_unlock(&b->lock);
	for (;;) {
		p[0].fd = b->wake[0];
		p[0].events = POLLIN;
		p[1].fd = c.deaf ? -1 : fd;
		p[1].events = POLLIN;
		if (poll(p, 2, -1) == -1 && errno != EINTR)
			break;
		if (p[0].revents != 0) {
			stop = true;
			break;
		}
		if (p[1].revents != 0 && !conn_input(&c))
			break;
	}
	cc_header_clear(&c.h);
	cc_decoder_free(c.dec);
	close(fd);
	return !stop;
}

static void *
broker_main(void *arg)
{
	struct fake_broker *b = arg;
	struct pollfd p[2];
	int fd;

	for (;;) {
		p[0].fd = b->wake[0];
		p[0].events = POLLIN;
		p[1].fd = b->lfd;
		p[1].events = POLLIN;
		if (poll(p, 2, -1) == -1 && errno != EINTR)
			break;
		if (p[0].revents != 0)
			break;
		if (p[1].revents == 0)
			continue;
		if ((fd = accept(b->lfd, NULL, NULL)) != -1 && !serve(b, fd))
			break;
	}
	return NULL;
}

struct fake_broker *
fb_start(enum fb_lname_mode mode)
{
	struct sockaddr_un sun;
	struct fake_broker *b;

	b = calloc(1, sizeof(*b));
	ck_assert_ptr_nonnull(b);
	b->lname_mode = mode;
	b->log = json_array();
	pthread_mutex_init(&b->lock, NULL);
	fb_tmpdir(b->dir, sizeof(b->dir));
	fb_sockaddr(&sun, b->dir);
	snprintf(b->path, sizeof(b->path), "%s", sun.sun_path);
	b->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ne(b->lfd, -1);
	ck_assert_int_eq(bind(b->lfd, (struct sockaddr *)&sun, sizeof(sun)),
	    0);
	ck_assert_int_eq(listen(b->lfd, 16), 0);
	ck_assert_int_eq(pipe(b->wake), 0);
	ck_assert_int_eq(pthread_create(&b->thread, NULL, broker_main, b), 0);
	return b;
}

void
fb_stop(struct fake_broker *b)
{
	ck_assert_int_eq(write(b->wake[1], "x", 1), 1);
	pthread_join(b->thread, NULL);
	close(b->wake[0]);
	close(b->wake[1]);
	close(b->lfd);
	unlink(b->path);
	rmdir(b->dir);
	pthread_mutex_destroy(&b->lock);
	json_decref(b->log);
	free(b);
}

json_t *
fb_last(struct fake_broker *b, const char *type)
{
	json_t *h, *found = NULL;
	size_t i;

	pthread_mutex_lock(&b->lock);
	for (i = json_array_size(b->log); i-- > 0;) {
		h = json_array_get(b->log, i);
		if (json_is_string(json_object_get(h, "type")) &&
		    strcmp(json_string_value(json_object_get(h, "type")),
		    type) == 0) {
			found = json_deep_copy(h);
			break;
		}
	}
	pthread_mutex_unlock(&b->lock);
	return found;
}
