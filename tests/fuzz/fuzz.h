/*
 * Shared by the fuzz targets: the invariants of libcc's parsers, checked
 * on whatever bytes a target makes of its input, and the assertion that
 * reports a broken one. Everything here uses libcc's public API only, as
 * a foreign client would.
 *
 * A broken invariant prints what broke and calls abort(), which libFuzzer
 * and the standalone driver (fuzz_main.c) both report as a crash.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define FUZZ_REQUIRE(cond, ...) do {					\
	if (!(cond))							\
		fuzz_fail(__FILE__, __LINE__, __VA_ARGS__);		\
} while (0)

void fuzz_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

/*
 * A header's bytes through cc_header_parse(): the fields point into the
 * bytes, agree with the same bytes decoded by cc_json_unpack(), survive
 * cc_frame_build() and a second parse; bytes that are not msgpack set no
 * field.
 */
void fuzz_check_header(const unsigned char *buf, size_t len);

/*
 * A msgpack value through cc_msgpack_check() and cc_json_unpack(): what
 * unpacks passes the check and survives cc_json_pack() and a second
 * unpack unchanged. Returns the decoded value (a new reference) or NULL.
 */
json_t *fuzz_check_value(const unsigned char *buf, size_t len);

/*
 * A decoded body through cc_command_parse(), cc_answer_parse() and
 * cc_notification_parse(): each accepts exactly the shapes of
 * PROTOCOL.md section 7 and hands out the right parts of the body.
 */
void fuzz_check_body(const json_t *body);

/* The entry point of every target (libFuzzer's name). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
