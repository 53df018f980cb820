/*
 * ccbus: the boss. This file only turns the command line into struct
 * boss_opts, prepares the process (standard descriptors, SIGPIPE, the
 * signals as libevent events) and runs the loop; the boss itself is the
 * other files of boss/ (see boss.h).
 *
 * Exit status: 0 after an ordered stop (shutdown command, SIGTERM,
 * SIGINT, SIGHUP), 1 if start-up failed, a core or needed component
 * failed, or the options are wrong.
 */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "boss.h"
#include "log.h"

enum {
	OPT_CLEAR_CONFIG = 256,
	OPT_PID_FILE,
	OPT_NO_KILL,
	OPT_VERSION,
};

static const struct option longopts[] = {
	{ "socket-file",	required_argument,	NULL, 's' },
	{ "data-path",		required_argument,	NULL, 'p' },
	{ "config-filename",	required_argument,	NULL, 'c' },
	{ "clear-config",	no_argument,		NULL, OPT_CLEAR_CONFIG },
	{ "pid-file",		required_argument,	NULL, OPT_PID_FILE },
	{ "user",		required_argument,	NULL, 'u' },
	{ "wait",		required_argument,	NULL, 'w' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "no-kill",		no_argument,		NULL, OPT_NO_KILL },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, OPT_VERSION },
	{ NULL,			0,			NULL, 0 },
};

static const int signals[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };
#define NSIGNALS	(sizeof(signals) / sizeof(signals[0]))

static void __attribute__((__noreturn__))
usage(FILE *fp, int status)
{
	fprintf(fp,
"usage: %s [-hv] [-s path] [-p dir] [-c name] [--clear-config]\n"
"             [--pid-file path] [-u user] [-w seconds] [--no-kill] [--version]\n"
"  -s, --socket-file PATH      msgq's socket (default: $CCBUS_SOCKET, else\n"
"                              %s)\n"
"  -p, --data-path DIR         where cfgmgr stores the configuration\n"
"                              (default %s)\n"
"  -c, --config-filename NAME  the configuration file in DIR\n"
"      --clear-config          cfgmgr sets the file aside, starts empty\n"
"      --pid-file PATH         write the boss's pid there once started\n"
"  -u, --user USER             drop to USER (name or uid) after start-up\n"
"  -w, --wait SECONDS          wait at most this for msgq and cfgmgr to\n"
"                              be ready (default 10)\n"
"  -v, --verbose               log more (also passed to msgq and cfgmgr):\n"
"                              once info, twice debug\n"
"      --no-kill               never signal modules (they only get the\n"
"                              shutdown command; msgq and cfgmgr still stop)\n"
"  -h, --help                  this help\n"
"      --version               print the version\n"
"Daemons and modules are looked up in $%s (directories separated\n"
"by ':'), then in %s, then (modules only) in $PATH.\n",
	    BOSS_PROGNAME, CCBUS_DEFAULT_SOCKET, CCBUS_DATADIR, BOSS_PATH_ENV,
	    CCBUS_LIBEXECDIR);
	exit(status);
}

static double
parse_wait(const char *arg)
{
	char *end;
	double v = strtod(arg, &end);

	if (*arg == '\0' || *end != '\0' || !(v > 0) || v > 86400)
		fatalx("--wait: invalid number of seconds '%s' (more than 0, "
		    "at most 86400)", arg);
	return v;
}

static void
parse_options(int argc, char **argv, struct boss_opts *o)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "s:p:c:u:w:vh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's': o->sockpath = optarg; break;
		case 'p': o->datapath = optarg; break;
		case 'c': o->cfgfile = optarg; break;
		case 'u': o->user = optarg; break;
		case 'w': o->wait = parse_wait(optarg); break;
		case 'v': log_setverbose(++o->verbose); break;
		case OPT_CLEAR_CONFIG: o->clear_config = true; break;
		case OPT_PID_FILE: o->pidfile = optarg; break;
		case OPT_NO_KILL: o->no_kill = true; break;
		case 'h': usage(stdout, 0);
		case OPT_VERSION:
			printf("%s %s\n", BOSS_PROGNAME, PACKAGE_VERSION);
			exit(0);
		default: usage(stderr, 1);
		}
	}
	if (optind != argc)
		usage(stderr, 1);
	if (o->sockpath == NULL)
		o->sockpath = cc_default_socket_path();
	if (o->user != NULL && boss_user_lookup(o->user) == NULL)
		fatalx("--user %s: no such user", o->user);
	if (o->user != NULL && geteuid() != 0)
		fatalx("--user %s: the boss must run as root to switch user",
		    o->user);
}

/* Children inherit 0, 1 and 2: make sure they are open. */
static void
std_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) != -1 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	if (sig == SIGCHLD)
		boss_reap_cb(sig, what, arg);
	else
		boss_stop_signal(arg, sig == SIGTERM ? "SIGTERM" :
		    sig == SIGINT ? "SIGINT" : "SIGHUP");
}

int
main(int argc, char **argv)
{
	struct boss_opts opts = { .wait = 10 };
	struct event_base *base;
	struct event *ev[NSIGNALS];
	struct boss *b;
	int status = 1;

	log_init(BOSS_PROGNAME, 0);
	parse_options(argc, argv, &opts);
	std_fds();
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	b = boss_new(base, &opts);
	for (size_t i = 0; i < NSIGNALS; i++)
		if ((ev[i] = evsignal_new(base, signals[i], signal_cb, b)) ==
		    NULL || event_add(ev[i], NULL) == -1)
			fatalx("cannot set up signal events");
	if (boss_start(b) == 0)
		status = boss_run(b);
	boss_free(b);
	for (size_t i = 0; i < NSIGNALS; i++)
		event_free(ev[i]);
	event_base_free(base);
	return status;
}
