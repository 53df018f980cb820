/*
 * msgq's own commands (PROTOCOL.md section 9), received on group Msgq or
 * sent to "msgq": members, clients, stats, getstats, shutdown,
 * config_update. The
 * body is decoded with msgpack-c (no json_t in msgq), once
 * cc_msgpack_check() has bounded what msgpack-c may allocate for it; a
 * body that is not a map with a "command" key is data and gets no answer.
 * Each handler packs the value of "result" ([rcode] or [rcode, value])
 * and the answer goes back with the command's group and instance, to =
 * its sender and reply = its seq (section 7). Answers to msgq's own
 * commands (frames with reply) go to msgq_cfg.c.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "msgq.h"

struct msgq_cmd_ctx {
	struct msgq		*m;
	struct msgq_client	*c;
	const msgpack_object	*args;	/* NULL: the command has none */
	msgpack_packer		*pk;	/* where the result goes */
	int			 stop;	/* stop after answering */
};

typedef void msgq_cmd_fn(struct msgq_cmd_ctx *);

static msgq_cmd_fn msgq_cmd_members, msgq_cmd_clients, msgq_cmd_stats,
    msgq_cmd_getstats, msgq_cmd_shutdown, msgq_cmd_config_update;

static const struct msgq_cmd {
	const char	*name;
	msgq_cmd_fn	*fn;
} msgq_cmds[] = {
	{ "members",		msgq_cmd_members },
	{ "clients",		msgq_cmd_clients },
	{ "stats",		msgq_cmd_stats },
	{ "getstats",		msgq_cmd_getstats },
	{ "shutdown",		msgq_cmd_shutdown },
	{ "config_update",	msgq_cmd_config_update },
};

/* o's string (borrowed), or ptr NULL if o is not a str. */
struct cc_strref
msgq_obj_str(const msgpack_object *o)
{
	struct cc_strref s = { NULL, 0 };

	if (o->type == MSGPACK_OBJECT_STR) {
		s.ptr = o->via.str.ptr;
		s.len = o->via.str.size;
	}
	return s;
}

