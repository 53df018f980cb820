/*
 * Fuzz target: header parsing. The input is the header's bytes, as msgq
 * and every client get them from a peer (cc_header_parse() in cc/wire.h);
 * fuzz_check_header() says what must hold.
 */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_check_header(data, size);
	return 0;
}
