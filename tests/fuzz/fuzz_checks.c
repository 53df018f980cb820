/*
 * The invariants the fuzz targets check (fuzz.h), each taken from the
 * contract in libcc's public headers: cc/wire.h for headers and
 * cc_msgpack_check(), cc/codec.h for the msgpack <-> json_t codec,
 * cc/message.h for command, answer and notification bodies.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cc/codec.h>
#include <cc/error.h>
#include <cc/message.h>
#include <cc/wire.h>

#include "fuzz.h"

#define HDR_FLAGS	(CC_HDR_SEQ | CC_HDR_REPLY | CC_HDR_WANT_ANSWER | \
			 CC_HDR_SEQ_U64 | CC_HDR_REPLY_U64)

void
fuzz_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: invariant broken: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* The string fields of a header, in the order of PROTOCOL.md section 3. */
static const char *const hdr_names[] = {
	"type", "from", "to", "group", "instance",
};
#define NHDR_STRS	(sizeof(hdr_names) / sizeof(hdr_names[0]))

static const struct cc_strref *
hdr_str(const struct cc_header *h, size_t i)
{
	const struct cc_strref *s[NHDR_STRS] = {
		&h->type, &h->from, &h->to, &h->group, &h->instance,
	};

	return s[i];
}

static bool
strref_same(struct cc_strref a, struct cc_strref b)
{
	if (a.ptr == NULL || b.ptr == NULL)
		return a.ptr == b.ptr;
	return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

static bool
header_same(const struct cc_header *a, const struct cc_header *b)
{
	size_t i;

	for (i = 0; i < NHDR_STRS; i++)
		if (!strref_same(*hdr_str(a, i), *hdr_str(b, i)))
			return false;
	return a->flags == b->flags &&
	    (!(a->flags & CC_HDR_SEQ) || a->seq == b->seq) &&
	    (!(a->flags & CC_HDR_REPLY) || a->reply == b->reply);
}

/* Whatever the result, the fields point into the parsed bytes and the
 * flags are the documented ones, consistent with each other. */
static void
header_sane(const struct cc_header *h, const unsigned char *buf, size_t len)
{
	const struct cc_strref *s;
	uintptr_t lo = (uintptr_t)buf, hi = lo + len;
	size_t i;

	for (i = 0; i < NHDR_STRS; i++) {
		s = hdr_str(h, i);
		FUZZ_REQUIRE(s->ptr == NULL || ((uintptr_t)s->ptr >= lo &&
		    (uintptr_t)s->ptr <= hi && s->len <= hi -
		    (uintptr_t)s->ptr), "field '%s' outside the header bytes",
		    hdr_names[i]);
	}
	FUZZ_REQUIRE((h->flags & ~(unsigned)HDR_FLAGS) == 0,
	    "unknown header flags 0x%x", h->flags);
	FUZZ_REQUIRE(!(h->flags & CC_HDR_SEQ_U64) || (h->flags & CC_HDR_SEQ),
	    "CC_HDR_SEQ_U64 without CC_HDR_SEQ");
	FUZZ_REQUIRE(!(h->flags & CC_HDR_REPLY_U64) ||
	    (h->flags & CC_HDR_REPLY), "CC_HDR_REPLY_U64 without CC_HDR_REPLY");
}

static bool
header_empty(const struct cc_header *h)
{
	size_t i;

	for (i = 0; i < NHDR_STRS; i++)
		if (hdr_str(h, i)->ptr != NULL)
			return false;
	return h->flags == 0;
}

/* An integer field: present in the JSON exactly when its flag is set,
 * with the same value. */
static void
header_int_vs_json(const json_t *j, const char *name, unsigned flag,
    int64_t v, unsigned flags)
{
	const json_t *jv = json_object_get(j, name);

	if (!(flags & flag)) {
		FUZZ_REQUIRE(jv == NULL, "'%s' decoded but not parsed", name);
		return;
	}
	FUZZ_REQUIRE(json_is_integer(jv) && json_integer_value(jv) == v,
	    "'%s' parsed as %lld, decoded otherwise", name, (long long)v);
}

/* A header that parsed, against the same bytes decoded as JSON. */
static void
header_vs_json(const struct cc_header *h, const json_t *j)
{
	const struct cc_strref *s;
	const json_t *jv;
	size_t i;

	FUZZ_REQUIRE(json_is_object(j), "a parsed header decodes to %d",
	    json_typeof(j));
	for (i = 0; i < NHDR_STRS; i++) {
		s = hdr_str(h, i);
		jv = json_object_get(j, hdr_names[i]);
		if (s->ptr == NULL) {
			FUZZ_REQUIRE(jv == NULL, "'%s' decoded but not parsed",
			    hdr_names[i]);
			continue;
		}
		FUZZ_REQUIRE(json_is_string(jv) &&
		    json_string_length(jv) == s->len &&
		    memcmp(json_string_value(jv), s->ptr, s->len) == 0,
		    "'%s' parsed and decoded differently", hdr_names[i]);
	}
	/* JSON integers are signed: a header with a u64 seq does not
	 * decode, so it never gets here. */
	FUZZ_REQUIRE(!(h->flags & (CC_HDR_SEQ_U64 | CC_HDR_REPLY_U64)),
	    "a header with a u64 seq or reply decoded");
	header_int_vs_json(j, "seq", CC_HDR_SEQ, h->seq, h->flags);
	header_int_vs_json(j, "reply", CC_HDR_REPLY, h->reply, h->flags);
	jv = json_object_get(j, "want_answer");
	FUZZ_REQUIRE(jv == NULL || json_is_boolean(jv),
	    "want_answer decoded as a non-boolean");
	FUZZ_REQUIRE(json_is_true(jv) == !!(h->flags & CC_HDR_WANT_ANSWER),
	    "want_answer parsed and decoded differently");
}

/* cc_frame_build() from a parsed header, parsed again: the same fields
 * (a u64 seq packed back unsigned), and no body. */
static void
header_rebuild(const struct cc_header *h, size_t len)
{
	const unsigned char *hb;
	struct cc_header again;
	struct cc_frame *f;
	size_t hlen, blen;
	int rc;

	/* The rebuilt header holds only the known fields, each encoded no
	 * longer than the parsed bytes had it: it fits if they did. */
	rc = cc_frame_build(h, NULL, 0, 0, &f);
	if (rc == CC_ENOMEM || (rc == CC_EINVAL && len > CC_WIRE_HLEN_MAX))
		return;
	FUZZ_REQUIRE(rc == CC_OK, "cc_frame_build refused a parsed header: "
	    "%s", cc_strerror(rc));
	hb = cc_frame_header(f, &hlen);
	(void)cc_frame_body(f, &blen);
	FUZZ_REQUIRE(blen == 0 && cc_frame_size(f) == CC_WIRE_PREFIX_LEN +
	    hlen, "rebuilt frame has %zu body bytes", blen);
	cc_header_init(&again);
	rc = cc_header_parse(&again, hb, hlen);
	FUZZ_REQUIRE(rc == CC_OK, "rebuilt header does not parse: %s",
	    again.error);
	FUZZ_REQUIRE(header_same(h, &again), "rebuilt header differs");
	cc_header_clear(&again);
	cc_frame_unref(f);
}

void
fuzz_check_header(const unsigned char *buf, size_t len)
{
	struct cc_header h, again;
	size_t used;
	json_t *j;
	int rc;

	cc_header_init(&h);
	rc = cc_header_parse(&h, buf, len);
	if (rc == CC_ENOMEM)
		goto out;
	FUZZ_REQUIRE(rc == CC_OK || rc == CC_EHEADER, "cc_header_parse "
	    "returned %d", rc);
	FUZZ_REQUIRE(rc == CC_OK || h.error[0] != '\0',
	    "CC_EHEADER without a reason");
	header_sane(&h, buf, len);
	/* Not msgpack at all: no field may be trusted, none is set. */
	if (cc_msgpack_check(buf, len, &used, NULL, 0) != CC_OK)
		FUZZ_REQUIRE(rc == CC_EHEADER && header_empty(&h),
		    "fields set from bytes that are not msgpack");
	if (rc != CC_OK)
		goto out;
	FUZZ_REQUIRE(h.type.ptr != NULL, "parsed without 'type'");
	FUZZ_REQUIRE(cc_msgpack_check(buf, len, NULL, NULL, 0) == CC_OK,
	    "a parsed header is not one msgpack value");
	if (cc_json_unpack(buf, len, &j, NULL, 0) == CC_OK) {
		header_vs_json(&h, j);
		json_decref(j);
	}
	header_rebuild(&h, len);
	/* The struct is reused across parses: the same bytes again into
	 * one that held another header give the same fields. */
	cc_header_init(&again);
	(void)cc_header_parse(&again, "\x81\xa4type\xa1x", 8);
	FUZZ_REQUIRE(cc_header_parse(&again, buf, len) == CC_OK &&
	    header_same(&h, &again), "a reused cc_header parses differently");
	cc_header_clear(&again);
out:
	cc_header_clear(&h);
}

/*
 * json_equal(), except that object keys are compared with their length:
 * jansson's json_equal() looks keys up as C strings, so {"k\0": 1,
 * "k": 2} would differ from itself. Keys with NUL bytes are legal here
 * (msgpack str and bin keys arrive exactly, cc/codec.h).
 */
static bool
value_same(const json_t *a, const json_t *b)
{
	const json_t *w;
	size_t i;
	void *it;

	if (json_typeof(a) != json_typeof(b))
		return false;
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (i = 0; i < json_array_size(a); i++)
			if (!value_same(json_array_get(a, i),
			    json_array_get(b, i)))
				return false;
		return true;
	}
	if (!json_is_object(a))
		return json_equal(a, b);
	if (json_object_size(a) != json_object_size(b))
		return false;
	/* jansson's iterators take a non-const object; they only read. */
	for (it = json_object_iter((json_t *)a); it != NULL;
	    it = json_object_iter_next((json_t *)a, it)) {
		w = json_object_getn(b, json_object_iter_key(it),
		    json_object_iter_key_len(it));
		if (w == NULL || !value_same(json_object_iter_value(it), w))
			return false;
	}
	return true;
}

