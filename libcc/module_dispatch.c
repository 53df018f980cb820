/*
 * The module's session callbacks (CONFIG.md 3, steps 4 to 7). Messages
 * are dispatched by group: the module's own group carries commands for
 * it, every one of them answered (PROTOCOL.md 7); the group of a followed
 * module carries that module's config_updates, watched and never answered
 * (the module itself answers them); notifications/<topic> carries
 * notifications. Anything else, and every answer, is not the module
 * layer's business.
 *
 * The session owns each message: the handlers here borrow it for the
 * call. config_update and shutdown are libcc's own commands (a table);
 * every other command is the spec's, checked before the user sees it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cc/error.h"
#include "cc/message.h"
#include "cc/session.h"
#include "cc/spec.h"
#include "module-internal.h"
#include "spec-internal.h"

typedef json_t *(*own_command_fn)(struct cc_module *, struct cc_msg *,
    const json_t *);

static json_t *cmd_config_update(struct cc_module *, struct cc_msg *,
    const json_t *);
static json_t *cmd_shutdown(struct cc_module *, struct cc_msg *,
    const json_t *);

static const struct {
	const char	*name;
	own_command_fn	 fn;
} own_commands[] = {
	{ "config_update",	cmd_config_update },
	{ "shutdown",		cmd_shutdown },
};

/*
 * Does answer (a handler's, may be NULL) refuse? *why then says why. An
 * answer that is not {"result": [rcode, ...]} refuses: libcc cannot pass
 * it on.
 */
bool
libcc_answer_refuses(const json_t *answer, const char **why)
{
	json_t *value;
	int rcode;

	*why = NULL;
	if (answer == NULL)
		return false;
	if (cc_answer_parse(answer, &rcode, &value) != CC_OK) {
		*why = "the handler gave no valid answer";
		return true;
	}
	if (rcode == 0)
		return false;
	*why = value != NULL ? json_string_value(value) : "(no reason given)";
	return true;
}

static void
module_reply(struct cc_module *m, struct cc_msg *msg, const json_t *answer)
{
	const char *from = cc_msg_from(msg);
	int r;

	if (answer == NULL)
		return;
	if ((r = cc_reply(m->session, msg, answer)) != CC_OK)
		libcc_module_seterr(m, r, "%s: cannot answer %s: %s",
		    cc_spec_module_name(m->spec), from != NULL ? from :
		    "(no sender)", cc_session_error(m->session));
}

static json_t *
cmd_config_update(struct cc_module *m, struct cc_msg *msg,
    const json_t *args)
{
	/* Newer than a get_config asked for before it (module_reconnect.c). */
	m->updates++;
	return libcc_module_config_update(m, args);
}

/* Answered [0] before `stopping`: the boss waits for the answer. */
static json_t *
cmd_shutdown(struct cc_module *m, struct cc_msg *msg, const json_t *args)
{
	json_t *pid = json_object_get(args, "pid"), *ok;

	if (pid != NULL && !json_is_integer(pid))
		return cc_answer_error(1, "shutdown: pid should be an "
		    "integer");
	/* For another process of the same module: not ours to answer. */
	if (pid != NULL && json_integer_value(pid) != (json_int_t)getpid())
		return NULL;
	ok = cc_answer_new(0, NULL);
	module_reply(m, msg, ok);
	json_decref(ok);
	if (!m->stopping_sent)
		(void)libcc_module_send_stopping(m);
	libcc_module_shutdown(m);
	return NULL;
}

/* args with the defaults of the command's arguments filled in. */
static json_t *
command_defaults(const struct cc_spec *spec, const char *name,
    const json_t *args)
{
	const json_t *cmd;
	size_t i;

	json_array_foreach(cc_spec_commands(spec), i, cmd) {
		if (strcmp(json_string_value(json_object_get(cmd,
		    "command_name")), name) == 0)
			return libcc_spec_fill_defaults(json_object_get(cmd,
			    "command_args"), args);
	}
	return NULL;
}

static json_t *
cmd_spec(struct cc_module *m, const char *name, const json_t *args)
{
	json_t *full, *value, *answer = NULL;
	char err[512];
	int rcode;

	if (!cc_spec_has_command(m->spec, name))
		return cc_answer_error(1, "Unknown command: %s", name);
	if (cc_spec_validate_command(m->spec, name, args, err, sizeof(err)) !=
	    CC_OK)
		return cc_answer_error(1, "%s", err);
	if ((full = command_defaults(m->spec, name, args)) == NULL)
		return cc_answer_error(1, "%s: out of memory", name);
	if (m->command_cb != NULL)
		answer = m->command_cb(m, name, full, m->arg);
	json_decref(full);
	if (answer == NULL)
		return cc_answer_new(0, NULL);
	/* Never put a body on the bus that breaks PROTOCOL.md 7. */
	if (cc_answer_parse(answer, &rcode, &value) != CC_OK) {
		json_decref(answer);
		return cc_answer_error(1, "%s: the handler gave no valid "
		    "answer", name);
	}
	return answer;
}

