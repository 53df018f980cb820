/*
 * Unit tests of msgq's logic that needs no broker process: the
 * subscription table (wildcard instance, each connection once, group
 * membership transitions, unsubscribe-all), the hash table under it, the
 * no-recipient header rewrite, the answer to bad headers, the output
 * queue's frame accounting, and the settings' rules.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/buffer.h>
#include <msgpack.h>

#include "msgq.h"

static struct cc_strref
S(const char *s)
{
	return cc_strref_of(s);
}

/* The subscription table with a few bare subscribers. */

#define NSUBS 8

static struct msgq_subs *subs;
static struct msgq_subscriber sub[NSUBS];
static int hits[NSUBS];

static void
subs_setup(void)
{
	int i;

	subs = msgq_subs_new(42);
	for (i = 0; i < NSUBS; i++) {
		msgq_subscriber_init(&sub[i], &hits[i]);
		hits[i] = 0;
	}
}

static void
subs_teardown(void)
{
	int i;

	for (i = 0; i < NSUBS; i++)
		msgq_subs_remove_all(subs, &sub[i], NULL, NULL);
	ck_assert_uint_eq(msgq_subs_ngroups(subs), 0);
	msgq_subs_free(subs);
}

static int
count_hit(struct msgq_subscriber *s, void *arg)
{
	(*(int *)s->owner)++;
	return 1;
}

/* Match (group, instance); returns the count and checks the hits. */
static size_t
match(const char *group, const char *instance)
{
	int i;

	for (i = 0; i < NSUBS; i++)
		hits[i] = 0;
	return msgq_subs_match(subs, S(group), S(instance), count_hit, NULL);
}

START_TEST(test_subs_add_transitions)
{
	ck_assert_int_eq(msgq_subs_add(subs, &sub[0], S("G"), S("*")),
	    MSGQ_SUBS_GROUP);
	ck_assert_int_eq(msgq_subs_add(subs, &sub[0], S("G"), S("*")),
	    MSGQ_SUBS_NOOP);
	ck_assert_int_eq(msgq_subs_add(subs, &sub[0], S("G"), S("x")),
	    MSGQ_SUBS_INSTANCE);
	ck_assert_int_eq(msgq_subs_add(subs, &sub[0], S("G"), S("x")),
	    MSGQ_SUBS_NOOP);
	ck_assert_int_eq(msgq_subs_add(subs, &sub[1], S("G"), S("x")),
	    MSGQ_SUBS_GROUP);
	ck_assert_int_eq(msgq_subs_add(subs, &sub[0], S("H"), S("x")),
	    MSGQ_SUBS_GROUP);
	ck_assert_uint_eq(sub[0].ngroups, 2);
	ck_assert_uint_eq(msgq_subs_group_size(subs, S("G")), 2);
	ck_assert_uint_eq(msgq_subs_group_size(subs, S("H")), 1);
	ck_assert_uint_eq(msgq_subs_group_size(subs, S("none")), 0);
	ck_assert_uint_eq(msgq_subs_ngroups(subs), 2);
}
END_TEST

START_TEST(test_subs_missing_instance_is_wildcard)
{
	struct cc_strref none = { NULL, 0 };

	ck_assert_int_eq(msgq_subs_add(subs, &sub[0], S("G"), none),
	    MSGQ_SUBS_GROUP);
	ck_assert_int_eq(msgq_subs_add(subs, &sub[0], S("G"), S("*")),
	    MSGQ_SUBS_NOOP);
	ck_assert_uint_eq(msgq_subs_match(subs, S("G"), none, count_hit,
	    NULL), 1);
	ck_assert_int_eq(msgq_subs_remove(subs, &sub[0], S("G"), none),
	    MSGQ_SUBS_GROUP);
}
END_TEST

START_TEST(test_subs_wildcard_on_subscriber_side)
{
	msgq_subs_add(subs, &sub[0], S("G"), S("*"));
	msgq_subs_add(subs, &sub[1], S("G"), S("x"));
	msgq_subs_add(subs, &sub[2], S("G"), S("y"));
	msgq_subs_add(subs, &sub[3], S("Other"), S("*"));

	/* (G, x) reaches the subscribers of (G, x) and (G, *). */
	ck_assert_uint_eq(match("G", "x"), 2);
	ck_assert_int_eq(hits[0], 1);
	ck_assert_int_eq(hits[1], 1);
	ck_assert_int_eq(hits[2], 0);
	ck_assert_int_eq(hits[3], 0);
	/* (G, *) reaches (G, *) only, not (G, x) nor (G, y). */
	ck_assert_uint_eq(match("G", "*"), 1);
	ck_assert_int_eq(hits[0], 1);
	ck_assert_int_eq(hits[1], 0);
	/* An instance nobody named: the wildcard subscribers. */
	ck_assert_uint_eq(match("G", "z"), 1);
	ck_assert_int_eq(hits[0], 1);
	/* Group names are exact. */
	ck_assert_uint_eq(match("g", "x"), 0);
	ck_assert_uint_eq(match("G/x", "*"), 0);
	ck_assert_uint_eq(match("", "*"), 0);
}
END_TEST