/* A value cc_json_unpack() made: packed, checked and unpacked again. */
static void
value_repack(const json_t *v)
{
	char err[256] = "", *p;
	json_t *w;
	size_t plen;
	int rc;

	rc = cc_json_pack(v, &p, &plen, err, sizeof(err));
	if (rc == CC_ENOMEM)
		return;
	/* Only depth can be refused, and unpack already bounded it. */
	FUZZ_REQUIRE(rc == CC_OK, "cc_json_pack refused an unpacked value: "
	    "%s", err);
	FUZZ_REQUIRE(cc_msgpack_check(p, plen, NULL, err, sizeof(err)) ==
	    CC_OK, "cc_json_pack wrote what cc_msgpack_check refuses: %s",
	    err);
	rc = cc_json_unpack(p, plen, &w, err, sizeof(err));
	if (rc != CC_ENOMEM) {
		FUZZ_REQUIRE(rc == CC_OK, "repacked value does not unpack: %s",
		    err);
		FUZZ_REQUIRE(value_same(v, w), "round trip changed the value");
		json_decref(w);
	}
	free(p);
}

/* cc_msgpack_check() with and without `used` tell the same story. */
static int
check_shape(const unsigned char *buf, size_t len)
{
	char err[256] = "";
	size_t used = 0;
	int whole, first;

	whole = cc_msgpack_check(buf, len, NULL, err, sizeof(err));
	FUZZ_REQUIRE(whole == CC_OK || (whole == CC_EDECODE && err[0] != '\0'),
	    "cc_msgpack_check returned %d", whole);
	first = cc_msgpack_check(buf, len, &used, NULL, 0);
	FUZZ_REQUIRE(first == CC_OK || first == CC_EDECODE,
	    "cc_msgpack_check returned %d", first);
	if (first != CC_OK) {
		FUZZ_REQUIRE(whole != CC_OK, "value refused only with `used`");
		return whole;
	}
	FUZZ_REQUIRE(used >= 1 && used <= len, "used %zu of %zu bytes", used,
	    len);
	FUZZ_REQUIRE((whole == CC_OK) == (used == len),
	    "trailing bytes judged differently (used %zu of %zu)", used, len);
	FUZZ_REQUIRE(cc_msgpack_check(buf, used, NULL, NULL, 0) == CC_OK,
	    "the first %zu bytes alone are refused", used);
	return whole;
}

