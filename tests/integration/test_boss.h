/*
 * Helpers shared by the boss's integration tests (test_boss.c,
 * test_boss_supervise.c): a real ccbus started on a temporary socket
 * with its data directory, its stored Boss configuration and a pid
 * file; an operator session to send it commands; and checks on
 * processes (gone, no zombie). Static, as in itest.h. Nothing waits by
 * sleeping: states are polled through the `status` command, processes
 * through kill(pid, 0), each under a deadline.
 */
#ifndef TEST_BOSS_H
#define TEST_BOSS_H

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cc/cc.h>

#include "itest.h"

#define BT_POLL_MS	5

struct bt {
	struct tl_msgq		*d;		/* the boss */
	char			 data[TL_PATH_MAX];
	char			 pidfile[TL_PATH_MAX];
	struct cc_session	*s;		/* the operator's */
};

/* Daemons from the build tree, the fake component among them. */
static inline void
bt_env(void)
{
	const char *b = getenv("CCBUS_BUILDDIR");
	char path[1024];

	b = b != NULL ? b : ".";
	snprintf(path, sizeof(path), "%s/msgq:%s/cfgmgr:%s/modules/hello:"
	    "%s/modules/stats:%s/tests/integration", b, b, b, b, b);
	setenv("CCBUS_DAEMON_PATH", path, 1);
	unsetenv("CCBUS_SOCKET");
}

/* A fake component's entry: address (may be NULL) and its args. */
static inline json_t *
bt_fake(const char *kind, const char *address, int priority, ...)
{
	json_t *args = json_array(), *e;
	const char *a;
	va_list ap;

	va_start(ap, priority);
	while ((a = va_arg(ap, const char *)) != NULL)
		json_array_append_new(args, json_string(a));
	va_end(ap);
	e = json_pack("{s:s, s:s, s:i, s:o}", "process", "fake_component",
	    "kind", kind, "priority", priority, "args", args);
	if (address != NULL)
		json_object_set_new(e, "address", json_string(address));
	return e;
}

/* A boss not started yet, with boss (stolen; NULL: nothing stored) as
 * its stored Boss configuration. */
static inline struct bt *
bt_new(json_t *boss)
{
	struct bt *r = calloc(1, sizeof(*r));
	char path[TL_PATH_MAX + 32];
	json_t *file;

	ck_assert_ptr_nonnull(r);
	r->d = tl_daemon_new("boss/ccbus");
	ck_assert_ptr_nonnull(r->d);
	snprintf(r->data, sizeof(r->data), "%s/data", r->d->dir);
	snprintf(r->pidfile, sizeof(r->pidfile), "%s/ccbus.pid", r->d->dir);
	ck_assert_int_eq(mkdir(r->data, 0700), 0);
	if (boss != NULL) {
		snprintf(path, sizeof(path), "%s/ccbus-config.db", r->data);
		file = json_pack("{s:i, s:o}", "version", 1, "Boss", boss);
		ck_assert_int_eq(json_dump_file(file, path, 0), 0);
		json_decref(file);
	}
	return r;
}

/* Spawn with the usual options and extra ones (NULL-terminated). */
static inline void
bt_spawn(struct bt *r, ...)
{
	const char *args[32] = { "-s", r->d->sock, "-p", r->data,
	    "--pid-file", r->pidfile, "-v", "-v", "-w", "5" };
	int n = 10;
	const char *a;
	va_list ap;

	va_start(ap, r);
	while ((a = va_arg(ap, const char *)) != NULL && n < 31)
		args[n++] = a;
	va_end(ap);
	args[n] = NULL;
	ck_assert_int_eq(tl_msgq_spawn(r->d, args), 0);
}

static inline void
bt_connect(struct bt *r)
{
	cc_session_free(r->s);
	ck_assert_ptr_nonnull(r->s = cc_session_new());
	ck_assert_msg(cc_session_connect(r->s, r->d->sock, WAIT) == CC_OK,
	    "%s", cc_session_error(r->s));
}

/* Spawn, wait for "ccbus started", connect. */
static inline void
bt_start(struct bt *r)
{
	bt_spawn(r, NULL);
	ck_assert_msg(tl_log_wait(r->d->log, "ccbus started", WAIT),
	    "ccbus did not start; see %s", r->d->log);
	bt_connect(r);
}

/* A command: cc_command()'s status; *value (may be NULL) its value. */
static inline int
bt_cmd(struct bt *r, const char *group, const char *name, json_t *args,
    json_t **value)
{
	json_t *v = NULL;
	int rc = cc_command(r->s, group, name, args, WAIT, &v);

	json_decref(args);
	if (value != NULL)
		*value = v;
	else
		json_decref(v);
	return rc;
}

/* A Boss command that must succeed; its value (new reference). */
static inline json_t *
bt_boss(struct bt *r, const char *name, json_t *args)
{
	json_t *v = NULL;
	int rc = bt_cmd(r, "Boss", name, args, &v);

	ck_assert_msg(rc == CC_OK, "Boss %s: %s", name,
	    cc_session_error(r->s));
	return v;
}

