/*
 * msgq as a configured module (PROTOCOL.md section 9, CONFIG.md 2 and 3).
 *
 * At start msgq loads specs/msgq.spec and encodes its three commands to
 * the config manager once (module_spec, get_config, stopping): no json_t
 * is built after start-up. Whenever group ConfigManager goes from no live
 * member to one (a config manager starts, or a new one after the old one
 * left), msgq sends module_spec and get_config to it, as itself, and
 * waits for the answers: frames with reply, to "msgq", matched by seq and
 * accepted only from a member of ConfigManager. A missing or bad spec
 * costs only this: msgq then runs on its command-line settings.
 *
 * The configuration that get_config returns, and every config_update, is
 * msgq's full stored configuration: msgq_cfg_apply() gives each setting
 * its stored value, or its command-line value when none is stored.
 */
#include "config.h"

#include <sys/resource.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <cc/codec.h>
#include <cc/spec.h>

#include "log.h"
#include "msgq.h"

static const struct cc_strref msgq_cfgmgr = {
	MSGQ_CFGMGR_GROUP, sizeof(MSGQ_CFGMGR_GROUP) - 1
};

/* {"command": [name, args]} as msgpack into *buf (malloc'd). 0 or -1. */
static int
msgq_cfg_encode(const char *name, const json_t *args, char **buf,
    size_t *len, char *err, size_t errlen)
{
	json_t *cmd;
	int rc;

	cmd = json_pack("{s:[s,O]}", "command", name, (json_t *)args);
	if (cmd == NULL)
		fatalx("%s: out of memory", __func__);
	rc = cc_json_pack(cmd, buf, len, err, errlen);
	json_decref(cmd);
	if (rc == CC_ENOMEM)
		fatalx("%s: out of memory", __func__);
	return rc == CC_OK ? 0 : -1;
}

static int
msgq_cfg_encode_all(struct msgq_cfgmod *mod, const struct cc_spec *spec,
    char *err, size_t errlen)
{
	json_t *who;
	int rc;

	if ((who = json_pack("{s:s}", "module_name", MSGQ_GROUP)) == NULL)
		fatalx("%s: out of memory", __func__);
	rc = msgq_cfg_encode("module_spec", cc_spec_json(spec), &mod->spec_cmd,
	    &mod->spec_len, err, errlen);
	if (rc == 0)
		rc = msgq_cfg_encode("get_config", who, &mod->get_cmd,
		    &mod->get_len, err, errlen);
	if (rc == 0)
		rc = msgq_cfg_encode("stopping", who, &mod->stop_cmd,
		    &mod->stop_len, err, errlen);
	json_decref(who);
	return rc;
}

/*
 * Load specdir/msgq.spec and prepare the commands. Any problem is a
 * warning naming the file: msgq then never joins the configuration.
 */
void
msgq_cfg_load(struct msgq *m, const char *specdir)
{
	struct cc_spec *spec;
	char path[PATH_MAX], err[512];
	int n;

	n = snprintf(path, sizeof(path), "%s/%s", specdir, MSGQ_SPEC_FILE);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		log_warnx("module spec directory %s: path too long; msgq will "
		    "not join the configuration", specdir);
		return;
	}
	if (cc_spec_load(path, &spec, err, sizeof(err)) != CC_OK) {
		log_warnx("module spec %s; msgq will not join the "
		    "configuration", err);
		return;
	}
	/* cfgmgr sends config_update to the module's group: it must be ours. */
	if (strcmp(cc_spec_module_name(spec), MSGQ_GROUP) != 0)
		log_warnx("module spec %s: module_name is '%s', not '%s'; msgq "
		    "will not join the configuration", path,
		    cc_spec_module_name(spec), MSGQ_GROUP);
	else if (msgq_cfg_encode_all(&m->mod, spec, err, sizeof(err)) == -1) {
		log_warnx("module spec %s: %s; msgq will not join the "
		    "configuration", path, err);
		msgq_cfg_clear(m);
	} else
		log_info("module spec %s loaded: msgq registers when a config "
		    "manager subscribes to %s", path, MSGQ_CFGMGR_GROUP);
	cc_spec_free(spec);
}

