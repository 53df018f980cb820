/*
 * Starting a child. The program is found first (a path if it has '/',
 * else $CCBUS_DAEMON_PATH, the configured libexecdir, then $PATH), so
 * that a missing one is reported at once, without a fork. The child gets
 * its own process group (Ctrl-C on the terminal is the boss's alone),
 * stdin from /dev/null, stdout and stderr into one pipe read by
 * boss_output.c, CCBUS_SOCKET, and every other descriptor closed on exec.
 * A close-on-exec pipe tells the parent whether the exec happened: it
 * reads EOF when it did, the failed step and errno when it did not, so
 * an exec failure is known before boss_proc_spawn() returns.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boss.h"
#include "log.h"
#include "xmalloc.h"

#define READY_FD	3	/* msgq's --ready-fd in the child */
#define MAX_ARGS	64

extern char **environ;

/* What failed in the child, reported through the exec pipe. */
enum child_step {
	STEP_SETUP,
	STEP_USER,
	STEP_EXEC,
};

static const char *const step_names[] = {
	"set-up", "switching user", "exec",
};

static bool
is_program(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    access(path, X_OK) == 0;
}

/* Look prog up in the colon-separated dirs; 0 if found. */
static int
find_in(const char *dirs, const char *prog, char *out, size_t outlen)
{
	const char *p = dirs, *end;
	size_t len;

	while (p != NULL && *p != '\0') {
		end = strchr(p, ':');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len > 0 && (size_t)snprintf(out, outlen, "%.*s/%s",
		    (int)len, p, prog) < outlen && is_program(out))
			return 0;
		p = end != NULL ? end + 1 : NULL;
	}
	return -1;
}

int
boss_proc_find(const char *prog, bool use_path, char *out, size_t outlen)
{
	if (strchr(prog, '/') != NULL) {
		snprintf(out, outlen, "%s", prog);
		return is_program(out) ? 0 : -1;
	}
	if (find_in(getenv(BOSS_PATH_ENV), prog, out, outlen) == 0 ||
	    find_in(CCBUS_LIBEXECDIR, prog, out, outlen) == 0)
		return 0;
	return use_path ? find_in(getenv("PATH"), prog, out, outlen) : -1;
}

/*
 * argv: the program, then for msgq and cfgmgr the options the boss
 * gives them, for a module exactly its configured args (it finds the
 * socket in $CCBUS_SOCKET).
 */
static void
build_argv(struct boss_comp *c, const char *path, const char **argv)
{
	const struct boss_opts *o = &c->b->opts;
	int n = 0;

	argv[n++] = path;
	if (c->role != BOSS_ROLE_MODULE) {
		argv[n++] = "-s";
		argv[n++] = o->sockpath;
		for (int i = 0; i < o->verbose && i < 2; i++)
			argv[n++] = "-v";
	}
	if (c->role == BOSS_ROLE_MSGQ) {
		argv[n++] = "--ready-fd";
		argv[n++] = "3";	/* READY_FD */
	}
	if (c->role == BOSS_ROLE_CFGMGR) {
		if (o->datapath != NULL) {
			argv[n++] = "-p";
			argv[n++] = o->datapath;
		}
		if (o->cfgfile != NULL) {
			argv[n++] = "-c";
			argv[n++] = o->cfgfile;
		}
		if (o->clear_config && c->restarts == 0)
			argv[n++] = "--clear-config";
	}
	for (int i = 0; c->conf.args != NULL && c->conf.args[i] != NULL &&
	    n < MAX_ARGS - 1; i++)
		argv[n++] = c->conf.args[i];
	argv[n] = NULL;
}

static bool
env_overridden(char **env, const char *entry)
{
	size_t klen = strcspn(entry, "=");

	if (strncmp(entry, "CCBUS_SOCKET=", 13) == 0)
		return true;
	for (size_t i = 0; env != NULL && env[i] != NULL; i++)
		if (strncmp(env[i], entry, klen + 1) == 0)
			return true;
	return false;
}

