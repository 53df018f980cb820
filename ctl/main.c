/*
 * ccbusctl: the operator's tool. This file turns the command line into
 * struct ctl, finds the subcommand in the table (anything that is not a
 * subcommand names a module) and returns its exit status (ctl.h).
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define DEFAULT_TIMEOUT_S	30

enum {
	OPT_JSON = 256,
	OPT_VERSION,
};

static const struct option longopts[] = {
	{ "socket-file",	required_argument,	NULL, 's' },
	{ "timeout",		required_argument,	NULL, 't' },
	{ "json",		no_argument,		NULL, OPT_JSON },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, OPT_VERSION },
	{ NULL,			0,			NULL, 0 },
};

static const struct ctl_cmd cmds[] = {
	{ "status", ctl_cmd_status, "status [NAME]",
	    "the components: state, pid, uptime, ..." },
	{ "config", ctl_cmd_config, "config show [MODULE[/PATH]]",
	    "the configuration, defaults filled in" },
	{ "config", ctl_cmd_config, "config set MODULE/PATH VALUE ...",
	    "change items in one commit" },
	{ "config", ctl_cmd_config, "config unset MODULE[/PATH] ...",
	    "back to the defaults" },
	{ "config", ctl_cmd_config, "config spec MODULE",
	    "a module's configuration items" },
	{ "members", ctl_cmd_members, "members [GROUP]",
	    "the clients of msgq, or of one group" },
	{ "monitor", ctl_cmd_monitor, "monitor [GROUP ...]",
	    "print the messages sent to groups" },
	{ "send", ctl_cmd_send, "send GROUP JSON",
	    "send a body, print an answer" },
	{ "help", ctl_cmd_help, "help [MODULE|SUBCOMMAND]",
	    "this, and every module's commands" },
	{ NULL, NULL, NULL, NULL },
};

const struct ctl_cmd *
ctl_cmd_table(void)
{
	return cmds;
}

const struct ctl_cmd *
ctl_cmd_find(const char *name)
{
	for (const struct ctl_cmd *t = cmds; t->name != NULL; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

void
ctl_usage(FILE *fp)
{
	fprintf(fp,
"usage: %s [-s SOCKET] [-t SECONDS] [--json] COMMAND [ARG ...]\n"
"       %s [options] MODULE COMMAND [NAME=VALUE ... | JSON]\n"
"  -s, --socket-file PATH  msgq's socket (default: $CCBUS_SOCKET, else\n"
"                          %s)\n"
"  -t, --timeout SECONDS   wait at most this for each answer (default %d)\n"
"      --json              machine-readable output (also after COMMAND)\n"
"  -h, --help              this help;  --version  the version\n"
"Commands:\n", CTL_PROGNAME, CTL_PROGNAME, CCBUS_DEFAULT_SOCKET,
	    DEFAULT_TIMEOUT_S);
	for (const struct ctl_cmd *t = cmds; t->name != NULL; t++) {
		fprintf(fp, "  ");
		ctl_pad(fp, t->synopsis, 34);
		fprintf(fp, "%s\n", t->summary);
	}
	fprintf(fp,
"  ");
	ctl_pad(fp, "MODULE COMMAND [ARGS]", 34);
	fprintf(fp, "a module's command (`help MODULE`)\n"
"Exit status: 0 success, 1 error answer, 2 no recipient, timeout or\n"
"no connection, 64 usage error.\n");
}

static int
parse_timeout(const char *arg)
{
	char *end;
	double v = strtod(arg, &end);

	if (*arg == '\0' || *end != '\0' || !(v > 0) || v > 86400) {
		ctl_warnx("-t: invalid number of seconds '%s' (more than 0, "
		    "at most 86400)", arg);
		return -1;
	}
	return (int)(v * 1000 + 0.5) > 0 ? (int)(v * 1000 + 0.5) : 1;
}

/* getopt up to the first non-option ('+'): what follows is the
 * subcommand's, including arguments such as "-1". */
static int
parse_options(int argc, char **argv, struct ctl *c)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "+s:t:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			c->sockpath = optarg;
			c->sockfrom = "given with -s";
			break;
		case 't':
			if ((c->timeout_ms = parse_timeout(optarg)) == -1)
				return CTL_USAGE;
			break;
		case OPT_JSON: c->json = true; break;
		case 'h': ctl_usage(stdout); exit(0);
		case OPT_VERSION:
			printf("%s %s\n", CTL_PROGNAME, PACKAGE_VERSION);
			exit(0);
		default:
			ctl_usage(stderr);
			return CTL_USAGE;
		}
	}
	return CTL_OK;
}

/*
 * --json after the command too (`ccbusctl status --json`), where getopt
 * has stopped: taken out of argv wherever it stands, up to a "--" that
 * ends the options (`ccbusctl send G -- --json` sends it). Returns the
 * new argc.
 */
static int
late_options(int argc, char **argv, struct ctl *c)
{
	int i, n = 0;

	for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--json") == 0)
			c->json = true;
		else
			argv[n++] = argv[i];
	}
	if (i < argc)		/* drop the "--", keep what follows */
		i++;
	while (i < argc)
		argv[n++] = argv[i++];
	argv[n] = NULL;
	return n;
}

static void
source_of_socket(struct ctl *c)
{
	const char *env = getenv("CCBUS_SOCKET");

	if (c->sockpath != NULL)
		return;
	c->sockpath = cc_default_socket_path();
	c->sockfrom = env != NULL && *env != '\0' ? "taken from $CCBUS_SOCKET" :
	    "the compiled default";
}

int
main(int argc, char **argv)
{
	struct ctl c = { .timeout_ms = DEFAULT_TIMEOUT_S * 1000 };
	const struct ctl_cmd *cmd;
	int status;

	signal(SIGPIPE, SIG_IGN);
	if ((status = parse_options(argc, argv, &c)) != CTL_OK)
		return status;
	argc -= optind;
	argv += optind;
	argc = late_options(argc, argv, &c);
	if (argc == 0) {
		ctl_usage(stderr);
		return CTL_USAGE;
	}
	source_of_socket(&c);
	if ((cmd = ctl_cmd_find(argv[0])) != NULL)
		status = cmd->fn(&c, argc - 1, argv + 1);
	else
		status = ctl_cmd_module(&c, argc, argv);
	if (fflush(stdout) == EOF && status == CTL_OK)
		status = ctl_fail(CTL_ERROR, "cannot write the output");
	cc_session_free(c.s);
	json_decref(c.specs);
	return status;
}
