/*
 * Fuzz target: msgpack -> json_t. The input is one msgpack value, as a
 * body arrives from a peer (cc_json_unpack() and cc_msgpack_check() in
 * cc/wire.h and cc/codec.h); fuzz_check_value() says what must hold,
 * round trip through cc_json_pack() included.
 */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_decref(fuzz_check_value(data, size));
	return 0;
}
