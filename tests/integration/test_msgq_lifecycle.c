/*
 * A real ccbus-msgq's life cycle: membership notifications and their order
 * (PROTOCOL.md 8), connections that come and go or are killed, the socket
 * file rules of section 1 (a second msgq, a stale socket, a file that is
 * not a socket, modes, $CCBUS_SOCKET), orderly exits (SIGTERM, SIGINT,
 * stop) and the command line (-h, --version).
 */
#include "config.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "itest.h"

#define MEMBERS "notifications/cc_members"

static struct tl_msgq *mq;

static void
setup(void)
{
	mq = it_msgq();
}

static void
teardown(void)
{
	it_msgq_end(mq);
	mq = NULL;
}

/* The next frame of w is the cc_members notification [event, params]. */
static void
expect_note(struct tl_client *w, const char *event, const char *lname,
    const char *group)
{
	struct tl_frame f;
	json_t *params = json_pack("{s:s}", "client", lname);

	if (group != NULL)
		json_object_set_new(params, "group", json_string(group));
	it_expect_frame(w, &f);
	ck_assert_str_eq(tl_frame_str(&f, "type"), "send");
	ck_assert_str_eq(tl_frame_str(&f, "from"), "msgq");
	ck_assert_str_eq(tl_frame_str(&f, "to"), "*");
	ck_assert_str_eq(tl_frame_str(&f, "group"), MEMBERS);
	ck_assert(!json_is_true(json_object_get(f.hdr, "want_answer")));
	assert_json(f.body, json_pack("{s:[s,o]}", "notification", event,
	    params));
	tl_frame_clear(&f);
}

/* Two unsubscribed events for g1 and g2, in either order. */
static void
expect_unsubscribed_pair(struct tl_client *w, const char *lname,
    const char *g1, const char *g2)
{
	struct tl_frame f;
	const char *ev, *cl, *g;
	bool seen1 = false, seen2 = false;

	for (int i = 0; i < 2; i++) {
		it_expect_frame(w, &f);
		ck_assert(json_unpack(f.body, "{s:[s,{s:s,s:s}]}",
		    "notification", &ev, "client", &cl, "group", &g) == 0);
		ck_assert_str_eq(ev, "unsubscribed");
		ck_assert_str_eq(cl, lname);
		seen1 |= strcmp(g, g1) == 0;
		seen2 |= strcmp(g, g2) == 0;
		tl_frame_clear(&f);
	}
	ck_assert(seen1 && seen2);
}

/* The next frame of w is the event about some client: its lname. */
static void
expect_note_any(struct tl_client *w, const char *event, char *lname,
    size_t len)
{
	struct tl_frame f;
	const char *ev, *cl;

	it_expect_frame(w, &f);
	ck_assert(json_unpack(f.body, "{s:[s,{s:s}]}", "notification", &ev,
	    "client", &cl) == 0);
	ck_assert_str_eq(ev, event);
	snprintf(lname, len, "%s", cl);
	tl_frame_clear(&f);
}

/* The answer to members: its list of lnames. */
static json_t *
members(struct tl_client *c)
{
	struct tl_frame f;
	json_t *list;
	int rcode;

	ck_assert_int_eq(tl_client_msgq_cmd(c, "members", NULL, &f), 0);
	ck_assert(json_unpack(f.body, "{s:[iO]}", "result", &rcode,
	    &list) == 0);
	ck_assert_int_eq(rcode, 0);
	tl_frame_clear(&f);
	return list;
}

START_TEST(test_connect_close_cycles)
{
	struct tl_client *w = it_client(mq), *c;
	char lname[128], seen[128];
	json_t *all = json_object();

	ck_assert_int_eq(tl_client_watch_members(w), 0);
	for (int i = 0; i < 50; i++) {
		if (i % 2 == 0) {
			c = it_client(mq);
			snprintf(lname, sizeof(lname), "%s", c->lname);
			expect_note(w, "connected", lname, NULL);
		} else {
			/* Never says a word: msgq still knows it. */
			c = tl_client_connect(mq->sock);
			ck_assert_ptr_nonnull(c);
			expect_note_any(w, "connected", lname, sizeof(lname));
		}
		tl_client_free(c);
		expect_note_any(w, "disconnected", seen, sizeof(seen));
		ck_assert_str_eq(seen, lname);
		/* Never reused within one msgq's life. */
		ck_assert_msg(json_object_get(all, lname) == NULL,
		    "lname %s given twice", lname);
		json_object_set_new(all, lname, json_true());
	}
	json_decref(all);
	it_expect_nothing(w);
	assert_json_own(members(w), json_pack("[s]", w->lname));
	tl_client_free(w);
}
END_TEST

