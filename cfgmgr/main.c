/*
 * ccbus-cfgmgr: the configuration manager. This file only turns the
 * command line into struct cfgmgr_opts, prepares the process (SIGPIPE,
 * SIGTERM/SIGINT as libevent signal events), maps start-up failures to
 * exit statuses (2: the configuration file, 1: anything else) and runs
 * the loop; the config manager itself is libcfgmgr, the other files of
 * cfgmgr/.
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "cfgmgr.h"
#include "log.h"

#define PROGNAME	"ccbus-cfgmgr"

enum {
	OPT_CLEAR_CONFIG = 256,
	OPT_VERSION,
};

static const struct option longopts[] = {
	{ "socket-file",	required_argument,	NULL, 's' },
	{ "data-path",		required_argument,	NULL, 'p' },
	{ "config-filename",	required_argument,	NULL, 'c' },
	{ "clear-config",	no_argument,	NULL, OPT_CLEAR_CONFIG },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, OPT_VERSION },
	{ NULL,			0,			NULL, 0 },
};

static void __attribute__((__noreturn__))
usage(FILE *fp, int status)
{
	fprintf(fp,
"usage: %s [-hv] [-s path] [-p dir] [-c name] [--clear-config]\n"
"                    [--version]\n"
"  -s, --socket-file PATH      msgq's socket (default: $CCBUS_SOCKET, else\n"
"                              %s)\n"
"  -p, --data-path DIR         where the configuration is stored\n"
"                              (default %s)\n"
"  -c, --config-filename NAME  the configuration file in DIR\n"
"                              (default %s)\n"
"      --clear-config          rename the file to NAME.bak (.bak.1, ...)\n"
"                              and start with an empty configuration\n"
"  -v, --verbose               log more: once info, twice debug\n"
"  -h, --help                  this help\n"
"      --version               print the version\n",
	    PROGNAME, CCBUS_DEFAULT_SOCKET, CCBUS_DATADIR,
	    CFGMGR_DEFAULT_FILENAME);
	exit(status);
}

static void
parse_options(int argc, char **argv, struct cfgmgr_opts *opts)
{
	int ch, verbose = 0;

	while ((ch = getopt_long(argc, argv, "s:p:c:vh", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 's':
			opts->sockpath = optarg;
			break;
		case 'p':
			opts->datapath = optarg;
			break;
		case 'c':
			opts->filename = optarg;
			break;
		case OPT_CLEAR_CONFIG:
			opts->clear = true;
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
	if (optind != argc || *opts->datapath == '\0' ||
	    *opts->filename == '\0')
		usage(stderr, 1);
	if (opts->sockpath == NULL)
		opts->sockpath = cc_default_socket_path();
}

/* fatalx() with another exit status. */
static void __attribute__((__noreturn__, __format__(__printf__, 2, 3)))
die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_FATAL, fmt, ap);
	va_end(ap);
	exit(status);
}

static void
signalcb(evutil_socket_t sig, short events, void *arg)
{
	cfgmgr_stop(arg, 0, sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

int
main(int argc, char **argv)
{
	struct cfgmgr_opts opts = {
		.datapath = CCBUS_DATADIR,
		.filename = CFGMGR_DEFAULT_FILENAME,
	};
	struct event_base *base;
	struct event *ev_term, *ev_int;
	struct cfgmgr *cm;
	char err[CFGMGR_ERRLEN];
	int status;

	log_init(PROGNAME, 0);
	parse_options(argc, argv, &opts);
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	cm = cfgmgr_new(base, &opts);
	if ((status = cfgmgr_load(cm, err, sizeof(err))) != 0)
		die(status, "%s", err);
	ev_term = evsignal_new(base, SIGTERM, signalcb, cm);
	ev_int = evsignal_new(base, SIGINT, signalcb, cm);
	if (ev_term == NULL || ev_int == NULL ||
	    event_add(ev_term, NULL) == -1 || event_add(ev_int, NULL) == -1)
		fatalx("cannot set up signal events");
	if (cfgmgr_start(cm, err, sizeof(err)) == -1)
		fatalx("%s", err);
	status = cfgmgr_run(cm);
	log_info("exiting with status %d", status);
	cfgmgr_free(cm);
	event_free(ev_term);
	event_free(ev_int);
	event_base_free(base);
	return status;
}
