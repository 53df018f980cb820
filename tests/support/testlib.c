/*
 * The integration tests' helpers (see testlib.h): temporary directories, a
 * real ccbus-msgq started and stopped under deadlines, and a raw client
 * built on libcc's wire layer.
 *
 * The registry of daemons and directories is file-static on purpose: a
 * failed assertion leaves a test without running its own cleanup, and
 * only an atexit() handler can then stop the daemons and remove the
 * directories. It acts only in the process that registered them, never in
 * a forked child. Where Check ends a test process with _exit() (its fork
 * mode) not even that runs: the daemon's PR_SET_PDEATHSIG stops it, and
 * tl_tmproot_remove() in the test program's main() removes its files.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <cc/codec.h>
#include <cc/error.h>
#include <cc/wire.h>

#include "testlib.h"

#define TL_MAX_DAEMONS	32
#define TL_MAX_DIRS	32
#define TL_MAX_ARGS	64
#define TL_POLL_MS	10	/* retry interval where no signal exists */

static struct {
	pid_t owner;
	struct tl_msgq *daemons[TL_MAX_DAEMONS];
	char dirs[TL_MAX_DIRS][TL_DIR_MAX];
} reg;

int
tl_ms(int ms)
{
	const char *w = getenv("CCBUS_TEST_WRAPPER");

	return (w != NULL && *w != '\0') ? ms * 5 : ms;
}

int64_t
tl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
remaining_ms(int64_t deadline)
{
	int64_t left = deadline - tl_now_ms();

	return left < 0 ? 0 : (int)left;
}

static void
reg_init(void)
{
	if (reg.owner == getpid())
		return;
	/* First use in this process (or in a forked child): start afresh. */
	memset(&reg, 0, sizeof(reg));
	reg.owner = getpid();
	atexit(tl_cleanup);
}

static void
reg_add_daemon(struct tl_msgq *m)
{
	reg_init();
	for (int i = 0; i < TL_MAX_DAEMONS; i++)
		if (reg.daemons[i] == NULL) {
			reg.daemons[i] = m;
			return;
		}
}

static void
reg_del_daemon(struct tl_msgq *m)
{
	for (int i = 0; i < TL_MAX_DAEMONS; i++)
		if (reg.daemons[i] == m)
			reg.daemons[i] = NULL;
}

static void
reg_add_dir(const char *dir)
{
	reg_init();
	for (int i = 0; i < TL_MAX_DIRS; i++)
		if (reg.dirs[i][0] == '\0') {
			snprintf(reg.dirs[i], TL_DIR_MAX, "%s", dir);
			return;
		}
}

void
tl_cleanup(void)
{
	if (reg.owner != getpid())
		return;
	for (int i = 0; i < TL_MAX_DAEMONS; i++)
		if (reg.daemons[i] != NULL && reg.daemons[i]->pid > 0)
			tl_msgq_stop(reg.daemons[i]);
	for (int i = 0; i < TL_MAX_DIRS; i++)
		if (reg.dirs[i][0] != '\0')
			tl_tmpdir_remove(reg.dirs[i]);
}

/* Inherited by forked test processes, set before they are forked. */
static char tmproot[TL_DIR_MAX];

static int
make_dir(char *buf, size_t len)
{
	const char *base = getenv("TMPDIR");

	/* sun_path holds 108 bytes: keep room for the socket's name. */
	if (base == NULL || *base == '\0' || strlen(base) > 48)
		base = "/tmp";
	if (tmproot[0] != '\0') {
		if ((size_t)snprintf(buf, len, "%s/d.XXXXXX", tmproot) >= len)
			return -1;
	} else if ((size_t)snprintf(buf, len, "%s/ccbus-itest.XXXXXX",
	    base) >= len)
		return -1;
	return mkdtemp(buf) != NULL ? 0 : -1;
}

int
tl_tmpdir_make(char *buf, size_t len)
{
	if (make_dir(buf, len) == -1)
		return -1;
	reg_add_dir(buf);
	return 0;
}

int
tl_tmproot_make(void)
{
	char dir[TL_DIR_MAX];

	tmproot[0] = '\0';
	if (make_dir(dir, sizeof(dir)) == -1)
		return -1;
	memcpy(tmproot, dir, sizeof(tmproot));
	return 0;
}

void
tl_tmproot_remove(void)
{
	if (tmproot[0] == '\0')
		return;
	tl_tmpdir_remove(tmproot);
	tmproot[0] = '\0';
}

