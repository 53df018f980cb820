/*
 * set_config (CONFIG.md section 2): merge the changes, validate every
 * merged result before contacting anybody, then offer each module its new
 * values one at a time, store, answer. All or nothing: when a module
 * refuses, or the file cannot be written, every module already told gets
 * its old values back and nothing is committed.
 *
 * One set_config runs at a time, as a small state machine driven by the
 * answers to its config_update calls (cc_call_async); the others wait in
 * a FIFO with a cap. Committed values change only in set_commit(), so
 * every other command, answered at once, sees the committed state.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgmgr.h"
#include "log.h"
#include "xmalloc.h"

/* One module's part of a set_config. */
struct cfgmgr_change {
	struct cfgmgr_module	*mod;
	json_t			*old;	/* committed values before */
	json_t			*new;	/* merged */
	bool			 sent;	/* config_update sent: roll it back */
};

/*
 * One outstanding config_update call. libcc calls back exactly once,
 * even at detach; a call given up (its module went away) is marked and
 * its callback then only frees it.
 */
struct cfgmgr_call {
	struct cfgmgr	*cm;
	bool		 abandoned;
};

struct cfgmgr_set {
	struct cc_msg		*msg;		/* the command, a reference */
	struct cfgmgr_change	*changes;
	size_t			 n;
	size_t			 next;		/* the change being offered */
	struct cfgmgr_call	*call;		/* waited for, or NULL */
};

static void set_step(struct cfgmgr *);

json_t *
cfgmgr_merge(const json_t *values, const json_t *changes)
{
	json_t *merged = json_deep_copy(values), *v;
	const char *key;

	if (merged == NULL)
		fatalx("out of memory");
	json_object_foreach((json_t *)changes, key, v) {
		if (json_is_null(v))
			json_object_del(merged, key);
		else
			json_object_set_new(merged, key, json_deep_copy(v));
	}
	return merged;
}

static void
set_free(struct cfgmgr_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++) {
		json_decref(set->changes[i].old);
		json_decref(set->changes[i].new);
	}
	free(set->changes);
	cc_msg_unref(set->msg);
	free(set);
}

/*
 * Merge and validate one module's changes into set. 0, or -1 with the
 * answer's text in err.
 */
static int
set_add(struct cfgmgr *cm, struct cfgmgr_set *set, const char *name,
    const json_t *changes, char *err, size_t errlen)
{
	struct cfgmgr_module *m = cfgmgr_module_find(&cm->modules, name);
	struct cfgmgr_change *ch;
	json_t *full;
	double t;
	int r;

	if (m == NULL || m->spec == NULL) {
		snprintf(err, errlen, "Unknown module: %s", name);
		return -1;
	}
	if (!json_is_object(changes)) {
		snprintf(err, errlen, "set_config: changes for %s should be a "
		    "map", name);
		return -1;
	}
	ch = &set->changes[set->n++];
	ch->mod = m;
	ch->old = json_incref(m->values);
	ch->new = cfgmgr_merge(m->values, changes);
	full = cc_spec_with_defaults(m->spec, ch->new);
	r = cc_spec_validate_config(m->spec, full, true, err, errlen);
	t = json_number_value(json_object_get(full, "answer_timeout"));
	if (r == CC_OK && strcmp(name, CFGMGR_MODULE) == 0 &&
	    (t <= 0 || t > CFGMGR_MAX_TIMEOUT)) {
		snprintf(err, errlen, "%s/answer_timeout should be greater "
		    "than 0 and at most %d", CFGMGR_MODULE, CFGMGR_MAX_TIMEOUT);
		r = CC_EINVAL;
	}
	json_decref(full);
	return r == CC_OK ? 0 : -1;
}

/* The changes of args, [M, {changes}] or [{M: {changes}, ...}], each
 * validated. NULL with err when anything is wrong. */
static struct cfgmgr_set *
set_prepare(struct cfgmgr *cm, const json_t *args, char *err, size_t errlen)
{
	struct cfgmgr_set *set = xcalloc(1, sizeof(*set));
	const json_t *first = json_array_get(args, 0), *v;
	const char *name;
	size_t n = json_array_size(args);

	if (n == 2 && json_is_string(first)) {
		set->changes = xcalloc(1, sizeof(*set->changes));
		if (set_add(cm, set, json_string_value(first),
		    json_array_get(args, 1), err, errlen) == 0)
			return set;
	} else if (n == 1 && json_is_object(first)) {
		set->changes = xcalloc(json_object_size(first) + 1,
		    sizeof(*set->changes));
		json_object_foreach((json_t *)first, name, v)
			if (set_add(cm, set, name, v, err, errlen) == -1)
				goto fail;
		return set;
	} else if (n == 2)
		snprintf(err, errlen, "set_config: the module name should be "
		    "a string");
	else if (n == 1)
		snprintf(err, errlen, "set_config: the argument should be a "
		    "map of module names to changes");
	else
		snprintf(err, errlen, "Wrong number of arguments");
fail:
	set_free(set);
	return NULL;
}

