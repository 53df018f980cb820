/*
 * The stats module's commands, dispatched by name from a table: show,
 * show_status and show_statistics_spec (one module's entry, or all of
 * them), getstats (the module's own statistics) and collect, whose answer
 * is deferred (cc_module_defer()) until a round started after the command
 * has ended.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cc/cc.h>

#include "stats.h"

/* map's entry for args' "module", or all of map without one. */
static json_t *
show_from(struct stats *st, const json_t *map, const json_t *args)
{
	const char *module = json_string_value(json_object_get(args,
	    "module"));
	const json_t *v = module != NULL ? json_object_get(map, module) : map;
	const char *why;

	if (v != NULL)
		return cc_answer_new(0, v);
	why = json_string_value(json_object_get(json_object_get(st->status,
	    module), "error"));
	if (why != NULL)
		return cc_answer_error(1, "no statistics for module %s: %s",
		    module, why);
	return cc_answer_error(1, "no statistics for module %s", module);
}

static json_t *
cmd_show(struct stats *st, const json_t *args)
{
	return show_from(st, st->figures, args);
}

static json_t *
cmd_show_status(struct stats *st, const json_t *args)
{
	return show_from(st, st->status, args);
}

static json_t *
cmd_show_statistics_spec(struct stats *st, const json_t *args)
{
	return show_from(st, st->spec, args);
}

/* Answered at the end of a round (stats_collect.c) that starts after
 * this command, so that the figures include whatever happened before it
 * was sent. */
static json_t *
cmd_collect(struct stats *st, const json_t *args)
{
	struct waiter *w = calloc(1, sizeof(*w));

	if (w == NULL || (w->d = cc_module_defer(st->m)) == NULL) {
		free(w);
		return cc_answer_error(1, "cannot defer the answer");
	}
	TAILQ_INSERT_TAIL(&st->next, w, entry);
	if (st->round == NULL)
		stats_kick(st);
	return NULL;	/* nothing now */
}

static json_t *
cmd_getstats(struct stats *st, const json_t *args)
{
	json_t *figures = stats_own_figures(st);
	json_t *answer = cc_answer_new(0, figures);

	json_decref(figures);
	return answer;
}

static const struct {
	const char *name;
	json_t *(*fn)(struct stats *, const json_t *);
} commands[] = {
	{ "show",			cmd_show },
	{ "show_status",		cmd_show_status },
	{ "show_statistics_spec",	cmd_show_statistics_spec },
	{ "collect",			cmd_collect },
	{ "getstats",			cmd_getstats },
};

json_t *
stats_command_cb(struct cc_module *m, const char *name, const json_t *args,
    void *arg)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return commands[i].fn(arg, args);
	return cc_answer_error(1, "Unknown command: %s", name);
}