/* A Boss command that must fail with text. */
static inline void
bt_boss_error(struct bt *r, const char *name, json_t *args,
    const char *text)
{
	int rc = bt_cmd(r, "Boss", name, args, NULL);

	ck_assert_int_eq(rc, CC_EANSWER);
	ck_assert_msg(strstr(cc_session_error(r->s), text) != NULL,
	    "Boss %s: got '%s', want '%s'", name, cc_session_error(r->s),
	    text);
}

/* The status of one component (new reference). */
static inline json_t *
bt_status(struct bt *r, const char *name)
{
	json_t *v = bt_boss(r, "status", json_pack("{s:s}", "name", name));
	json_t *st = json_incref(json_array_get(v, 0));

	json_decref(v);
	ck_assert_ptr_nonnull(st);
	return st;
}

static inline pid_t
bt_pid(struct bt *r, const char *name)
{
	json_t *st = bt_status(r, name);
	pid_t pid = (pid_t)json_integer_value(json_object_get(st, "pid"));

	json_decref(st);
	return pid;
}

/* Poll until name is in state (and, if not 0, its pid is not oldpid). */
static inline bool
bt_wait_state(struct bt *r, const char *name, const char *state,
    pid_t oldpid, int timeout_ms)
{
	int64_t deadline = tl_now_ms() + timeout_ms;
	json_t *st;
	bool ok;

	for (;;) {
		st = bt_status(r, name);
		ok = strcmp(json_string_value(json_object_get(st, "state")),
		    state) == 0 && (oldpid == 0 || json_integer_value(
		    json_object_get(st, "pid")) != oldpid);
		json_decref(st);
		if (ok)
			return true;
		if (tl_now_ms() > deadline)
			return false;
		poll(NULL, 0, BT_POLL_MS);
	}
}

/* The process is gone (reaped, not a zombie) within the deadline. */
static inline bool
bt_pid_gone(pid_t pid, int timeout_ms)
{
	int64_t deadline = tl_now_ms() + timeout_ms;

	while (kill(pid, 0) == 0 || errno != ESRCH) {
		if (tl_now_ms() > deadline)
			return false;
		poll(NULL, 0, BT_POLL_MS);
	}
	return true;
}

/* Children of ppid in state Z right now. */
static inline int
bt_zombies(pid_t ppid)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	char path[300], buf[512], *p, state;
	long pp;
	int n = 0;
	FILE *fp;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if (de->d_name[0] < '0' || de->d_name[0] > '9' ||
		    (fp = fopen(path, "r")) == NULL)
			continue;
		buf[0] = '\0';
		if (fgets(buf, sizeof(buf), fp) != NULL &&
		    (p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 1, " %c %ld", &state, &pp) == 2 &&
		    pp == ppid && state == 'Z')
			n++;
		fclose(fp);
	}
	closedir(d);
	return n;
}

/* No zombie child of the boss once it has had time to reap. */
static inline void
bt_no_zombies(struct bt *r)
{
	int64_t deadline = tl_now_ms() + WAIT;

	while (bt_zombies(r->d->pid) > 0) {
		ck_assert_msg(tl_now_ms() < deadline, "ccbus left a zombie");
		poll(NULL, 0, BT_POLL_MS);
	}
}

/* Every pid the boss logged as started ("started: pid N"), in v. */
static inline int
bt_logged_pids(struct bt *r, pid_t *v, int max)
{
	FILE *fp = fopen(r->d->log, "r");
	char line[4096], *p;
	int n = 0;

	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof(line), fp) != NULL && n < max)
		if ((p = strstr(line, " started: pid ")) != NULL)
			v[n++] = (pid_t)atol(p + 14);
	fclose(fp);
	return n;
}

/* Everything the boss started is gone. */
static inline void
bt_all_gone(struct bt *r)
{
	pid_t v[256];
	int n = bt_logged_pids(r, v, 256);

	ck_assert_int_gt(n, 0);
	for (int i = 0; i < n; i++)
		ck_assert_msg(bt_pid_gone(v[i], WAIT), "pid %d still there",
		    (int)v[i]);
}

/* Offset of the first line holding a (and b if not NULL); -1 if none. */
static inline long
bt_log_pos(struct bt *r, const char *a, const char *b)
{
	FILE *fp = fopen(r->d->log, "r");
	char line[4096];
	long pos = 0, found = -1;

	ck_assert_ptr_nonnull(fp);
	while (found == -1 && fgets(line, sizeof(line), fp) != NULL) {
		if (strstr(line, a) != NULL && (b == NULL ||
		    strstr(line, b) != NULL))
			found = pos;
		pos += (long)strlen(line);
	}
	fclose(fp);
	return found;
}

/* Stop with SIGTERM: it must exit 0. Then free. */
static inline void
bt_end(struct bt *r)
{
	cc_session_free(r->s);
	r->s = NULL;
	if (r->d->pid > 0)
		ck_assert_int_eq(tl_msgq_stop(r->d), 0);
	tl_msgq_free(r->d);
	free(r);
}

#endif
