/*
 * ccbus-msgq: the message broker. This file only turns the command line
 * into a struct msgq_config, prepares the process (file descriptor limit,
 * SIGPIPE, SIGTERM/SIGINT as libevent signal events) and runs the loop;
 * the broker itself is libmsgq, the other files of msgq/.
 */
#include "config.h"

#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "msgq.h"

#define PROGNAME	"ccbus-msgq"

enum {
	OPT_MAX_QUEUE = 256,
	OPT_MAX_FRAME,
	OPT_MAX_CLIENTS,
	OPT_BUSY_POLL,
	OPT_READY_FD,
	OPT_VERSION,
};

static const struct option longopts[] = {
	{ "socket-file",	required_argument,	NULL, 's' },
	{ "max-queue",		required_argument,	NULL, OPT_MAX_QUEUE },
	{ "max-frame",		required_argument,	NULL, OPT_MAX_FRAME },
	{ "max-clients",	required_argument,	NULL, OPT_MAX_CLIENTS },
	{ "busy-poll",		required_argument,	NULL, OPT_BUSY_POLL },
	{ "ready-fd",		required_argument,	NULL, OPT_READY_FD },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, OPT_VERSION },
	{ NULL,			0,			NULL, 0 },
};

static void __attribute__((__noreturn__))
usage(FILE *fp, int status)
{
	fprintf(fp,
"usage: %s [-hv] [-s path] [--max-queue bytes] [--max-frame bytes]\n"
"          [--max-clients n] [--busy-poll usec] [--ready-fd n] [--version]\n"
"  -s, --socket-file PATH  listen on PATH (default: $CCBUS_SOCKET, else\n"
"                          %s)\n"
"      --max-frame BYTES   largest frame accepted (default 16M; K, M, G)\n"
"      --max-queue BYTES   output queue cap per client, >= max-frame\n"
"                          (default 64M)\n"
"      --max-clients N     connections accepted at once (default %d)\n"
"      --busy-poll USEC    after each frame, keep polling for USEC\n"
"                          microseconds before sleeping: lower latency,\n"
"                          a busy CPU while traffic flows (default 0: off)\n"
"      --ready-fd N        once listening, write a newline to descriptor N\n"
"                          and close it (readiness for a supervisor)\n"
"  -v, --verbose           log more: once info, twice debug\n"
"  -h, --help              this help\n"
"      --version           print the version\n",
	    PROGNAME, CCBUS_DEFAULT_SOCKET, MSGQ_DEFAULT_MAX_CLIENTS);
	exit(status);
}

static size_t
parse_size(const char *opt, const char *arg)
{
	size_t v;

	if (msgq_parse_size(arg, &v) == -1)
		fatalx("--%s: invalid size '%s' (bytes, or with K, M or G)",
		    opt, arg);
	return v;
}

static unsigned
parse_count(const char *opt, const char *arg, unsigned long max)
{
	char *end;
	unsigned long v;

	v = strtoul(arg, &end, 10);
	if (*arg < '0' || *arg > '9' || *end != '\0' || v > max)
		fatalx("--%s: invalid number '%s' (0 to %lu)", opt, arg, max);
	return (unsigned)v;
}

/* --ready-fd: an open descriptor, written once msgq listens. */
static int
parse_ready_fd(const char *arg)
{
	int fd = (int)parse_count("ready-fd", arg, 65535);

	if (fd <= 2 || fcntl(fd, F_GETFD) == -1)
		fatalx("--ready-fd: %s is not an open descriptor above 2", arg);
	return fd;
}

/* Tell the supervisor (s6 style): one newline, then close. */
static void
notify_ready(int fd)
{
	ssize_t n;

	if (fd == -1)
		return;
	while ((n = write(fd, "\n", 1)) == -1 && errno == EINTR)
		;
	if (n != 1)
		log_warn("--ready-fd %d", fd);
	close(fd);
}