/* Send {"command": ["config_update", values]} to mod's group, not
 * waiting for any answer. */
static void
send_update(struct cfgmgr *cm, struct cfgmgr_module *mod, json_t *values)
{
	json_t *cmd = cc_command_new("config_update", values);

	if (cmd == NULL)
		fatalx("out of memory");
	if (cc_send(cm->session, mod->name, NULL, NULL, cmd, 0, NULL) !=
	    CC_OK)
		log_warnx("cannot send config_update to %s: %s", mod->name,
		    cc_session_error(cm->session));
	json_decref(cmd);
}

/* Answer the set_config in progress and forget it. */
static void
set_finish(struct cfgmgr *cm, json_t *answer)
{
	cfgmgr_reply(cm, cm->set->msg, answer);
	set_free(cm->set);
	cm->set = NULL;
}

/* Give every module already told its old values back, then answer. */
static void
set_fail(struct cfgmgr *cm, const char *who, const char *why)
{
	struct cfgmgr_set *set = cm->set;

	log_warnx("set_config refused: %s: %s", who, why);
	for (size_t i = 0; i < set->n; i++)
		if (set->changes[i].sent)
			send_update(cm, set->changes[i].mod,
			    set->changes[i].old);
	set_finish(cm, cc_answer_error(1, "%s: %s", who, why));
}

/* Every module accepted: store, then commit and answer. */
static void
set_commit(struct cfgmgr *cm)
{
	struct cfgmgr_set *set = cm->set;
	struct cfgmgr_change *ch;
	char err[CFGMGR_ERRLEN];
	json_t *all = cfgmgr_modules_stored(&cm->modules);

	for (size_t i = 0; i < set->n; i++) {
		ch = &set->changes[i];
		if (json_object_size(ch->new) > 0)
			json_object_set(all, ch->mod->name, ch->new);
		else
			json_object_del(all, ch->mod->name);
	}
	if (set->n > 0 && cfgmgr_store_save(cm->path, all, err,
	    sizeof(err)) == -1) {
		json_decref(all);
		set_fail(cm, "cannot store the configuration", err);
		return;
	}
	json_decref(all);
	for (size_t i = 0; i < set->n; i++) {
		ch = &set->changes[i];
		cfgmgr_module_set_values(ch->mod, ch->new);
		log_info("configuration of %s updated", ch->mod->name);
	}
	set_finish(cm, cc_answer_new(0, NULL));
}

/* Start the set_configs waiting, until one must wait for a module. */
static void
set_run(struct cfgmgr *cm)
{
	struct cfgmgr_pending *p;
	struct cfgmgr_set *set;
	char err[CFGMGR_ERRLEN];
	const char *name;
	json_t *body, *args;

	/* Not while msgq is away: no module could be asked. */
	while (cm->set == NULL && !cm->quitting &&
	    cc_session_connected(cm->session) &&
	    (p = TAILQ_FIRST(&cm->pending)) != NULL) {
		TAILQ_REMOVE(&cm->pending, p, entry);
		cm->npending--;
		/* Queued only after cfgmgr.c parsed it as a command. */
		if (cc_msg_body(p->msg, &body, NULL, 0) != CC_OK ||
		    cc_command_parse(body, &name, &args) != CC_OK)
			fatalx("a queued set_config is not a command");
		if ((set = set_prepare(cm, args, err, sizeof(err))) == NULL)
			cfgmgr_reply(cm, p->msg, cc_answer_error(1, "%s", err));
		else {
			set->msg = cc_msg_ref(p->msg);
			cm->set = set;
			set_step(cm);
		}
		cc_msg_unref(p->msg);
		free(p);
	}
}

