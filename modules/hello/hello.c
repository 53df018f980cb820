/*
 * hello: the example ccbus module. Copy it to start a new one.
 *
 * A module is a spec file (specs/hello.spec: configuration items,
 * commands, statistics) and a few callbacks given to libcc's module API
 * (cc/module.h). libcc connects to msgq, registers the spec with the
 * config manager, hands us our configuration, checks every command
 * against the spec and handles `shutdown`; we run the event loop.
 *
 * This one keeps a greeting, sends a heartbeat notification every
 * `interval` seconds, and answers the commands echo, greet and getstats.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <cc/cc.h>

#define PROGNAME	"hello"	/* not argv[0]: libtool may run lt-hello */
#define MAX_INTERVAL	86400.0	/* seconds; keeps the timeval sane */

/* The module's state, passed to every callback as arg. No globals. */
struct hello {
	struct cc_module	*m;
	struct event		*heartbeat;
	char			*greeting;
	double			 interval;	/* seconds, 0: no heartbeat */
	json_t			*peers;		/* NULL when not set */
	json_int_t		 beats, echoes, greetings;
	bool			 verbose;
};

static void
heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hello *h = arg;
	json_t *params = json_pack("{s:I}", "count", ++h->beats);

	/* Notifications are fire and forget: nobody answers them. */
	if (cc_module_notify(h->m, "hello", "heartbeat", params) != CC_OK)
		fprintf(stderr, PROGNAME ": %s\n", cc_module_error(h->m));
	json_decref(params);
}

static void
heartbeat_arm(struct hello *h)
{
	struct timeval tv;

	event_del(h->heartbeat);
	if (h->interval == 0)
		return;
	tv.tv_sec = (time_t)h->interval;
	tv.tv_usec = (suseconds_t)((h->interval - (double)tv.tv_sec) * 1e6);
	event_add(h->heartbeat, &tv);
}

/*
 * The configuration handler: the full configuration at start, then only
 * the items that changed. Check everything before changing anything: a
 * refusal must leave the module as it was (libcc keeps the old values and
 * the config manager rolls the change back).
 */
static json_t *
config_cb(struct cc_module *m, const json_t *config, void *arg)
{
	struct hello *h = arg;
	const json_t *greeting = json_object_get(config, "greeting");
	const json_t *interval = json_object_get(config, "interval");
	const json_t *peers = json_object_get(config, "peers");
	char *g = NULL;

	if (interval != NULL && json_number_value(interval) < 0)
		return cc_answer_error(1, "interval must not be negative");
	if (interval != NULL && json_number_value(interval) > MAX_INTERVAL)
		return cc_answer_error(1, "interval must be at most %g",
		    MAX_INTERVAL);
	if (greeting != NULL &&
	    (g = strdup(json_string_value(greeting))) == NULL)
		return cc_answer_error(1, "out of memory");
	/* Accepted: nothing below can fail. Values are borrowed: copy. */
	if (g != NULL) {
		free(h->greeting);
		h->greeting = g;
	}
	if (peers != NULL) {		/* null: the item was removed */
		json_decref(h->peers);
		h->peers = json_is_null(peers) ? NULL : json_deep_copy(peers);
	}
	if (interval != NULL) {
		h->interval = json_number_value(interval);
		heartbeat_arm(h);
	}
	if (h->verbose)
		fprintf(stderr, PROGNAME ": greeting \"%s\", interval %g\n",
		    h->greeting, h->interval);
	return NULL;	/* NULL or cc_answer_new(0, NULL): accepted */
}

/* Commands get args already checked against the spec, defaults filled
 * in: "text" is a string, "count" an integer. */
static json_t *
cmd_echo(struct hello *h, const json_t *args)
{
	h->echoes++;
	return cc_answer_new(0, json_object_get(args, "text"));
}

static json_t *
cmd_greet(struct hello *h, const json_t *args)
{
	json_int_t count = json_integer_value(json_object_get(args, "count"));
	size_t len = strlen(h->greeting) + 1;
	json_t *text, *answer;
	char *buf, *p;

	if (count < 1 || count > 100)
		return cc_answer_error(1, "count must be between 1 and 100");
	if ((p = buf = malloc(len * (size_t)count)) == NULL)
		return cc_answer_error(1, "out of memory");
	for (json_int_t i = 0; i < count; i++) {
		memcpy(p, h->greeting, len - 1);
		p += len - 1;
		*p++ = ' ';
	}
	p[-1] = '\0';		/* the last space */
	text = json_string(buf);
	answer = cc_answer_new(0, text);
	json_decref(text);
	free(buf);
	h->greetings++;
	return answer;
}

static json_t *
cmd_getstats(struct hello *h, const json_t *args)
{
	json_t *stats = json_pack("{s:I, s:I}", "echoes", h->echoes,
	    "greetings", h->greetings);
	json_t *answer = cc_answer_new(0, stats);

	json_decref(stats);
	return answer;
}

static const struct {
	const char *name;
	json_t *(*fn)(struct hello *, const json_t *);
} commands[] = {
	{ "echo",	cmd_echo },
	{ "greet",	cmd_greet },
	{ "getstats",	cmd_getstats },
};

/* The command handler: returns the answer (NULL would mean [0]). */
static json_t *
command_cb(struct cc_module *m, const char *name, const json_t *args,
    void *arg)
{
	struct hello *h = arg;

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return commands[i].fn(h, args);
	/* Only a spec out of step with the table gets here. */
	return cc_answer_error(1, "Unknown command: %s", name);
}

/* SIGTERM, SIGINT: leave the loop; cc_module_free() says `stopping`. */
static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopexit(arg, NULL);
}

int
main(int argc, char **argv)
{
	struct hello h = { .verbose = false };
	struct event_base *base;
	struct event *sigterm, *sigint;
	const char *sock = NULL;	/* NULL: $CCBUS_SOCKET or the default */
	int ch, status = 1;

	while ((ch = getopt(argc, argv, "s:v")) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'v':
			h.verbose = true;
			break;
		default:
			fprintf(stderr, "usage: %s [-v] [-s socket]\n",
			    PROGNAME);
			return 64;
		}
	}
	if ((base = event_base_new()) == NULL ||
	    (h.heartbeat = event_new(base, -1, EV_PERSIST, heartbeat_cb,
	    &h)) == NULL ||
	    (sigterm = evsignal_new(base, SIGTERM, signal_cb, base)) == NULL ||
	    (sigint = evsignal_new(base, SIGINT, signal_cb, base)) == NULL ||
	    event_add(sigterm, NULL) == -1 || event_add(sigint, NULL) == -1 ||
	    (h.m = cc_module_new(base, "hello.spec", config_cb, command_cb,
	    &h)) == NULL) {
		fprintf(stderr, PROGNAME ": cannot set up the event loop\n");
		return 1;
	}
	/* Connect, register the spec, get the configuration (config_cb). */
	if (cc_module_start(h.m, sock, CC_DEFAULT_TIMEOUT) != CC_OK)
		fprintf(stderr, PROGNAME ": %s\n", cc_module_error(h.m));
	else {
		/* Until `shutdown` or a signal. If msgq restarts, libcc
		 * reconnects and registers again by itself. */
		event_base_dispatch(base);
		status = cc_module_status(h.m) != CC_OK;
		if (status != 0)
			fprintf(stderr, PROGNAME ": %s\n",
			    cc_module_error(h.m));
	}
	cc_module_free(h.m);
	event_free(sigint);
	event_free(sigterm);
	event_free(h.heartbeat);
	event_base_free(base);
	free(h.greeting);
	json_decref(h.peers);
	return status;
}