void
msgq_cfg_clear(struct msgq *m)
{
	struct msgq_cfgmod *mod = &m->mod;

	free(mod->spec_cmd);
	free(mod->get_cmd);
	free(mod->stop_cmd);
	mod->spec_cmd = mod->get_cmd = mod->stop_cmd = NULL;
	mod->spec_len = mod->get_len = mod->stop_len = 0;
	mod->spec_seq = mod->get_seq = 0;
}

static void
msgq_cfg_count_live(struct msgq_subscriber *s, void *arg)
{
	struct msgq_client *c = s->owner;

	if (!(c->flags & MSGQ_CLIENT_DEAD))
		(*(size_t *)arg)++;
}

/* Live members of ConfigManager: closed ones stay until the reap. */
static size_t
msgq_cfg_managers(struct msgq *m)
{
	size_t n = 0;

	msgq_subs_group_members(m->subs, msgq_cfgmgr, msgq_cfg_count_live, &n);
	return n;
}

/*
 * Send body (a command, already msgpack) from msgq to ConfigManager/"*",
 * with a new seq, stored in *seq if someone received it. Returns how
 * many received it.
 */
static size_t
msgq_cfg_send(struct msgq *m, const char *what, const void *body,
    size_t blen, int want, int64_t *seq)
{
	struct cc_header h;
	struct cc_frame *f;
	size_t n;

	memset(&h, 0, sizeof(h));
	h.type = cc_strref_of("send");
	h.from = cc_strref_of(MSGQ_LNAME);
	h.to = cc_strref_of(MSGQ_WILDCARD);
	h.group = msgq_cfgmgr;
	h.instance = cc_strref_of(MSGQ_WILDCARD);
	h.seq = ++m->mod.seq;
	h.flags = CC_HDR_SEQ | (want ? CC_HDR_WANT_ANSWER : 0);
	if ((f = msgq_frame_build(m, &h, body, blen)) == NULL) {
		log_warnx("%s to %s would exceed max_frame %zu; not sent", what,
		    MSGQ_CFGMGR_GROUP, m->cfg.max_frame);
		return 0;
	}
	n = msgq_route_fanout(m, NULL, h.group, h.instance, f);
	cc_frame_unref(f);
	m->stats.commands += n;
	if (n == 0)
		log_warnx("%s to %s: no subscriber of instance '*' received it",
		    what, MSGQ_CFGMGR_GROUP);
	else
		*seq = h.seq;
	return n;
}

/*
 * A subscription gave a connection its first one in group: if that made
 * ConfigManager go from no live member to one, register with it. The
 * subscription is active, so the new member receives what is sent now.
 */
void
msgq_cfg_subscribed(struct msgq *m, struct cc_strref group)
{
	struct msgq_cfgmod *mod = &m->mod;

	if (mod->spec_cmd == NULL || !cc_strref_eq(group, MSGQ_CFGMGR_GROUP) ||
	    msgq_cfg_managers(m) != 1)
		return;
	mod->spec_seq = mod->get_seq = 0;
	if (msgq_cfg_send(m, "module_spec", mod->spec_cmd, mod->spec_len, 1,
	    &mod->spec_seq) == 0)
		return;
	if (msgq_cfg_send(m, "get_config", mod->get_cmd, mod->get_len, 1,
	    &mod->get_seq) == 0)
		return;
	log_info("config manager appeared: module_spec (seq %lld) and "
	    "get_config (seq %lld) sent", (long long)mod->spec_seq,
	    (long long)mod->get_seq);
}

/*
 * Orderly exit: tell the config manager, if there is one (then msgq
 * registered with it). No answer is due.
 */
void
msgq_cfg_stopping(struct msgq *m)
{
	int64_t seq;

	if (m->mod.stop_cmd == NULL || msgq_cfg_managers(m) == 0)
		return;
	msgq_cfg_send(m, "stopping", m->mod.stop_cmd, m->mod.stop_len, 0,
	    &seq);
}