START_TEST(test_member_notifications_order)
{
	struct tl_client *w = it_client(mq), *c;
	char lname[128];

	ck_assert_int_eq(tl_client_watch_members(w), 0);
	c = it_client(mq);
	snprintf(lname, sizeof(lname), "%s", c->lname);
	expect_note(w, "connected", lname, NULL);

	/* Per group, not per instance; a repeated subscribe says nothing. */
	ck_assert_int_eq(tl_client_subscribe(c, "G1", NULL), 0);
	ck_assert_int_eq(tl_client_subscribe(c, "G1", "x"), 0);
	ck_assert_int_eq(tl_client_subscribe(c, "G1", NULL), 0);
	ck_assert_int_eq(tl_client_subscribe(c, "G2", "y"), 0);
	ck_assert(tl_client_barrier(c, WAIT));
	expect_note(w, "subscribed", lname, "G1");
	expect_note(w, "subscribed", lname, "G2");
	it_expect_nothing(w);

	/* Still in G1 through "*": only G2 goes. */
	ck_assert_int_eq(tl_client_unsubscribe(c, "G1", "x"), 0);
	ck_assert_int_eq(tl_client_unsubscribe(c, "G2", "y"), 0);
	ck_assert_int_eq(tl_client_unsubscribe(c, "G2", "y"), 0);
	ck_assert_int_eq(tl_client_subscribe(c, "G3", NULL), 0);
	ck_assert(tl_client_barrier(c, WAIT));
	expect_note(w, "unsubscribed", lname, "G2");
	expect_note(w, "subscribed", lname, "G3");
	it_expect_nothing(w);

	/* On close: one unsubscribed per group, then disconnected. */
	tl_client_free(c);
	expect_unsubscribed_pair(w, lname, "G1", "G3");
	expect_note(w, "disconnected", lname, NULL);
	it_expect_nothing(w);
	tl_client_free(w);
}
END_TEST

/* A child that subscribes to K1 and K2, says its lname, and waits. */
static pid_t
spawn_idle_client(int *rfd)
{
	int p[2];
	pid_t pid;
	struct tl_client *c;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid > 0) {
		close(p[1]);
		*rfd = p[0];
		return pid;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close(p[0]);
	c = tl_client_new(mq->sock);
	if (c == NULL || tl_client_subscribe(c, "K1", NULL) == -1 ||
	    tl_client_subscribe(c, "K2", NULL) == -1 ||
	    !tl_client_barrier(c, WAIT))
		_exit(1);
	if (write(p[1], c->lname, strlen(c->lname) + 1) == -1)
		_exit(1);
	for (;;)
		pause();
}

static void
read_line_from(int fd, char *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t n = 0;
	ssize_t r;

	while (n < len - 1) {
		ck_assert_int_eq(poll(&p, 1, WAIT), 1);
		r = read(fd, buf + n, len - 1 - n);
		ck_assert_int_gt(r, 0);
		n += (size_t)r;
		if (buf[n - 1] == '\0')
			return;
	}
	buf[n] = '\0';
}

START_TEST(test_killed_client_notifications)
{
	struct tl_client *w = it_client(mq);
	char lname[128], seen[128];
	int fd, st;
	pid_t pid;

	ck_assert_int_eq(tl_client_watch_members(w), 0);
	pid = spawn_idle_client(&fd);
	read_line_from(fd, lname, sizeof(lname));
	close(fd);
	expect_note_any(w, "connected", seen, sizeof(seen));
	ck_assert_str_eq(seen, lname);
	expect_note(w, "subscribed", lname, "K1");
	expect_note(w, "subscribed", lname, "K2");
	/* Killed: it never closes anything itself. */
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	expect_unsubscribed_pair(w, lname, "K1", "K2");
	expect_note(w, "disconnected", lname, NULL);
	it_expect_nothing(w);
	assert_json_own(members(w), json_pack("[s]", w->lname));
	tl_client_free(w);
}
END_TEST

/* A client that closes with messages to it unread resets the
 * connection (ECONNRESET on msgq's read): that is leaving, logged and
 * counted as a disconnect, not as a read error. */
START_TEST(test_client_leaves_messages_unread)
{
	struct tl_client *w = it_client(mq), *c = it_client(mq);
	char lname[128];
	struct tl_frame f;
	json_t *st;

	snprintf(lname, sizeof(lname), "%s", c->lname);
	ck_assert_int_eq(tl_client_subscribe(c, "U", "*"), 0);
	ck_assert(tl_client_barrier(c, WAIT));
	ck_assert_int_eq(tl_client_watch_members(w), 0);
	ck_assert_int_eq(tl_client_send_to(w, "U", NULL, json_pack("{s:s}",
	    "never", "read"), false, NULL), 0);
	/* msgq has handled the send, so the frame is in c's socket. */
	ck_assert(tl_client_barrier(w, WAIT));
	tl_client_free(c);
	expect_note(w, "unsubscribed", lname, "U");
	expect_note(w, "disconnected", lname, NULL);
	/* No warning: the log says nothing of it without -v. */
	ck_assert_msg(!tl_file_contains(mq->log, lname), "logged: %s", lname);
	ck_assert_int_eq(tl_client_msgq_cmd(w, "stats", NULL, &f), 0);
	st = json_object_get(json_array_get(json_object_get(f.body,
	    "result"), 1), "disconnects");
	assert_json(json_object_get(st, "read_error"), json_integer(0));
	ck_assert_int_ge(json_integer_value(json_object_get(st, "closed")), 1);
	tl_frame_clear(&f);
	tl_client_free(w);
}
END_TEST