static int
remove_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	remove(path);
	return 0;
}

void
tl_tmpdir_remove(const char *dir)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	for (int i = 0; i < TL_MAX_DIRS; i++)
		if (reg.owner == getpid() && strcmp(reg.dirs[i], dir) == 0)
			reg.dirs[i][0] = '\0';
}

static char msgq_path[TL_PATH_MAX];

void
tl_msgq_set_path(const char *path)
{
	snprintf(msgq_path, sizeof(msgq_path), "%s", path != NULL ? path : "");
}

const char *
tl_msgq_path(void)
{
	static char path[TL_PATH_MAX];
	const char *b = getenv("CCBUS_BUILDDIR");

	if (msgq_path[0] != '\0')
		return msgq_path;
	snprintf(path, sizeof(path), "%s/msgq/ccbus-msgq",
	    b != NULL && *b != '\0' ? b : ".");
	return path;
}

struct tl_msgq *
tl_msgq_new(void)
{
	struct tl_msgq *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	if (tl_tmpdir_make(m->dir, sizeof(m->dir)) == -1) {
		free(m);
		return NULL;
	}
	snprintf(m->sock, sizeof(m->sock), "%s/msgq.sock", m->dir);
	snprintf(m->log, sizeof(m->log), "%s/msgq.log", m->dir);
	snprintf(m->out, sizeof(m->out), "%s/msgq.out", m->dir);
	return m;
}

struct tl_msgq *
tl_daemon_new(const char *rel)
{
	struct tl_msgq *m = tl_msgq_new();
	const char *b = getenv("CCBUS_BUILDDIR");
	const char *base = strrchr(rel, '/');

	if (m == NULL)
		return NULL;
	base = base != NULL ? base + 1 : rel;
	snprintf(m->prog, sizeof(m->prog), "%s/%s",
	    b != NULL && *b != '\0' ? b : ".", rel);
	snprintf(m->log, sizeof(m->log), "%s/%s.log", m->dir, base);
	snprintf(m->out, sizeof(m->out), "%s/%s.out", m->dir, base);
	return m;
}

/*
 * argv for execvp: the wrapper's words, the daemon, args. Under a wrapper
 * the daemon (a libtool wrapper script in the build tree) is run through
 * "libtool --mode=execute" so that valgrind sees the real binary.
 */