void
cfgmgr_set_submit(struct cfgmgr *cm, struct cc_msg *msg)
{
	struct cfgmgr_pending *p;

	if (cm->npending >= CFGMGR_SET_QUEUE_MAX) {
		log_warnx("set_config from %s refused: %d waiting already",
		    cc_msg_from(msg) != NULL ? cc_msg_from(msg) : "(no sender)",
		    CFGMGR_SET_QUEUE_MAX);
		cfgmgr_reply(cm, msg, cc_answer_error(1, "set_config queue "
		    "full"));
		return;
	}
	p = xcalloc(1, sizeof(*p));
	p->msg = cc_msg_ref(msg);
	TAILQ_INSERT_TAIL(&cm->pending, p, entry);
	cm->npending++;
	set_run(cm);
}

/* The answer (or its absence) to the config_update of the current change. */
static void
update_cb(struct cc_session *s, int status, struct cc_msg *answer,
    void *arg)
{
	struct cfgmgr_call *call = arg;
	struct cfgmgr *cm = call->cm;
	struct cfgmgr_change *ch;
	char why[64];
	bool abandoned = call->abandoned;

	free(call);
	if (abandoned)
		return;
	cm->set->call = NULL;
	if (cm->quitting)
		return;
	ch = &cm->set->changes[cm->set->next];
	if (status == CC_OK || status == CC_ENORECIPIENT) {
		if (status == CC_ENORECIPIENT) {
			/* It went away without a word: not running. */
			log_info("module %s is not running", ch->mod->name);
			cfgmgr_module_set_running(ch->mod, NULL);
		}
		cm->set->next++;
		set_step(cm);
	} else if (status == CC_ETIMEDOUT) {
		snprintf(why, sizeof(why), "no answer within %g s",
		    cfgmgr_answer_timeout_ms(cm) / 1000.0);
		set_fail(cm, ch->mod->name, why);
	} else
		set_fail(cm, ch->mod->name, cc_session_error(s));
	set_run(cm);
}

/* Offer ch to its running module and wait: 0, or -1 if it cannot be
 * sent (the set has then failed). */
static int
offer(struct cfgmgr *cm, struct cfgmgr_change *ch)
{
	struct cfgmgr_call *call = xcalloc(1, sizeof(*call));
	json_t *cmd = cc_command_new("config_update", ch->new);
	int r;

	if (cmd == NULL)
		fatalx("out of memory");
	call->cm = cm;
	ch->sent = true;
	r = cc_call_async(cm->session, ch->mod->name, NULL, NULL, cmd,
	    cfgmgr_answer_timeout_ms(cm), update_cb, call);
	json_decref(cmd);
	if (r != CC_OK) {
		free(call);
		set_fail(cm, ch->mod->name,
		    cc_session_error(cm->session));
		return -1;
	}
	cm->set->call = call;
	return 0;
}

/* Go through the changes from the current one until one must wait. */
static void
set_step(struct cfgmgr *cm)
{
	struct cfgmgr_set *set = cm->set;
	struct cfgmgr_change *ch;

	for (; set->next < set->n; set->next++) {
		ch = &set->changes[set->next];
		/* cfgmgr's own values take effect at commit. */
		if (strcmp(ch->mod->name, CFGMGR_MODULE) == 0)
			continue;
		if (ch->mod->lname != NULL) {
			(void)offer(cm, ch);
			return;
		}
		/* Not running: stored for its start; followers learn it. */
		send_update(cm, ch->mod, ch->new);
		ch->sent = true;
	}
	set_commit(cm);
}

void
cfgmgr_set_module_gone(struct cfgmgr *cm, struct cfgmgr_module *mod)
{
	struct cfgmgr_set *set = cm->set;

	if (set == NULL || set->call == NULL ||
	    set->changes[set->next].mod != mod)
		return;
	log_info("module %s went away before answering config_update",
	    mod->name);
	set->call->abandoned = true;
	set->call = NULL;
	set->next++;
	set_step(cm);
	set_run(cm);
}

static void
pending_free(struct cfgmgr *cm)
{
	struct cfgmgr_pending *p;

	while ((p = TAILQ_FIRST(&cm->pending)) != NULL) {
		TAILQ_REMOVE(&cm->pending, p, entry);
		cc_msg_unref(p->msg);
		free(p);
	}
	cm->npending = 0;
}

void
cfgmgr_set_drop_pending(struct cfgmgr *cm)
{
	if (cm->npending > 0)
		log_warnx("%zu waiting set_config commands dropped "
		    "unanswered: their senders left with msgq", cm->npending);
	pending_free(cm);
}

void
cfgmgr_set_clear(struct cfgmgr *cm)
{
	if (cm->set != NULL && cm->set->call != NULL)
		cm->set->call->abandoned = true;
	set_free(cm->set);
	cm->set = NULL;
	pending_free(cm);
}