/* One stored value of setting s, checked against its range. 0 or -1. */
static int
msgq_cfg_value(const msgpack_object *o, const struct msgq_setting *s,
    uint64_t *v, char *err, size_t errlen)
{
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
		snprintf(err, errlen, "%s %lld is outside %llu..%llu", s->name,
		    (long long)o->via.i64, (unsigned long long)s->min,
		    (unsigned long long)s->max);
		return -1;
	}
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
		snprintf(err, errlen, "%s should be an integer", s->name);
		return -1;
	}
	if (o->via.u64 < s->min || o->via.u64 > s->max) {
		snprintf(err, errlen, "%s %llu is outside %llu..%llu", s->name,
		    (unsigned long long)o->via.u64, (unsigned long long)s->min,
		    (unsigned long long)s->max);
		return -1;
	}
	*v = o->via.u64;
	return 0;
}

/* As main.c does at start: every client is one fd, plus a reserve. */
static void
msgq_cfg_fit_nofile(struct msgq_config *cfg)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    rl.rlim_cur <= MSGQ_FD_RESERVE ||
	    rl.rlim_cur >= (rlim_t)cfg->max_clients + MSGQ_FD_RESERVE)
		return;
	log_warnx("max_clients %u lowered to %llu to fit the open file limit "
	    "%llu", cfg->max_clients,
	    (unsigned long long)rl.rlim_cur - MSGQ_FD_RESERVE,
	    (unsigned long long)rl.rlim_cur);
	cfg->max_clients = (unsigned)(rl.rlim_cur - MSGQ_FD_RESERVE);
}

static void
msgq_cfg_log(struct msgq *m, const char *source, const int stored[])
{
	char line[512];
	size_t i, n = 0;
	int k;

	line[0] = '\0';
	for (i = 0; i < MSGQ_NSETTINGS && n < sizeof(line); i++) {
		k = snprintf(line + n, sizeof(line) - n, "%s%s %llu (%s)",
		    i > 0 ? ", " : "", msgq_settings[i].name,
		    (unsigned long long)msgq_setting_get(&m->cfg,
		    &msgq_settings[i]), stored[i] ? "stored" : "command line");
		if (k < 0)
			break;
		n += (size_t)k;
	}
	log_info("configuration applied (%s): %s", source, line);
}

/*
 * Apply conf, msgq's full stored configuration (a map), live. For each
 * setting: a value present and not nil wins; absent or nil means the
 * command-line value. Keys msgq does not know are ignored (validating
 * against the spec is cfgmgr's job). Every value is checked before any is
 * applied; max_clients is then lowered, with a warning, to fit the open
 * file limit. Returns 0, or -1 with the reason in err and nothing
 * changed.
 * source says where conf came from, for the log.
 */
int
msgq_cfg_apply(struct msgq *m, const msgpack_object *conf,
    const char *source, char *err, size_t errlen)
{
	struct msgq_config next = m->cfg;
	const struct msgq_setting *s;
	const msgpack_object *o;
	int stored[MSGQ_NSETTINGS];
	uint64_t v;
	size_t i;

	if (conf == NULL || conf->type != MSGPACK_OBJECT_MAP) {
		snprintf(err, errlen, "the configuration should be a map");
		return -1;
	}
	for (i = 0; i < MSGQ_NSETTINGS; i++) {
		s = &msgq_settings[i];
		o = msgq_obj_get(conf, s->name);
		stored[i] = o != NULL && o->type != MSGPACK_OBJECT_NIL;
		if (!stored[i])
			v = msgq_setting_get(&m->mod.base, s);
		else if (msgq_cfg_value(o, s, &v, err, errlen) == -1)
			return -1;
		msgq_setting_set(&next, s, v);
	}
	if (msgq_config_check(next.max_frame, next.max_queue,
	    next.max_clients, err, errlen) == -1)
		return -1;
	msgq_cfg_fit_nofile(&next);
	msgq_set_limits(m, &next);
	msgq_cfg_log(m, source, stored);
	return 0;
}

/*
 * The rcode and value of an answer body {"result": [rcode]} or
 * {"result": [rcode, value]} (*value NULL if absent). 0, or -1 with why.
 */
