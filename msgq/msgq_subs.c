/*
 * The subscription table: (group, instance) -> the connections subscribed
 * to it, and for each group the connections that hold at least one
 * subscription in it (the membership that cc_members events and the
 * `members` command report).
 *
 * Four objects: a group (by name, in subs->groups) holds its instances
 * (struct msgq_sub, by name, in group->instances) and its members (struct
 * msgq_gmember, one per connection in the group). A sublink joins one
 * member to one instance. Arrays of pointers with back-indexes give O(1)
 * removal; every subscriber finds its member record for a group through
 * its own small hash, so subscribing, unsubscribing and matching cost
 * O(1) apart from the recipients themselves. Empty instances and groups
 * are freed at once.
 *
 * The table knows nothing of sockets or notifications: it reports what a
 * change did (enum msgq_subs_change) and the caller acts on it. Callbacks
 * of msgq_subs_match() and msgq_subs_group_members() must not change the
 * table (checked: a broken invariant is fatal).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "msgq.h"
#include "xmalloc.h"

struct msgq_sublink;

struct msgq_group {
	char			*name;
	size_t			 len;
	struct msgq_hash	*instances;	/* instance -> struct msgq_sub */
	struct msgq_gmember	**members;
	size_t			 nmembers, cap;
};

struct msgq_sub {
	struct msgq_group	*group;
	char			*instance;
	size_t			 len;
	struct msgq_sublink	**links;
	size_t			 nlinks, cap;
};

struct msgq_gmember {
	struct msgq_group	*group;
	struct msgq_subscriber	*s;
	size_t			 idx;		/* in group->members */
	size_t			 nlinks;
	TAILQ_HEAD(, msgq_sublink) links;	/* s's instances in group */
	TAILQ_ENTRY(msgq_gmember) entry;	/* in s->groups */
};

struct msgq_sublink {
	struct msgq_sub		*sub;
	struct msgq_gmember	*gm;
	size_t			 idx;		/* in sub->links */
	TAILQ_ENTRY(msgq_sublink) entry;	/* in gm->links */
};

struct msgq_subs {
	struct msgq_hash	*groups;	/* name -> struct msgq_group */
	uint64_t		 seed;
	uint64_t		 epoch;		/* of the current match */
	int			 iterating;
};

static const struct cc_strref msgq_wildcard = { MSGQ_WILDCARD, 1 };

struct msgq_subs *
msgq_subs_new(uint64_t seed)
{
	struct msgq_subs *subs;

	subs = xcalloc(1, sizeof(*subs));
	subs->groups = msgq_hash_new(seed);
	subs->seed = seed;
	return subs;
}

/* Every subscriber must have been removed before (a broken invariant). */
void
msgq_subs_free(struct msgq_subs *subs)
{
	if (subs == NULL)
		return;
	if (msgq_hash_count(subs->groups) != 0)
		fatalx("%s: %zu groups left", __func__,
		    msgq_hash_count(subs->groups));
	msgq_hash_free(subs->groups);
	free(subs);
}

void
msgq_subscriber_init(struct msgq_subscriber *s, void *owner)
{
	memset(s, 0, sizeof(*s));
	s->owner = owner;
	TAILQ_INIT(&s->groups);
}

static void
msgq_subs_check_idle(const struct msgq_subs *subs, const char *func)
{
	if (subs->iterating)
		fatalx("%s: subscription table changed while iterated", func);
}

/* A missing instance means "*" (PROTOCOL.md section 3). */
static struct cc_strref
msgq_subs_instance(struct cc_strref instance)
{
	return instance.ptr == NULL ? msgq_wildcard : instance;
}

static struct msgq_group *
msgq_group_get(struct msgq_subs *subs, struct cc_strref name, int create)
{
	struct msgq_group *g;

	g = msgq_hash_get(subs->groups, name.ptr, name.len);
	if (g != NULL || !create)
		return g;
	g = xcalloc(1, sizeof(*g));
	g->name = xstrndup(name.ptr, name.len);
	g->len = name.len;
	g->instances = msgq_hash_new(subs->seed);
	msgq_hash_put(subs->groups, g->name, g->len, g);
	return g;
}

static void
msgq_group_release(struct msgq_subs *subs, struct msgq_group *g)
{
	if (g->nmembers != 0)
		return;
	if (msgq_hash_count(g->instances) != 0)
		fatalx("%s: group without members has instances", __func__);
	msgq_hash_del(subs->groups, g->name, g->len);
	msgq_hash_free(g->instances);
	free(g->members);
	free(g->name);
	free(g);
}

static struct msgq_sub *
msgq_sub_get(struct msgq_group *g, struct cc_strref instance, int create)
{
	struct msgq_sub *sub;

	sub = msgq_hash_get(g->instances, instance.ptr, instance.len);
	if (sub != NULL || !create)
		return sub;
	sub = xcalloc(1, sizeof(*sub));
	sub->group = g;
	sub->instance = xstrndup(instance.ptr, instance.len);
	sub->len = instance.len;
	msgq_hash_put(g->instances, sub->instance, sub->len, sub);
	return sub;
}