START_TEST(test_second_msgq_refused)
{
	struct tl_msgq *m2 = tl_msgq_new();
	struct tl_client *c = it_client(mq), *d;
	const char *args[] = { "-s", mq->sock, NULL };
	struct stat st;
	ino_t ino;

	ck_assert_ptr_nonnull(m2);
	ck_assert_int_eq(stat(mq->sock, &st), 0);
	ino = st.st_ino;
	ck_assert_int_eq(tl_msgq_run(m2, args, WAIT), 1);
	ck_assert_msg(tl_file_contains(m2->log,
	    "another msgq is already running"), "no error line in the log");
	ck_assert(tl_file_contains(m2->log, mq->sock));
	/* It touched nothing: the first one's socket is the same file. */
	ck_assert_int_eq(stat(mq->sock, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_ino, ino);
	ck_assert(tl_client_barrier(c, WAIT));
	d = it_client(mq);
	ck_assert_str_ne(d->lname, c->lname);
	tl_client_free(c);
	tl_client_free(d);
	tl_msgq_free(m2);
}
END_TEST

static void
bind_and_abandon(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	ck_assert_uint_lt(strlen(path), sizeof(sa.sun_path));
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
}

START_TEST(test_stale_socket_replaced)
{
	struct tl_msgq *m = tl_msgq_new();
	struct tl_client *c;
	struct stat st;

	ck_assert_ptr_nonnull(m);
	bind_and_abandon(m->sock);
	ck_assert_int_eq(stat(m->sock, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(tl_msgq_start(m, NULL), 0);
	c = it_client(m);
	ck_assert(tl_client_barrier(c, WAIT));
	tl_client_free(c);
	ck_assert_int_eq(tl_msgq_stop(m), 0);
	tl_msgq_free(m);
}
END_TEST

START_TEST(test_non_socket_file_kept)
{
	struct tl_msgq *m = tl_msgq_new();
	const char *args[] = { "-s", NULL, NULL };
	struct stat st;
	FILE *fp;

	ck_assert_ptr_nonnull(m);
	args[1] = m->sock;
	fp = fopen(m->sock, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("precious\n", fp);
	fclose(fp);
	ck_assert_int_eq(tl_msgq_run(m, args, WAIT), 1);
	ck_assert_int_eq(stat(m->sock, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert(tl_file_contains(m->sock, "precious\n"));
	tl_msgq_free(m);
}
END_TEST

/* An orderly exit: status 0, socket file removed, clients see EOF. */
static void
expect_orderly_exit(struct tl_msgq *m, struct tl_client *c)
{
	ck_assert_int_eq(tl_msgq_wait_exit(m, WAIT), 0);
	ck_assert_msg(access(m->sock, F_OK) == -1, "socket file left");
	ck_assert_int_eq(tl_client_wait_eof(c, WAIT), 0);
}

START_TEST(test_sigterm_exits_in_order)
{
	struct tl_client *c = it_client(mq);

	ck_assert_int_eq(kill(mq->pid, SIGTERM), 0);
	expect_orderly_exit(mq, c);
	tl_client_free(c);
}
END_TEST

START_TEST(test_sigint_exits_in_order)
{
	struct tl_client *c = it_client(mq);

	ck_assert_int_eq(kill(mq->pid, SIGINT), 0);
	expect_orderly_exit(mq, c);
	tl_client_free(c);
}
END_TEST

START_TEST(test_stop_message)
{
	struct tl_client *c = it_client(mq);

	/* Same uid as msgq: accepted. */
	ck_assert_int_eq(tl_client_send(c, json_pack("{s:s}", "type",
	    "stop"), NULL), 0);
	expect_orderly_exit(mq, c);
	tl_client_free(c);
}
END_TEST

START_TEST(test_socket_and_directory_modes)
{
	struct tl_msgq *m = tl_msgq_new();
	char dir[TL_PATH_MAX], sock[TL_PATH_MAX];
	const char *args[] = { "-s", sock, NULL };
	struct stat st;

	ck_assert_ptr_nonnull(m);
	snprintf(dir, sizeof(dir), "%s/run", m->dir);
	snprintf(sock, sizeof(sock), "%s/run/msgq.sock", m->dir);
	/* A usual umask would strip the group's write bit. */
	umask(022);
	ck_assert_int_eq(tl_msgq_spawn(m, args), 0);
	ck_assert_int_eq(tl_msgq_wait_ready(m, sock, WAIT * 2), 0);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0750);
	ck_assert_int_eq(lstat(sock, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0660);
	ck_assert_int_eq(tl_msgq_stop(m), 0);
	ck_assert_int_ne(access(sock, F_OK), 0);
	tl_msgq_free(m);
}
END_TEST

START_TEST(test_socket_path_from_environment)
{
	struct tl_msgq *m = tl_msgq_new(), *m2 = tl_msgq_new();
	char env[TL_PATH_MAX];
	const char *none[] = { NULL };

	ck_assert(m != NULL && m2 != NULL);
	snprintf(env, sizeof(env), "%s/env.sock", m->dir);
	ck_assert_int_eq(setenv("CCBUS_SOCKET", env, 1), 0);
	/* -s wins over $CCBUS_SOCKET. */
	ck_assert_int_eq(tl_msgq_start(m, NULL), 0);
	ck_assert_int_ne(access(env, F_OK), 0);
	/* Without -s, $CCBUS_SOCKET is the path. */
	ck_assert_int_eq(tl_msgq_spawn(m2, none), 0);
	ck_assert_int_eq(tl_msgq_wait_ready(m2, env, WAIT * 2), 0);
	unsetenv("CCBUS_SOCKET");
	ck_assert_int_eq(tl_msgq_stop(m2), 0);
	ck_assert_int_ne(access(env, F_OK), 0);
	ck_assert_int_eq(tl_msgq_stop(m), 0);
	tl_msgq_free(m2);
	tl_msgq_free(m);
}
END_TEST

static off_t
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : 0;
}

START_TEST(test_help_and_version)
{
	struct tl_msgq *m = tl_msgq_new(), *v = tl_msgq_new();
	const char *help[] = { "-h", NULL };
	const char *version[] = { "--version", NULL };

	ck_assert(m != NULL && v != NULL);
	ck_assert_int_eq(tl_msgq_run(m, help, WAIT), 0);
	ck_assert_int_gt(file_size(m->out) + file_size(m->log), 0);
	ck_assert_int_eq(tl_msgq_run(v, version, WAIT), 0);
	ck_assert_msg(tl_file_contains(v->out, PACKAGE_VERSION) ||
	    tl_file_contains(v->log, PACKAGE_VERSION),
	    "--version does not print %s", PACKAGE_VERSION);
	tl_msgq_free(m);
	tl_msgq_free(v);
}
END_TEST

START_TEST(test_unknown_option_refused)
{
	struct tl_msgq *m = tl_msgq_new();
	const char *args[] = { "-s", NULL, "--no-such-option", NULL };
	int st;

	ck_assert_ptr_nonnull(m);
	args[1] = m->sock;
	st = tl_msgq_run(m, args, WAIT);
	ck_assert_msg(st > 0 && st < 128, "exit status %d", st);
	ck_assert_int_ne(access(m->sock, F_OK), 0);
	tl_msgq_free(m);
}
END_TEST

static Suite *
lifecycle_suite(void)
{
	Suite *s = suite_create("msgq lifecycle");
	TCase *mem = tcase_create("members");
	TCase *sock = tcase_create("socket");
	TCase *ex = tcase_create("exit");
	TCase *opt = tcase_create("options");

	tcase_add_checked_fixture(mem, setup, teardown);
	tcase_add_test(mem, test_connect_close_cycles);
	tcase_add_test(mem, test_member_notifications_order);
	tcase_add_test(mem, test_killed_client_notifications);
	tcase_add_test(mem, test_client_leaves_messages_unread);
	suite_add_tcase(s, mem);

	tcase_add_checked_fixture(sock, setup, teardown);
	tcase_add_test(sock, test_second_msgq_refused);
	tcase_add_test(sock, test_stale_socket_replaced);
	tcase_add_test(sock, test_non_socket_file_kept);
	tcase_add_test(sock, test_socket_and_directory_modes);
	tcase_add_test(sock, test_socket_path_from_environment);
	suite_add_tcase(s, sock);

	tcase_add_checked_fixture(ex, setup, teardown);
	tcase_add_test(ex, test_sigterm_exits_in_order);
	tcase_add_test(ex, test_sigint_exits_in_order);
	tcase_add_test(ex, test_stop_message);
	suite_add_tcase(s, ex);

	tcase_add_test(opt, test_help_and_version);
	tcase_add_test(opt, test_unknown_option_refused);
	suite_add_tcase(s, opt);
	return s;
}

int
main(void)
{
	return it_run(lifecycle_suite());
}