static int
msgq_cfg_result(const msgpack_object *body, int64_t *rcode,
    const msgpack_object **value, char *why, size_t whylen)
{
	const msgpack_object *r = msgq_obj_get(body, "result");

	if (r == NULL || r->type != MSGPACK_OBJECT_ARRAY ||
	    r->via.array.size < 1 || r->via.array.size > 2) {
		snprintf(why, whylen, "not {\"result\": [RCODE, VALUE]}");
		return -1;
	}
	if (r->via.array.ptr[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    r->via.array.ptr[0].via.u64 <= INT64_MAX)
		*rcode = (int64_t)r->via.array.ptr[0].via.u64;
	else if (r->via.array.ptr[0].type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		*rcode = r->via.array.ptr[0].via.i64;
	else {
		snprintf(why, whylen, "the rcode is not an integer");
		return -1;
	}
	*value = r->via.array.size == 2 ? &r->via.array.ptr[1] : NULL;
	return 0;
}

/* An error answer's text, for the log. */
static struct cc_strref
msgq_cfg_text(const msgpack_object *value)
{
	struct cc_strref t = { NULL, 0 };

	if (value != NULL)
		t = msgq_obj_str(value);
	return t.ptr != NULL ? t : cc_strref_of("(no reason given)");
}

static void
msgq_cfg_spec_answer(struct msgq_client *c, int64_t rcode,
    const msgpack_object *value)
{
	struct cc_strref t = msgq_cfg_text(value);

	if (rcode == 0)
		log_info("registered with the config manager %s", c->lname);
	else
		log_warnx("config manager " CLIENT_FMT ": module_spec refused "
		    "(%lld): %.*s", CLIENT_ARGS(c), (long long)rcode,
		    (int)t.len, t.ptr);
}

static void
msgq_cfg_get_answer(struct msgq *m, struct msgq_client *c, int64_t rcode,
    const msgpack_object *value)
{
	struct cc_strref t = msgq_cfg_text(value);
	char err[256];

	if (rcode != 0)
		log_warnx("config manager " CLIENT_FMT ": get_config failed "
		    "(%lld): %.*s; settings unchanged", CLIENT_ARGS(c),
		    (long long)rcode, (int)t.len, t.ptr);
	else if (msgq_cfg_apply(m, value, "get_config", err,
	    sizeof(err)) == -1)
		log_warnx("config manager " CLIENT_FMT ": configuration "
		    "refused: %s; settings unchanged", CLIENT_ARGS(c), err);
}

/*
 * A frame with reply sent to msgq: the answer to module_spec or
 * get_config if its reply is their seq and it comes from a member of
 * ConfigManager; anything else is logged and ignored.
 */
void
msgq_cfg_answer(struct msgq *m, struct msgq_client *c, struct cc_frame *f,
    const struct cc_header *h)
{
	struct msgq_cfgmod *mod = &m->mod;
	const msgpack_object *value;
	msgpack_unpacked u;
	int64_t rcode;
	char why[256];
	int is_spec;

	if ((h->flags & CC_HDR_REPLY_U64) || h->reply <= 0 ||
	    (h->reply != mod->spec_seq && h->reply != mod->get_seq)) {
		log_debug("client %s: answer to msgq (reply %lld) ignored: "
		    "nothing awaits it", c->lname, (long long)h->reply);
		return;
	}
	if (!msgq_subscriber_in_group(&c->sub, msgq_cfgmgr)) {
		log_warnx("client " CLIENT_FMT ": answer to msgq ignored: not "
		    "a member of %s", CLIENT_ARGS(c), MSGQ_CFGMGR_GROUP);
		return;
	}
	is_spec = h->reply == mod->spec_seq;
	if (is_spec)
		mod->spec_seq = 0;
	else
		mod->get_seq = 0;
	msgpack_unpacked_init(&u);
	if (msgq_body_unpack(&u, f, why, sizeof(why)) == -1 ||
	    msgq_cfg_result(&u.data, &rcode, &value, why, sizeof(why)) == -1)
		log_warnx("config manager " CLIENT_FMT ": bad answer to %s: "
		    "%s", CLIENT_ARGS(c), is_spec ? "module_spec" :
		    "get_config", why);
	else if (is_spec)
		msgq_cfg_spec_answer(c, rcode, value);
	else
		msgq_cfg_get_answer(m, c, rcode, value);
	msgpack_unpacked_destroy(&u);
}
