/*
 * The stats module's private header: its context (struct stats), a
 * collection round with its requests and waiting collects, and what its
 * files share, one section per file:
 *
 *	stats.c		main, options, configuration, signals, stop
 *	stats_collect.c	a collection round: get_statistics_spec, getstats
 *			to every module, the figures and status kept
 *	stats_cmd.c	the module's commands
 *
 * Ownership in one paragraph: struct stats owns the spec, figures and
 * status maps, the running round and the collects waiting for the next
 * one. A round owns its pending requests (each also the arg of an
 * outstanding cc_call_async()) and the collects it will answer. Answers
 * received belong to libcc; the callbacks borrow them and copy what they
 * keep.
 */
#ifndef CCBUS_STATS_H
#define CCBUS_STATS_H

#include <sys/queue.h>

#include <stdbool.h>

#include <event2/event.h>
#include <jansson.h>

#include <cc/module.h>

#define STATS_PROGNAME	"stats"	/* not argv[0]: libtool may run lt-stats */
#define STATS_TIME_LEN	sizeof("1970-01-01T00:00:00Z")

/* A `collect` command waiting for the end of a round. */
struct waiter {
	struct cc_deferred	*d;
	TAILQ_ENTRY(waiter)	 entry;
};
TAILQ_HEAD(waiters, waiter);

/* A question sent and not answered yet: the config manager's
 * get_statistics_spec (module NULL) or a module's getstats. */
struct request {
	struct round		*r;
	char			*module;
	TAILQ_ENTRY(request)	 entry;
};

/* One round: get_statistics_spec, then getstats to every module. */
struct round {
	struct stats		*st;
	TAILQ_HEAD(, request)	 pending;
	struct waiters		 waiters;	/* the collects it answers */
	bool			 asking;	/* sending: do not end yet */
};

/* The module's state, passed to every callback as arg. No globals. */
struct stats {
	struct cc_module	*m;
	struct event		*tick;		/* a round every interval */
	struct event		*kick;		/* a round now */
	double			 interval, timeout;	/* seconds */
	json_t			*spec;		/* {M: [items]}, non-empty */
	json_t			*figures;	/* {M: {item: value}} */
	json_t			*status;	/* {M: {collected, ...}} */
	struct round		*round;		/* the running one, or NULL */
	struct waiters		 next;		/* collects for the next round */
	json_int_t		 collections, errors;
	char			 last[STATS_TIME_LEN];	/* last round's end */
	bool			 stopping;
	bool			 verbose;
};

/* stats_collect.c: a collection round */

/*
 * The callback of the tick and kick events (arg: the struct stats):
 * start a round unless one is running (its end starts the next one if
 * collects are waiting). A round that cannot start is logged.
 */
void	 stats_round_cb(evutil_socket_t fd, short what, void *arg);
/*
 * Start a round now, from the event loop (st->kick): never from inside a
 * callback of libcc, which this may be called from.
 */
void	 stats_kick(struct stats *st);
/*
 * Answer every waiter of list with answer (borrowed), empty the list and
 * free the waiters. A collect that cannot be answered is logged.
 */
void	 stats_waiters_answer(struct stats *st, struct waiters *list,
	    const json_t *answer);
/*
 * The module's own statistics items, {collections, errors,
 * last_collection}: a new object, NULL if out of memory.
 */
json_t	*stats_own_figures(const struct stats *st);

/* stats_cmd.c: the commands */

/*
 * The module's command handler (arg: the struct stats). Returns the
 * answer, new; NULL for collect, whose answer is deferred until the end
 * of a round started after it (stats_waiters_answer()). args borrowed.
 */
json_t	*stats_command_cb(struct cc_module *m, const char *name,
	    const json_t *args, void *arg);

#endif /* CCBUS_STATS_H */
