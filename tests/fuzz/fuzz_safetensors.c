/* libFuzzer harness: a safetensors file (rf_st_parse: the 8-byte header
 * length, the JSON header, offsets, shapes). */
#include <stddef.h>
#include <stdint.h>

#include "replay/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rf_st *st = NULL;
	if (rf_st_parse(&st, data, size, "fuzz.safetensors") == 0)
		rf_st_free(st);
	return 0;
}
