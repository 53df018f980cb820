/*
 * `ccbusctl MODULE COMMAND [ARGS]`: a command to a module. The module's
 * spec (from the config manager) says which commands exist and what
 * their arguments are; nothing is sent until the arguments pass it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* "unknown command C of M; commands: a, b" */
static int
unknown_command(const json_t *spec, const char *module, const char *name)
{
	const json_t *cmds = json_object_get(spec, "commands");
	const char **v = calloc(json_array_size(cmds) + 1, sizeof(*v));
	char *list = NULL;
	size_t i;

	if (v != NULL) {
		for (i = 0; i < json_array_size(cmds); i++)
			v[i] = json_string_value(json_object_get(
			    json_array_get(cmds, i), "command_name"));
		list = ctl_join(v);
	}
	free(v);
	if (list == NULL)
		return ctl_fail(CTL_ERROR, "out of memory");
	ctl_warnx("unknown command %s of %s; commands: %s", name, module,
	    *list != '\0' ? list : "(none)");
	free(list);
	return CTL_ERROR;
}

/* For a mistyped subcommand: the subcommands, each once. */
static void
own_commands_hint(void)
{
	const struct ctl_cmd *t = ctl_cmd_table();

	fprintf(stderr, "%s: or a command of %s itself:", CTL_PROGNAME,
	    CTL_PROGNAME);
	for (int i = 0; t[i].name != NULL; i++)
		if (i == 0 || strcmp(t[i].name, t[i - 1].name) != 0)
			fprintf(stderr, "%s %s", i > 0 ? "," : "", t[i].name);
	fprintf(stderr, " (`%s help`)\n", CTL_PROGNAME);
}

int
ctl_cmd_module(struct ctl *c, int argc, char **argv)
{
	const json_t *spec, *cmd;
	const char *module;
	json_t *args, *value;
	int r;

	if (argv[0][0] == '-')
		return ctl_fail(CTL_USAGE, "unknown option %s (options come "
		    "before the command; see `%s -h`)", argv[0],
		    CTL_PROGNAME);
	if ((r = ctl_module_resolve(c, argv[0], &spec)) != CTL_OK) {
		if (c->specs != NULL)	/* the specs came: not a module */
			own_commands_hint();
		return r;
	}
	module = json_string_value(json_object_get(spec, "module_name"));
	if (argc < 2) {
		ctl_warnx("%s: which command? (`%s help %s` lists them)",
		    module, CTL_PROGNAME, module);
		return CTL_USAGE;
	}
	if ((cmd = ctl_command_find(spec, argv[1])) == NULL)
		return unknown_command(spec, module, argv[1]);
	if ((r = ctl_args_parse(spec, cmd, argc - 2, argv + 2, &args)) !=
	    CTL_OK)
		return r;
	r = ctl_call(c, module, argv[1], args, &value);
	if (r == CTL_OK)
		ctl_print_value(c, value);
	json_decref(args);
	json_decref(value);
	return r;
}