START_TEST(test_subs_each_connection_once)
{
	msgq_subs_add(subs, &sub[0], S("G"), S("*"));
	msgq_subs_add(subs, &sub[0], S("G"), S("x"));
	msgq_subs_add(subs, &sub[1], S("G"), S("x"));
	msgq_subs_add(subs, &sub[1], S("G"), S("*"));
	ck_assert_uint_eq(match("G", "x"), 2);
	ck_assert_int_eq(hits[0], 1);
	ck_assert_int_eq(hits[1], 1);
	/* Twice in a row: the marks of the first match do not leak. */
	ck_assert_uint_eq(match("G", "x"), 2);
	ck_assert_int_eq(hits[0], 1);
	ck_assert_int_eq(hits[1], 1);
}
END_TEST

static int
refuse_odd(struct msgq_subscriber *s, void *arg)
{
	int idx = (int)((int *)s->owner - hits);

	(*(int *)s->owner)++;
	return idx % 2 == 0;
}

START_TEST(test_subs_match_counts_only_accepted)
{
	int i;

	for (i = 0; i < 6; i++)
		msgq_subs_add(subs, &sub[i], S("G"), S("*"));
	ck_assert_uint_eq(msgq_subs_match(subs, S("G"), S("*"), refuse_odd,
	    NULL), 3);
	for (i = 0; i < 6; i++)
		ck_assert_int_eq(hits[i], 1);
}
END_TEST

START_TEST(test_subs_remove_transitions)
{
	ck_assert_int_eq(msgq_subs_remove(subs, &sub[0], S("G"), S("*")),
	    MSGQ_SUBS_NOOP);
	msgq_subs_add(subs, &sub[0], S("G"), S("*"));
	msgq_subs_add(subs, &sub[0], S("G"), S("x"));
	msgq_subs_add(subs, &sub[1], S("G"), S("x"));
	/* Not subscribed to that instance, or to that group. */
	ck_assert_int_eq(msgq_subs_remove(subs, &sub[0], S("G"), S("y")),
	    MSGQ_SUBS_NOOP);
	ck_assert_int_eq(msgq_subs_remove(subs, &sub[2], S("G"), S("x")),
	    MSGQ_SUBS_NOOP);
	ck_assert_int_eq(msgq_subs_remove(subs, &sub[0], S("H"), S("x")),
	    MSGQ_SUBS_NOOP);
	ck_assert_int_eq(msgq_subs_remove(subs, &sub[0], S("G"), S("x")),
	    MSGQ_SUBS_INSTANCE);
	ck_assert_int_eq(msgq_subs_remove(subs, &sub[0], S("G"), S("x")),
	    MSGQ_SUBS_NOOP);
	ck_assert_uint_eq(match("G", "x"), 2);
	ck_assert_int_eq(msgq_subs_remove(subs, &sub[0], S("G"), S("*")),
	    MSGQ_SUBS_GROUP);
	ck_assert_uint_eq(sub[0].ngroups, 0);
	ck_assert_ptr_null(sub[0].bygroup);
	ck_assert_uint_eq(match("G", "x"), 1);
	ck_assert_int_eq(hits[1], 1);
	ck_assert_uint_eq(msgq_subs_group_size(subs, S("G")), 1);
	/* The last member out frees the group. */
	ck_assert_int_eq(msgq_subs_remove(subs, &sub[1], S("G"), S("x")),
	    MSGQ_SUBS_GROUP);
	ck_assert_uint_eq(msgq_subs_ngroups(subs), 0);
	ck_assert_uint_eq(match("G", "x"), 0);
	/* And it can come back. */
	ck_assert_int_eq(msgq_subs_add(subs, &sub[1], S("G"), S("x")),
	    MSGQ_SUBS_GROUP);
}
END_TEST

struct left_log {
	char	names[8][16];
	int	n;
	size_t	seen_size;	/* members of "N" at the time of the call */
};

static void
record_left(const char *group, size_t len, void *arg)
{
	struct left_log *l = arg;

	ck_assert_int_lt(l->n, 8);
	snprintf(l->names[l->n++], sizeof(l->names[0]), "%.*s", (int)len,
	    group);
	/* The table may be looked up from the callback. */
	l->seen_size = msgq_subs_group_size(subs, S("N"));
	msgq_subs_match(subs, S("N"), S("*"), count_hit, NULL);
}