json_t *
fuzz_check_value(const unsigned char *buf, size_t len)
{
	char err[256] = "";
	json_t *v = NULL;
	int shape, rc;

	shape = check_shape(buf, len);
	rc = cc_json_unpack(buf, len, &v, err, sizeof(err));
	if (rc == CC_ENOMEM)
		return NULL;
	FUZZ_REQUIRE(rc == CC_OK || (rc == CC_EDECODE && err[0] != '\0'),
	    "cc_json_unpack returned %d", rc);
	if (rc != CC_OK)
		return NULL;
	FUZZ_REQUIRE(v != NULL, "CC_OK without a value");
	/* The check is the codec's shape rules (depth CC_CODEC_MAX_DEPTH,
	 * lengths, no 0xc1) without its conversion rules: it may pass what
	 * unpack refuses (ext, a u64), never the reverse. */
	FUZZ_REQUIRE(shape == CC_OK, "unpacked what cc_msgpack_check refuses");
	value_repack(v);
	return v;
}

/* The list under key in body when body is {key: [x]} or {key: [x, y]}:
 * the shape every body of PROTOCOL.md section 7 has. */
static const json_t *
body_list(const json_t *body, const char *key)
{
	const json_t *list;

	if (!json_is_object(body))
		return NULL;
	list = json_object_get(body, key);
	if (!json_is_array(list) || json_array_size(list) < 1 ||
	    json_array_size(list) > 2)
		return NULL;
	return list;
}

