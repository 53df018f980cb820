/*
 * Fuzz target: command, answer and notification bodies (cc/message.h).
 * The input is a body's msgpack bytes; what decodes goes through the
 * three body parsers, each held to the shapes of PROTOCOL.md section 7
 * (fuzz_check_body()).
 */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body;

	if ((body = fuzz_check_value(data, size)) != NULL) {
		fuzz_check_body(body);
		json_decref(body);
	}
	return 0;
}