/* The boss's environment, the entry's env on top, CCBUS_SOCKET last. */
static char **
build_env(struct boss_comp *c, char **sockvar)
{
	size_t n = 0, i, nenv = 0;
	char **env = c->conf.env, **e;

	while (environ[n] != NULL)
		n++;
	while (env != NULL && env[nenv] != NULL)
		nenv++;
	e = xcalloc(n + nenv + 2, sizeof(*e));
	n = 0;
	for (i = 0; environ[i] != NULL; i++)
		if (!env_overridden(env, environ[i]))
			e[n++] = environ[i];
	for (i = 0; i < nenv; i++)
		if (strncmp(env[i], "CCBUS_SOCKET=", 13) != 0)
			e[n++] = env[i];
	*sockvar = xasprintf("CCBUS_SOCKET=%s", c->b->opts.sockpath);
	e[n++] = *sockvar;
	e[n] = NULL;
	return e;
}

static void __attribute__((__noreturn__))
child_fail(int fd, enum child_step step)
{
	int msg[2] = { (int)step, errno };

	(void)!write(fd, msg, sizeof(msg));
	_exit(127);
}

struct passwd *
boss_user_lookup(const char *user)
{
	char *end;
	unsigned long uid;

	if (user == NULL || *user == '\0')
		return NULL;
	uid = strtoul(user, &end, 10);
	return *end == '\0' ? getpwuid((uid_t)uid) : getpwnam(user);
}

/* The child's user: its own, else the boss's --user (so that the boss
 * can still signal it after dropping privileges). */
static const char *
child_user_name(const struct boss_comp *c)
{
	return c->conf.user != NULL ? c->conf.user : c->b->opts.user;
}

static void
child_user(const struct passwd *pw, int errfd)
{
	if (pw == NULL || pw->pw_uid == geteuid())
		return;
	if (initgroups(pw->pw_name, pw->pw_gid) == -1 ||
	    setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1)
		child_fail(errfd, STEP_USER);
}

/* In the child: never returns. fds: [0] output, [1] exec pipe, [2] ready
 * pipe or -1; all close-on-exec. */
static void __attribute__((__noreturn__))
child_exec(const char *path, const char **argv, char **envp,
    const struct passwd *pw, const int *fds)
{
	sigset_t none;
	int null, first_free = fds[2] != -1 ? READY_FD + 1 : READY_FD;

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if ((null = open("/dev/null", O_RDONLY)) == -1 ||
	    dup2(null, 0) == -1 || dup2(fds[0], 1) == -1 ||
	    dup2(fds[0], 2) == -1 ||
	    (fds[2] != -1 && dup2(fds[2], READY_FD) == -1))
		child_fail(fds[1], STEP_SETUP);
	/* Everything else closes on exec (the exec pipe must stay open
	 * until then); fall back to a loop on kernels before 5.11. */
	if (close_range(first_free, ~0U, CLOSE_RANGE_CLOEXEC) == -1)
		for (int fd = first_free; fd < 1024; fd++)
			if (fd != fds[1])
				close(fd);
	child_user(pw, fds[1]);
	/* The suite goes when the boss goes, even if it is SIGKILLed. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	execve(path, (char *const *)argv, envp);
	child_fail(fds[1], STEP_EXEC);
}

/* Parent side: EOF means exec'd; else the step and errno. */
static int
exec_result(int fd, pid_t pid, char *err, size_t errlen, const char *path)
{
	int msg[2];
	ssize_t n;

	do
		n = read(fd, msg, sizeof(msg));
	while (n == -1 && errno == EINTR);
	close(fd);
	if (n == 0)
		return 0;
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(msg) || msg[0] < 0 || msg[0] > STEP_EXEC)
		snprintf(err, errlen, "%s: the child failed before exec",
		    path);
	else
		snprintf(err, errlen, "%s: %s failed: %s", path,
		    step_names[msg[0]], strerror(msg[1]));
	return -1;
}

static void
close_pair(int *p)
{
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
}

/* The pipes: output, exec, and msgq's ready pipe. -1 on error. */
static int
open_pipes(struct boss_comp *c, int out[2], int ex[2], int rd[2])
{
	out[0] = out[1] = ex[0] = ex[1] = rd[0] = rd[1] = -1;
	if (pipe2(out, O_CLOEXEC) == -1 || pipe2(ex, O_CLOEXEC) == -1 ||
	    (c->role == BOSS_ROLE_MSGQ && pipe2(rd, O_CLOEXEC) == -1)) {
		close_pair(out);
		close_pair(ex);
		return -1;
	}
	return 0;
}