typedef int (*named_parse_fn)(const json_t *, const char **, json_t **);
typedef json_t *(*named_new_fn)(const char *, const json_t *);

/* A command or a notification: [name] or [name, x], name a string. */
static void
check_named(const json_t *body, const char *key, named_parse_fn parse,
    named_new_fn build)
{
	static const char unset_name[] = "unset";
	const json_t *list = body_list(body, key);
	const char *name = unset_name, *name2;
	json_t *rest, *rest2, *unset, *b;
	bool ok;
	int rc;

	if ((unset = json_object()) == NULL)
		return;
	rest = unset;
	ok = list != NULL && json_is_string(json_array_get(list, 0));
	rc = parse(body, &name, &rest);
	FUZZ_REQUIRE(rc == (ok ? CC_OK : CC_EPROTO), "'%s' body %s, parse "
	    "returned %d", key, ok ? "well formed" : "malformed", rc);
	if (!ok) {
		FUZZ_REQUIRE(name == unset_name && rest == unset,
		    "'%s' parse set its outputs on CC_EPROTO", key);
		goto out;
	}
	FUZZ_REQUIRE(name == json_string_value(json_array_get(list, 0)) &&
	    rest == json_array_get(list, 1), "'%s' parse handed out the "
	    "wrong parts", key);
	/* NULL: a name that is not UTF-8 (msgpack bin), or ENOMEM. */
	if ((b = build(name, rest)) == NULL)
		goto out;
	FUZZ_REQUIRE(parse(b, &name2, &rest2) == CC_OK &&
	    strcmp(name, name2) == 0 && (rest == NULL ? rest2 == NULL :
	    value_same(rest, rest2)), "'%s' rebuilt body parses differently",
	    key);
	json_decref(b);
out:
	json_decref(unset);
}

/* An answer: [rcode] or [rcode, value], rcode an int, an error's value
 * a string. */
static void
check_answer(const json_t *body)
{
	const json_t *list = body_list(body, "result"), *first, *second;
	json_t *value, *value2, *unset, *b;
	int rcode = INT_MIN + 7, rcode2, rc;
	json_int_t n = 0;
	bool ok = false;

	if ((unset = json_object()) == NULL)
		return;
	value = unset;
	first = json_array_get(list, 0);
	second = json_array_get(list, 1);
	if (list != NULL && json_is_integer(first)) {
		n = json_integer_value(first);
		ok = n >= INT_MIN && n <= INT_MAX &&
		    (n == 0 || second == NULL || json_is_string(second));
	}
	rc = cc_answer_parse(body, &rcode, &value);
	FUZZ_REQUIRE(rc == (ok ? CC_OK : CC_EPROTO), "answer %s, parse "
	    "returned %d", ok ? "well formed" : "malformed", rc);
	if (!ok) {
		FUZZ_REQUIRE(rcode == INT_MIN + 7 && value == unset,
		    "answer parse set its outputs on CC_EPROTO");
		goto out;
	}
	FUZZ_REQUIRE(rcode == n && value == second,
	    "answer parse handed out the wrong parts");
	if ((b = cc_answer_new(rcode, value)) == NULL)
		goto out;
	FUZZ_REQUIRE(cc_answer_parse(b, &rcode2, &value2) == CC_OK &&
	    rcode2 == rcode && (value == NULL ? value2 == NULL :
	    value_same(value, value2)), "rebuilt answer parses differently");
	json_decref(b);
out:
	json_decref(unset);
}

void
fuzz_check_body(const json_t *body)
{
	check_named(body, "command", cc_command_parse, cc_command_new);
	check_named(body, "notification", cc_notification_parse,
	    cc_notification_new);
	check_answer(body);
}
