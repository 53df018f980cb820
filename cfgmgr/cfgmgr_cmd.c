/*
 * The commands of group ConfigManager (CONFIG.md section 2), dispatched
 * through a table. Every handler borrows the message and its arguments;
 * all but set_config answer at once from the committed state, even while
 * a set_config is in progress (cfgmgr_set.c).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cfgmgr.h"
#include "log.h"

typedef void (*cfgmgr_cmd_fn)(struct cfgmgr *, struct cc_msg *,
    const json_t *);

void
cfgmgr_reply(struct cfgmgr *cm, struct cc_msg *msg, json_t *answer)
{
	int r;

	if (answer == NULL)
		fatalx("out of memory");
	if ((r = cc_reply(cm->session, msg, answer)) != CC_OK)
		log_warnx("cannot answer %s: %s",
		    cc_msg_from(msg) != NULL ? cc_msg_from(msg) : "(no sender)",
		    cc_session_error(cm->session));
	json_decref(answer);
}

/* args NULL or json null: no arguments. */
static bool
no_args(const json_t *args)
{
	return args == NULL || json_is_null(args);
}

/*
 * The module named by {"module_name": M}: 1 with *name set, 0 when args
 * name none (all modules), -1 when they are not of that shape.
 */
static int
module_arg(const json_t *args, const char **name)
{
	const json_t *v;

	*name = NULL;
	if (no_args(args))
		return 0;
	if (!json_is_object(args))
		return -1;
	if ((v = json_object_get(args, "module_name")) == NULL)
		return 0;
	if (!json_is_string(v))
		return -1;
	*name = json_string_value(v);
	return 1;
}

static void
cmd_module_spec(struct cfgmgr *cm, struct cc_msg *msg, const json_t *args)
{
	struct cfgmgr_module *m;
	struct cc_spec *spec;
	char err[CFGMGR_ERRLEN];
	const char *name, *from = cc_msg_from(msg);

	if (!json_is_object(args)) {
		cfgmgr_reply(cm, msg, cc_answer_error(1, "Error in data "
		    "definition: the spec is not a map"));
		return;
	}
	if (cc_spec_from_json(args, &spec, err, sizeof(err)) != CC_OK) {
		cfgmgr_reply(cm, msg, cc_answer_error(1, "Error in data "
		    "definition: %s", err));
		return;
	}
	name = cc_spec_module_name(spec);
	/* "version" would collide with the file's version key; the
	 * ConfigManager spec is cfgmgr's own. */
	if (strcmp(name, "version") == 0 || strcmp(name, CFGMGR_MODULE) == 0) {
		cfgmgr_reply(cm, msg, cc_answer_error(1, "Error in data "
		    "definition: module name %s is reserved", name));
		cc_spec_free(spec);
		return;
	}
	m = cfgmgr_module_get(&cm->modules, name);
	cfgmgr_module_set_spec(m, spec);
	cfgmgr_module_set_running(m, from);
	log_info("module %s registered by %s", m->name, from != NULL ? from :
	    "(no sender)");
	cfgmgr_reply(cm, msg, cc_answer_new(0, NULL));
}

static void
cmd_stopping(struct cfgmgr *cm, struct cc_msg *msg, const json_t *args)
{
	struct cfgmgr_module *m;
	const char *name, *from = cc_msg_from(msg);

	if (module_arg(args, &name) != 1 ||
	    (m = cfgmgr_module_find(&cm->modules, name)) == NULL ||
	    m->lname == NULL)
		return;
	/* Only the registered process may say it stops: a late stopping
	 * from an earlier instance must not hide a running one. */
	if (from == NULL || strcmp(from, m->lname) != 0) {
		log_debug("stopping for %s from %s ignored: registered by %s",
		    name, from != NULL ? from : "(no sender)", m->lname);
		return;
	}
	log_info("module %s stopping", name);
	cfgmgr_module_set_running(m, NULL);
	cfgmgr_set_module_gone(cm, m);
}