/* The value of key in map o, or NULL (also when o is not a map). */
const msgpack_object *
msgq_obj_get(const msgpack_object *o, const char *key)
{
	uint32_t i;

	if (o == NULL || o->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (i = 0; i < o->via.map.size; i++)
		if (cc_strref_eq(msgq_obj_str(&o->via.map.ptr[i].key), key))
			return &o->via.map.ptr[i].val;
	return NULL;
}

static void
msgq_cmd_member_count(struct msgq_subscriber *s, void *arg)
{
	struct msgq_client *c = s->owner;

	if (!(c->flags & MSGQ_CLIENT_DEAD))
		(*(uint32_t *)arg)++;
}

static void
msgq_cmd_member_pack(struct msgq_subscriber *s, void *arg)
{
	struct msgq_client *c = s->owner;

	if (!(c->flags & MSGQ_CLIENT_DEAD))
		msgq_pack_cstr(arg, c->lname);
}

/* [0, [lname, ...]]: every live client, or the members of args.group. */
static void
msgq_cmd_members(struct msgq_cmd_ctx *x)
{
	const msgpack_object *g = msgq_obj_get(x->args, "group");
	struct msgq_client *c;
	struct cc_strref group;
	uint32_t n = 0;

	if (x->args != NULL && x->args->type != MSGPACK_OBJECT_MAP &&
	    x->args->type != MSGPACK_OBJECT_NIL) {
		msgq_pack_result(x->pk, 1, "members: arguments should be a map");
		return;
	}
	if (g != NULL && (group = msgq_obj_str(g)).ptr == NULL) {
		msgq_pack_result(x->pk, 1, "members: 'group' should be a string");
		return;
	}
	msgpack_pack_array(x->pk, 2);
	msgpack_pack_int(x->pk, 0);
	if (g != NULL) {
		msgq_subs_group_members(x->m->subs, group,
		    msgq_cmd_member_count, &n);
		msgpack_pack_array(x->pk, n);
		msgq_subs_group_members(x->m->subs, group,
		    msgq_cmd_member_pack, x->pk);
		return;
	}
	msgpack_pack_array(x->pk, x->m->nclients);
	TAILQ_FOREACH(c, &x->m->clients, entry)
		if (!(c->flags & MSGQ_CLIENT_DEAD))
			msgq_pack_cstr(x->pk, c->lname);
}

static void
msgq_cmd_group_pack(const char *group, size_t len, void *arg)
{
	struct cc_strref g = { group, len };

	msgq_pack_strref(arg, g);
}

static void
msgq_cmd_client_pack(msgpack_packer *pk, const struct msgq_client *c)
{
	msgpack_pack_map(pk, 7);
	msgq_pack_cstr(pk, "lname");
	msgq_pack_cstr(pk, c->lname);
	msgq_pack_cstr(pk, "pid");
	msgpack_pack_int64(pk, c->pid);
	msgq_pack_cstr(pk, "uid");
	msgpack_pack_int64(pk, c->uid == (uid_t)-1 ? -1 : (int64_t)c->uid);
	msgq_pack_cstr(pk, "groups");
	msgpack_pack_array(pk, c->sub.ngroups);
	msgq_subscriber_groups(&c->sub, msgq_cmd_group_pack, pk);
	msgq_pack_cstr(pk, "queued");
	msgpack_pack_uint64(pk, msgq_outq_bytes(&c->outq));
	msgq_pack_cstr(pk, "sent");
	msgpack_pack_uint64(pk, c->sent);
	msgq_pack_cstr(pk, "received");
	msgpack_pack_uint64(pk, c->received);
}

static void
msgq_cmd_clients(struct msgq_cmd_ctx *x)
{
	struct msgq_client *c;

	msgpack_pack_array(x->pk, 2);
	msgpack_pack_int(x->pk, 0);
	msgpack_pack_array(x->pk, x->m->nclients);
	TAILQ_FOREACH(c, &x->m->clients, entry)
		if (!(c->flags & MSGQ_CLIENT_DEAD))
			msgq_cmd_client_pack(x->pk, c);
}

static void
msgq_cmd_stats(struct msgq_cmd_ctx *x)
{
	msgpack_pack_array(x->pk, 2);
	msgpack_pack_int(x->pk, 0);
	msgq_stats_pack(x->m, x->pk);
}

/* What the stats module collects: the statistics items of msgq.spec. */
static void
msgq_cmd_getstats(struct msgq_cmd_ctx *x)
{
	msgpack_pack_array(x->pk, 2);
	msgpack_pack_int(x->pk, 0);
	msgq_stats_pack_items(x->m, x->pk);
}

static void
msgq_cmd_shutdown(struct msgq_cmd_ctx *x)
{
	if (!msgq_client_may_stop(x->c)) {
		log_warnx("client " CLIENT_FMT ": shutdown refused: only uid "
		    "%ld or root may stop msgq", CLIENT_ARGS(x->c),
		    (long)x->m->euid);
		msgq_pack_result(x->pk, 1, "permission denied");
		return;
	}
	msgq_pack_result(x->pk, 0, NULL);
	x->stop = 1;
}

/*
 * The args are the module's full stored configuration (CONFIG.md 2):
 * msgq_cfg_apply() says what that means.
 */
static void
msgq_cmd_config_update(struct msgq_cmd_ctx *x)
{
	char err[256];

	if (x->args == NULL || x->args->type != MSGPACK_OBJECT_MAP) {
		msgq_pack_result(x->pk, 1, "config_update: the configuration "
		    "should be a map");
		return;
	}
	if (msgq_cfg_apply(x->m, x->args, "config_update", err,
	    sizeof(err)) == -1) {
		log_warnx("client " CLIENT_FMT ": config_update refused: %s",
		    CLIENT_ARGS(x->c), err);
		msgq_pack_result(x->pk, 1, "%s", err);
		return;
	}
	msgq_pack_result(x->pk, 0, NULL);
}

/* Run the command [name] or [name, args] and pack its result. */
static void
msgq_cmd_run(struct msgq_cmd_ctx *x, const msgpack_object *cmd)
{
	struct cc_strref name = { NULL, 0 };
	size_t i;

	if (cmd->type == MSGPACK_OBJECT_ARRAY && cmd->via.array.size >= 1 &&
	    cmd->via.array.size <= 2)
		name = msgq_obj_str(&cmd->via.array.ptr[0]);
	if (name.ptr == NULL) {
		msgq_pack_result(x->pk, 1, "bad command: 'command' should be "
		    "[NAME] or [NAME, ARGS]");
		return;
	}
	if (cmd->via.array.size == 2)
		x->args = &cmd->via.array.ptr[1];
	for (i = 0; i < sizeof(msgq_cmds) / sizeof(msgq_cmds[0]); i++) {
		if (cc_strref_eq(name, msgq_cmds[i].name)) {
			msgq_cmds[i].fn(x);
			return;
		}
	}
	msgq_pack_result(x->pk, 1, "unknown command: %.*s", (int)name.len,
	    name.ptr);
}

/* Answer header of section 7; reply only if the command had a seq. */
static void
msgq_cmd_answer_header(struct cc_header *a, const struct msgq_client *c,
    const struct cc_header *h)
{
	memset(a, 0, sizeof(*a));
	a->type = cc_strref_of("send");
	a->from = cc_strref_of(MSGQ_LNAME);
	a->to.ptr = c->lname;
	a->to.len = c->lname_len;
	a->group = h->group.ptr != NULL ? h->group : cc_strref_of(MSGQ_GROUP);
	a->instance = h->instance.ptr != NULL ? h->instance :
	    cc_strref_of(MSGQ_WILDCARD);
	a->reply = h->seq;
	a->flags = (h->flags & CC_HDR_SEQ) ? CC_HDR_REPLY : 0;
	if (h->flags & CC_HDR_SEQ_U64)
		a->flags |= CC_HDR_REPLY_U64;
}

static void
msgq_cmd_answer(struct msgq *m, struct msgq_client *c,
    const struct cc_header *h, const msgpack_object *cmd, int *stop)
{
	struct msgq_cmd_ctx x = { m, c, NULL, NULL, 0 };
	struct cc_header a;
	msgpack_packer pk;

	msgq_cmd_answer_header(&a, c, h);
	x.pk = msgq_body_begin(m, &pk);
	msgpack_pack_map(&pk, 1);
	msgq_pack_cstr(&pk, "result");
	msgq_cmd_run(&x, cmd);
	if (msgq_send_own(m, c, &a, m->sbuf.data, m->sbuf.size) == -1) {
		log_warnx("client " CLIENT_FMT ": answer of %zu bytes exceeds "
		    "max_frame", CLIENT_ARGS(c), m->sbuf.size);
		msgq_body_begin(m, &pk);
		msgpack_pack_map(&pk, 1);
		msgq_pack_cstr(&pk, "result");
		msgq_pack_result(&pk, 1, "answer exceeds max_frame");
		msgq_send_own(m, c, &a, m->sbuf.data, m->sbuf.size);
	}
	*stop = x.stop;
}

/*
 * Decode f's body, a value from an untrusted peer, into u (initialised by
 * the caller, who destroys it). cc_msgpack_check() first: msgpack-c sizes
 * its allocations from the counts in the bytes before it checks them, and
 * once the check has passed they are bounded by the body's size. Returns
 * 0, or -1 with the reason in why (no body, not one whole msgpack value).
 */
int
msgq_body_unpack(msgpack_unpacked *u, const struct cc_frame *f, char *why,
    size_t whylen)
{
	const unsigned char *body;
	size_t blen, off = 0;
	int rc;

	body = cc_frame_body(f, &blen);
	if (blen == 0) {
		snprintf(why, whylen, "no body");
		return -1;
	}
	if (cc_msgpack_check(body, blen, NULL, why, whylen) != CC_OK)
		return -1;
	/* The check is at least as strict as msgpack-c (its nesting limit
	 * is also 32, counting only non-empty containers): a failure here
	 * is out of memory, reported and survived like a bad body. */
	rc = msgpack_unpack_next(u, (const char *)body, blen, &off);
	if (rc != MSGPACK_UNPACK_SUCCESS || off != blen) {
		snprintf(why, whylen, "msgpack-c cannot unpack it (%d)", rc);
		return -1;
	}
	return 0;
}

/*
 * A frame that msgq itself received (group Msgq or to "msgq"). Answers
 * to msgq (frames with reply) go to msgq_cfg.c; plain data, and bodies
 * that are not one whole msgpack value, are ignored.
 */
void
msgq_cmd_receive(struct msgq *m, struct msgq_client *c, struct cc_frame *f,
    const struct cc_header *h)
{
	const msgpack_object *cmd;
	msgpack_unpacked u;
	char why[256];
	int stop = 0;

	if (h->flags & CC_HDR_REPLY) {
		msgq_cfg_answer(m, c, f, h);
		return;
	}
	msgpack_unpacked_init(&u);
	if (msgq_body_unpack(&u, f, why, sizeof(why)) == -1)
		log_debug("client %s: body for msgq ignored: %s", c->lname,
		    why);
	else if ((cmd = msgq_obj_get(&u.data, "command")) != NULL)
		msgq_cmd_answer(m, c, h, cmd, &stop);
	else
		log_debug("client %s: data for msgq ignored", c->lname);
	msgpack_unpacked_destroy(&u);
	if (stop) {
		snprintf(why, sizeof(why), "shutdown from client " CLIENT_FMT,
		    CLIENT_ARGS(c));
		msgq_stop(m, why);
	}
}
