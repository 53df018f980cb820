/*
 * fake_component: a component for the boss's tests, its behaviour chosen
 * by options. It talks to msgq through a raw libcc session (CCBUS_SOCKET,
 * set by the boss) attached to a libevent loop:
 *
 *   -a GROUP        subscribe to GROUP (the boss sees it ready); without
 *                   it the component never becomes ready
 *   -n              do not connect to the bus at all
 *   -x MS           exit after MS milliseconds...
 *   -e CODE         ...with this exit code (default 0)
 *   -i              ignore SIGTERM and the shutdown command
 *   -p TEXT         print TEXT on stdout and "TEXT (stderr)" on stderr
 *
 * On its group it answers `ping` ([0, "pong"]), `getpid` ([0, pid]) and
 * `shutdown` ({"pid": n} for another pid is ignored: [0] and nothing).
 * Sleeping here is the component's behaviour, not a test's wait.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <cc/cc.h>

struct fake {
	struct event_base	*base;
	struct cc_session	*s;
	const char		*group;
	int			 exit_code;
	bool			 ignore;
	int			 status;
};

static json_t *
answer_str(const char *s)
{
	json_t *v = json_string(s), *a = cc_answer_new(0, v);

	json_decref(v);
	return a;
}

static json_t *
command(struct fake *f, const char *name, const json_t *args)
{
	json_t *pid = json_object_get(args, "pid"), *v, *a;

	if (strcmp(name, "ping") == 0)
		return answer_str("pong");
	if (strcmp(name, "getpid") == 0) {
		v = json_integer(getpid());
		a = cc_answer_new(0, v);
		json_decref(v);
		return a;
	}
	if (strcmp(name, "shutdown") == 0) {
		if (!f->ignore && (pid == NULL ||
		    json_integer_value(pid) == getpid()))
			event_base_loopexit(f->base, NULL);
		return cc_answer_new(0, NULL);
	}
	return cc_answer_error(1, "Unknown command: %s", name);
}

static void
msg_cb(struct cc_session *s, struct cc_msg *msg, void *arg)
{
	struct fake *f = arg;
	const char *name;
	json_t *body, *args, *answer;

	if (cc_msg_is_answer(msg) || cc_msg_body(msg, &body, NULL, 0) !=
	    CC_OK)
		return;
	if (cc_command_parse(body, &name, &args) == CC_OK) {
		answer = command(f, name, args);
		(void)cc_reply(s, msg, answer);
		json_decref(answer);
	}
}

static void
err_cb(struct cc_session *s, int status, void *arg)
{
	/* The session reconnects by itself. */
	fprintf(stderr, "fake: lost the bus: %s\n", cc_session_error(s));
}

static void
exit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fake *f = arg;

	f->status = f->exit_code;
	event_base_loopexit(f->base, NULL);
}

static void
term_cb(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopexit(arg, NULL);
}

static int
connect_bus(struct fake *f)
{
	if ((f->s = cc_session_new()) == NULL ||
	    cc_session_connect(f->s, NULL, CC_DEFAULT_TIMEOUT) != CC_OK ||
	    (f->group != NULL && cc_subscribe(f->s, f->group, NULL) !=
	    CC_OK) ||
	    cc_session_attach(f->s, f->base, msg_cb, err_cb, f) != CC_OK) {
		fprintf(stderr, "fake: %s\n", f->s != NULL ?
		    cc_session_error(f->s) : "out of memory");
		return -1;
	}
	cc_session_set_reconnect(f->s, true, NULL, NULL);
	return 0;
}

int
main(int argc, char **argv)
{
	struct fake f = { .status = 0 };
	struct event *ev_exit = NULL, *ev_term;
	struct timeval tv;
	bool bus = true;
	long exit_ms = -1;
	int ch;

	while ((ch = getopt(argc, argv, "a:nx:e:ip:")) != -1) {
		switch (ch) {
		case 'a': f.group = optarg; break;
		case 'n': bus = false; break;
		case 'x': exit_ms = atol(optarg); break;
		case 'e': f.exit_code = atoi(optarg); break;
		case 'i': f.ignore = true; break;
		case 'p':
			printf("%s\n", optarg);
			fflush(stdout);
			fprintf(stderr, "%s (stderr)\n", optarg);
			break;
		default:
			fprintf(stderr, "usage: fake_component [-ni] [-a group] "
			    "[-x ms [-e code]] [-p text]\n");
			return 64;
		}
	}
	if ((f.base = event_base_new()) == NULL)
		return 1;
	if (f.ignore)
		signal(SIGTERM, SIG_IGN);
	ev_term = evsignal_new(f.base, f.ignore ? SIGUSR2 : SIGTERM, term_cb,
	    f.base);
	event_add(ev_term, NULL);
	if (exit_ms >= 0) {
		tv.tv_sec = exit_ms / 1000;
		tv.tv_usec = exit_ms % 1000 * 1000;
		ev_exit = evtimer_new(f.base, exit_cb, &f);
		event_add(ev_exit, &tv);
	}
	if (bus && connect_bus(&f) == -1)
		return 1;
	event_base_dispatch(f.base);
	cc_session_free(f.s);
	if (ev_exit != NULL)
		event_free(ev_exit);
	event_free(ev_term);
	event_base_free(f.base);
	return f.status;
}
