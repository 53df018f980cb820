/*
 * Membership notifications (PROTOCOL.md section 8): connected,
 * disconnected, subscribed and unsubscribed, published by msgq on group
 * notifications/cc_members to whoever subscribes to it. Nothing is built
 * when nobody listens, so connection storms cost no encoding.
 */
#include "config.h"

#include <string.h>

#include "log.h"
#include "msgq.h"

static const struct cc_strref msgq_members_group = {
	MSGQ_MEMBERS_GROUP, sizeof(MSGQ_MEMBERS_GROUP) - 1
};

/* {"notification": [event, {"client": lname[, "group": group]}]} */
static void
msgq_notify_body(struct msgq *m, const char *event,
    const struct msgq_client *c, struct cc_strref group)
{
	msgpack_packer pk;

	msgq_body_begin(m, &pk);
	msgpack_pack_map(&pk, 1);
	msgq_pack_cstr(&pk, "notification");
	msgpack_pack_array(&pk, 2);
	msgq_pack_cstr(&pk, event);
	msgpack_pack_map(&pk, group.ptr != NULL ? 2 : 1);
	msgq_pack_cstr(&pk, "client");
	msgq_pack_cstr(&pk, c->lname);
	if (group.ptr != NULL) {
		msgq_pack_cstr(&pk, "group");
		msgq_pack_strref(&pk, group);
	}
}

/*
 * Publish event about c (group.ptr NULL for connected/disconnected) to
 * the subscribers of notifications/cc_members. Not while stopping.
 */
void
msgq_notify_members(struct msgq *m, const char *event,
    const struct msgq_client *c, struct cc_strref group)
{
	struct cc_header h;
	struct cc_frame *f;

	if (m->stopping || msgq_subs_group_size(m->subs, msgq_members_group) == 0)
		return;
	msgq_notify_body(m, event, c, group);
	memset(&h, 0, sizeof(h));
	h.type = cc_strref_of("send");
	h.from = cc_strref_of(MSGQ_LNAME);
	h.to = cc_strref_of(MSGQ_WILDCARD);
	h.group = msgq_members_group;
	h.instance = cc_strref_of(MSGQ_WILDCARD);
	if ((f = msgq_frame_build(m, &h, m->sbuf.data, m->sbuf.size)) == NULL) {
		log_warnx("notification %s about %s would exceed max_frame; "
		    "not sent", event, c->lname);
		return;
	}
	m->stats.notifications += msgq_route_fanout(m, NULL,
	    msgq_members_group, h.instance, f);
	cc_frame_unref(f);
}