START_TEST(test_subs_remove_all)
{
	struct left_log l;

	memset(&l, 0, sizeof(l));
	msgq_subs_add(subs, &sub[0], S("B"), S("*"));
	msgq_subs_add(subs, &sub[0], S("A"), S("x"));
	msgq_subs_add(subs, &sub[0], S("A"), S("y"));
	msgq_subs_add(subs, &sub[0], S("N"), S("*"));
	msgq_subs_add(subs, &sub[0], S("C"), S("*"));
	msgq_subs_add(subs, &sub[1], S("A"), S("x"));
	msgq_subs_add(subs, &sub[2], S("N"), S("*"));
	msgq_subs_remove_all(subs, &sub[0], record_left, &l);
	/* One call per group, in the order they were joined. */
	ck_assert_int_eq(l.n, 4);
	ck_assert_str_eq(l.names[0], "B");
	ck_assert_str_eq(l.names[1], "A");
	ck_assert_str_eq(l.names[2], "N");
	ck_assert_str_eq(l.names[3], "C");
	/* During the call for C, sub[0] was already out of N. */
	ck_assert_uint_eq(l.seen_size, 1);
	/* It was still in N when it left B and A, no longer after. */
	ck_assert_int_eq(hits[0], 2);
	ck_assert_int_eq(hits[2], 4);
	ck_assert_uint_eq(sub[0].ngroups, 0);
	ck_assert_ptr_null(sub[0].bygroup);
	ck_assert_uint_eq(msgq_subs_ngroups(subs), 2);	/* A and N */
	ck_assert_uint_eq(match("A", "x"), 1);
	ck_assert_int_eq(hits[1], 1);
	ck_assert_uint_eq(match("B", "*"), 0);
	/* Nothing left: a second call does nothing. */
	l.n = 0;
	msgq_subs_remove_all(subs, &sub[0], record_left, &l);
	ck_assert_int_eq(l.n, 0);
}
END_TEST

static void
collect_member(struct msgq_subscriber *s, void *arg)
{
	(*(int *)s->owner) += 10;
	(*(int *)arg)++;
}

static void
collect_group(const char *group, size_t len, void *arg)
{
	strncat(arg, group, len);
	strcat(arg, ",");
}

START_TEST(test_subs_membership_lists)
{
	char groups[64] = "";
	int n = 0;

	msgq_subs_add(subs, &sub[0], S("G"), S("x"));
	msgq_subs_add(subs, &sub[0], S("G"), S("y"));
	msgq_subs_add(subs, &sub[1], S("G"), S("*"));
	msgq_subs_add(subs, &sub[1], S("H"), S("*"));
	msgq_subs_add(subs, &sub[1], S("B"), S("*"));
	msgq_subs_group_members(subs, S("G"), collect_member, &n);
	/* Each member once, whatever its number of instances. */
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(hits[0], 10);
	ck_assert_int_eq(hits[1], 10);
	n = 0;
	msgq_subs_group_members(subs, S("NoSuch"), collect_member, &n);
	ck_assert_int_eq(n, 0);
	msgq_subscriber_groups(&sub[1], collect_group, groups);
	ck_assert_str_eq(groups, "G,H,B,");
	ck_assert_uint_eq(sub[1].ngroups, 3);
}
END_TEST

START_TEST(test_subs_binary_names)
{
	struct cc_strref a = { "a\0b", 3 }, b = { "a\0c", 3 };

	ck_assert_int_eq(msgq_subs_add(subs, &sub[0], a, S("*")),
	    MSGQ_SUBS_GROUP);
	ck_assert_int_eq(msgq_subs_add(subs, &sub[1], b, S("*")),
	    MSGQ_SUBS_GROUP);
	ck_assert_uint_eq(msgq_subs_match(subs, a, S("*"), count_hit, NULL),
	    1);
	ck_assert_int_eq(hits[0], 1);
	ck_assert_uint_eq(msgq_subs_match(subs, S("a"), S("*"), count_hit,
	    NULL), 0);
}
END_TEST

/*
 * Random subscribe/unsubscribe against a plain bit-matrix model: every
 * match must reach exactly the model's recipients, every change must
 * report the model's transition.
 */
#define RG 5
#define RI 4

static const char *rnd_groups[RG] = { "g0", "g1", "g2", "g3", "g4" };
static const char *rnd_inst[RI] = { "*", "i1", "i2", "i3" };

static int
model_in_group(int model[NSUBS][RG][RI], int s, int g)
{
	int i, n = 0;

	for (i = 0; i < RI; i++)
		n += model[s][g][i];
	return n > 0;
}

static void
check_model_match(int model[NSUBS][RG][RI], int g, int i)
{
	size_t want = 0, got;
	int s, expect;

	got = match(rnd_groups[g], rnd_inst[i]);
	for (s = 0; s < NSUBS; s++) {
		expect = model[s][g][i] || model[s][g][0];
		want += expect;
		ck_assert_int_eq(hits[s], expect);
	}
	ck_assert_uint_eq(got, want);
}

static void
random_step(int model[NSUBS][RG][RI])
{
	int s = rand() % NSUBS, g = rand() % RG, i = rand() % RI;
	int was_in = model_in_group(model, s, g), had = model[s][g][i], rc;

	if (rand() % 2) {
		rc = msgq_subs_add(subs, &sub[s], S(rnd_groups[g]),
		    S(rnd_inst[i]));
		model[s][g][i] = 1;
		ck_assert_int_eq(rc, had ? MSGQ_SUBS_NOOP : was_in ?
		    MSGQ_SUBS_INSTANCE : MSGQ_SUBS_GROUP);
	} else {
		rc = msgq_subs_remove(subs, &sub[s], S(rnd_groups[g]),
		    S(rnd_inst[i]));
		model[s][g][i] = 0;
		ck_assert_int_eq(rc, !had ? MSGQ_SUBS_NOOP :
		    model_in_group(model, s, g) ? MSGQ_SUBS_INSTANCE :
		    MSGQ_SUBS_GROUP);
	}
	check_model_match(model, rand() % RG, rand() % RI);
	ck_assert_uint_eq(sub[s].ngroups, (size_t)(
	    model_in_group(model, s, 0) + model_in_group(model, s, 1) +
	    model_in_group(model, s, 2) + model_in_group(model, s, 3) +
	    model_in_group(model, s, 4)));
}