static int
build_argv(const struct tl_msgq *m, char *words, const char **argv,
    const char *const *args)
{
	static char libtool[TL_PATH_MAX];
	const char *w = getenv("CCBUS_TEST_WRAPPER");
	const char *b = getenv("CCBUS_BUILDDIR");
	int n = 0;

	if (w != NULL && *w != '\0') {
		snprintf(libtool, sizeof(libtool), "%s/libtool",
		    b != NULL ? b : ".");
		if (access(libtool, X_OK) == 0) {
			argv[n++] = libtool;
			argv[n++] = "--mode=execute";
		}
		snprintf(words, TL_PATH_MAX * 2, "%s", w);
		for (char *t = strtok(words, " "); t != NULL && n < 16;
		    t = strtok(NULL, " "))
			argv[n++] = t;
	}
	argv[n++] = m->prog[0] != '\0' ? m->prog : tl_msgq_path();
	for (int i = 0; args[i] != NULL && n < TL_MAX_ARGS - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return n;
}

static void
child_exec(struct tl_msgq *m, const char **argv, pid_t parent)
{
	sigset_t none;
	int out, err;

	/* Die with the test, even when it is SIGKILLed by Check's timeout. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	out = open(m->out, O_WRONLY | O_CREAT | O_APPEND, 0644);
	err = open(m->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (out == -1 || err == -1)
		_exit(127);
	dup2(out, 1);
	dup2(err, 2);
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	execvp(argv[0], (char *const *)argv);
	dprintf(2, "testlib: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int
tl_msgq_spawn(struct tl_msgq *m, const char *const *args)
{
	char words[TL_PATH_MAX * 2];
	const char *argv[TL_MAX_ARGS];
	pid_t parent = getpid();
	pid_t pid;

	build_argv(m, words, argv, args);
	fflush(NULL);
	pid = fork();
	if (pid == -1)
		return -1;
	if (pid == 0)
		child_exec(m, argv, parent);
	m->pid = pid;
	m->status = -1;
	reg_add_daemon(m);
	return 0;
}

int
tl_msgq_start(struct tl_msgq *m, ...)
{
	const char *args[TL_MAX_ARGS];
	const char *a;
	va_list ap;
	int n = 0;

	args[n++] = "-s";
	args[n++] = m->sock;
	va_start(ap, m);
	while ((a = va_arg(ap, const char *)) != NULL && n < TL_MAX_ARGS - 1)
		args[n++] = a;
	va_end(ap);
	args[n] = NULL;
	if (tl_msgq_spawn(m, args) == -1)
		return -1;
	if (tl_msgq_wait_ready(m, m->sock, tl_ms(10000)) == -1) {
		fprintf(stderr, "testlib: msgq on %s not ready\n", m->sock);
		tl_msgq_stop(m);
		return -1;
	}
	return 0;
}

static bool
reap(struct tl_msgq *m, int flags)
{
	int st;
	pid_t r;

	if (m->pid <= 0)
		return true;
	do
		r = waitpid(m->pid, &st, flags);
	while (r == -1 && errno == EINTR);
	if (r == 0)
		return false;
	if (r == -1)
		m->status = 127;
	else if (WIFEXITED(st))
		m->status = WEXITSTATUS(st);
	else if (WIFSIGNALED(st))
		m->status = 128 + WTERMSIG(st);
	m->pid = 0;
	return true;
}

/* getlname on a fresh connection: the daemon is ready when it answers. */
static bool
answers_getlname(const char *sock, int timeout_ms)
{
	struct tl_client *c = tl_client_connect(sock);
	struct tl_frame f;
	bool ok = false;

	if (c == NULL)
		return false;
	if (tl_client_send(c, json_pack("{s:s}", "type", "getlname"),
	    NULL) == 0 && tl_client_read(c, timeout_ms, &f) == 1) {
		ok = f.h_ok && cc_strref_eq(f.h.type, "getlname");
		tl_frame_clear(&f);
	}
	tl_client_free(c);
	return ok;
}

int
tl_msgq_wait_ready(struct tl_msgq *m, const char *sock, int timeout_ms)
{
	int64_t deadline = tl_now_ms() + timeout_ms;

	for (;;) {
		if (answers_getlname(sock, remaining_ms(deadline)))
			return 0;
		if (reap(m, WNOHANG)) {
			fprintf(stderr, "testlib: msgq exited with %d before "
			    "it was ready\n", m->status);
			return -1;
		}
		if (remaining_ms(deadline) == 0)
			return -1;
		poll(NULL, 0, TL_POLL_MS);
	}
}

/* Wait for the child's exit through a pidfd where the kernel has them. */
static void
wait_pidfd(pid_t pid, int timeout_ms)
{
	struct pollfd p;
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd == -1) {
		poll(NULL, 0, timeout_ms < TL_POLL_MS ? timeout_ms :
		    TL_POLL_MS);
		return;
	}
	p.fd = fd;
	p.events = POLLIN;
	poll(&p, 1, timeout_ms);
	close(fd);
}

int
tl_msgq_wait_exit(struct tl_msgq *m, int timeout_ms)
{
	int64_t deadline = tl_now_ms() + timeout_ms;

	while (!reap(m, WNOHANG)) {
		if (remaining_ms(deadline) == 0)
			return -1;
		wait_pidfd(m->pid, remaining_ms(deadline));
	}
	return m->status;
}

int
tl_msgq_stop(struct tl_msgq *m)
{
	if (m->pid <= 0)
		return m->status;
	kill(m->pid, SIGTERM);
	if (tl_msgq_wait_exit(m, tl_ms(10000)) == -1) {
		fprintf(stderr, "testlib: msgq %d ignored SIGTERM\n",
		    (int)m->pid);
		kill(m->pid, SIGKILL);
		tl_msgq_wait_exit(m, tl_ms(10000));
	}
	return m->status;
}

void
tl_msgq_kill(struct tl_msgq *m)
{
	if (m->pid <= 0)
		return;
	kill(m->pid, SIGKILL);
	tl_msgq_wait_exit(m, tl_ms(10000));
}

void
tl_msgq_free(struct tl_msgq *m)
{
	if (m == NULL)
		return;
	tl_msgq_stop(m);
	reg_del_daemon(m);
	tl_tmpdir_remove(m->dir);
	free(m);
}

int
tl_msgq_run(struct tl_msgq *m, const char *const *args, int timeout_ms)
{
	if (tl_msgq_spawn(m, args) == -1)
		return -1;
	return tl_msgq_wait_exit(m, timeout_ms);
}

/* The file's first MiB, NUL-terminated (malloc'd), or NULL. */
static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	size_t n;

	if (fp == NULL)
		return NULL;
	buf = malloc(1 << 20);
	if (buf != NULL) {
		n = fread(buf, 1, (1 << 20) - 1, fp);
		buf[n] = '\0';
	}
	fclose(fp);
	return buf;
}

