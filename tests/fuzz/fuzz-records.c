/*
 * fuzz-records.c: libFuzzer target for the JSON ferryd reads from outside:
 * migration and evacuation records from Redis (mig_json_decode,
 * evac_record_decode) and migrate request bodies (mig_json_migrate_body).
 * A record that decodes must encode again and decode to the same name.
 * Build as fuzz-domain-xml.c says; run:
 *
 *	tests/fuzz/fuzz-records -max_total_time=60 corpus/
 */

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/evac-priv.h"
#include "ferry/mig.h"
#include "ferry/mig-json.h"
#include "ferry/xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A migration record: decoded, encoded, decoded again to the same name. */
static void
fuzz_mig(const char *s)
{
	struct mig_record	 a, b;
	char			*cause = NULL, *json;

	if (mig_json_decode(s, &a, &cause) != 0) {
		free(cause);
		return;
	}
	json = mig_json_encode(&a);
	if (mig_json_decode(json, &b, &cause) != 0 ||
	    strcmp(a.name, b.name) != 0)
		abort();
	mig_record_clear(&a);
	mig_record_clear(&b);
	free(json);
}

/* An evacuation record, the same way. */
static void
fuzz_evac(const char *s)
{
	struct evac_record	 a, b;
	char			*cause = NULL, *json;

	if (evac_record_decode(s, &a, &cause) != 0) {
		free(cause);
		return;
	}
	json = evac_record_encode(&a);
	if (evac_record_decode(json, &b, &cause) != 0 ||
	    strcmp(a.id, b.id) != 0)
		abort();
	evac_record_clear(&a);
	evac_record_clear(&b);
	free(json);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s, *target = NULL, *cause = NULL;

	if (mig_json_migrate_body((const char *)data, size, &target,
	    &cause) == 0)
		free(target);
	else
		free(cause);
	s = xstrndup((const char *)data, size);
	fuzz_mig(s);
	fuzz_evac(s);
	free(s);
	return (0);
}