static void
parse_options(int argc, char **argv, struct msgq_config *cfg, int *ready_fd)
{
	char err[256];
	int ch, verbose = 0;

	while ((ch = getopt_long(argc, argv, "s:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			cfg->sockpath = optarg;
			break;
		case OPT_MAX_QUEUE:
			cfg->max_queue = parse_size("max-queue", optarg);
			break;
		case OPT_MAX_FRAME:
			cfg->max_frame = parse_size("max-frame", optarg);
			break;
		case OPT_MAX_CLIENTS:
			cfg->max_clients = parse_count("max-clients", optarg,
			    MSGQ_MAX_MAX_CLIENTS);
			break;
		case OPT_READY_FD:
			*ready_fd = parse_ready_fd(optarg);
			break;
		case OPT_BUSY_POLL:
			cfg->busy_poll_us = parse_count("busy-poll", optarg,
			    MSGQ_MAX_BUSY_POLL_US);
			break;
		case 'v':
			log_setverbose(++verbose);
			break;
		case 'h':
			usage(stdout, 0);
		case OPT_VERSION:
			printf("%s %s\n", PROGNAME, PACKAGE_VERSION);
			exit(0);
		default:
			usage(stderr, 1);
		}
	}
	if (optind != argc)
		usage(stderr, 1);
	/* An empty CCBUS_SOCKET counts as unset, as it does for libcc. */
	if (cfg->sockpath == NULL && ((cfg->sockpath = getenv("CCBUS_SOCKET"))
	    == NULL || *cfg->sockpath == '\0'))
		cfg->sockpath = CCBUS_DEFAULT_SOCKET;
	if (msgq_config_check(cfg->max_frame, cfg->max_queue, cfg->max_clients,
	    err, sizeof(err)) == -1)
		fatalx("%s", err);
}

/*
 * Raise the fd limit to the hard limit, and keep max_clients within it
 * (every client is one fd, plus a few for the listener and the loop).
 */
static void
raise_nofile(struct msgq_config *cfg)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit");
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("setrlimit RLIMIT_NOFILE %llu",
			    (unsigned long long)rl.rlim_max);
		else if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
			fatal("getrlimit");
	}
	if (rl.rlim_cur < (rlim_t)cfg->max_clients + MSGQ_FD_RESERVE) {
		if (rl.rlim_cur <= MSGQ_FD_RESERVE)
			fatalx("open file limit %llu is too low",
			    (unsigned long long)rl.rlim_cur);
		log_warnx("max_clients %u lowered to %llu to fit the open "
		    "file limit %llu", cfg->max_clients,
		    (unsigned long long)rl.rlim_cur - MSGQ_FD_RESERVE,
		    (unsigned long long)rl.rlim_cur);
		cfg->max_clients = (unsigned)(rl.rlim_cur - MSGQ_FD_RESERVE);
	}
}

static void
signalcb(evutil_socket_t sig, short events, void *arg)
{
	msgq_stop(arg, sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

int
main(int argc, char **argv)
{
	struct msgq_config cfg;
	struct event_base *base;
	struct event *ev_term, *ev_int;
	struct msgq *m;
	int ready_fd = -1;

	log_init(PROGNAME, 0);
	msgq_config_defaults(&cfg);
	parse_options(argc, argv, &cfg, &ready_fd);
	raise_nofile(&cfg);
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	m = msgq_new(base, &cfg);
	msgq_start(m);
	ev_term = evsignal_new(base, SIGTERM, signalcb, m);
	ev_int = evsignal_new(base, SIGINT, signalcb, m);
	if (ev_term == NULL || ev_int == NULL ||
	    event_add(ev_term, NULL) == -1 || event_add(ev_int, NULL) == -1)
		fatalx("cannot set up signal events");
	notify_ready(ready_fd);
	if (msgq_run(m) == -1)
		fatalx("the event loop failed");
	log_info("exiting");
	event_free(ev_term);
	event_free(ev_int);
	msgq_free(m);
	event_base_free(base);
	return 0;
}
