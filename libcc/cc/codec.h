/*
 * msgpack <-> json_t, the one place where libcc converts values.
 *
 * json_t (jansson) is the in-memory type of the public API; msgpack is the
 * wire encoding. Mapping: nil <-> null, bool <-> true/false, int <->
 * integer, float32/float64 <-> real (packed as float64), str <-> string,
 * bin -> string holding the same bytes (no UTF-8 check), array <-> array,
 * map <-> object. Not convertible, and reported as errors rather than
 * guessed at: ext values, map keys that are not str or bin, positive
 * integers above INT64_MAX, nesting deeper than CC_CODEC_MAX_DEPTH
 * (msgpack-c's own unpacker limit), and more than CC_CODEC_MAX_VALUES
 * values in one input (every scalar, array and map counts one; a map's
 * keys do not).
 *
 * Why a count: a decoded value costs jansson 40 to 70 bytes whatever its
 * wire size, so one 16 MiB frame of small integers (msgq's default
 * max_frame) would cost any module that decodes it about 1 GiB. The cap
 * bounds that at about 70 MB. Bulk data travels as one str or bin.
 */
#ifndef CC_CODEC_H
#define CC_CODEC_H

#include <stddef.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CC_CODEC_MAX_DEPTH 32
#define CC_CODEC_MAX_VALUES (1024 * 1024)

/*
 * Encode value as msgpack. Returns CC_OK with *buf (malloc'd, the caller
 * frees it) and *len; CC_EDECODE if the value is nested too deeply (with
 * the reason in err when err is not NULL), CC_EINVAL for a NULL value,
 * CC_ENOMEM.
 */
int cc_json_pack(const json_t *value, char **buf, size_t *len, char *err,
    size_t errlen);

/*
 * Decode buf, which must hold exactly one msgpack value and nothing else.
 * Returns CC_OK and a new reference in *value; CC_EDECODE with the reason
 * in err ("map key at depth 2 is not a string", "trailing bytes after the
 * value", "more than 1048576 values") when err is not NULL; CC_ENOMEM.
 */
int cc_json_unpack(const void *buf, size_t len, json_t **value, char *err,
    size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
