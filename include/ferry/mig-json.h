/*
 * mig-json.h: JSON codecs (yajl) for migration records, API bodies and
 * error replies.  Decoders never trust their input: every field is checked
 * and a cause names what is wrong.
 */
#ifndef FERRY_MIG_JSON_H
#define FERRY_MIG_JSON_H

#include <stddef.h>

struct mig_record;

/* The record as a KubeVirt-shaped object.  Caller frees. */
char	*mig_json_encode(const struct mig_record *);

/* Parse what mig_json_encode wrote into REC (cleared first); 0 or -1. */
int	 mig_json_decode(const char *, struct mig_record *, char **);

/* Parse a migrate body {"targetNode": "..."} or {} (no target); 0 or -1. */
int	 mig_json_migrate_body(const char *, size_t, char **, char **);

/* {"error": ERROR, "reasons": [REASONS...]}.  Caller frees. */
char	*mig_json_error(const char *, const char *const *, size_t);

#endif
