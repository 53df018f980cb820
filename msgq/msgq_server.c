/*
 * The listening socket and the rules of its file (PROTOCOL.md section 1):
 * the directory is created 0750 if missing; an existing socket that
 * answers belongs to a live msgq (we exit 1 touching nothing), one that
 * refuses is stale and replaced; any other file is never deleted. The
 * socket is created 0660 and removed on orderly exit, but only if it is
 * still ours (same device and inode).
 *
 * Accepting enforces max_clients (a connection over the limit is accepted
 * and closed at once, with a warning, so the peer sees EOF instead of
 * hanging in the backlog) and backs off for a second when out of fds.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msgq.h"
#include "xmalloc.h"

static void	msgq_server_acceptcb(int fd, short events, void *arg);
static void	msgq_server_resumecb(int fd, short events, void *arg);

static void
msgq_server_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		fatalx("socket path too long (at most %zu bytes): %s",
		    sizeof(sun->sun_path) - 1, path);
	strcpy(sun->sun_path, path);
}

/* Create the socket's directory (mode 0750) if it does not exist. */
static void
msgq_server_mkdir(const char *path)
{
	char *dir, *slash;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0750) == 0) {
			if (chmod(dir, 0750) == -1)
				fatal("chmod %s", dir);
			log_info("created directory %s", dir);
		} else if (errno != EEXIST)
			fatal("cannot create directory %s", dir);
	}
	free(dir);
}

/*
 * Is something at path? Nothing: fine. A live msgq's socket: exit 1.
 * A stale socket: remove it. Anything else: refuse to start.
 */
static void
msgq_server_check_stale(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return;
		fatal("%s", path);
	}
	if (!S_ISSOCK(st.st_mode))
		fatalx("%s exists and is not a socket: refusing to start", path);
	/* Non-blocking: a live msgq with a full backlog says EAGAIN. */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		fatal("socket");
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0 ||
	    errno == EAGAIN || errno == EINPROGRESS)
		fatalx("another msgq is already running on %s", path);
	if (errno != ECONNREFUSED && errno != ENOENT)
		fatal("cannot connect to the existing socket %s", path);
	close(fd);
	if (unlink(path) == -1 && errno != ENOENT)
		fatal("cannot remove the stale socket %s", path);
	log_info("removed stale socket %s", path);
}

static int
msgq_server_bind(struct msgq *m, const struct sockaddr_un *sun)
{
	const char *path = m->cfg.sockpath;
	struct stat st;
	mode_t old;
	int fd;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		fatal("socket");
	old = umask(0117);	/* no window where the socket is 0777 */
	if (bind(fd, (const struct sockaddr *)sun, sizeof(*sun)) == -1)
		fatal("bind %s", path);
	umask(old);
	if (chmod(path, 0660) == -1)
		fatal("chmod %s", path);
	if (lstat(path, &st) == -1)
		fatal("%s", path);
	m->sock_dev = st.st_dev;
	m->sock_ino = st.st_ino;
	m->sock_bound = 1;
	if (listen(fd, SOMAXCONN) == -1)
		fatal("listen %s", path);
	return fd;
}

/* Set up the listener; start-up errors are fatal (exit status 1). */
int
msgq_server_open(struct msgq *m)
{
	struct sockaddr_un sun;

	msgq_server_addr(m->cfg.sockpath, &sun);
	msgq_server_mkdir(m->cfg.sockpath);
	msgq_server_check_stale(m->cfg.sockpath, &sun);
	m->listen_fd = msgq_server_bind(m, &sun);
	m->ev_accept = event_new(m->base, m->listen_fd, EV_READ | EV_PERSIST,
	    msgq_server_acceptcb, m);
	m->ev_accept_pause = evtimer_new(m->base, msgq_server_resumecb, m);
	if (m->ev_accept == NULL || m->ev_accept_pause == NULL ||
	    event_add(m->ev_accept, NULL) == -1)
		fatalx("%s: cannot set up events", __func__);
	log_info("listening on %s", m->cfg.sockpath);
	return 0;
}

/* Stop listening and remove the socket file if it is still ours. */
void
msgq_server_close(struct msgq *m)
{
	struct stat st;

	if (m->ev_accept != NULL)
		event_free(m->ev_accept);
	if (m->ev_accept_pause != NULL)
		event_free(m->ev_accept_pause);
	m->ev_accept = m->ev_accept_pause = NULL;
	if (m->listen_fd != -1)
		close(m->listen_fd);
	m->listen_fd = -1;
	if (!m->sock_bound)
		return;
	m->sock_bound = 0;
	if (lstat(m->cfg.sockpath, &st) == 0 && st.st_dev == m->sock_dev &&
	    st.st_ino == m->sock_ino && unlink(m->cfg.sockpath) == -1)
		log_warn("cannot remove %s", m->cfg.sockpath);
}

static void
msgq_server_refuse(struct msgq *m, int fd)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1)
		uc.pid = -1, uc.uid = (uid_t)-1;
	log_warnx("refusing a connection from pid %ld, uid %ld: max_clients "
	    "%u reached", (long)uc.pid, (long)uc.uid, m->cfg.max_clients);
	m->stats.disconnects[MSGQ_DISC_MAX_CLIENTS]++;
	close(fd);
}

/* Out of fds: stop accepting for a second rather than spin. */
static void
msgq_server_pause(struct msgq *m)
{
	struct timeval tv = { 1, 0 };

	log_warn("accept on %s; pausing for a second", m->cfg.sockpath);
	event_del(m->ev_accept);
	evtimer_add(m->ev_accept_pause, &tv);
}

static void
msgq_server_resumecb(int fd, short events, void *arg)
{
	struct msgq *m = arg;

	if (m->ev_accept != NULL)
		event_add(m->ev_accept, NULL);
}

static void
msgq_server_accepted(struct msgq *m, int fd)
{
	struct msgq_client *c;
	struct cc_strref none = { NULL, 0 };

	if (m->nclients >= m->cfg.max_clients) {
		msgq_server_refuse(m, fd);
		return;
	}
	c = msgq_client_new(m, fd);
	m->stats.connections++;
	log_info("client " CLIENT_FMT ": connected", CLIENT_ARGS(c));
	msgq_notify_members(m, "connected", c, none);
}

static void
msgq_server_acceptcb(int lfd, short events, void *arg)
{
	struct msgq *m = arg;
	int i, fd;

	for (i = 0; i < MSGQ_ACCEPT_ROUNDS; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd != -1) {
			msgq_server_accepted(m, fd);
			continue;
		}
		switch (errno) {
		case EINTR:
		case ECONNABORTED:
			continue;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			msgq_server_pause(m);
			return;
		case EAGAIN:
			return;
		default:
			log_warn("accept on %s", m->cfg.sockpath);
			return;
		}
	}
}
