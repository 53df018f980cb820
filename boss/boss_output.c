/*
 * Children's output: each process's stdout and stderr share one pipe
 * (so that their lines keep their order), read without blocking and
 * logged one line at a time as "ccbus[PID]: NAME: line", whatever the
 * boss's verbosity: the child chose what to print. A line longer than
 * BOSS_LINE_MAX bytes is cut into pieces, the cut marked with "...".
 * A reader lives until EOF, which may come after its process was reaped
 * (a grandchild may hold the pipe) and even after its component was
 * removed: it keeps its own copy of the name.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boss.h"
#include "log.h"
#include "xmalloc.h"

struct boss_output {
	LIST_ENTRY(boss_output)	 entry;
	struct event		*ev;
	int			 fd;
	size_t			 len;
	char			 buf[BOSS_LINE_MAX];
	char			 name[];
};

/* One write per line: lines of several writers on one stderr stay whole. */
static void
emit(const struct boss_output *o, const char *line, size_t len, bool cut)
{
	fprintf(stderr, "%s[%ld]: %s: %.*s%s\n", BOSS_PROGNAME,
	    (long)getpid(), o->name, (int)len, line, cut ? "..." : "");
}

static void
output_free(struct boss_output *o)
{
	LIST_REMOVE(o, entry);
	event_free(o->ev);
	close(o->fd);
	free(o);
}

/* Log every whole line in the buffer; keep the rest. */
static void
drain(struct boss_output *o, bool eof)
{
	char *start = o->buf, *nl;
	size_t left = o->len;

	while ((nl = memchr(start, '\n', left)) != NULL) {
		emit(o, start, (size_t)(nl - start), false);
		left -= (size_t)(nl - start) + 1;
		start = nl + 1;
	}
	if (left == sizeof(o->buf) || (eof && left > 0)) {
		emit(o, start, left, !eof);
		left = 0;
	}
	memmove(o->buf, start, left);
	o->len = left;
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct boss_output *o = arg;
	ssize_t n;

	for (;;) {
		n = read(fd, o->buf + o->len, sizeof(o->buf) - o->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			drain(o, true);
			output_free(o);
			return;
		}
		o->len += (size_t)n;
		drain(o, false);
	}
}

void
boss_output_new(struct boss *b, const char *name, int fd)
{
	size_t nlen = strlen(name) + 1;
	struct boss_output *o = xcalloc(1, sizeof(*o) + nlen);

	memcpy(o->name, name, nlen);
	o->fd = fd;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		fatal("fcntl O_NONBLOCK");
	o->ev = event_new(b->base, fd, EV_READ | EV_PERSIST, read_cb, o);
	if (o->ev == NULL || event_add(o->ev, NULL) == -1)
		fatalx("cannot watch the output of %s", name);
	LIST_INSERT_HEAD(&b->outputs, o, entry);
}

void
boss_outputs_free(struct boss *b)
{
	while (!LIST_EMPTY(&b->outputs)) {
		struct boss_output *o = LIST_FIRST(&b->outputs);

		read_cb(o->fd, EV_READ, o);	/* what is left, then EOF */
		if (LIST_FIRST(&b->outputs) == o)
			output_free(o);
	}
}