START_TEST(test_subs_random_against_model)
{
	static int model[NSUBS][RG][RI];
	int step, s, g;

	memset(model, 0, sizeof(model));
	srand(12345);
	for (step = 0; step < 20000; step++) {
		random_step(model);
		if (step % 1000 == 999) {
			s = rand() % NSUBS;
			msgq_subs_remove_all(subs, &sub[s], NULL, NULL);
			memset(model[s], 0, sizeof(model[s]));
		}
	}
	for (g = 0; g < RG; g++) {
		size_t n = 0;

		for (s = 0; s < NSUBS; s++)
			n += model_in_group(model, s, g);
		ck_assert_uint_eq(msgq_subs_group_size(subs,
		    S(rnd_groups[g])), n);
	}
}
END_TEST

/* Many subscribers of one instance, removed out of order. */
START_TEST(test_subs_many_subscribers)
{
	enum { N = 1000 };
	struct msgq_subscriber *many = calloc(N, sizeof(*many));
	int *mhits = calloc(N, sizeof(*mhits)), i;

	ck_assert(many != NULL && mhits != NULL);
	for (i = 0; i < N; i++) {
		msgq_subscriber_init(&many[i], &mhits[i]);
		msgq_subs_add(subs, &many[i], S("Big"), S(i % 2 ? "*" : "x"));
	}
	for (i = 0; i < N; i += 3)
		msgq_subs_remove_all(subs, &many[i], NULL, NULL);
	ck_assert_uint_eq(msgq_subs_match(subs, S("Big"), S("x"), count_hit,
	    NULL), N - (N + 2) / 3);
	for (i = 0; i < N; i++)
		ck_assert_int_eq(mhits[i], i % 3 != 0);
	ck_assert_uint_eq(msgq_subs_group_size(subs, S("Big")),
	    N - (N + 2) / 3);
	for (i = 0; i < N; i++)
		msgq_subs_remove_all(subs, &many[i], NULL, NULL);
	free(many);
	free(mhits);
}
END_TEST

/* The hash table. */

static char *
key_of(int i)
{
	char *s;

	if (asprintf(&s, "key-%d", i) == -1)
		abort();
	return s;
}

START_TEST(test_hash_basic)
{
	struct msgq_hash *h = msgq_hash_new(7);
	char *keys[2000];
	int i, vals[2000];

	for (i = 0; i < 2000; i++) {
		keys[i] = key_of(i);
		vals[i] = i;
		ck_assert_ptr_null(msgq_hash_get(h, keys[i], strlen(keys[i])));
		msgq_hash_put(h, keys[i], strlen(keys[i]), &vals[i]);
	}
	ck_assert_uint_eq(msgq_hash_count(h), 2000);
	for (i = 0; i < 2000; i++)
		ck_assert_ptr_eq(msgq_hash_get(h, keys[i], strlen(keys[i])),
		    &vals[i]);
	/* Delete every other one: the rest must stay reachable. */
	for (i = 0; i < 2000; i += 2)
		ck_assert_ptr_eq(msgq_hash_del(h, keys[i], strlen(keys[i])),
		    &vals[i]);
	ck_assert_ptr_null(msgq_hash_del(h, keys[0], strlen(keys[0])));
	ck_assert_uint_eq(msgq_hash_count(h), 1000);
	for (i = 0; i < 2000; i++)
		ck_assert_ptr_eq(msgq_hash_get(h, keys[i], strlen(keys[i])),
		    i % 2 ? &vals[i] : NULL);
	/* Prefixes and the empty key are keys of their own. */
	ck_assert_ptr_null(msgq_hash_get(h, keys[1], strlen(keys[1]) - 1));
	msgq_hash_put(h, "", 0, &vals[0]);
	ck_assert_ptr_eq(msgq_hash_get(h, "", 0), &vals[0]);
	for (i = 0; i < 2000; i++)
		free(keys[i]);
	msgq_hash_free(h);
}
END_TEST

/*
 * Deletion by backward shift in a small, crowded table: random
 * insert/delete checked against an array, with lookups of every key.
 */
