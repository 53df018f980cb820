/*
 * The groups a module's session is subscribed to: its own, those of the
 * modules it follows, its notification topics. Every subscription goes
 * through here and is remembered, to be undone when no longer needed; the
 * session remembers them too, to give a new connection (after msgq
 * restarts) the same ones again.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cc/error.h"
#include "cc/session.h"
#include "module-internal.h"

/* Subscribe to (group, "*") and remember it. */
int
libcc_group_subscribe(struct cc_module *m, const char *group)
{
	size_t len = strlen(group) + 1;
	struct libcc_group *g;
	int r;

	if ((g = malloc(sizeof(*g) + len)) == NULL)
		return libcc_module_seterr(m, CC_ENOMEM, "out of memory");
	memcpy(g->name, group, len);
	if ((r = cc_subscribe(m->session, group, NULL)) != CC_OK) {
		free(g);
		return libcc_module_seterr(m, r, "subscribe to %s: %s", group,
		    cc_session_error(m->session));
	}
	LIST_INSERT_HEAD(&m->groups, g, entry);
	return CC_OK;
}

/* Unsubscribe and forget. A connection that is gone has no subscription
 * left to undo: the error is of no interest. */
void
libcc_group_unsubscribe(struct cc_module *m, const char *group)
{
	struct libcc_group *g;

	LIST_FOREACH(g, &m->groups, entry)
		if (strcmp(g->name, group) == 0)
			break;
	if (g == NULL)
		return;
	(void)cc_unsubscribe(m->session, group, NULL);
	LIST_REMOVE(g, entry);
	free(g);
}

/* Forget them all; for a session being closed. */
void
libcc_groups_clear(struct cc_module *m)
{
	struct libcc_group *g;

	while ((g = LIST_FIRST(&m->groups)) != NULL) {
		LIST_REMOVE(g, entry);
		free(g);
	}
}