bool
tl_file_contains(const char *path, const char *needle)
{
	char *buf = slurp(path);
	bool found = buf != NULL && strstr(buf, needle) != NULL;

	free(buf);
	return found;
}

static bool
has_line(const char *path, const char *a, const char *b)
{
	char *buf = slurp(path), *line, *save = NULL;
	bool found = false;

	if (buf == NULL)
		return false;
	for (line = strtok_r(buf, "\n", &save); line != NULL && !found;
	    line = strtok_r(NULL, "\n", &save))
		found = strstr(line, a) != NULL &&
		    (b == NULL || strstr(line, b) != NULL);
	free(buf);
	return found;
}

bool
tl_log_wait_line(const char *path, const char *a, const char *b,
    int timeout_ms)
{
	int64_t deadline = tl_now_ms() + timeout_ms;

	/* A log file gives no readiness signal: poll it briefly. */
	while (!has_line(path, a, b)) {
		if (remaining_ms(deadline) == 0)
			return false;
		poll(NULL, 0, TL_POLL_MS);
	}
	return true;
}

bool
tl_log_wait(const char *path, const char *needle, int timeout_ms)
{
	return tl_log_wait_line(path, needle, NULL, timeout_ms);
}

struct cc_frame *
tl_frame_make(json_t *header, json_t *body)
{
	char *hb = NULL, *bb = NULL;
	size_t hl = 0, bl = 0;
	struct cc_frame *f = NULL;

	if (header == NULL || cc_json_pack(header, &hb, &hl, NULL, 0) != CC_OK)
		goto out;
	if (body != NULL && cc_json_pack(body, &bb, &bl, NULL, 0) != CC_OK)
		goto out;
	if (cc_frame_encode(hb, hl, bb, bl, 0, &f) != CC_OK)
		f = NULL;
out:
	free(hb);
	free(bb);
	json_decref(header);
	json_decref(body);
	return f;
}

void
tl_frame_clear(struct tl_frame *f)
{
	if (f->h_ok || f->frame != NULL)
		cc_header_clear(&f->h);
	json_decref(f->hdr);
	json_decref(f->body);
	cc_frame_unref(f->frame);
	memset(f, 0, sizeof(*f));
}