START_TEST(test_hash_random_churn)
{
	struct msgq_hash *h = msgq_hash_new(0);
	static char keys[64][8];
	int present[64], i, k, step;

	memset(present, 0, sizeof(present));
	for (i = 0; i < 64; i++)
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
	srand(99);
	for (step = 0; step < 50000; step++) {
		k = rand() % 64;
		if (present[k]) {
			ck_assert_ptr_eq(msgq_hash_del(h, keys[k],
			    strlen(keys[k])), keys[k]);
			present[k] = 0;
		} else {
			msgq_hash_put(h, keys[k], strlen(keys[k]), keys[k]);
			present[k] = 1;
		}
		if (step % 97 == 0)
			for (i = 0; i < 64; i++)
				ck_assert_ptr_eq(msgq_hash_get(h, keys[i],
				    strlen(keys[i])), present[i] ? keys[i] :
				    NULL);
	}
	msgq_hash_free(h);
}
END_TEST

/* msgpack helpers for the answer tests. */

static msgpack_sbuffer *
packed(void)
{
	static msgpack_sbuffer sb;

	msgpack_sbuffer_destroy(&sb);
	msgpack_sbuffer_init(&sb);
	return &sb;
}

static void
pk_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str(pk, strlen(s));
	msgpack_pack_str_body(pk, s, strlen(s));
}

/* Unpack f's header and check key i is k with string value v. */
static void
expect_kv_str(const msgpack_object *map, uint32_t i, const char *k,
    const char *v)
{
	const msgpack_object_kv *kv = &map->via.map.ptr[i];

	ck_assert_int_eq(kv->key.type, MSGPACK_OBJECT_STR);
	ck_assert_int_eq(kv->key.via.str.size, strlen(k));
	ck_assert_mem_eq(kv->key.via.str.ptr, k, strlen(k));
	ck_assert_int_eq(kv->val.type, MSGPACK_OBJECT_STR);
	ck_assert_int_eq(kv->val.via.str.size, strlen(v));
	ck_assert_mem_eq(kv->val.via.str.ptr, v, strlen(v));
}

static void
expect_kv_int(const msgpack_object *map, uint32_t i, const char *k,
    int64_t v)
{
	const msgpack_object_kv *kv = &map->via.map.ptr[i];

	ck_assert_int_eq(kv->key.type, MSGPACK_OBJECT_STR);
	ck_assert_mem_eq(kv->key.via.str.ptr, k, strlen(k));
	ck_assert(kv->val.type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    kv->val.type == MSGPACK_OBJECT_NEGATIVE_INTEGER);
	ck_assert_int_eq(kv->val.via.i64, v);
}

static void
expect_norecipient_body(const struct cc_frame *f)
{
	/* {"result": [-1, "No such recipient"]} */
	static const unsigned char want[] = { 0x81, 0xa6, 'r', 'e', 's', 'u',
	    'l', 't', 0x92, 0xff, 0xb1, 'N', 'o', ' ', 's', 'u', 'c', 'h',
	    ' ', 'r', 'e', 'c', 'i', 'p', 'i', 'e', 'n', 't' };
	const unsigned char *body;
	size_t blen;

	body = cc_frame_body(f, &blen);
	ck_assert_uint_eq(blen, sizeof(want));
	ck_assert_mem_eq(body, want, sizeof(want));
}

START_TEST(test_norecipient_rewrite_in_place)
{
	msgpack_sbuffer *sb = packed();
	msgpack_packer pk;
	msgpack_unpacked u;
	struct cc_frame *f;
	const unsigned char *hb;
	size_t hlen, off = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 8);
	pk_str(&pk, "type"); pk_str(&pk, "send");
	pk_str(&pk, "from"); pk_str(&pk, "me@h");
	pk_str(&pk, "to"); pk_str(&pk, "nobody@h");
	pk_str(&pk, "group"); pk_str(&pk, "G");
	pk_str(&pk, "x-extra"); msgpack_pack_array(&pk, 2);
	msgpack_pack_int(&pk, 7); pk_str(&pk, "kept");
	pk_str(&pk, "instance"); pk_str(&pk, "i");
	pk_str(&pk, "seq"); msgpack_pack_int(&pk, -5);
	pk_str(&pk, "want_answer"); msgpack_pack_true(&pk);

	f = msgq_answer_norecipient(sb->data, sb->size, S("me@h"), -5, 0,
	    CC_WIRE_MAX_FRAME);
	ck_assert_ptr_nonnull(f);
	hb = cc_frame_header(f, &hlen);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(msgpack_unpack_next(&u, (const char *)hb, hlen, &off),
	    MSGPACK_UNPACK_SUCCESS);
	ck_assert_uint_eq(off, hlen);
	ck_assert_int_eq(u.data.type, MSGPACK_OBJECT_MAP);
	ck_assert_uint_eq(u.data.via.map.size, 9);
	/* Same keys in the same order; from and to replaced in place. */
	expect_kv_str(&u.data, 0, "type", "send");
	expect_kv_str(&u.data, 1, "from", "msgq");
	expect_kv_str(&u.data, 2, "to", "me@h");
	expect_kv_str(&u.data, 3, "group", "G");
	ck_assert_int_eq(u.data.via.map.ptr[4].val.type, MSGPACK_OBJECT_ARRAY);
	expect_kv_str(&u.data, 5, "instance", "i");
	expect_kv_int(&u.data, 6, "seq", -5);
	ck_assert_int_eq(u.data.via.map.ptr[7].val.type,
	    MSGPACK_OBJECT_BOOLEAN);
	ck_assert(u.data.via.map.ptr[7].val.via.boolean);
	/* reply appended. */
	expect_kv_int(&u.data, 8, "reply", -5);
	expect_norecipient_body(f);
	msgpack_unpacked_destroy(&u);
	cc_frame_unref(f);
}
END_TEST