static void
own_command(struct cc_module *m, struct cc_msg *msg, const json_t *body)
{
	const char *name;
	json_t *args, *answer = NULL;
	size_t i;

	/* Only a command is owed an answer; other bodies are data. */
	if (cc_command_parse(body, &name, &args) != CC_OK)
		return;
	for (i = 0; i < sizeof(own_commands) / sizeof(own_commands[0]); i++)
		if (strcmp(name, own_commands[i].name) == 0)
			break;
	if (i < sizeof(own_commands) / sizeof(own_commands[0]))
		answer = own_commands[i].fn(m, msg, args);
	else {
		m->current = msg;
		m->deferred = false;
		answer = cmd_spec(m, name, args);
		m->current = NULL;
	}
	/* A deferred command is answered by cc_module_answer(). */
	if (!m->deferred)
		module_reply(m, msg, answer);
	m->deferred = false;
	json_decref(answer);
}

struct cc_deferred {
	struct cc_msg	*msg;		/* the command, a reference */
};

struct cc_deferred *
cc_module_defer(struct cc_module *m)
{
	struct cc_deferred *d;

	if (m->current == NULL || (d = malloc(sizeof(*d))) == NULL)
		return NULL;
	d->msg = cc_msg_ref(m->current);
	m->deferred = true;
	return d;
}

int
cc_module_answer(struct cc_module *m, struct cc_deferred *d,
    const json_t *answer)
{
	json_t *ok = NULL;
	int r = CC_OK;

	if (d == NULL)
		return CC_EINVAL;
	if (m->state == LIBCC_MODULE_RUNNING && m->session != NULL) {
		if (answer == NULL)
			answer = ok = cc_answer_new(0, NULL);
		r = answer != NULL ? cc_reply(m->session, d->msg, answer) :
		    CC_ENOMEM;
		json_decref(ok);
	}
	cc_msg_unref(d->msg);
	free(d);
	return r;
}

/* Commands to a followed module are the real module's to answer. */
static void
remote_command(struct cc_module *m, struct libcc_remote *rm,
    const json_t *body)
{
	const char *name;
	json_t *args;

	if (cc_command_parse(body, &name, &args) == CC_OK &&
	    strcmp(name, "config_update") == 0 && json_is_object(args))
		libcc_remote_update(m, rm, args);
}

/*
 * A body to the module's group that does not decode (not msgpack, or
 * beyond the codec's limits): a sender waiting for an answer gets one
 * that says why, instead of its timeout. Others are dropped.
 */
static void
undecodable(struct cc_module *m, struct cc_msg *msg, const char *group,
    const char *why)
{
	json_t *answer;

	if (strcmp(group, cc_spec_module_name(m->spec)) != 0 ||
	    !cc_msg_want_answer(msg))
		return;
	answer = cc_answer_error(1, "%s: the body cannot be decoded: %s",
	    group, why);
	module_reply(m, msg, answer);
	json_decref(answer);
}

void
libcc_module_msg_cb(struct cc_session *s, struct cc_msg *msg, void *arg)
{
	struct cc_module *m = arg;
	const char *group = cc_msg_group(msg);
	struct libcc_remote *rm;
	char why[256];
	json_t *body;

	/* Answers belong to the calls that wait for them. */
	if (m->state != LIBCC_MODULE_RUNNING || m->stop_pending ||
	    group == NULL || cc_msg_is_answer(msg))
		return;
	if (cc_msg_body(msg, &body, why, sizeof(why)) != CC_OK) {
		undecodable(m, msg, group, why);
		return;
	}
	libcc_module_enter(m);
	if (strcmp(group, cc_spec_module_name(m->spec)) == 0)
		own_command(m, msg, body);
	else if ((rm = libcc_remote_find(m, group)) != NULL)
		remote_command(m, rm, body);
	else if (strncmp(group, LIBCC_NOTIFY_PREFIX,
	    strlen(LIBCC_NOTIFY_PREFIX)) == 0)
		(void)libcc_topic_dispatch(m, group, body);
	libcc_module_leave(m);
}

/*
 * The session is closed by now and reconnects on its own; the module goes
 * on (module_reconnect.c registers it again). The loss is only recorded:
 * cc_module_status() stays CC_OK, as the module has not left the bus.
 */
void
libcc_module_err_cb(struct cc_session *s, int status, void *arg)
{
	struct cc_module *m = arg;

	if (m->state != LIBCC_MODULE_RUNNING)
		return;
	libcc_refetches_clear(m);
	m->registered = false;
	libcc_module_seterr(m, status, "%s: lost the connection to msgq: %s; "
	    "reconnecting", cc_spec_module_name(m->spec), cc_session_error(s));
}
