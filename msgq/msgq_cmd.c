/*
 * msgq's own commands (PROTOCOL.md section 9), received on group Msgq or
 * sent to "msgq": members, clients, stats, shutdown, config_update. The
 * body is decoded with msgpack-c (no json_t in msgq); a body that is not a
 * map with a "command" key is data and gets no answer. Each handler packs
 * the value of "result" ([rcode] or [rcode, value]) and the answer goes
 * back with the command's group and instance, to = its sender and
 * reply = its seq (section 7).
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
    msgq_cmd_shutdown, msgq_cmd_config_update;

static const struct msgq_cmd {
	const char	*name;
	msgq_cmd_fn	*fn;
} msgq_cmds[] = {
	{ "members",		msgq_cmd_members },
	{ "clients",		msgq_cmd_clients },
	{ "stats",		msgq_cmd_stats },
	{ "shutdown",		msgq_cmd_shutdown },
	{ "config_update",	msgq_cmd_config_update },
};

static struct cc_strref
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
static const msgpack_object *
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
 * One size setting of config_update: absent or nil keeps *v. Returns 0,
 * or -1 with the error answer packed.
 */
static int
msgq_cmd_config_size(struct msgq_cmd_ctx *x, const char *key, size_t *v)
{
	const msgpack_object *o = msgq_obj_get(x->args, key);

	if (o == NULL || o->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    o->via.u64 > SIZE_MAX) {
		msgq_pack_result(x->pk, 1, "%s should be a positive integer",
		    key);
		return -1;
	}
	*v = (size_t)o->via.u64;
	return 0;
}

/* Apply max_frame, max_queue, max_clients live; other keys are ignored. */
static void
msgq_cmd_config_update(struct msgq_cmd_ctx *x)
{
	struct msgq *m = x->m;
	size_t max_frame = m->cfg.max_frame, max_queue = m->cfg.max_queue;
	size_t max_clients = m->cfg.max_clients;
	char err[256];

	if (x->args == NULL || x->args->type != MSGPACK_OBJECT_MAP) {
		msgq_pack_result(x->pk, 1, "config_update: the configuration "
		    "should be a map");
		return;
	}
	if (msgq_cmd_config_size(x, "max_frame", &max_frame) == -1 ||
	    msgq_cmd_config_size(x, "max_queue", &max_queue) == -1 ||
	    msgq_cmd_config_size(x, "max_clients", &max_clients) == -1)
		return;
	if (max_clients > MSGQ_MAX_MAX_CLIENTS)
		max_clients = 0;	/* refused by the check below */
	if (msgq_config_check(max_frame, max_queue, (unsigned)max_clients,
	    err, sizeof(err)) == -1) {
		msgq_pack_result(x->pk, 1, "%s", err);
		return;
	}
	msgq_set_limits(m, max_frame, max_queue, (unsigned)max_clients);
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
 * A frame that msgq itself received (group Msgq or to "msgq"). Answers
 * to msgq (frames with reply) and plain data are ignored.
 */
void
msgq_cmd_receive(struct msgq *m, struct msgq_client *c, struct cc_frame *f,
    const struct cc_header *h)
{
	const msgpack_object *cmd;
	const unsigned char *body;
	msgpack_unpacked u;
	size_t blen, off = 0;
	char why[256];
	int stop = 0;

	if (h->flags & CC_HDR_REPLY)
		return;
	body = cc_frame_body(f, &blen);
	msgpack_unpacked_init(&u);
	if (blen > 0 && msgpack_unpack_next(&u, (const char *)body, blen,
	    &off) == MSGPACK_UNPACK_SUCCESS && off == blen &&
	    (cmd = msgq_obj_get(&u.data, "command")) != NULL)
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