START_TEST(test_norecipient_appends_missing_to)
{
	msgpack_sbuffer *sb = packed();
	msgpack_packer pk;
	msgpack_unpacked u;
	struct cc_frame *f;
	const unsigned char *hb;
	size_t hlen, off = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
	pk_str(&pk, "type"); pk_str(&pk, "send");
	pk_str(&pk, "group"); pk_str(&pk, "G");
	pk_str(&pk, "seq"); msgpack_pack_uint64(&pk, 1000000);
	pk_str(&pk, "want_answer"); msgpack_pack_true(&pk);
	f = msgq_answer_norecipient(sb->data, sb->size, S("me@h"), 1000000, 0,
	    CC_WIRE_MAX_FRAME);
	ck_assert_ptr_nonnull(f);
	hb = cc_frame_header(f, &hlen);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(msgpack_unpack_next(&u, (const char *)hb, hlen, &off),
	    MSGPACK_UNPACK_SUCCESS);
	ck_assert_uint_eq(u.data.via.map.size, 7);
	expect_kv_str(&u.data, 0, "type", "send");
	expect_kv_str(&u.data, 1, "group", "G");
	expect_kv_int(&u.data, 2, "seq", 1000000);
	expect_kv_str(&u.data, 4, "from", "msgq");
	expect_kv_str(&u.data, 5, "to", "me@h");
	expect_kv_int(&u.data, 6, "reply", 1000000);
	msgpack_unpacked_destroy(&u);
	cc_frame_unref(f);
}
END_TEST

START_TEST(test_norecipient_refused)
{
	static const unsigned char notmap[] = { 0x91, 0x01 };
	static const unsigned char garbage[] = { 0xc1 };
	msgpack_sbuffer *sb = packed();
	msgpack_packer pk;
	char *big;

	ck_assert_ptr_null(msgq_answer_norecipient(notmap, sizeof(notmap),
	    S("me"), 1, 0, 0));
	ck_assert_ptr_null(msgq_answer_norecipient(garbage, sizeof(garbage),
	    S("me"), 1, 0, 0));
	/* A header that no longer fits 64 KiB once to/reply are added. */
	big = malloc(65500);
	ck_assert_ptr_nonnull(big);
	memset(big, 'v', 65499);
	big[65499] = '\0';
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2);
	pk_str(&pk, "type"); pk_str(&pk, "send");
	pk_str(&pk, "x"); pk_str(&pk, big);
	ck_assert_uint_le(sb->size, CC_WIRE_HLEN_MAX);
	ck_assert_ptr_null(msgq_answer_norecipient(sb->data, sb->size,
	    S("a-long-lname-to-push-it-over@host"), 1, 0, 0));
	free(big);
}
END_TEST

/* What msgq answers a refused header with: the fields the parser could
 * still read, and nothing from bytes that are not msgpack. */
static void
replyto_of(struct msgq_replyto *r, const void *buf, size_t len)
{
	struct cc_header h;

	cc_header_init(&h);
	ck_assert_int_eq(cc_header_parse(&h, buf, len), CC_EHEADER);
	msgq_replyto_from_header(r, &h);
	cc_header_clear(&h);
}

START_TEST(test_replyto_bad_header)
{
	msgpack_sbuffer *sb = packed();
	msgpack_packer pk;
	struct msgq_replyto r;
	static const unsigned char garbage[] = { 0x82, 0xa4, 't' };
	/* seq 9, want_answer, then bytes that are not msgpack. */
	static const unsigned char cut[] = { 0x83, 0xa3, 's', 'e', 'q', 0x09,
	    0xab, 'w', 'a', 'n', 't', '_', 'a', 'n', 's', 'w', 'e', 'r', 0xc3,
	    0xc1 };

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
	pk_str(&pk, "type"); msgpack_pack_int(&pk, 3);
	pk_str(&pk, "seq"); msgpack_pack_uint64(&pk, UINT64_MAX);
	pk_str(&pk, "group"); pk_str(&pk, "Grp");
	pk_str(&pk, "want_answer"); msgpack_pack_true(&pk);
	replyto_of(&r, sb->data, sb->size);
	ck_assert(r.has_seq && r.seq_u64 && (uint64_t)r.seq == UINT64_MAX);
	ck_assert(r.want_answer);
	ck_assert(cc_strref_eq(r.group, "Grp"));

	sb = packed();
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 3);
	pk_str(&pk, "seq"); pk_str(&pk, "7");
	pk_str(&pk, "group"); msgpack_pack_int(&pk, 5);
	pk_str(&pk, "want_answer"); msgpack_pack_int(&pk, 1);
	replyto_of(&r, sb->data, sb->size);
	ck_assert(!r.has_seq && !r.want_answer && r.group.ptr == NULL);

	replyto_of(&r, garbage, sizeof(garbage));
	ck_assert(!r.has_seq && !r.want_answer && r.group.ptr == NULL);
	replyto_of(&r, cut, sizeof(cut));
	ck_assert(!r.has_seq && !r.want_answer);
}
END_TEST

