/*
 * fuzz-domain-xml.c: libFuzzer target for the domain XML -> struct vm_info
 * path.  Build with ../configure CC=clang --enable-fuzzing; add
 * CFLAGS='-g -O1 -fsanitize=fuzzer-no-link,address' so that libferry.a is
 * instrumented too, then run with the fixtures as seed corpus:
 *
 *	tests/fuzz/fuzz-domain-xml -max_total_time=60 corpus/ \
 *	    ../tests/unit/fixtures/vm/
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <libxml/parser.h>

#include "ferry/vm.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Initialise libxml2 once, before any input. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	xmlInitParser();
	return (0);
}

/* Parse one input; success or failure, nothing may leak or crash. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_info	*vm = NULL;
	char		*cause = NULL;

	if (vm_info_parse((const char *)data, size, &vm, &cause) == 0) {
		if (vm == NULL || cause != NULL)
			abort();
		vm_info_free(vm);
	} else {
		if (vm != NULL || cause == NULL)
			abort();
		free(cause);
	}
	return (0);
}
