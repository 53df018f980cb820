/*
 * SIGCHLD, delivered by libevent as an ordinary event: reap every child
 * that has exited (waitpid(-1, WNOHANG) until none is left, since signals
 * merge), log each exit with name, pid and status or signal, and hand it
 * to the component's state machine as the policy judges it.
 */
#include "config.h"

#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "boss.h"
#include "log.h"

void
boss_exit_text(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %d", WTERMSIG(status));
	else
		snprintf(buf, len, "status 0x%x", (unsigned)status);
}

static struct boss_comp *
comp_by_pid(struct boss *b, pid_t pid)
{
	struct boss_comp *c;

	TAILQ_FOREACH(c, &b->comps, entry)
		if (c->pid == pid)
			return c;
	return NULL;
}

/* Expected exits (while stopping, exit 0) are info; the others warn. */
static void
log_exit(const struct boss_comp *c, pid_t pid, int status)
{
	bool expected = c->state == BOSS_ST_STOPPING ||
	    (WIFEXITED(status) && WEXITSTATUS(status) == 0);
	const char *sig = WIFSIGNALED(status) ?
	    strsignal(WTERMSIG(status)) : NULL;

	if (expected)
		log_info("%s (pid %ld) exited: %s", c->name, (long)pid,
		    c->last_exit);
	else
		log_warnx("%s (pid %ld) exited: %s%s%s%s", c->name, (long)pid,
		    c->last_exit, sig != NULL ? " (" : "",
		    sig != NULL ? sig : "", sig != NULL ? ")" : "");
}

static void
reaped(struct boss *b, pid_t pid, int status)
{
	struct boss_comp *c = comp_by_pid(b, pid);

	b->stats.exits++;
	if (c == NULL) {
		log_debug("reaped pid %ld, not a component's", (long)pid);
		return;
	}
	boss_exit_text(status, c->last_exit, sizeof(c->last_exit));
	log_exit(c, pid, status);
	c->pid = 0;
	c->abandoned = false;
	if (c->role == BOSS_ROLE_MSGQ)
		boss_ready_unwatch_fd(c);
	/* A stop's exit is no failure: the policy does not count it. */
	boss_sm_post(c, c->state == BOSS_ST_STOPPING ? BOSS_EV_EXIT_FINAL :
	    boss_policy_exit(c));
}

void
boss_reap_cb(evutil_socket_t sig, short what, void *arg)
{
	struct boss *b = arg;
	pid_t pid;
	int status;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		reaped(b, pid, status);
	}
}