/* A seq above INT64_MAX is echoed as the same unsigned integer. */
START_TEST(test_norecipient_u64_seq)
{
	msgpack_sbuffer *sb = packed();
	msgpack_packer pk;
	msgpack_unpacked u;
	struct cc_frame *f;
	const unsigned char *hb;
	size_t hlen, off = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 3);
	pk_str(&pk, "type"); pk_str(&pk, "send");
	pk_str(&pk, "seq"); msgpack_pack_uint64(&pk, UINT64_MAX - 1);
	pk_str(&pk, "want_answer"); msgpack_pack_true(&pk);
	f = msgq_answer_norecipient(sb->data, sb->size, S("me@h"),
	    (int64_t)(UINT64_MAX - 1), 1, CC_WIRE_MAX_FRAME);
	ck_assert_ptr_nonnull(f);
	hb = cc_frame_header(f, &hlen);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(msgpack_unpack_next(&u, (const char *)hb, hlen, &off),
	    MSGPACK_UNPACK_SUCCESS);
	ck_assert_uint_eq(u.data.via.map.size, 6);
	ck_assert_int_eq(u.data.via.map.ptr[5].val.type,
	    MSGPACK_OBJECT_POSITIVE_INTEGER);
	ck_assert(u.data.via.map.ptr[5].val.via.u64 == UINT64_MAX - 1);
	msgpack_unpacked_destroy(&u);
	cc_frame_unref(f);
}
END_TEST

/* The output queue. */

static struct cc_frame *
frame_of(size_t blen)
{
	static const unsigned char hdr[] = { 0x80 };
	unsigned char *body = malloc(blen + 1);
	struct cc_frame *f;

	ck_assert_ptr_nonnull(body);
	memset(body, 'b', blen + 1);
	ck_assert_int_eq(cc_frame_encode(hdr, sizeof(hdr), body, blen, 0, &f),
	    CC_OK);
	free(body);
	return f;
}

static size_t
read_all(int fd, size_t want)
{
	char buf[65536];
	size_t got = 0;
	ssize_t n;

	while (got < want && (n = read(fd, buf, sizeof(buf))) > 0)
		got += (size_t)n;
	return got;
}

START_TEST(test_outq_counts_written_frames)
{
	struct msgq_outq q;
	struct cc_frame *small = frame_of(10), *big = frame_of(1 << 20);
	size_t done = 0, total;
	int sv[2], i, sndbuf = 4096;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
	    sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	msgq_outq_init(&q);
	for (i = 0; i < 100; i++)
		msgq_outq_push(&q, small);
	msgq_outq_push(&q, big);
	msgq_outq_push(&q, small);
	total = 101 * cc_frame_size(small) + cc_frame_size(big);
	ck_assert_uint_eq(msgq_outq_frames(&q), 102);
	ck_assert_uint_eq(msgq_outq_bytes(&q), total);
	/* The socket takes little: the big frame stays partly unwritten. */
	ck_assert_int_eq(msgq_outq_write(&q, sv[0], &done), 0);
	ck_assert_uint_eq(done, 100);
	ck_assert_uint_eq(msgq_outq_frames(&q), 2);
	ck_assert_uint_gt(msgq_outq_bytes(&q), 0);
	/* Drain the peer and write until everything is out. */
	while (msgq_outq_bytes(&q) > 0) {
		read_all(sv[1], 1);
		ck_assert_int_eq(msgq_outq_write(&q, sv[0], &done), 0);
	}
	ck_assert_uint_eq(done, 102);
	ck_assert_uint_eq(msgq_outq_frames(&q), 0);
	/* A queue cleared with frames left says how many. */
	msgq_outq_push(&q, small);
	msgq_outq_push(&q, small);
	ck_assert_uint_eq(msgq_outq_clear(&q), 2);
	close(sv[0]);
	close(sv[1]);
	cc_frame_unref(small);
	cc_frame_unref(big);
}
END_TEST

START_TEST(test_outq_write_error)
{
	struct msgq_outq q;
	struct cc_frame *f = frame_of(10);
	size_t done = 0;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
	    sv), 0);
	close(sv[1]);
	msgq_outq_init(&q);
	msgq_outq_push(&q, f);
	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(msgq_outq_write(&q, sv[0], &done), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_uint_eq(done, 0);
	ck_assert_uint_eq(msgq_outq_clear(&q), 1);
	close(sv[0]);
	cc_frame_unref(f);
}
END_TEST

