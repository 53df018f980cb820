/*
 * Notifications (PROTOCOL.md 7, CONFIG.md 3 step 7): a module sends
 * {"notification": [event, params]} to group notifications/<topic>, and
 * gets those of the topics it subscribed to through one callback each.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cc/error.h"
#include "cc/message.h"
#include "cc/session.h"
#include "module-internal.h"

/* "notifications/<topic>", malloc'd; NULL on ENOMEM. */
static char *
topic_group(const char *topic)
{
	size_t plen = strlen(LIBCC_NOTIFY_PREFIX), tlen = strlen(topic) + 1;
	char *g;

	if ((g = malloc(plen + tlen)) == NULL)
		return NULL;
	memcpy(g, LIBCC_NOTIFY_PREFIX, plen);
	memcpy(g + plen, topic, tlen);
	return g;
}

static struct libcc_topic *
topic_find(const struct cc_module *m, const char *group)
{
	struct libcc_topic *t;

	LIST_FOREACH(t, &m->topics, entry)
		if (strcmp(t->group, group) == 0)
			return t;
	return NULL;
}

int
cc_module_notify(struct cc_module *m, const char *topic, const char *event,
    const json_t *params)
{
	json_t *body;
	char *group;
	int r;

	if (m->session == NULL)
		return libcc_module_seterr(m, CC_ESTATE, "cannot notify: the "
		    "module is not started");
	if (topic == NULL || event == NULL)
		return libcc_module_seterr(m, CC_EINVAL, "cannot notify "
		    "without a topic and an event");
	group = topic_group(topic);
	body = cc_notification_new(event, params);
	if (group == NULL || body == NULL)
		r = libcc_module_seterr(m, CC_ENOMEM, "out of memory");
	else if ((r = cc_send(m->session, group, NULL, NULL, body, 0, NULL)) !=
	    CC_OK)
		libcc_module_seterr(m, r, "notify %s to %s: %s", event, group,
		    cc_session_error(m->session));
	json_decref(body);
	free(group);
	return r;
}

static struct libcc_topic *
topic_new(const char *topic, cc_notification_cb cb, void *arg)
{
	size_t plen = strlen(LIBCC_NOTIFY_PREFIX), tlen = strlen(topic) + 1;
	struct libcc_topic *t;

	if ((t = malloc(sizeof(*t) + plen + tlen)) == NULL)
		return NULL;
	memcpy(t->group, LIBCC_NOTIFY_PREFIX, plen);
	memcpy(t->group + plen, topic, tlen);
	t->topic = t->group + plen;
	t->cb = cb;
	t->arg = arg;
	return t;
}

/* The ping makes the subscription active before this returns. */
int
cc_module_subscribe_notification(struct cc_module *m, const char *topic,
    cc_notification_cb cb, void *arg)
{
	struct libcc_topic *t;
	int r;

	if (m->state != LIBCC_MODULE_RUNNING)
		return libcc_module_seterr(m, CC_ESTATE, "cannot subscribe to "
		    "%s: the module is not started", topic);
	if ((t = topic_new(topic, cb, arg)) == NULL)
		return libcc_module_seterr(m, CC_ENOMEM, "out of memory");
	if (topic_find(m, t->group) != NULL) {
		free(t);
		return libcc_module_seterr(m, CC_ESTATE, "notifications of %s "
		    "are already subscribed", topic);
	}
	if ((r = libcc_group_subscribe(m, t->group)) == CC_OK &&
	    (r = cc_ping(m->session, NULL, 0, m->timeout_ms, NULL, NULL)) !=
	    CC_OK)
		libcc_module_seterr(m, r, "subscribe to %s: %s", t->group,
		    cc_session_error(m->session));
	if (r != CC_OK) {
		libcc_group_unsubscribe(m, t->group);
		free(t);
		return r;
	}
	LIST_INSERT_HEAD(&m->topics, t, entry);
	return CC_OK;
}

int
cc_module_unsubscribe_notification(struct cc_module *m, const char *topic)
{
	struct libcc_topic *t;
	char *group;

	if ((group = topic_group(topic)) == NULL)
		return libcc_module_seterr(m, CC_ENOMEM, "out of memory");
	t = topic_find(m, group);
	free(group);
	if (t == NULL)
		return libcc_module_seterr(m, CC_EINVAL, "notifications of %s "
		    "are not subscribed", topic);
	LIST_REMOVE(t, entry);
	libcc_group_unsubscribe(m, t->group);
	free(t);
	return CC_OK;
}

/* A message to group (notifications/...): true if it went to a callback.
 * Bodies that are not notifications are nobody's business here. */
bool
libcc_topic_dispatch(struct cc_module *m, const char *group,
    const json_t *body)
{
	struct libcc_topic *t;
	const char *event;
	json_t *params;

	if ((t = topic_find(m, group)) == NULL || t->cb == NULL ||
	    cc_notification_parse(body, &event, &params) != CC_OK)
		return false;
	t->cb(m, t->topic, event, params, t->arg);
	return true;
}

void
libcc_topics_clear(struct cc_module *m)
{
	struct libcc_topic *t;

	while ((t = LIST_FIRST(&m->topics)) != NULL) {
		LIST_REMOVE(t, entry);
		free(t);
	}
}
