/*
 * counter: the module of doc/writing-modules.md. It keeps a number;
 * `add` adds to it (n, or the configured step), `get` answers it, and
 * `getstats` answers its statistics. Everything else (the bus, the
 * configuration manager, checking commands against the spec, shutdown)
 * is libcc's module API, cc/module.h.
 */
#define _POSIX_C_SOURCE 200809L	/* getopt(), with -std=c99 too */

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <cc/cc.h>

#define PROGNAME	"counter"

/* The module's state, given to every callback as arg. */
struct counter {
	struct cc_module	*m;
	json_int_t		 value;		/* the counter */
	json_int_t		 step;		/* configuration item "step" */
	json_int_t		 adds;		/* statistics item "adds" */
};

/*
 * The configuration handler. The first call has the whole configuration,
 * defaults filled in; later calls only the items that changed. libcc has
 * already checked the types against the spec; what the spec cannot say
 * (step at least 1) is checked here, before anything changes.
 */
static json_t *
config_cb(struct cc_module *m, const json_t *config, void *arg)
{
	struct counter *c = arg;
	const json_t *step = json_object_get(config, "step");

	if (step != NULL && json_integer_value(step) < 1)
		return cc_answer_error(1, "step must be at least 1");
	if (step != NULL)
		c->step = json_integer_value(step);
	return NULL;		/* accepted */
}

/* add: args is {"n": N} or {} (n is optional and has no default). */
static json_t *
cmd_add(struct counter *c, const json_t *args)
{
	const json_t *n = json_object_get(args, "n");
	json_int_t by = n != NULL ? json_integer_value(n) : c->step;
	json_int_t sum;
	json_t *value, *answer;

	if (__builtin_add_overflow(c->value, by, &sum))
		return cc_answer_error(1, "the counter would overflow");
	c->value = sum;
	c->adds++;
	value = json_integer(c->value);
	answer = cc_answer_new(0, value);	/* {"result": [0, value]} */
	json_decref(value);
	return answer;
}

static json_t *
cmd_get(struct counter *c, const json_t *args)
{
	json_t *value = json_integer(c->value);
	json_t *answer = cc_answer_new(0, value);

	json_decref(value);
	return answer;
}

/* The spec's statistics items, by name: the stats module asks for them. */
static json_t *
cmd_getstats(struct counter *c, const json_t *args)
{
	json_t *stats = json_pack("{s:I}", "adds", c->adds);
	json_t *answer = cc_answer_new(0, stats);

	json_decref(stats);
	return answer;
}

static const struct {
	const char *name;
	json_t *(*fn)(struct counter *, const json_t *);
} commands[] = {
	{ "add",	cmd_add },
	{ "get",	cmd_get },
	{ "getstats",	cmd_getstats },
};

/*
 * The command handler: only commands of the spec get here, with their
 * arguments checked against it. Return the answer (NULL means [0]).
 */
static json_t *
command_cb(struct cc_module *m, const char *name, const json_t *args,
    void *arg)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return commands[i].fn(arg, args);
	return cc_answer_error(1, "Unknown command: %s", name);
}

/* SIGTERM, SIGINT: leave the loop as `shutdown` does. */
static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopexit(arg, NULL);
}

int
main(int argc, char **argv)
{
	struct counter c = { .value = 0 };
	const char *sock = NULL;		/* $CCBUS_SOCKET, or the default */
	const char *spec = "counter.spec";	/* in the spec directory */
	struct event_base *base;
	struct event *sigterm, *sigint;
	int ch, status = 1;

	while ((ch = getopt(argc, argv, "s:f:")) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'f':
			spec = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-s socket] [-f spec]\n",
			    PROGNAME);
			return 64;
		}
	}
	if ((base = event_base_new()) == NULL ||
	    (sigterm = evsignal_new(base, SIGTERM, signal_cb, base)) == NULL ||
	    (sigint = evsignal_new(base, SIGINT, signal_cb, base)) == NULL ||
	    event_add(sigterm, NULL) == -1 || event_add(sigint, NULL) == -1 ||
	    (c.m = cc_module_new(base, spec, config_cb, command_cb,
	    &c)) == NULL) {
		fprintf(stderr, PROGNAME ": cannot set up the event loop\n");
		return 1;
	}
	/* Connect, register the spec, get the configuration (config_cb). */
	if (cc_module_start(c.m, sock, CC_DEFAULT_TIMEOUT) != CC_OK)
		fprintf(stderr, PROGNAME ": %s\n", cc_module_error(c.m));
	else {
		event_base_dispatch(base);	/* until shutdown or a signal */
		status = cc_module_status(c.m) != CC_OK;
		if (status != 0)
			fprintf(stderr, PROGNAME ": %s\n",
			    cc_module_error(c.m));
	}
	cc_module_free(c.m);		/* sends `stopping` if still needed */
	event_free(sigint);
	event_free(sigterm);
	event_base_free(base);
	return status;
}
