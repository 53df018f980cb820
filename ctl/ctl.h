/*
 * ccbusctl, the operator's tool: one connection to msgq, blocking
 * (libcc's session layer), one subcommand per run. Every subcommand is a
 * function of the dispatch table in main.c that takes the context and
 * its own arguments and returns the process's exit status:
 *
 *   0  success
 *   1  an error answer (the module, cfgmgr or the boss said no), an
 *      unknown module, command or configuration item
 *   2  no recipient, no answer in time, cannot connect, connection lost
 *  64  usage: bad options, unknown subcommand, bad arguments
 *
 * Messages go to stderr, prefixed "ccbusctl: "; results to stdout, as
 * text for people or, with --json, as JSON for programs.
 */
#ifndef CTL_H
#define CTL_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>

#include <cc/cc.h>

#define CTL_PROGNAME	"ccbusctl"

enum ctl_exit {
	CTL_OK = 0,
	CTL_ERROR = 1,
	CTL_UNREACHABLE = 2,
	CTL_USAGE = 64,
};

struct ctl {
	const char		*sockpath;	/* NULL: cc_default_socket_path() */
	const char		*sockfrom;	/* where sockpath came from, words:
						 * "given with -s", ... */
	bool			 json;		/* --json */
	int			 timeout_ms;	/* -t */
	struct cc_session	*s;		/* NULL until ctl_connect() */
	json_t			*specs;		/* {M: spec}, fetched once */
	bool			 specs_offline;	/* specs read from files */
};

struct ctl_cmd {
	const char	*name;
	int		(*fn)(struct ctl *, int, char **);
	const char	*synopsis;
	const char	*summary;
};

/* main.c */
const struct ctl_cmd *ctl_cmd_find(const char *name);
const struct ctl_cmd *ctl_cmd_table(void);
void ctl_usage(FILE *fp);

/* ctl_out.c: messages on stderr. */
void ctl_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int ctl_fail(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ctl_bus.c: the connection, calls, specs. Each returns an exit status
 * and has printed why when it is not CTL_OK. */
int ctl_connect(struct ctl *c);
int ctl_call(struct ctl *c, const char *group, const char *name,
    const json_t *args, json_t **value);
int ctl_status_of(struct ctl *c, int cc_status, const char *group,
    const char *name);
int ctl_specs(struct ctl *c, bool offline_ok);
const json_t *ctl_spec_find(struct ctl *c, const char *name);
const char **ctl_module_list(struct ctl *c);
int ctl_module_resolve(struct ctl *c, const char *name,
    const json_t **spec);

/* ctl_out.c: output. */
char *ctl_json_text(const json_t *v, bool pretty);
void ctl_print_json(const json_t *v);
void ctl_print_value(struct ctl *c, const json_t *v);
void ctl_pad(FILE *fp, const char *s, int width);
char *ctl_join(const char *const *v);

/* ctl_args.c: a command's arguments from the command line. */
const json_t *ctl_command_find(const json_t *spec, const char *name);
int ctl_args_parse(const json_t *spec, const json_t *cmd, int argc,
    char **argv, json_t **args);
char *ctl_arg_synopsis(const json_t *cmd);
void ctl_command_usage(FILE *fp, const char *module, const json_t *cmd);

/* ctl_path.c: MODULE/item/sub paths into JSON values. */
struct ctl_path {
	char	*buf;		/* the copy the parts point into */
	char	*parts[32];
	int	 n;		/* parts[0] is the module */
};
int ctl_path_parse(struct ctl_path *p, const char *text);
void ctl_path_clear(struct ctl_path *p);
json_t *ctl_path_get(json_t *v, char *const *parts, int n);
int ctl_path_set(json_t *v, char *const *parts, int n, json_t *value);
int ctl_path_remove(json_t *v, char *const *parts, int n);
const json_t *ctl_named(const json_t *list, const char *key,
    const char *name);
const json_t *ctl_item_spec(const json_t *items, const char *name);
const json_t *ctl_spec_at(const json_t *spec, char *const *parts, int n);

/* Subcommands. */
int ctl_cmd_module(struct ctl *c, int argc, char **argv);
int ctl_cmd_status(struct ctl *c, int argc, char **argv);
int ctl_cmd_config(struct ctl *c, int argc, char **argv);
int ctl_config_set(struct ctl *c, int argc, char **argv);
int ctl_config_unset(struct ctl *c, int argc, char **argv);
int ctl_cmd_members(struct ctl *c, int argc, char **argv);
int ctl_cmd_send(struct ctl *c, int argc, char **argv);
int ctl_cmd_monitor(struct ctl *c, int argc, char **argv);
int ctl_cmd_help(struct ctl *c, int argc, char **argv);

#endif
