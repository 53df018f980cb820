/*
 * `ccbusctl help [MODULE|SUBCOMMAND]`: the usage, then every module's
 * commands with their arguments and descriptions, from the specs the
 * config manager holds, so a module that is not running is listed too.
 * Without a suite the spec files are read instead (cc_spec_dir()).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const char *
str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "";
}

static void
help_module_brief(const json_t *spec)
{
	const json_t *cmd;
	char line[512], *syn;
	size_t i;

	printf("  %s%s%s\n", str(spec, "module_name"),
	    *str(spec, "module_description") != '\0' ? ": " : "",
	    str(spec, "module_description"));
	json_array_foreach(json_object_get(spec, "commands"), i, cmd) {
		syn = ctl_arg_synopsis(cmd);
		snprintf(line, sizeof(line), "%s%s%s", str(cmd,
		    "command_name"), syn != NULL && *syn != '\0' ? " " : "",
		    syn != NULL ? syn : "");
		free(syn);
		printf("    ");
		if (strlen(line) >= 30)
			printf("%s\n%34s", line, "");
		else
			ctl_pad(stdout, line, 30);
		printf("%s\n", str(cmd, "command_description"));
	}
}

static int
help_all(struct ctl *c)
{
	json_t *out;
	const char **list;
	const char *k;
	json_t *spec;

	if (c->json) {
		out = json_object();
		json_object_foreach(c->specs, k, spec)
			json_object_set(out, k, json_object_get(spec,
			    "commands"));
		ctl_print_json(out);
		json_decref(out);
		return CTL_OK;
	}
	ctl_usage(stdout);
	if (c->specs_offline)
		printf("\nModules (from the spec files in %s: no suite "
		    "answers on %s):\n", cc_spec_dir(), c->sockpath);
	else
		printf("\nModules and their commands (`%s MODULE COMMAND "
		    "ARGS`):\n", CTL_PROGNAME);
	if ((list = ctl_module_list(c)) == NULL)
		return ctl_fail(CTL_ERROR, "out of memory");
	for (const char **m = list; *m != NULL; m++)
		help_module_brief(json_object_get(c->specs, *m));
	free(list);
	printf("\n`%s help MODULE` shows a module's commands in full.\n",
	    CTL_PROGNAME);
	return CTL_OK;
}

static int
help_module(struct ctl *c, const json_t *spec)
{
	const json_t *cmd;
	size_t i;

	if (c->json) {
		ctl_print_json(json_object_get(spec, "commands"));
		return CTL_OK;
	}
	printf("%s%s%s\n", str(spec, "module_name"),
	    *str(spec, "module_description") != '\0' ? ": " : "",
	    str(spec, "module_description"));
	json_array_foreach(json_object_get(spec, "commands"), i, cmd) {
		putchar('\n');
		ctl_command_usage(stdout, str(spec, "module_name"), cmd);
	}
	if (json_array_size(json_object_get(spec, "commands")) == 0)
		printf("  (no commands)\n");
	printf("\nIts configuration: `%s config spec %s`.\n", CTL_PROGNAME,
	    str(spec, "module_name"));
	return CTL_OK;
}

/* help SUBCOMMAND: its lines of the usage. */
static void
help_subcommand(const char *name)
{
	for (const struct ctl_cmd *t = ctl_cmd_table(); t->name != NULL; t++)
		if (strcmp(t->name, name) == 0)
			printf("usage: %s %s\n  %s\n", CTL_PROGNAME, t->synopsis,
			    t->summary);
}

int
ctl_cmd_help(struct ctl *c, int argc, char **argv)
{
	const json_t *spec;
	int r;

	if (argc > 1)
		return ctl_fail(CTL_USAGE, "usage: %s help [MODULE|SUBCOMMAND]",
		    CTL_PROGNAME);
	if (argc == 1 && ctl_cmd_find(argv[0]) != NULL && !c->json) {
		help_subcommand(argv[0]);
		return CTL_OK;
	}
	if ((r = ctl_specs(c, true)) != CTL_OK && argc == 0 && !c->json) {
		/* Without modules the usage is still worth having. */
		ctl_usage(stdout);
		return CTL_OK;
	}
	if (r != CTL_OK)
		return r;
	if (argc == 0)
		return help_all(c);
	if ((r = ctl_module_resolve(c, argv[0], &spec)) != CTL_OK)
		return r;
	return help_module(c, spec);
}
