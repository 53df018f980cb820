/*
 * Connecting a session: the non-blocking connect(2) to msgq's Unix socket,
 * bounded by the caller's timeout, then getlname. Every failure names the
 * path and the reason ("cannot connect to msgq at /x/msgq.sock: No such
 * file or directory") and leaves the session closed.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "session-internal.h"

/* An empty path, or one longer than sun_path holds, is refused here with
 * the same words as any other connect failure. */
static int
connect_addr(struct cc_session *s, struct sockaddr_un *sun)
{
	size_t len = strlen(s->path);

	if (len == 0)
		return libcc_session_seterr(s, CC_ECONNECT, "cannot connect "
		    "to msgq: the socket path is empty");
	if (len >= sizeof(sun->sun_path))
		return libcc_session_seterr(s, CC_ECONNECT, "cannot connect "
		    "to msgq at %s: socket path too long (%zu bytes, at "
		    "most %zu)", s->path, len, sizeof(sun->sun_path) - 1);
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, s->path, len + 1);
	return CC_OK;
}

static int
connect_failed(struct cc_session *s, int error)
{
	return libcc_session_seterr(s, CC_ECONNECT, "cannot connect to msgq "
	    "at %s: %s", s->path, strerror(error));
}

static int
connect_timedout(struct cc_session *s, const char *why)
{
	return libcc_session_seterr(s, CC_ETIMEDOUT, "cannot connect to msgq "
	    "at %s: %s", s->path, why);
}

/*
 * msgq's listen queue is full. A Unix socket cannot be polled for room
 * there, but a blocking connect(2) waits for it, bounded by SO_SNDTIMEO:
 * make this one attempt blocking.
 */
static int
connect_backlog(struct cc_session *s, const struct sockaddr_un *sun,
    int64_t deadline)
{
	struct timeval tv = { 0, 0 }, none = { 0, 0 };
	int ms, r, error;

	if ((ms = libcc_remaining_ms(deadline)) == 0)
		return connect_timedout(s, "its listen queue is full");
	if (ms > 0) {
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
	}
	if (fcntl(s->fd, F_SETFL, 0) == -1 || setsockopt(s->fd, SOL_SOCKET,
	    SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		return connect_failed(s, errno);
	do {
		r = connect(s->fd, (const struct sockaddr *)sun,
		    sizeof(*sun));
	} while (r == -1 && errno == EINTR &&
	    libcc_remaining_ms(deadline) != 0);
	error = errno;
	if (fcntl(s->fd, F_SETFL, O_NONBLOCK) == -1 || setsockopt(s->fd,
	    SOL_SOCKET, SO_SNDTIMEO, &none, sizeof(none)) == -1)
		return connect_failed(s, errno);
	if (r == 0)
		return CC_OK;
	if (error == EAGAIN || error == EINPROGRESS || error == EINTR)
		return connect_timedout(s, "its listen queue is full");
	return connect_failed(s, error);
}

static int
connect_progress(struct cc_session *s, int64_t deadline)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int n, error = 0;

	if ((n = libcc_poll(&pfd, deadline)) == -1)
		return connect_failed(s, errno);
	if (n == 0)
		return connect_timedout(s, "timed out");
	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &error, &len) == -1)
		return connect_failed(s, errno);
	return error != 0 ? connect_failed(s, error) : CC_OK;
}

static int
session_open(struct cc_session *s, int64_t deadline)
{
	struct sockaddr_un sun;
	int r;

	if ((r = connect_addr(s, &sun)) != CC_OK)
		return r;
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (s->fd == -1)
		return connect_failed(s, errno);
	if (connect(s->fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return CC_OK;
	switch (errno) {
	case EAGAIN:
		return connect_backlog(s, &sun, deadline);
	case EINPROGRESS:
	case EINTR:
		return connect_progress(s, deadline);
	default:
		return connect_failed(s, errno);
	}
}

static int
session_getlname(struct cc_session *s, int64_t deadline, int timeout_ms)
{
	struct cc_header h = { .type = LIBCC_STRREF("getlname") };
	struct cc_msg *m;
	json_t *body, *lname;
	char why[128];
	int r;

	if ((r = libcc_session_send(s, &h, NULL, 0)) != CC_OK)
		return r;
	s->want = LIBCC_WANT_LNAME;
	r = libcc_session_await(s, deadline, &m);
	if (r == CC_ETIMEDOUT)
		return libcc_session_seterr(s, r, "msgq at %s did not answer "
		    "getlname within %d ms", s->path, timeout_ms);
	if (r != CC_OK)
		return r;
	why[0] = '\0';
	if (cc_msg_body(m, &body, why, sizeof(why)) != CC_OK ||
	    !json_is_string(lname = json_object_get(body, "lname")) ||
	    json_string_length(lname) == 0)
		r = libcc_session_seterr(s, CC_EPROTO, "msgq at %s answered "
		    "getlname without an lname%s%s", s->path,
		    why[0] != '\0' ? ": " : "", why);
	else if ((s->lname = strdup(json_string_value(lname))) == NULL)
		r = libcc_session_seterr(s, CC_ENOMEM, "out of memory");
	cc_msg_unref(m);
	return r;
}

static int
session_connect(struct cc_session *s, int timeout_ms)
{
	int64_t deadline = libcc_deadline(timeout_ms);
	int r;

	if ((r = session_open(s, deadline)) != CC_OK)
		return r;
	if ((s->dec = cc_decoder_new(s->max_frame)) == NULL)
		return libcc_session_seterr(s, CC_ENOMEM, "out of memory");
	if ((r = session_getlname(s, deadline, timeout_ms)) != CC_OK)
		return r;
	if (s->base != NULL)
		return libcc_session_arm(s);
	return CC_OK;
}

int
cc_session_connect(struct cc_session *s, const char *path, int timeout_ms)
{
	char *copy;
	int r;

	if (s->fd != -1)
		return libcc_session_seterr(s, CC_ESTATE, "already connected "
		    "to msgq at %s", s->path);
	if (path == NULL)
		path = cc_default_socket_path();
	if ((copy = strdup(path)) == NULL)
		return libcc_session_seterr(s, CC_ENOMEM, "out of memory");
	/* This connection replaces any the loop was trying to make, and
	 * starts without subscriptions. */
	libcc_reconnect_stop(s);
	libcc_subs_clear(s);
	free(s->path);
	s->path = copy;
	s->lost = 0;
	s->connecting = true;
	r = session_connect(s, timeout_ms);
	s->connecting = false;
	if (r != CC_OK) {
		libcc_session_disconnect(s);
		s->lost = 0;
	}
	return r;
}
