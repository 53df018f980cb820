/*
 * `ccbusctl monitor [GROUP ...]`: subscribe to the groups and print every
 * message that arrives, one line each: time (UTC), sender, group (and
 * instance if not "*"), body as compact JSON; with --json one JSON
 * object per line. Without groups: every module's group (from the
 * specs), every group some client is subscribed to now (msgq's
 * `clients`), and notifications/cc_members (our own membership events
 * are not shown).
 *
 * Ctrl-C (SIGINT) or SIGTERM stops it with status 0. libcc's blocking
 * calls retry on EINTR, so the handler writes to a pipe that the loop
 * polls beside the session's socket.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

#define MEMBERS_GROUP	"notifications/cc_members"

/* The handler's only way out; a static because a handler has no
 * argument. */
static int stop_fd = -1;

static void
on_signal(int sig)
{
	int saved = errno;

	(void)sig;
	if (write(stop_fd, "x", 1) == -1) {
		/* full pipe: a stop is already pending */
	}
	errno = saved;
}

static int
catch_signals(int fds[2])
{
	struct sigaction sa;

	if (pipe(fds) == -1 || fcntl(fds[1], F_SETFL, O_NONBLOCK) == -1)
		return -1;
	stop_fd = fds[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1)
		return -1;
	return 0;
}

static void
add_group(json_t *groups, const char *g)
{
	json_t *v;
	size_t i;

	json_array_foreach(groups, i, v)
		if (strcmp(json_string_value(v), g) == 0)
			return;
	json_array_append_new(groups, json_string(g));
}

/* The default groups: modules, groups in use, membership events. */
static int
default_groups(struct ctl *c, json_t *groups)
{
	json_t *clients, *cl, *g, *spec;
	const char *k;
	size_t i, j;
	int r;

	if ((r = ctl_specs(c, false)) != CTL_OK)
		return r;
	json_object_foreach(c->specs, k, spec)
		add_group(groups, k);
	if ((r = ctl_call(c, "Msgq", "clients", NULL, &clients)) != CTL_OK)
		return r;
	json_array_foreach(clients, i, cl)
		json_array_foreach(json_object_get(cl, "groups"), j, g)
			if (json_is_string(g))
				add_group(groups, json_string_value(g));
	json_decref(clients);
	add_group(groups, MEMBERS_GROUP);
	return CTL_OK;
}

static int
subscribe_all(struct ctl *c, const json_t *groups)
{
	const json_t *g;
	char *list;
	size_t i;
	int r = CC_OK;

	json_array_foreach(groups, i, g)
		if ((r = cc_subscribe(c->s, json_string_value(g), NULL)) !=
		    CC_OK)
			break;
	if (r == CC_OK)
		r = cc_ping(c->s, NULL, 0, c->timeout_ms, NULL, NULL);
	if (r != CC_OK)
		return ctl_status_of(c, r, "msgq", "subscribe");
	/* Said once the subscriptions are active: scripts may wait for it. */
	list = ctl_json_text(groups, false);
	ctl_warnx("monitoring %zu groups: %s; Ctrl-C stops",
	    json_array_size(groups), list != NULL ? list : "");
	free(list);
	return CTL_OK;
}

/* One of our own membership events: not worth a line. */
static bool
own_event(struct ctl *c, struct cc_msg *m, json_t *body)
{
	const char *event, *group = cc_msg_group(m);
	json_t *params;

	return group != NULL && strcmp(group, MEMBERS_GROUP) == 0 &&
	    cc_notification_parse(body, &event, &params) == CC_OK &&
	    json_is_string(json_object_get(params, "client")) &&
	    strcmp(json_string_value(json_object_get(params, "client")),
	    cc_session_lname(c->s)) == 0;
}

static void
now_text(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;

	size_t n;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03dZ", (int)(tv.tv_usec / 1000));
}

static void
print_msg(struct ctl *c, struct cc_msg *m)
{
	const char *from = cc_msg_from(m), *inst = cc_msg_instance(m);
	char when[40], why[128] = "", *text;
	json_t *body = NULL, *line;

	if (cc_msg_body(m, &body, why, sizeof(why)) == CC_OK &&
	    own_event(c, m, body))
		return;
	now_text(when, sizeof(when));
	if (c->json) {
		line = json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:O?}", "time",
		    when, "from", from, "to", cc_msg_to(m), "group",
		    cc_msg_group(m), "instance", inst, "body", body);
		text = ctl_json_text(line, false);
		json_decref(line);
	} else
		text = body != NULL ? ctl_json_text(body, false) : NULL;
	if (c->json)
		printf("%s\n", text != NULL ? text : "{}");
	else
		printf("%s %s %s%s%s %s%s\n", when, from != NULL ? from : "-",
		    cc_msg_group(m) != NULL ? cc_msg_group(m) : "-",
		    inst != NULL && strcmp(inst, "*") != 0 ? "/" : "",
		    inst != NULL && strcmp(inst, "*") != 0 ? inst : "",
		    text != NULL ? text : "(undecodable: ", text != NULL ? "" :
		    why);
	free(text);
	fflush(stdout);
}

/* Print what is queued and readable now: CC_OK, or a lost session. */
static int
drain(struct ctl *c)
{
	struct cc_msg *m;
	int r;

	while ((r = cc_recv(c->s, 0, &m)) == CC_OK) {
		print_msg(c, m);
		cc_msg_unref(m);
	}
	return r == CC_ETIMEDOUT ? CC_OK : r;
}

static int
watch(struct ctl *c, int stopfd)
{
	struct pollfd pfd[2];
	int r;

	for (;;) {
		if ((r = drain(c)) != CC_OK)
			return ctl_fail(CTL_UNREACHABLE, "lost the connection "
			    "to msgq at %s: %s", c->sockpath,
			    cc_session_error(c->s));
		pfd[0] = (struct pollfd){ .fd = cc_session_fd(c->s),
		    .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = stopfd, .events = POLLIN };
		if (poll(pfd, 2, -1) == -1 && errno != EINTR)
			return ctl_fail(CTL_ERROR, "poll: %s", strerror(errno));
		if (pfd[1].revents != 0)
			return CTL_OK;
	}
}

int
ctl_cmd_monitor(struct ctl *c, int argc, char **argv)
{
	json_t *groups = json_array();
	int fds[2] = { -1, -1 }, r;

	for (int i = 0; i < argc; i++)
		add_group(groups, argv[i]);
	if ((r = ctl_connect(c)) == CTL_OK && argc == 0)
		r = default_groups(c, groups);
	if (r == CTL_OK && catch_signals(fds) == -1)
		r = ctl_fail(CTL_ERROR, "cannot catch signals: %s",
		    strerror(errno));
	if (r == CTL_OK && (r = subscribe_all(c, groups)) == CTL_OK)
		r = watch(c, fds[0]);
	json_decref(groups);
	if (fds[0] != -1) {
		close(fds[0]);
		close(fds[1]);
	}
	return r;
}