/* The ring grows while its head is in the middle. */
START_TEST(test_outq_ring_wraps)
{
	struct msgq_outq q;
	struct cc_frame *f = frame_of(1);
	size_t done = 0, fs = cc_frame_size(f);
	int sv[2], round, i;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
	    sv), 0);
	msgq_outq_init(&q);
	for (round = 0; round < 5; round++) {
		for (i = 0; i < 50 + round * 40; i++)
			msgq_outq_push(&q, f);
		ck_assert_int_eq(msgq_outq_write(&q, sv[0], &done), 0);
		ck_assert_uint_eq(msgq_outq_frames(&q), 0);
		ck_assert_uint_eq(read_all(sv[1], (50 + round * 40) * fs),
		    (50 + round * 40) * fs);
	}
	ck_assert_uint_eq(done, 50 * 5 + 40 * 10);
	msgq_outq_clear(&q);
	close(sv[0]);
	close(sv[1]);
	cc_frame_unref(f);
}
END_TEST

/* Settings. */

START_TEST(test_parse_size)
{
	size_t v;

	ck_assert_int_eq(msgq_parse_size("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(msgq_parse_size("65536", &v), 0);
	ck_assert_uint_eq(v, 65536);
	ck_assert_int_eq(msgq_parse_size("64K", &v), 0);
	ck_assert_uint_eq(v, 65536);
	ck_assert_int_eq(msgq_parse_size("16m", &v), 0);
	ck_assert_uint_eq(v, 16u << 20);
	ck_assert_int_eq(msgq_parse_size("2G", &v), 0);
	ck_assert_uint_eq(v, (size_t)2 << 30);
	ck_assert_int_eq(msgq_parse_size("", &v), -1);
	ck_assert_int_eq(msgq_parse_size("-1", &v), -1);
	ck_assert_int_eq(msgq_parse_size(" 1", &v), -1);
	ck_assert_int_eq(msgq_parse_size("1T", &v), -1);
	ck_assert_int_eq(msgq_parse_size("1MB", &v), -1);
	ck_assert_int_eq(msgq_parse_size("M", &v), -1);
	ck_assert_int_eq(msgq_parse_size("99999999999999999999", &v), -1);
	ck_assert_int_eq(msgq_parse_size("18014398509481984G", &v), -1);
}
END_TEST

START_TEST(test_config_check)
{
	struct msgq_config cfg;
	char err[128];

	msgq_config_defaults(&cfg);
	ck_assert_int_eq(msgq_config_check(cfg.max_frame, cfg.max_queue,
	    cfg.max_clients, err, sizeof(err)), 0);
	ck_assert_uint_ge(cfg.max_queue, cfg.max_frame);
	ck_assert_int_eq(msgq_config_check(1 << 20, 1 << 19, 10, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "max_queue 524288 is below max_frame 1048576");
	/* Equal is fine. */
	ck_assert_int_eq(msgq_config_check(1 << 20, 1 << 20, 10, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(msgq_config_check(CC_WIRE_MIN_FRAME - 1, 1 << 20, 10,
	    err, sizeof(err)), -1);
	ck_assert_int_eq(msgq_config_check((size_t)1 << 33, (size_t)1 << 34,
	    10, err, sizeof(err)), -1);
	ck_assert_int_eq(msgq_config_check(1 << 20, 1 << 20, 0, err,
	    sizeof(err)), -1);
}
END_TEST

static Suite *
msgq_suite(void)
{
	Suite *s = suite_create("msgq");
	TCase *tsubs = tcase_create("subs");
	TCase *thash = tcase_create("hash");
	TCase *tans = tcase_create("answer");
	TCase *toutq = tcase_create("outq");
	TCase *tcfg = tcase_create("config");

	tcase_add_checked_fixture(tsubs, subs_setup, subs_teardown);
	tcase_add_test(tsubs, test_subs_add_transitions);
	tcase_add_test(tsubs, test_subs_missing_instance_is_wildcard);
	tcase_add_test(tsubs, test_subs_wildcard_on_subscriber_side);
	tcase_add_test(tsubs, test_subs_each_connection_once);
	tcase_add_test(tsubs, test_subs_match_counts_only_accepted);
	tcase_add_test(tsubs, test_subs_remove_transitions);
	tcase_add_test(tsubs, test_subs_remove_all);
	tcase_add_test(tsubs, test_subs_membership_lists);
	tcase_add_test(tsubs, test_subs_binary_names);
	tcase_add_test(tsubs, test_subs_random_against_model);
	tcase_add_test(tsubs, test_subs_many_subscribers);
	suite_add_tcase(s, tsubs);

	tcase_add_test(thash, test_hash_basic);
	tcase_add_test(thash, test_hash_random_churn);
	suite_add_tcase(s, thash);

	tcase_add_test(tans, test_norecipient_rewrite_in_place);
	tcase_add_test(tans, test_norecipient_appends_missing_to);
	tcase_add_test(tans, test_norecipient_refused);
	tcase_add_test(tans, test_replyto_bad_header);
	tcase_add_test(tans, test_norecipient_u64_seq);
	suite_add_tcase(s, tans);

	tcase_add_test(toutq, test_outq_counts_written_frames);
	tcase_add_test(toutq, test_outq_write_error);
	tcase_add_test(toutq, test_outq_ring_wraps);
	suite_add_tcase(s, toutq);

	tcase_add_test(tcfg, test_parse_size);
	tcase_add_test(tcfg, test_config_check);
	suite_add_tcase(s, tcfg);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(msgq_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
