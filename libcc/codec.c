/*
 * msgpack <-> json_t, the one place where libcc converts values
 * (cc/codec.h gives the mapping).
 *
 * Decoding reads the bytes in place with the wire layer's msgpack reader,
 * which checks every length and count against the bytes present, so a
 * body from any peer costs memory in proportion to its size only, and
 * at most CC_CODEC_MAX_VALUES values. Strings
 * and bin are taken with json_stringn_nocheck(): their bytes arrive
 * exactly, NULs and invalid UTF-8 included, as the public API promises for
 * bin. Encoding goes through msgpack-c's packer into an sbuffer.
 *
 * Keys with embedded NULs need jansson 2.14 (json_object_setn_new_nocheck,
 * json_object_iter_key_len).
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>
#include <msgpack.h>

#include "cc/codec.h"
#include "cc/error.h"
#include "wire-internal.h"

struct unpacker {
	const unsigned char	*buf;
	size_t			 len;
	size_t			 off;
	char			*err;
	size_t			 errlen;
	size_t			 values;	/* decoded so far */
};

static int unpack_value(struct unpacker *, int, json_t **);

static int
unpack_read(struct unpacker *u, struct libcc_mp_item *it)
{
	size_t at = u->off;
	int rc;

	if ((rc = libcc_mp_read(u->buf, u->len, &u->off, it)) == 0)
		return CC_OK;
	if (rc == LIBCC_MP_INVALID)
		libcc_errf(u->err, u->errlen,
		    "invalid msgpack byte 0x%02x at offset %zu", u->buf[at], at);
	else if (at == 0 && u->len == 0)
		libcc_errf(u->err, u->errlen, "no value: the input is empty");
	else
		libcc_errf(u->err, u->errlen,
		    "truncated msgpack value at offset %zu", at);
	return CC_EDECODE;
}

static int
unpack_scalar(struct unpacker *u, const struct libcc_mp_item *it, size_t at,
    json_t **out)
{
	switch (it->kind) {
	case LIBCC_MP_NIL:
		*out = json_null();
		break;
	case LIBCC_MP_BOOL:
		*out = json_boolean(it->v.b);
		break;
	case LIBCC_MP_UINT:
		if (it->v.u > INT64_MAX) {
			libcc_errf(u->err, u->errlen, "integer %" PRIu64
			    " at offset %zu is above INT64_MAX", it->v.u, at);
			return CC_EDECODE;
		}
		*out = json_integer((json_int_t)it->v.u);
		break;
	case LIBCC_MP_INT:
		*out = json_integer((json_int_t)it->v.i);
		break;
	case LIBCC_MP_FLOAT32:
	case LIBCC_MP_FLOAT64:
		/* json_t has no NaN or infinity: json_real() refuses them. */
		if (!isfinite(it->v.f)) {
			libcc_errf(u->err, u->errlen,
			    "float %g at offset %zu is not finite", it->v.f, at);
			return CC_EDECODE;
		}
		*out = json_real(it->v.f);
		break;
	case LIBCC_MP_STR:
	case LIBCC_MP_BIN:
		*out = json_stringn_nocheck((const char *)it->ptr, it->len);
		break;
	default:
		libcc_errf(u->err, u->errlen, "ext value (type %d) at offset %zu "
		    "cannot be converted", it->ext_type, at);
		return CC_EDECODE;
	}
	return *out != NULL ? CC_OK : CC_ENOMEM;
}

/* The elements of an array at the given depth (the top level is 1). */
static int
unpack_array(struct unpacker *u, uint32_t n, int depth, json_t **out)
{
	json_t *a, *v;
	uint32_t i;
	int rc;

	if ((a = json_array()) == NULL)
		return CC_ENOMEM;
	for (i = 0; i < n; i++) {
		if ((rc = unpack_value(u, depth, &v)) != CC_OK) {
			json_decref(a);
			return rc;
		}
		if (json_array_append_new(a, v) != 0) {
			json_decref(a);
			return CC_ENOMEM;
		}
	}
	*out = a;
	return CC_OK;
}

/* One key/value pair of a map at the given depth, added to o. A key that
 * appears twice keeps its last value, as json_loads() does. */
static int
unpack_pair(struct unpacker *u, json_t *o, int depth)
{
	struct libcc_mp_item k;
	size_t at = u->off;
	json_t *v;
	int rc;

	if ((rc = unpack_read(u, &k)) != CC_OK)
		return rc;
	if (k.kind != LIBCC_MP_STR && k.kind != LIBCC_MP_BIN) {
		libcc_errf(u->err, u->errlen, "map key at depth %d is not a "
		    "string (offset %zu)", depth, at);
		return CC_EDECODE;
	}
	if ((rc = unpack_value(u, depth, &v)) != CC_OK)
		return rc;
	if (json_object_setn_new_nocheck(o, (const char *)k.ptr, k.len, v) != 0)
		return CC_ENOMEM;
	return CC_OK;
}

static int
unpack_map(struct unpacker *u, uint32_t n, int depth, json_t **out)
{
	json_t *o;
	uint32_t i;
	int rc;

	if ((o = json_object()) == NULL)
		return CC_ENOMEM;
	for (i = 0; i < n; i++)
		if ((rc = unpack_pair(u, o, depth)) != CC_OK) {
			json_decref(o);
			return rc;
		}
	*out = o;
	return CC_OK;
}