static struct msgq_gmember *
msgq_gmember_get(struct msgq_subscriber *s, struct msgq_group *g)
{
	if (s->bygroup == NULL)
		return NULL;
	return msgq_hash_get(s->bygroup, g->name, g->len);
}

static struct msgq_gmember *
msgq_gmember_new(struct msgq_subs *subs, struct msgq_subscriber *s,
    struct msgq_group *g)
{
	struct msgq_gmember *gm;

	gm = xcalloc(1, sizeof(*gm));
	gm->group = g;
	gm->s = s;
	TAILQ_INIT(&gm->links);
	if (g->nmembers == g->cap) {
		g->cap = g->cap == 0 ? 4 : g->cap * 2;
		g->members = xreallocarray(g->members, g->cap,
		    sizeof(*g->members));
	}
	gm->idx = g->nmembers++;
	g->members[gm->idx] = gm;
	if (s->bygroup == NULL)
		s->bygroup = msgq_hash_new(subs->seed);
	msgq_hash_put(s->bygroup, g->name, g->len, gm);
	TAILQ_INSERT_TAIL(&s->groups, gm, entry);
	s->ngroups++;
	return gm;
}

/* Remove a member that has no sublinks left; the group may become empty. */
static void
msgq_gmember_free(struct msgq_gmember *gm)
{
	struct msgq_group *g = gm->group;
	struct msgq_subscriber *s = gm->s;

	g->members[gm->idx] = g->members[--g->nmembers];
	g->members[gm->idx]->idx = gm->idx;
	msgq_hash_del(s->bygroup, g->name, g->len);
	TAILQ_REMOVE(&s->groups, gm, entry);
	if (--s->ngroups == 0) {
		msgq_hash_free(s->bygroup);
		s->bygroup = NULL;
	}
	free(gm);
}

static void
msgq_sublink_new(struct msgq_sub *sub, struct msgq_gmember *gm)
{
	struct msgq_sublink *l;

	l = xcalloc(1, sizeof(*l));
	l->sub = sub;
	l->gm = gm;
	if (sub->nlinks == sub->cap) {
		sub->cap = sub->cap == 0 ? 4 : sub->cap * 2;
		sub->links = xreallocarray(sub->links, sub->cap,
		    sizeof(*sub->links));
	}
	l->idx = sub->nlinks++;
	sub->links[l->idx] = l;
	TAILQ_INSERT_TAIL(&gm->links, l, entry);
	gm->nlinks++;
}

/* Unlink; an instance left without subscribers is freed. */
static void
msgq_sublink_free(struct msgq_sublink *l)
{
	struct msgq_sub *sub = l->sub;
	struct msgq_group *g = sub->group;

	sub->links[l->idx] = sub->links[--sub->nlinks];
	sub->links[l->idx]->idx = l->idx;
	TAILQ_REMOVE(&l->gm->links, l, entry);
	l->gm->nlinks--;
	free(l);
	if (sub->nlinks != 0)
		return;
	msgq_hash_del(g->instances, sub->instance, sub->len);
	free(sub->links);
	free(sub->instance);
	free(sub);
}

/* Scan whichever list is shorter: gm's instances or sub's subscribers. */
static struct msgq_sublink *
msgq_sublink_find(struct msgq_gmember *gm, struct msgq_sub *sub)
{
	struct msgq_sublink *l;
	size_t i;

	if (gm->nlinks <= sub->nlinks) {
		TAILQ_FOREACH(l, &gm->links, entry)
			if (l->sub == sub)
				return l;
		return NULL;
	}
	for (i = 0; i < sub->nlinks; i++)
		if (sub->links[i]->gm == gm)
			return sub->links[i];
	return NULL;
}

/*
 * Subscribe s to (group, instance). Returns MSGQ_SUBS_GROUP if it is s's
 * first subscription in the group, MSGQ_SUBS_INSTANCE if s was in the
 * group already, MSGQ_SUBS_NOOP if s held this very subscription.
 */
int
msgq_subs_add(struct msgq_subs *subs, struct msgq_subscriber *s,
    struct cc_strref group, struct cc_strref instance)
{
	struct msgq_group *g;
	struct msgq_sub *sub;
	struct msgq_gmember *gm;
	int change = MSGQ_SUBS_INSTANCE;

	msgq_subs_check_idle(subs, __func__);
	instance = msgq_subs_instance(instance);
	g = msgq_group_get(subs, group, 1);
	sub = msgq_sub_get(g, instance, 1);
	if ((gm = msgq_gmember_get(s, g)) == NULL) {
		gm = msgq_gmember_new(subs, s, g);
		change = MSGQ_SUBS_GROUP;
	} else if (msgq_sublink_find(gm, sub) != NULL)
		return MSGQ_SUBS_NOOP;
	msgq_sublink_new(sub, gm);
	return change;
}

/*
 * Unsubscribe s from (group, instance). Returns MSGQ_SUBS_GROUP if that was
 * s's last subscription in the group, MSGQ_SUBS_INSTANCE if s stays in the
 * group, MSGQ_SUBS_NOOP if s was not subscribed.
 */
