/*
 * Small helpers shared by the wire layer's unit tests: hex strings to
 * bytes, msgpack built by hand into a growable buffer, and a seeded PRNG
 * whose seed is printed so a failing random run can be repeated
 * (CCBUS_TEST_SEED=n).
 */
#ifndef WIRE_TESTUTIL_H
#define WIRE_TESTUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <msgpack.h>

/*
 * A check for hot loops: Check records the location of every assertion
 * that passes (a write to its log), which costs minutes under valgrind
 * when done per byte; this one costs nothing until it fails.
 */
#define WT_REQUIRE(cond, ...) do {					\
	if (!(cond))							\
		ck_abort_msg(__VA_ARGS__);				\
} while (0)

/* Bytes of a hex string ("00 0c a5"; spaces ignored) into out; their
 * number. */
static inline size_t
wt_hex(const char *s, unsigned char *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	while (*s != '\0') {
		if (*s == ' ') {
			s++;
			continue;
		}
		ck_assert_msg(n < cap, "hex string too long");
		ck_assert_int_eq(sscanf(s, "%2x", &v), 1);
		out[n++] = (unsigned char)v;
		s += 2;
	}
	return n;
}

/* A msgpack packer writing into a fresh sbuffer. */
struct wt_mp {
	msgpack_sbuffer	sb;
	msgpack_packer	pk;
};

static inline void
wt_mp_init(struct wt_mp *m)
{
	msgpack_sbuffer_init(&m->sb);
	msgpack_packer_init(&m->pk, &m->sb, msgpack_sbuffer_write);
}

static inline void
wt_mp_str(struct wt_mp *m, const char *s)
{
	msgpack_pack_str(&m->pk, strlen(s));
	msgpack_pack_str_body(&m->pk, s, strlen(s));
}

static inline void
wt_mp_free(struct wt_mp *m)
{
	msgpack_sbuffer_destroy(&m->sb);
}

/* xorshift64*: fast, good enough to pick chunk sizes and contents. */
static inline uint64_t
wt_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static inline uint64_t
wt_seed(const char *test)
{
	const char *env = getenv("CCBUS_TEST_SEED");
	uint64_t seed;

	seed = env != NULL ? strtoull(env, NULL, 0) :
	    (uint64_t)time(NULL) ^ (uint64_t)clock();
	if (seed == 0)
		seed = 1;
	printf("%s: seed %llu (repeat with CCBUS_TEST_SEED=%llu)\n", test,
	    (unsigned long long)seed, (unsigned long long)seed);
	fflush(stdout);
	return seed;
}

#endif