static int
find_program(struct boss_comp *c, char *path, size_t len, char *err,
    size_t errlen)
{
	const char *p = getenv(BOSS_PATH_ENV);

	if (boss_proc_find(c->conf.process, c->role == BOSS_ROLE_MODULE, path,
	    len) == 0)
		return 0;
	if (strchr(c->conf.process, '/') != NULL)
		snprintf(err, errlen, "program %s not found or not "
		    "executable", c->conf.process);
	else
		snprintf(err, errlen, "program %s not found in %s%s%s%s",
		    c->conf.process, p != NULL && *p != '\0' ? p : "",
		    p != NULL && *p != '\0' ? ":" : "", CCBUS_LIBEXECDIR,
		    c->role == BOSS_ROLE_MODULE ? " or $PATH" : "");
	return -1;
}

/* A changed entry takes effect at the next start. */
static void
apply_next_conf(struct boss_comp *c)
{
	struct boss_conf conf;
	char err[256];

	if (c->next_json == NULL)
		return;
	if (boss_conf_parse(c->name, c->next_json, &conf, err,
	    sizeof(err)) == 0) {
		boss_conf_clear(&c->conf);
		c->conf = conf;
	} else
		log_warnx("%s: %s", c->name, err);
	json_decref(c->next_json);
	c->next_json = NULL;
}

static void
started(struct boss_comp *c, pid_t pid, const char *path)
{
	c->pid = pid;
	c->started_wall = time(NULL);
	c->stop_step = 0;
	c->abandoned = false;
	c->b->stats.spawns++;
	log_info("%s started: pid %ld, %s", c->name, (long)pid, path);
}

static pid_t
fork_child(struct boss_comp *c, const char *path, int out[2], int ex[2],
    int rd[2])
{
	const char *argv[MAX_ARGS];
	char **envp, *sockvar;
	struct passwd *pw = NULL;
	int fds[3] = { out[1], ex[1], rd[1] };
	pid_t pid;

	pw = boss_user_lookup(child_user_name(c));
	build_argv(c, path, argv);
	envp = build_env(c, &sockvar);
	fflush(stderr);
	if ((pid = fork()) == 0)
		child_exec(path, argv, envp, pw, fds);
	free(envp);
	free(sockvar);
	if (pid > 0)
		setpgid(pid, pid);	/* no race with a kill(-pid) */
	return pid;
}

int
boss_proc_spawn(struct boss_comp *c, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int out[2], ex[2], rd[2];
	pid_t pid;

	apply_next_conf(c);
	c->started_ms = boss_now_ms();
	if (c->first_ms == 0)
		c->first_ms = c->started_ms;
	if (find_program(c, path, sizeof(path), err, errlen) == -1)
		return -1;
	if (child_user_name(c) != NULL &&
	    boss_user_lookup(child_user_name(c)) == NULL) {
		snprintf(err, errlen, "unknown user %s", child_user_name(c));
		return -1;
	}
	if (open_pipes(c, out, ex, rd) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork_child(c, path, out, ex, rd);
	close(out[1]);
	close(ex[1]);
	if (rd[1] != -1)
		close(rd[1]);
	if (pid == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(out[0]);
		close(ex[0]);
		if (rd[0] != -1)
			close(rd[0]);
		return -1;
	}
	boss_output_new(c->b, c->name, out[0]);
	if (exec_result(ex[0], pid, err, errlen, path) == -1) {
		if (rd[0] != -1)
			close(rd[0]);
		return -1;
	}
	if (rd[0] != -1)
		boss_ready_watch_fd(c, rd[0]);
	started(c, pid, path);
	return 0;
}

void
boss_proc_signal(struct boss_comp *c, int sig)
{
	if (c->pid <= 0)
		return;
	if (c->b->opts.no_kill && c->role == BOSS_ROLE_MODULE) {
		log_info("%s (pid %ld): not sent signal %d (--no-kill)",
		    c->name, (long)c->pid, sig);
		return;
	}
	/* The group first: a module's own children go too. */
	if (kill(-c->pid, sig) == -1 && kill(c->pid, sig) == -1)
		log_warn("%s: kill %ld", c->name, (long)c->pid);
}