int
msgq_subs_remove(struct msgq_subs *subs, struct msgq_subscriber *s,
    struct cc_strref group, struct cc_strref instance)
{
	struct msgq_group *g;
	struct msgq_sub *sub;
	struct msgq_gmember *gm;
	struct msgq_sublink *l;

	msgq_subs_check_idle(subs, __func__);
	instance = msgq_subs_instance(instance);
	if ((g = msgq_group_get(subs, group, 0)) == NULL ||
	    (gm = msgq_gmember_get(s, g)) == NULL ||
	    (sub = msgq_sub_get(g, instance, 0)) == NULL ||
	    (l = msgq_sublink_find(gm, sub)) == NULL)
		return MSGQ_SUBS_NOOP;
	msgq_sublink_free(l);
	if (gm->nlinks != 0)
		return MSGQ_SUBS_INSTANCE;
	msgq_gmember_free(gm);
	msgq_group_release(subs, g);
	return MSGQ_SUBS_GROUP;
}

/*
 * Drop every subscription of s, group by group in the order s joined
 * them. left (may be NULL) is called once per group s leaves, after s is
 * out of it and before an emptied group is freed, so its name is still
 * valid. left may look the table up (msgq_subs_match) and even subscribe
 * others; s itself is left with no subscription and no memory.
 */
void
msgq_subs_remove_all(struct msgq_subs *subs, struct msgq_subscriber *s,
    msgq_subs_group_fn *left, void *arg)
{
	struct msgq_gmember *gm;
	struct msgq_sublink *l;
	struct msgq_group *g;

	msgq_subs_check_idle(subs, __func__);
	while ((gm = TAILQ_FIRST(&s->groups)) != NULL) {
		g = gm->group;
		while ((l = TAILQ_FIRST(&gm->links)) != NULL)
			msgq_sublink_free(l);
		msgq_gmember_free(gm);
		if (left != NULL)
			left(g->name, g->len, arg);
		msgq_group_release(subs, g);
	}
}

static size_t
msgq_sub_match(struct msgq_subs *subs, struct msgq_sub *sub,
    msgq_subs_match_fn *fn, void *arg)
{
	struct msgq_subscriber *s;
	size_t i, n = 0;

	if (sub == NULL)
		return 0;
	for (i = 0; i < sub->nlinks; i++) {
		s = sub->links[i]->gm->s;
		if (s->mark == subs->epoch)
			continue;
		s->mark = subs->epoch;
		n += fn(s, arg) != 0;
	}
	return n;
}

/*
 * Call fn once for every subscriber of (group, instance) or (group, "*")
 * (PROTOCOL.md 5.1): "*" is a wildcard on the subscriber's side only.
 * Returns how many calls returned non-zero. fn must not change the table.
 */
size_t
msgq_subs_match(struct msgq_subs *subs, struct cc_strref group,
    struct cc_strref instance, msgq_subs_match_fn *fn, void *arg)
{
	struct msgq_group *g;
	size_t n = 0;

	if ((g = msgq_group_get(subs, group, 0)) == NULL)
		return 0;
	instance = msgq_subs_instance(instance);
	subs->iterating = 1;
	subs->epoch++;
	if (!cc_strref_eq(instance, MSGQ_WILDCARD))
		n += msgq_sub_match(subs, msgq_sub_get(g, instance, 0), fn, arg);
	n += msgq_sub_match(subs, msgq_sub_get(g, msgq_wildcard, 0), fn, arg);
	subs->iterating = 0;
	return n;
}

/* How many connections hold a subscription in group (any instance). */
size_t
msgq_subs_group_size(const struct msgq_subs *subs, struct cc_strref group)
{
	const struct msgq_group *g;

	g = msgq_hash_get(subs->groups, group.ptr, group.len);
	return g == NULL ? 0 : g->nmembers;
}

/* Call fn for every member of group, in no particular order. */
void
msgq_subs_group_members(struct msgq_subs *subs, struct cc_strref group,
    msgq_subs_member_fn *fn, void *arg)
{
	struct msgq_group *g;
	size_t i;

	if ((g = msgq_group_get(subs, group, 0)) == NULL)
		return;
	subs->iterating = 1;
	for (i = 0; i < g->nmembers; i++)
		fn(g->members[i]->s, arg);
	subs->iterating = 0;
}

/* Call fn for every group s is in, in the order s joined them. */
void
msgq_subscriber_groups(const struct msgq_subscriber *s,
    msgq_subs_group_fn *fn, void *arg)
{
	const struct msgq_gmember *gm;

	TAILQ_FOREACH(gm, &s->groups, entry)
		fn(gm->group->name, gm->group->len, arg);
}

/* Does s hold a subscription (any instance) in group? */
int
msgq_subscriber_in_group(const struct msgq_subscriber *s,
    struct cc_strref group)
{
	if (s->bygroup == NULL || group.ptr == NULL)
		return 0;
	return msgq_hash_get(s->bygroup, group.ptr, group.len) != NULL;
}

size_t
msgq_subs_ngroups(const struct msgq_subs *subs)
{
	return msgq_hash_count(subs->groups);
}