const char *
tl_frame_str(const struct tl_frame *f, const char *key)
{
	json_t *v = f->hdr != NULL ? json_object_get(f->hdr, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

bool
tl_frame_int(const struct tl_frame *f, const char *key, int64_t *out)
{
	json_t *v = f->hdr != NULL ? json_object_get(f->hdr, key) : NULL;

	if (!json_is_integer(v))
		return false;
	*out = json_integer_value(v);
	return true;
}

static void
frame_fill(struct tl_frame *f, struct cc_frame *fr)
{
	const unsigned char *p;
	size_t len;

	memset(f, 0, sizeof(*f));
	f->frame = fr;
	p = cc_frame_header(fr, &len);
	if (cc_json_unpack(p, len, &f->hdr, NULL, 0) != CC_OK)
		f->hdr = NULL;
	cc_header_init(&f->h);
	f->h_ok = cc_header_parse(&f->h, p, len) == CC_OK;
	p = cc_frame_body(fr, &len);
	if (len > 0 && cc_json_unpack(p, len, &f->body, NULL, 0) != CC_OK)
		f->body = NULL;
}

struct tl_client *
tl_client_connect(const char *path)
{
	struct sockaddr_un sa;
	struct tl_client *c;

	if (strlen(path) >= sizeof(sa.sun_path))
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->seq = 1;
	c->dec = cc_decoder_new(0);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	if (c->dec == NULL || c->fd == -1 ||
	    connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		tl_client_free(c);
		return NULL;
	}
	return c;
}

struct tl_client *
tl_client_new(const char *path)
{
	struct tl_client *c = tl_client_connect(path);
	struct tl_frame f;
	json_t *l;

	if (c == NULL)
		return NULL;
	if (tl_client_send(c, json_pack("{s:s}", "type", "getlname"),
	    NULL) == -1 || tl_client_read(c, tl_ms(5000), &f) != 1) {
		tl_client_free(c);
		return NULL;
	}
	l = f.body != NULL ? json_object_get(f.body, "lname") : NULL;
	if (json_is_string(l))
		snprintf(c->lname, sizeof(c->lname), "%s",
		    json_string_value(l));
	tl_frame_clear(&f);
	if (c->lname[0] == '\0') {
		tl_client_free(c);
		return NULL;
	}
	return c;
}

void
tl_client_free(struct tl_client *c)
{
	if (c == NULL)
		return;
	if (c->fd != -1)
		close(c->fd);
	cc_decoder_free(c->dec);
	free(c);
}

int
tl_client_write(struct tl_client *c, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
tl_client_send(struct tl_client *c, json_t *header, json_t *body)
{
	struct cc_frame *f = tl_frame_make(header, body);
	int r;

	if (f == NULL)
		return -1;
	r = tl_client_write(c, cc_frame_bytes(f), cc_frame_size(f));
	cc_frame_unref(f);
	return r;
}

/* Read what the socket has into the decoder: 1 data, 0 timeout, -1 EOF. */
static int
fill(struct tl_client *c, int timeout_ms)
{
	static char buf[1 << 16];
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	ssize_t n;
	int r;

	r = poll(&p, 1, timeout_ms);
	if (r == -1 && errno == EINTR)
		return 1;
	if (r <= 0)
		return r;
	n = read(c->fd, buf, sizeof(buf));
	if (n == -1 && errno == EINTR)
		return 1;
	if (n <= 0) {
		c->eof = true;
		return -1;
	}
	return cc_decoder_feed(c->dec, buf, (size_t)n) == CC_OK ? 1 : -1;
}

int
tl_client_read(struct tl_client *c, int timeout_ms, struct tl_frame *f)
{
	int64_t deadline = tl_now_ms() + timeout_ms;
	struct cc_frame *fr;
	int r;

	memset(f, 0, sizeof(*f));
	for (;;) {
		r = cc_decoder_next(c->dec, &fr);
		if (r == 1) {
			frame_fill(f, fr);
			return 1;
		}
		if (r == -1) {
			fprintf(stderr, "testlib: framing error from msgq: "
			    "%s\n", cc_decoder_error(c->dec));
			return -1;
		}
		if (c->eof)
			return -1;
		r = fill(c, remaining_ms(deadline));
		if (r == -1 && !c->eof)
			return -1;
		if (r == 0)
			return 0;
	}
}

int
tl_client_wait_eof(struct tl_client *c, int timeout_ms)
{
	int64_t deadline = tl_now_ms() + timeout_ms;
	struct tl_frame f;
	int r;

	while ((r = tl_client_read(c, remaining_ms(deadline), &f)) == 1)
		tl_frame_clear(&f);
	return (r == -1 && c->eof) ? 0 : -1;
}

static int
sub_msg(struct tl_client *c, const char *type, const char *group,
    const char *instance)
{
	return tl_client_send(c, json_pack("{s:s, s:s, s:s}", "type", type,
	    "group", group, "instance", instance != NULL ? instance : "*"),
	    NULL);
}

int
tl_client_subscribe(struct tl_client *c, const char *group,
    const char *instance)
{
	return sub_msg(c, "subscribe", group, instance);
}

int
tl_client_unsubscribe(struct tl_client *c, const char *group,
    const char *instance)
{
	return sub_msg(c, "unsubscribe", group, instance);
}

char *
tl_json_text(const json_t *v)
{
	char *s = v != NULL ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
	    JSON_SORT_KEYS) : NULL;

	return s != NULL ? s : strdup("(none)");
}

char *
tl_json_diff(const json_t *got, json_t *want)
{
	char *g, *w, *msg = NULL;

	if (got != NULL && want != NULL && json_equal(got, want)) {
		json_decref(want);
		return NULL;
	}
	g = tl_json_text(got);
	w = tl_json_text(want);
	if (asprintf(&msg, "got %s, want %s", g, w) == -1)
		msg = strdup("(out of memory)");
	free(g);
	free(w);
	json_decref(want);
	return msg;
}

static void
print_frame(const char *why, const struct tl_frame *f)
{
	char *h = tl_json_text(f->hdr), *b = tl_json_text(f->body);

	fprintf(stderr, "testlib: %s: header %s body %s\n", why, h, b);
	free(h);
	free(b);
}

bool
tl_client_barrier(struct tl_client *c, int timeout_ms)
{
	char tag[64];
	json_t *got;
	struct tl_frame f;
	bool ok;

	snprintf(tag, sizeof(tag), "barrier %d/%u", (int)getpid(),
	    ++c->pings);
	if (tl_client_send(c, json_pack("{s:s}", "type", "ping"),
	    json_string(tag)) == -1)
		return false;
	if (tl_client_read(c, timeout_ms, &f) != 1) {
		fprintf(stderr, "testlib: no pong for %s\n", tag);
		return false;
	}
	got = f.body;
	ok = f.h_ok && cc_strref_eq(f.h.type, "pong") &&
	    json_is_string(got) && strcmp(json_string_value(got), tag) == 0;
	if (!ok)
		print_frame("a frame arrived before the pong", &f);
	tl_frame_clear(&f);
	return ok;
}

int
tl_client_send_to(struct tl_client *c, const char *group, const char *to,
    json_t *body, bool want, int64_t *seq)
{
	json_t *h = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "type", "send",
	    "from", c->lname, "to", to != NULL ? to : "*", "group", group,
	    "instance", "*", "seq", (json_int_t)c->seq);

	if (h != NULL && want)
		json_object_set_new(h, "want_answer", json_true());
	if (seq != NULL)
		*seq = c->seq;
	c->seq++;
	return tl_client_send(c, h, body);
}

int
tl_client_msgq_cmd(struct tl_client *c, const char *name, json_t *args,
    struct tl_frame *f)
{
	int64_t deadline = tl_now_ms() + tl_ms(5000);
	json_t *cmd = args != NULL ? json_pack("{s:[s,o]}", "command", name,
	    args) : json_pack("{s:[s]}", "command", name);
	int64_t seq, reply;

	if (tl_client_send_to(c, "Msgq", NULL, cmd, true, &seq) == -1)
		return -1;
	while (tl_client_read(c, remaining_ms(deadline), f) == 1) {
		if (tl_frame_int(f, "reply", &reply) && reply == seq)
			return 0;
		tl_frame_clear(f);
	}
	fprintf(stderr, "testlib: no answer to command %s\n", name);
	return -1;
}

/* True if f is the cc_members notification [event, {"client": lname}]. */
static bool
is_note(const struct tl_frame *f, const char *event, const char *lname)
{
	const char *ev = NULL, *cl = NULL;
	json_t *params = NULL;

	if (f->body == NULL || json_unpack(f->body, "{s:[s,o]}",
	    "notification", &ev, &params) != 0)
		return false;
	if (json_unpack(params, "{s:s}", "client", &cl) != 0)
		return false;
	return strcmp(ev, event) == 0 && strcmp(cl, lname) == 0;
}

bool
tl_client_wait_running(struct tl_client *c, const char *name, int timeout_ms)
{
	int64_t deadline = tl_now_ms() + timeout_ms;
	struct tl_frame f;
	const char *r;
	bool found;

	do {
		if (tl_client_read(c, remaining_ms(deadline), &f) != 1)
			return false;
		r = json_string_value(json_object_get(f.body, "running"));
		found = r != NULL && strcmp(r, name) == 0;
		tl_frame_clear(&f);
	} while (!found);
	return true;
}

bool
tl_client_wait_note(struct tl_client *c, const char *event,
    const char *lname, int timeout_ms)
{
	int64_t deadline = tl_now_ms() + timeout_ms;
	struct tl_frame f;
	bool seen = false;

	while (!seen && tl_client_read(c, remaining_ms(deadline), &f) == 1) {
		seen = is_note(&f, event, lname);
		tl_frame_clear(&f);
	}
	if (!seen)
		fprintf(stderr, "testlib: no %s event for %s\n", event, lname);
	return seen;
}

int
tl_client_watch_members(struct tl_client *c)
{
	if (tl_client_subscribe(c, "notifications/cc_members", NULL) == -1)
		return -1;
	if (!tl_client_wait_note(c, "subscribed", c->lname, tl_ms(5000)))
		return -1;
	return tl_client_barrier(c, tl_ms(5000)) ? 0 : -1;
}