static void
cmd_get_module_spec(struct cfgmgr *cm, struct cc_msg *msg,
    const json_t *args)
{
	struct cfgmgr_module *m;
	const char *name;
	json_t *v;

	switch (module_arg(args, &name)) {
	case 0:
		v = cfgmgr_modules_spec_map(&cm->modules, cc_spec_json);
		break;
	case 1:
		m = cfgmgr_module_find(&cm->modules, name);
		v = m != NULL && m->spec != NULL ?
		    json_deep_copy(cc_spec_json(m->spec)) : json_object();
		break;
	default:
		cfgmgr_reply(cm, msg, cc_answer_error(1, "Bad module_name in "
		    "get_module_spec command"));
		return;
	}
	cfgmgr_reply(cm, msg, cc_answer_new(0, v));
	json_decref(v);
}

static void
cmd_get_config(struct cfgmgr *cm, struct cc_msg *msg, const json_t *args)
{
	struct cfgmgr_module *m;
	const char *name;
	json_t *v;

	switch (module_arg(args, &name)) {
	case 0:
		v = cfgmgr_modules_stored(&cm->modules);
		break;
	case 1:
		m = cfgmgr_module_find(&cm->modules, name);
		v = m != NULL ? json_incref(m->values) : json_object();
		break;
	default:
		cfgmgr_reply(cm, msg, cc_answer_error(1, "Bad module_name in "
		    "get_config command"));
		return;
	}
	cfgmgr_reply(cm, msg, cc_answer_new(0, v));
	json_decref(v);
}

static void
cmd_get_commands_spec(struct cfgmgr *cm, struct cc_msg *msg,
    const json_t *args)
{
	json_t *v = cfgmgr_modules_spec_map(&cm->modules, cc_spec_commands);

	cfgmgr_reply(cm, msg, cc_answer_new(0, v));
	json_decref(v);
}

static void
cmd_get_statistics_spec(struct cfgmgr *cm, struct cc_msg *msg,
    const json_t *args)
{
	json_t *v = cfgmgr_modules_spec_map(&cm->modules,
	    cc_spec_statistics);

	cfgmgr_reply(cm, msg, cc_answer_new(0, v));
	json_decref(v);
}

static void
cmd_set_config(struct cfgmgr *cm, struct cc_msg *msg, const json_t *args)
{
	cfgmgr_set_submit(cm, msg);
}

static void
cmd_shutdown(struct cfgmgr *cm, struct cc_msg *msg, const json_t *args)
{
	const json_t *pid = json_object_get(args, "pid");

	if (!no_args(args) && (!json_is_object(args) ||
	    (pid != NULL && !json_is_integer(pid)))) {
		cfgmgr_reply(cm, msg, cc_answer_error(1, "Bad pid in shutdown "
		    "command"));
		return;
	}
	/* The boss sends every component's shutdown with its pid: one
	 * meant for another process is not ours to answer. */
	if (pid != NULL && json_integer_value(pid) != (json_int_t)getpid()) {
		log_debug("shutdown for pid %lld ignored",
		    (long long)json_integer_value(pid));
		return;
	}
	cfgmgr_reply(cm, msg, cc_answer_new(0, NULL));
	cfgmgr_stop(cm, 0, "shutdown command");
}

static const struct {
	const char	*name;
	cfgmgr_cmd_fn	 fn;
} cmds[] = {
	{ "module_spec",		cmd_module_spec },
	{ "stopping",			cmd_stopping },
	{ "get_module_spec",		cmd_get_module_spec },
	{ "get_config",			cmd_get_config },
	{ "get_commands_spec",		cmd_get_commands_spec },
	{ "get_statistics_spec",	cmd_get_statistics_spec },
	{ "set_config",			cmd_set_config },
	{ "shutdown",			cmd_shutdown },
};

void
cfgmgr_cmd_dispatch(struct cfgmgr *cm, struct cc_msg *msg, const char *name,
    const json_t *args)
{
	log_debug("command %s from %s", name, cc_msg_from(msg) != NULL ?
	    cc_msg_from(msg) : "(no sender)");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmds[i].name, name) == 0) {
			cmds[i].fn(cm, msg, args);
			return;
		}
	cfgmgr_reply(cm, msg, cc_answer_error(1, "Unknown command: %s", name));
}