/* A value inside `outer` containers (0 at the top level). */
static int
unpack_value(struct unpacker *u, int outer, json_t **out)
{
	struct libcc_mp_item it;
	size_t at = u->off;
	int rc;

	*out = NULL;
	if ((rc = unpack_read(u, &it)) != CC_OK)
		return rc;
	if (++u->values > CC_CODEC_MAX_VALUES) {
		libcc_errf(u->err, u->errlen, "more than %d values (offset "
		    "%zu)", CC_CODEC_MAX_VALUES, at);
		return CC_EDECODE;
	}
	if (it.kind != LIBCC_MP_ARRAY && it.kind != LIBCC_MP_MAP)
		return unpack_scalar(u, &it, at, out);
	if (outer + 1 > CC_CODEC_MAX_DEPTH) {
		libcc_errf(u->err, u->errlen, "nested deeper than %d at "
		    "offset %zu", CC_CODEC_MAX_DEPTH, at);
		return CC_EDECODE;
	}
	if (it.kind == LIBCC_MP_ARRAY)
		return unpack_array(u, it.v.count, outer + 1, out);
	return unpack_map(u, it.v.count, outer + 1, out);
}

int
cc_json_unpack(const void *buf, size_t len, json_t **value, char *err,
    size_t errlen)
{
	struct unpacker u = { buf, len, 0, err, errlen, 0 };
	json_t *v;
	int rc;

	if (value == NULL)
		return CC_EINVAL;
	*value = NULL;
	if (buf == NULL)
		u.len = 0;
	if ((rc = unpack_value(&u, 0, &v)) != CC_OK)
		return rc;
	if (u.off != u.len) {
		libcc_errf(err, errlen, "trailing bytes after the value "
		    "(%zu of %zu bytes used)", u.off, u.len);
		json_decref(v);
		return CC_EDECODE;
	}
	*value = v;
	return CC_OK;
}

/*
 * Encoding. Every json_t converts; only the depth can be refused, so that
 * what cc_json_pack() writes cc_json_unpack() reads back.
 */
struct packer {
	msgpack_packer	 pk;
	char		*err;
	size_t		 errlen;
};

static int pack_value(struct packer *, const json_t *, int);

static int
pack_array(struct packer *p, const json_t *a, int depth)
{
	size_t i, n = json_array_size(a);
	int rc;

	if (msgpack_pack_array(&p->pk, n) != 0)
		return CC_ENOMEM;
	for (i = 0; i < n; i++)
		if ((rc = pack_value(p, json_array_get(a, i), depth)) != CC_OK)
			return rc;
	return CC_OK;
}

static int
pack_object(struct packer *p, const json_t *o, int depth)
{
	const char *key;
	size_t klen;
	void *it;
	int rc;

	if (msgpack_pack_map(&p->pk, json_object_size(o)) != 0)
		return CC_ENOMEM;
	/* jansson's iterator API takes a non-const object; it does not
	 * modify it. */
	for (it = json_object_iter((json_t *)o); it != NULL;
	    it = json_object_iter_next((json_t *)o, it)) {
		key = json_object_iter_key(it);
		klen = json_object_iter_key_len(it);
		if (msgpack_pack_str(&p->pk, klen) != 0 ||
		    msgpack_pack_str_body(&p->pk, key, klen) != 0)
			return CC_ENOMEM;
		rc = pack_value(p, json_object_iter_value(it), depth);
		if (rc != CC_OK)
			return rc;
	}
	return CC_OK;
}

static int
pack_scalar(struct packer *p, const json_t *v)
{
	size_t len;

	switch (json_typeof(v)) {
	case JSON_STRING:
		len = json_string_length(v);
		return msgpack_pack_str(&p->pk, len) ||
		    msgpack_pack_str_body(&p->pk, json_string_value(v), len);
	case JSON_INTEGER:
		return msgpack_pack_int64(&p->pk, json_integer_value(v));
	case JSON_REAL:
		return msgpack_pack_double(&p->pk, json_real_value(v));
	case JSON_TRUE:
		return msgpack_pack_true(&p->pk);
	case JSON_FALSE:
		return msgpack_pack_false(&p->pk);
	default:
		return msgpack_pack_nil(&p->pk);
	}
}

/* A value inside `outer` containers (0 at the top level). */
static int
pack_value(struct packer *p, const json_t *v, int outer)
{
	if (!json_is_array(v) && !json_is_object(v))
		return pack_scalar(p, v) != 0 ? CC_ENOMEM : CC_OK;
	if (outer + 1 > CC_CODEC_MAX_DEPTH) {
		libcc_errf(p->err, p->errlen, "value nested deeper than %d",
		    CC_CODEC_MAX_DEPTH);
		return CC_EDECODE;
	}
	if (json_is_array(v))
		return pack_array(p, v, outer + 1);
	return pack_object(p, v, outer + 1);
}

int
cc_json_pack(const json_t *value, char **buf, size_t *len, char *err,
    size_t errlen)
{
	msgpack_sbuffer sb;
	struct packer p;
	int rc;

	if (buf == NULL || len == NULL)
		return CC_EINVAL;
	*buf = NULL;
	*len = 0;
	if (value == NULL) {
		libcc_errf(err, errlen, "no value");
		return CC_EINVAL;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&p.pk, &sb, msgpack_sbuffer_write);
	p.err = err;
	p.errlen = errlen;
	if ((rc = pack_value(&p, value, 0)) != CC_OK) {
		msgpack_sbuffer_destroy(&sb);
		return rc;
	}
	*len = sb.size;
	*buf = msgpack_sbuffer_release(&sb);
	return CC_OK;
}
