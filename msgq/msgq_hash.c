/*
 * A small open hash table for msgq's lookups (lname -> client, group ->
 * subscribers, instance -> subscription): linear probing over a power of
 * two number of slots, at most 70% full, deletion by backward shift so
 * there are no tombstones. Keys are byte strings (not NUL-terminated)
 * that the caller keeps alive as long as the entry: they normally live in
 * the value itself (client->lname, group->name). Values are never NULL.
 *
 * The hash is FNV-1a with a per-process seed and a final mix, so that
 * a client choosing group names cannot easily pile them into one chain.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "msgq.h"
#include "xmalloc.h"

#define MSGQ_HASH_MINCAP	8

struct msgq_hash_slot {
	const void	*key;
	size_t		 len;
	uint64_t	 hash;
	void		*val;		/* NULL: empty slot */
};

struct msgq_hash {
	struct msgq_hash_slot	*slots;
	size_t			 mask;	/* number of slots - 1 */
	size_t			 count;
	uint64_t		 seed;
};

static uint64_t
msgq_hash_bytes(uint64_t seed, const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

struct msgq_hash *
msgq_hash_new(uint64_t seed)
{
	struct msgq_hash *h;

	h = xcalloc(1, sizeof(*h));
	h->slots = xcalloc(MSGQ_HASH_MINCAP, sizeof(*h->slots));
	h->mask = MSGQ_HASH_MINCAP - 1;
	h->seed = seed;
	return h;
}

void
msgq_hash_free(struct msgq_hash *h)
{
	if (h == NULL)
		return;
	free(h->slots);
	free(h);
}

size_t
msgq_hash_count(const struct msgq_hash *h)
{
	return h->count;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t
msgq_hash_find(const struct msgq_hash *h, uint64_t hv, const void *key,
    size_t len)
{
	const struct msgq_hash_slot *s;
	size_t i;

	for (i = hv & h->mask;; i = (i + 1) & h->mask) {
		s = &h->slots[i];
		if (s->val == NULL)
			return i;
		if (s->hash == hv && s->len == len &&
		    memcmp(s->key, key, len) == 0)
			return i;
	}
}

void *
msgq_hash_get(const struct msgq_hash *h, const void *key, size_t len)
{
	uint64_t hv = msgq_hash_bytes(h->seed, key, len);

	return h->slots[msgq_hash_find(h, hv, key, len)].val;
}

static void
msgq_hash_grow(struct msgq_hash *h)
{
	struct msgq_hash_slot *old = h->slots;
	size_t i, j, oldcap = h->mask + 1;

	h->slots = xcalloc(oldcap * 2, sizeof(*h->slots));
	h->mask = oldcap * 2 - 1;
	for (i = 0; i < oldcap; i++) {
		if (old[i].val == NULL)
			continue;
		for (j = old[i].hash & h->mask; h->slots[j].val != NULL;
		    j = (j + 1) & h->mask)
			;
		h->slots[j] = old[i];
	}
	free(old);
}

/* Add an entry; the key must not be there yet (a broken invariant). */
void
msgq_hash_put(struct msgq_hash *h, const void *key, size_t len, void *val)
{
	uint64_t hv = msgq_hash_bytes(h->seed, key, len);
	size_t i;

	if (val == NULL)
		fatalx("%s: NULL value", __func__);
	if ((h->count + 1) * 10 > (h->mask + 1) * 7)
		msgq_hash_grow(h);
	i = msgq_hash_find(h, hv, key, len);
	if (h->slots[i].val != NULL)
		fatalx("%s: duplicate key", __func__);
	h->slots[i].key = key;
	h->slots[i].len = len;
	h->slots[i].hash = hv;
	h->slots[i].val = val;
	h->count++;
}

/*
 * Remove key and return its value (NULL if absent). The entries after
 * the hole move back when their home slot allows it, which keeps every
 * probe sequence unbroken without tombstones.
 */
void *
msgq_hash_del(struct msgq_hash *h, const void *key, size_t len)
{
	uint64_t hv = msgq_hash_bytes(h->seed, key, len);
	size_t hole, j, home;
	void *val;

	hole = msgq_hash_find(h, hv, key, len);
	if ((val = h->slots[hole].val) == NULL)
		return NULL;
	for (j = (hole + 1) & h->mask; h->slots[j].val != NULL;
	    j = (j + 1) & h->mask) {
		home = h->slots[j].hash & h->mask;
		/* j stays if its home lies cyclically in (hole, j]. */
		if (((j - home) & h->mask) < ((j - hole) & h->mask))
			continue;
		h->slots[hole] = h->slots[j];
		hole = j;
	}
	memset(&h->slots[hole], 0, sizeof(h->slots[hole]));
	h->count--;
	return val;
}
