/*
 * test-node-caps.c: a host's capabilities and domain capabilities XML into
 * struct node_caps, on fixtures captured from the real lab hosts and hand
 * edits of them after the seed's node A / node B example; the seed's CPU
 * label families; and hostile input, which must fail cleanly and quietly.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/globals.h>
#include <libxml/xmlversion.h>
#include <libxml/xmlerror.h>

#include "ferry/node.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

#define FIXTURES		"tests/unit/fixtures/node/"
#define LAB_CAPS		FIXTURES "lab-capabilities.xml"
#define LAB_DOMCAPS		FIXTURES "lab-domcapabilities-qemu.xml"
#define A_CAPS			FIXTURES "node-a-capabilities.xml"
#define A_DOMCAPS		FIXTURES "node-a-domcapabilities.xml"
#define B_CAPS			FIXTURES "node-b-capabilities.xml"
#define B_DOMCAPS		FIXTURES "node-b-domcapabilities.xml"
#define NO_HOST_MODEL_DOMCAPS	FIXTURES \
				"domcapabilities-host-model-unsupported.xml"

/* The smallest capabilities the parser accepts. */
#define MIN_CAPS \
	"<capabilities><host><cpu><arch>x86_64</arch></cpu></host>" \
	"</capabilities>"

/* Domain capabilities around the custom mode's model elements %s. */
#define DOMCAPS_FMT \
	"<domainCapabilities><domain>qemu</domain><arch>x86_64</arch>" \
	"<cpu><mode name='host-model' supported='yes'>" \
	"<model fallback='forbid'>EPYC</model></mode>" \
	"<mode name='custom' supported='yes'>%s</mode></cpu>" \
	"</domainCapabilities>"

/* Capabilities around the NUMA cells %s. */
#define CAPS_CELLS_FMT \
	"<capabilities><host><cpu><arch>x86_64</arch></cpu>" \
	"<topology><cells num='2'>%s</cells></topology></host>" \
	"</capabilities>"

/* The usable models the real lab hosts report under TCG, in their order. */
static const char *const lab_models[] = {
	"qemu64", "qemu32", "pentium3", "pentium2", "pentium", "n270",
	"kvm64", "kvm32", "coreduo", "core2duo", "athlon", "Westmere",
	"Penryn", "Opteron_G2", "Opteron_G1", "Nehalem", "Conroe", "486"
};

/* The classic exponential-entity document (billion laughs) inside ROOT. */
#define LAUGHS(root, inner) \
	"<?xml version='1.0'?>\n" \
	"<!DOCTYPE " root " [\n" \
	" <!ENTITY l0 'lol'>\n" \
	" <!ENTITY l1 '&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;'>\n" \
	" <!ENTITY l2 '&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;'>\n" \
	" <!ENTITY l3 '&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;'>\n" \
	" <!ENTITY l4 '&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;'>\n" \
	" <!ENTITY l5 '&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;'>\n" \
	" <!ENTITY l6 '&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;'>\n" \
	" <!ENTITY l7 '&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;'>\n" \
	" <!ENTITY l8 '&l7;&l7;&l7;&l7;&l7;&l7;&l7;&l7;&l7;&l7;'>\n" \
	" <!ENTITY l9 '&l8;&l8;&l8;&l8;&l8;&l8;&l8;&l8;&l8;&l8;'>\n" \
	"]>\n" inner

/* One node_caps_parse() run. */
struct run {
	struct node_caps	 caps;	/* the result */
	char			*cause;	/* the error, else NULL */
	int			 rv;	/* node_caps_parse() result */
	char			*err;	/* what reached stderr */
};

/* Path of FILE under the source tree, from $top_srcdir or nearby. */
static char *
srcdir_path(const char *file)
{
	static const char *const	 tries[] = { "..", ".", "../.." };
	const char			*top = getenv("top_srcdir");
	char				*path;
	size_t				 i;

	if (top != NULL && *top != '\0') {
		xasprintf(&path, "%s/%s", top, file);
		return (path);
	}
	for (i = 0; i < nitems(tries); i++) {
		xasprintf(&path, "%s/%s", tries[i], file);
		if (access(path, R_OK) == 0)
			return (path);
		free(path);
	}
	fail_msg("cannot find '%s': set top_srcdir", file);
	return (NULL);
}

/* Read all of FILE (under the source tree); *LEN is its length. */
static char *
read_fixture(const char *file, size_t *len)
{
	char	*path, *buf;
	FILE	*f;
	long	 size;

	path = srcdir_path(file);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open '%s'", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size > 0);
	rewind(f);
	buf = xmalloc((size_t)size + 1);
	assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
	buf[size] = '\0';
	fclose(f);
	free(path);
	*len = (size_t)size;
	return (buf);
}

/* Parse CAPS / DOMCAPS into R; check the contract and a quiet stderr. */
static void
run_parse_len(struct run *r, const char *caps, size_t caps_len,
    const char *domcaps, size_t domcaps_len)
{
	FILE	*tmp;
	long	 size;
	int	 saved;

	memset(r, 0xa5, sizeof *r);
	r->cause = NULL;
	r->err = NULL;

	tmp = tmpfile();
	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved != -1);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) != -1);
	r->rv = node_caps_parse(caps, caps_len, domcaps, domcaps_len, &r->caps,
	    &r->cause);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) != -1);
	close(saved);

	size = ftell(tmp);
	if (size <= 0)
		size = (long)lseek(fileno(tmp), 0, SEEK_END);
	if (size > 0) {
		r->err = xcalloc(1, (size_t)size + 1);
		rewind(tmp);
		(void)!fread(r->err, 1, (size_t)size, tmp);
	}
	fclose(tmp);
	if (r->err != NULL)
		fail_msg("node_caps_parse printed to stderr: %s", r->err);

	if (r->rv == 0) {
		assert_null(r->cause);
		assert_non_null(r->caps.arch);
		assert_non_null(r->caps.domain_type);
	} else {
		assert_int_equal(r->rv, -1);
		assert_non_null(r->cause);
		assert_null(strchr(r->cause, '\n'));
		assert_null(r->caps.arch);
		assert_null(r->caps.host_cpu_model);
		assert_null(r->caps.host_model);
		assert_int_equal(r->caps.host_model_ok, 0);
		assert_null(r->caps.models);
		assert_int_equal(r->caps.nmodels, 0);
		assert_int_equal(r->caps.memory_kib, 0);
		assert_int_equal(r->caps.cpus, 0);
		assert_null(r->caps.domain_type);
	}
}

/* Parse the strings CAPS / DOMCAPS into R. */
static void
run_parse(struct run *r, const char *caps, const char *domcaps)
{
	run_parse_len(r, caps, strlen(caps), domcaps, strlen(domcaps));
}

/* Parse the fixture files CAPS_FILE / DOMCAPS_FILE into R. */
static void
run_parse_files(struct run *r, const char *caps_file,
    const char *domcaps_file)
{
	char	*caps, *domcaps;
	size_t	 caps_len, domcaps_len;

	caps = read_fixture(caps_file, &caps_len);
	domcaps = read_fixture(domcaps_file, &domcaps_len);
	run_parse_len(r, caps, caps_len, domcaps, domcaps_len);
	free(domcaps);
	free(caps);
}

/* Free what R holds. */
static void
run_free(struct run *r)
{
	if (r->rv == 0)
		node_caps_clear(&r->caps);
	free(r->cause);
	free(r->err);
}

/* Expect CAPS / DOMCAPS to be refused with a cause containing NEEDLE. */
static void
expect_refused(const char *caps, const char *domcaps, const char *needle)
{
	struct run	r;

	run_parse(&r, caps, domcaps);
	if (r.rv != -1)
		fail_msg("accepted, expected an error with '%s'", needle);
	if (strstr(r.cause, needle) == NULL)
		fail_msg("cause '%s' lacks '%s'", r.cause, needle);
	run_free(&r);
}

/* Domain capabilities with custom mode models MODELS (a new string). */
static char *
domcaps_with(const char *models)
{
	char	*s;

	xasprintf(&s, DOMCAPS_FMT, models);
	return (s);
}

/* Whether LABELS / N has KEY with value "true". */
static int
has_label(const struct node_label *labels, size_t n, const char *key)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(labels[i].key, key) == 0)
			return (strcmp(labels[i].value, "true") == 0);
	}
	return (0);
}

/* The labels of the fixture pair CAPS_FILE / DOMCAPS_FILE into *LABELS / *N. */
static void
labels_of(const char *caps_file, const char *domcaps_file,
    struct node_label **labels, size_t *n)
{
	struct run	r;

	run_parse_files(&r, caps_file, domcaps_file);
	assert_int_equal(r.rv, 0);
	*labels = NULL;
	*n = 0;
	node_caps_labels(&r.caps, labels, n);
	run_free(&r);
}

/* No key appears twice in LABELS / N. */
static void
assert_unique(const struct node_label *labels, size_t n)
{
	size_t	i, j;

	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++) {
			if (strcmp(labels[i].key, labels[j].key) == 0)
				fail_msg("label '%s' twice", labels[i].key);
		}
	}
}

/* Every field of a real lab host (TCG) is what it reports. */
static void
node_caps_parse__lab_fixtures__real_host_fields(void **state)
{
	struct run	r;
	size_t		i;

	run_parse_files(&r, LAB_CAPS, LAB_DOMCAPS);
	assert_int_equal(r.rv, 0);
	assert_string_equal(r.caps.arch, "x86_64");
	assert_string_equal(r.caps.host_cpu_model, "Broadwell-noTSX-IBRS");
	assert_string_equal(r.caps.domain_type, "qemu");
	assert_true(r.caps.host_model_ok);
	assert_string_equal(r.caps.host_model, "EPYC");
	assert_int_equal(r.caps.memory_kib, 5597396);
	assert_int_equal(r.caps.cpus, 2);
	assert_int_equal(r.caps.nmodels, nitems(lab_models));
	for (i = 0; i < nitems(lab_models); i++)
		assert_string_equal(r.caps.models[i], lab_models[i]);
	run_free(&r);
}

/* usable='no' models of the lab host (EPYC, phenom) are left out. */
static void
node_caps_parse__lab_unusable_models__left_out(void **state)
{
	struct run	r;
	size_t		i;

	run_parse_files(&r, LAB_CAPS, LAB_DOMCAPS);
	assert_int_equal(r.rv, 0);
	for (i = 0; i < r.caps.nmodels; i++) {
		assert_string_not_equal(r.caps.models[i], "EPYC");
		assert_string_not_equal(r.caps.models[i], "phenom");
		assert_string_not_equal(r.caps.models[i],
		    "Broadwell-noTSX-IBRS");
	}
	run_free(&r);
}

/* The lab host's labels: host-model EPYC, 18 models, migration EPYC. */
static void
node_caps_labels__lab_fixtures__three_families(void **state)
{
	struct node_label	*labels;
	size_t			 n, i;
	char			*key;

	labels_of(LAB_CAPS, LAB_DOMCAPS, &labels, &n);
	assert_int_equal(n, 1 + nitems(lab_models) + 1);
	assert_string_equal(labels[0].key, NODE_LABEL_HOST_MODEL "EPYC");
	for (i = 0; i < nitems(lab_models); i++) {
		xasprintf(&key, "%s%s", NODE_LABEL_CPU_MODEL, lab_models[i]);
		assert_string_equal(labels[1 + i].key, key);
		free(key);
	}
	assert_string_equal(labels[n - 1].key, NODE_LABEL_MIGRATION "EPYC");
	for (i = 0; i < n; i++)
		assert_string_equal(labels[i].value, "true");
	assert_false(has_label(labels, n, NODE_LABEL_CPU_MODEL "EPYC"));
	assert_unique(labels, n);
	node_labels_free(labels, n);
}

/* Node A of the seed: an Intel host model and Nehalem among its models. */
static void
node_caps_parse__node_a__seed_example_fields(void **state)
{
	static const char *const	 models[] = {
		"qemu64", "Westmere", "Skylake-Client-IBRS", "Nehalem"
	};
	struct run			 r;
	size_t				 i;

	run_parse_files(&r, A_CAPS, A_DOMCAPS);
	assert_int_equal(r.rv, 0);
	assert_string_equal(r.caps.arch, "x86_64");
	assert_string_equal(r.caps.host_cpu_model, "Skylake-Client-IBRS");
	assert_string_equal(r.caps.host_model, "Skylake-Client-IBRS");
	assert_true(r.caps.host_model_ok);
	assert_string_equal(r.caps.domain_type, "qemu");
	assert_int_equal(r.caps.memory_kib, 16384000);
	assert_int_equal(r.caps.cpus, 4);
	assert_int_equal(r.caps.nmodels, nitems(models));
	for (i = 0; i < nitems(models); i++)
		assert_string_equal(r.caps.models[i], models[i]);
	run_free(&r);
}

/* Node B of the seed: two NUMA cells are summed; EPYC-Rome host model. */
static void
node_caps_parse__node_b_two_cells__memory_and_cpus_summed(void **state)
{
	static const char *const	 models[] = {
		"qemu64", "Opteron_G2", "Nehalem", "EPYC-Rome"
	};
	struct run			 r;
	size_t				 i;

	run_parse_files(&r, B_CAPS, B_DOMCAPS);
	assert_int_equal(r.rv, 0);
	assert_string_equal(r.caps.host_cpu_model, "EPYC-Rome");
	assert_string_equal(r.caps.host_model, "EPYC-Rome");
	assert_true(r.caps.host_model_ok);
	assert_int_equal(r.caps.memory_kib, 2 * 8388608);
	assert_int_equal(r.caps.cpus, 4);
	assert_int_equal(r.caps.nmodels, nitems(models));
	for (i = 0; i < nitems(models); i++)
		assert_string_equal(r.caps.models[i], models[i]);
	run_free(&r);
}

/*
 * The seed's example: host-model labels differ, so a host-model VM cannot
 * move either way; both carry cpu-model.../Nehalem, so a Nehalem VM can.
 */
static void
node_caps_labels__node_a_and_b__seed_example(void **state)
{
	struct node_label	*a, *b;
	size_t			 na, nb, i, common = 0;

	labels_of(A_CAPS, A_DOMCAPS, &a, &na);
	labels_of(B_CAPS, B_DOMCAPS, &b, &nb);

	assert_true(has_label(a, na, NODE_LABEL_HOST_MODEL
	    "Skylake-Client-IBRS"));
	assert_true(has_label(a, na, NODE_LABEL_MIGRATION
	    "Skylake-Client-IBRS"));
	assert_true(has_label(a, na, NODE_LABEL_CPU_MODEL "Nehalem"));
	assert_true(has_label(b, nb, NODE_LABEL_HOST_MODEL "EPYC-Rome"));
	assert_true(has_label(b, nb, NODE_LABEL_MIGRATION "EPYC-Rome"));
	assert_true(has_label(b, nb, NODE_LABEL_CPU_MODEL "Nehalem"));

	/* A host-model VM started on A needs migration/<A's host model>. */
	assert_false(has_label(b, nb, NODE_LABEL_MIGRATION
	    "Skylake-Client-IBRS"));
	assert_false(has_label(a, na, NODE_LABEL_MIGRATION "EPYC-Rome"));
	assert_false(has_label(b, nb, NODE_LABEL_HOST_MODEL
	    "Skylake-Client-IBRS"));

	/* The intersection: only cpu-model labels, Nehalem among them. */
	for (i = 0; i < na; i++) {
		if (!has_label(b, nb, a[i].key))
			continue;
		common++;
		assert_true(strncmp(a[i].key, NODE_LABEL_CPU_MODEL,
		    strlen(NODE_LABEL_CPU_MODEL)) == 0);
	}
	assert_int_equal(common, 2);	/* qemu64, Nehalem */
	assert_true(has_label(a, na, NODE_LABEL_CPU_MODEL "qemu64"));
	assert_true(has_label(b, nb, NODE_LABEL_CPU_MODEL "qemu64"));
	assert_unique(a, na);
	assert_unique(b, nb);
	node_labels_free(a, na);
	node_labels_free(b, nb);
}

/* host-model supported='no': no host-model or migration labels. */
static void
node_caps_labels__host_model_unsupported__no_host_labels(void **state)
{
	struct run		 r;
	struct node_label	*labels = NULL;
	size_t			 n = 0, i;

	run_parse_files(&r, LAB_CAPS, NO_HOST_MODEL_DOMCAPS);
	assert_int_equal(r.rv, 0);
	assert_false(r.caps.host_model_ok);
	assert_null(r.caps.host_model);
	assert_int_equal(r.caps.nmodels, 2);
	node_caps_labels(&r.caps, &labels, &n);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		assert_true(strncmp(labels[i].key, NODE_LABEL_CPU_MODEL,
		    strlen(NODE_LABEL_CPU_MODEL)) == 0);
	}
	assert_true(has_label(labels, n, NODE_LABEL_CPU_MODEL "Nehalem"));
	node_labels_free(labels, n);
	run_free(&r);
}

/* A host model whose mode is not supported gives no host-model labels. */
static void
node_caps_labels__host_model_not_ok__only_cpu_models(void **state)
{
	struct run		 r;
	struct node_label	*labels = NULL;
	size_t			 n = 0;
	char			*domcaps;

	xasprintf(&domcaps, "<domainCapabilities><domain>qemu</domain><cpu>"
	    "<mode name='host-model' supported='no'><model>EPYC</model>"
	    "</mode><mode name='custom' supported='yes'>"
	    "<model usable='yes'>Nehalem</model></mode></cpu>"
	    "</domainCapabilities>");
	run_parse(&r, MIN_CAPS, domcaps);
	assert_int_equal(r.rv, 0);
	assert_false(r.caps.host_model_ok);
	assert_string_equal(r.caps.host_model, "EPYC");
	node_caps_labels(&r.caps, &labels, &n);
	assert_int_equal(n, 1);
	assert_string_equal(labels[0].key, NODE_LABEL_CPU_MODEL "Nehalem");
	node_labels_free(labels, n);
	run_free(&r);
	free(domcaps);
}

/* Labels are appended after the caller's; no key is added twice. */
static void
node_caps_labels__existing_labels__appended_once(void **state)
{
	struct node_caps	 caps;
	struct node_label	*labels;
	size_t			 n = 2;
	char			 epyc[] = "EPYC", m0[] = "Nehalem";
	char			 m1[] = "Penryn", m2[] = "Nehalem";
	char			*models[] = { m0, m1, m2 };

	memset(&caps, 0, sizeof caps);
	caps.host_model = epyc;
	caps.host_model_ok = 1;
	caps.models = models;
	caps.nmodels = nitems(models);

	labels = xcalloc(n, sizeof *labels);
	labels[0].key = xstrdup("zone");
	labels[0].value = xstrdup("rack1");
	labels[1].key = xstrdup(NODE_LABEL_CPU_MODEL "Penryn");
	labels[1].value = xstrdup("true");

	node_caps_labels(&caps, &labels, &n);
	assert_int_equal(n, 5);
	assert_string_equal(labels[0].key, "zone");
	assert_string_equal(labels[0].value, "rack1");
	assert_string_equal(labels[1].key, NODE_LABEL_CPU_MODEL "Penryn");
	assert_string_equal(labels[2].key, NODE_LABEL_HOST_MODEL "EPYC");
	assert_string_equal(labels[3].key, NODE_LABEL_CPU_MODEL "Nehalem");
	assert_string_equal(labels[4].key, NODE_LABEL_MIGRATION "EPYC");

	node_caps_labels(&caps, &labels, &n);
	assert_int_equal(n, 5);
	assert_unique(labels, n);
	node_labels_free(labels, n);
}

/* No caps, or none usable: nothing is appended. */
static void
node_caps_labels__empty_caps__nothing(void **state)
{
	struct node_caps	 caps;
	struct node_label	*labels = NULL;
	size_t			 n = 0;

	memset(&caps, 0, sizeof caps);
	node_caps_labels(&caps, &labels, &n);
	node_caps_labels(NULL, &labels, &n);
	assert_null(labels);
	assert_int_equal(n, 0);
	caps.host_model_ok = 1;	/* supported, but no model named */
	node_caps_labels(&caps, &labels, &n);
	assert_int_equal(n, 0);
	node_labels_free(NULL, 0);
	node_caps_clear(NULL);
}

/* Models repeat in document order once; unknown usability is not usable. */
static void
node_caps_parse__duplicate_unknown_models__once_skipped(void **state)
{
	struct run	 r;
	char		*domcaps;

	domcaps = domcaps_with("<model usable='yes'>Nehalem</model>"
	    "<model usable='unknown'>Haswell</model>"
	    "<model usable='yes'>qemu64</model>"
	    "<model usable='no'>EPYC</model>"
	    "<model>Broadwell</model>"
	    "<model usable='yes'>Nehalem</model>");
	run_parse(&r, MIN_CAPS, domcaps);
	assert_int_equal(r.rv, 0);
	assert_int_equal(r.caps.nmodels, 2);
	assert_string_equal(r.caps.models[0], "Nehalem");
	assert_string_equal(r.caps.models[1], "qemu64");
	run_free(&r);
	free(domcaps);
}

/* Custom mode supported='no': no named model is usable. */
static void
node_caps_parse__custom_mode_unsupported__no_models(void **state)
{
	struct run	r;

	run_parse(&r, MIN_CAPS, "<domainCapabilities><domain>kvm</domain>"
	    "<cpu><mode name='custom' supported='no'>"
	    "<model usable='yes'>Nehalem</model></mode></cpu>"
	    "</domainCapabilities>");
	assert_int_equal(r.rv, 0);
	assert_string_equal(r.caps.domain_type, "kvm");
	assert_int_equal(r.caps.nmodels, 0);
	assert_null(r.caps.models);
	assert_false(r.caps.host_model_ok);
	assert_null(r.caps.host_model);
	run_free(&r);
}

/* No topology, no host CPU model (odd hosts): zero, NULL, no error. */
static void
node_caps_parse__no_topology_no_model__zero_and_null(void **state)
{
	struct run	 r;
	char		*domcaps;

	domcaps = domcaps_with("");
	run_parse(&r, MIN_CAPS, domcaps);
	assert_int_equal(r.rv, 0);
	assert_string_equal(r.caps.arch, "x86_64");
	assert_null(r.caps.host_cpu_model);
	assert_int_equal(r.caps.memory_kib, 0);
	assert_int_equal(r.caps.cpus, 0);
	assert_int_equal(r.caps.nmodels, 0);
	run_free(&r);
	free(domcaps);
}

/* Without cpu elements the cells' cpus/@num are summed. */
static void
node_caps_parse__cpus_num_only__summed(void **state)
{
	struct run	 r;
	char		*caps, *domcaps;

	xasprintf(&caps, CAPS_CELLS_FMT, "<cell id='0'><cpus num='3'/></cell>"
	    "<cell id='1'><cpus num='5'/></cell>");
	domcaps = domcaps_with("");
	run_parse(&r, caps, domcaps);
	assert_int_equal(r.rv, 0);
	assert_int_equal(r.caps.cpus, 8);
	run_free(&r);
	free(caps);
	free(domcaps);
}

/* Memory units are libvirt's (any case; KiB by default), rounded up to KiB. */
static void
node_caps_parse__memory_units__converted_to_kib(void **state)
{
	struct run	 r;
	char		*caps, *domcaps;

	xasprintf(&caps, CAPS_CELLS_FMT,
	    "<cell id='0'><memory unit='MiB'>2</memory></cell>"
	    "<cell id='1'><memory unit='GiB'>1</memory></cell>"
	    "<cell id='2'><memory>7</memory></cell>"
	    "<cell id='3'><memory unit='bytes'>1025</memory></cell>"
	    "<cell id='4'><memory unit='KB'>1024</memory></cell>"
	    "<cell id='5'><memory unit='kib'>1</memory></cell>");
	domcaps = domcaps_with("");
	run_parse(&r, caps, domcaps);
	assert_int_equal(r.rv, 0);
	assert_int_equal(r.caps.memory_kib, 2048 + 1048576 + 7 + 2 + 1000 + 1);
	run_free(&r);
	free(caps);
	free(domcaps);
}

/* Bad memory: not a number, an unknown unit, overflow. */
static void
node_caps_parse__bad_memory__refused(void **state)
{
	static const struct {
		const char	*cells;		/* the cells */
		const char	*needle;	/* in the cause */
	} cases[] = {
		{ "<cell><memory>12k</memory></cell>", "not a number" },
		{ "<cell><memory>-1</memory></cell>", "not a number" },
		{ "<cell><memory></memory></cell>", "is empty" },
		{ "<cell><memory unit='parsec'>1</memory></cell>",
		    "unit 'parsec'" },
		{ "<cell><memory unit='EiB'>16</memory></cell>", "too large" },
		{ "<cell><memory>99999999999999999999</memory></cell>",
		    "not a number" },
		{ "<cell><memory>18446744073709551615</memory></cell>"
		  "<cell><memory>1</memory></cell>", "too large" },
	};
	char	*caps, *domcaps;
	size_t	 i;

	domcaps = domcaps_with("");
	for (i = 0; i < nitems(cases); i++) {
		xasprintf(&caps, CAPS_CELLS_FMT, cases[i].cells);
		expect_refused(caps, domcaps, cases[i].needle);
		free(caps);
	}
	free(domcaps);
}

/* Huge CPU counts are refused, not wrapped. */
static void
node_caps_parse__huge_cpu_count__refused(void **state)
{
	char	*caps, *domcaps;

	domcaps = domcaps_with("");
	xasprintf(&caps, CAPS_CELLS_FMT,
	    "<cell><cpus num='4294967297'/></cell>");
	expect_refused(caps, domcaps, "too many host CPUs");
	free(caps);
	xasprintf(&caps, CAPS_CELLS_FMT,
	    "<cell><cpus num='65536'/></cell><cell><cpus num='1'/></cell>");
	expect_refused(caps, domcaps, "too many host CPUs");
	free(caps);
	xasprintf(&caps, CAPS_CELLS_FMT,
	    "<cell><cpus num='18446744073709551616'/></cell>");
	expect_refused(caps, domcaps, "not a number");
	free(caps);
	free(domcaps);
}

/* 1024 usable models are accepted, 1025 refused. */
static void
node_caps_parse__model_count_limit__1024_ok_1025_refused(void **state)
{
	struct run	 r;
	char		*models, *domcaps;
	size_t		 i, len = 0, size = 1025 * 48;

	models = xcalloc(1, size);
	for (i = 0; i < 1024; i++) {
		len += (size_t)snprintf(models + len, size - len,
		    "<model usable='yes'>m%zu</model>", i);
	}
	domcaps = domcaps_with(models);
	run_parse(&r, MIN_CAPS, domcaps);
	assert_int_equal(r.rv, 0);
	assert_int_equal(r.caps.nmodels, 1024);
	assert_string_equal(r.caps.models[1023], "m1023");
	run_free(&r);
	free(domcaps);

	snprintf(models + len, size - len, "<model usable='yes'>m1024</model>");
	domcaps = domcaps_with(models);
	expect_refused(MIN_CAPS, domcaps, "too many usable CPU models");
	free(domcaps);
	free(models);
}

/* Strings: 256 bytes are accepted, 257 refused; control characters refused. */
static void
node_caps_parse__string_limits__enforced(void **state)
{
	struct run	 r;
	char		 name[258], *models, *domcaps;

	memset(name, 'x', 256);
	name[256] = '\0';
	xasprintf(&models, "<model usable='yes'>%s</model>", name);
	domcaps = domcaps_with(models);
	run_parse(&r, MIN_CAPS, domcaps);
	assert_int_equal(r.rv, 0);
	assert_int_equal(strlen(r.caps.models[0]), 256);
	run_free(&r);
	free(domcaps);
	free(models);

	name[256] = 'x';
	name[257] = '\0';
	xasprintf(&models, "<model usable='yes'>%s</model>", name);
	domcaps = domcaps_with(models);
	expect_refused(MIN_CAPS, domcaps, "too long");
	free(domcaps);
	free(models);

	domcaps = domcaps_with("<model usable='yes'>Neh\talem</model>");
	expect_refused(MIN_CAPS, domcaps, "control character");
	free(domcaps);
	domcaps = domcaps_with("<model usable='yes'>Neh&#x7f;alem</model>");
	expect_refused(MIN_CAPS, domcaps, "control character");
	free(domcaps);
	domcaps = domcaps_with("<model usable='yes'></model>");
	expect_refused(MIN_CAPS, domcaps, "is empty");
	free(domcaps);
}

/* Model names that cannot end a label key are refused. */
static void
node_caps_parse__model_not_label_safe__refused(void **state)
{
	char	*domcaps;

	domcaps = domcaps_with("<model usable='yes'>Ne/halem</model>");
	expect_refused(MIN_CAPS, domcaps, "not allowed in a label");
	free(domcaps);
	domcaps = domcaps_with("<model usable='yes'>Neh alem</model>");
	expect_refused(MIN_CAPS, domcaps, "not allowed in a label");
	free(domcaps);
	expect_refused(MIN_CAPS, "<domainCapabilities><domain>qemu</domain>"
	    "<cpu><mode name='host-model' supported='yes'>"
	    "<model>EPYC=x</model></mode></cpu></domainCapabilities>",
	    "host-model CPU model 'EPYC=x'");
}

/* Empty input, in either place, is refused. */
static void
node_caps_parse__empty__refused(void **state)
{
	struct run	 r;
	char		*domcaps;

	domcaps = domcaps_with("");
	expect_refused("", domcaps, "capabilities XML is empty");
	expect_refused(MIN_CAPS, "", "domain capabilities XML is empty");
	run_parse_len(&r, NULL, 0, NULL, 0);
	assert_int_equal(r.rv, -1);
	run_free(&r);
	free(domcaps);
}

/* Text that is not XML is refused with libxml2's reason and line. */
static void
node_caps_parse__not_xml__refused(void **state)
{
	char	*domcaps;

	domcaps = domcaps_with("");
	expect_refused("hello, world", domcaps, "not well-formed: line 1");
	expect_refused("{\"capabilities\": {}}", domcaps, "not well-formed");
	expect_refused(MIN_CAPS, "<domainCapabilities><domain>qemu</domain>"
	    "</domainCapability>", "domain capabilities XML is not "
	    "well-formed");
	expect_refused("<capabilities>\xff\xfe</capabilities>", domcaps,
	    "not well-formed");
	expect_refused("<?xml version='1.0' encoding='no-such-charset'?>"
	    "<capabilities/>", domcaps, "capabilities XML");
	free(domcaps);
}

/* Root elements must be the expected ones, without a namespace. */
static void
node_caps_parse__wrong_root__refused(void **state)
{
	char	*domcaps;

	domcaps = domcaps_with("");
	/* The two documents swapped. */
	expect_refused(domcaps, MIN_CAPS, "root element 'domainCapabilities', "
	    "expected 'capabilities'");
	expect_refused(MIN_CAPS, MIN_CAPS, "root element 'capabilities', "
	    "expected 'domainCapabilities'");
	expect_refused("<domain type='kvm'><name>vm</name></domain>", domcaps,
	    "root element 'domain'");
	expect_refused("<capabilities xmlns='urn:x'><host><cpu><arch>x86_64"
	    "</arch></cpu></host></capabilities>", domcaps,
	    "root element 'capabilities', expected");
	free(domcaps);
}

/* A real fixture cut in half is refused. */
static void
node_caps_parse__truncated__refused(void **state)
{
	struct run	 r;
	char		*caps, *domcaps;
	size_t		 caps_len, domcaps_len, cut;

	caps = read_fixture(LAB_CAPS, &caps_len);
	domcaps = read_fixture(LAB_DOMCAPS, &domcaps_len);
	for (cut = 1; cut < caps_len; cut += caps_len / 7) {
		run_parse_len(&r, caps, cut, domcaps, domcaps_len);
		assert_int_equal(r.rv, -1);
		run_free(&r);
	}
	for (cut = 1; cut < domcaps_len; cut += domcaps_len / 7) {
		run_parse_len(&r, caps, caps_len, domcaps, cut);
		assert_int_equal(r.rv, -1);
		run_free(&r);
	}
	/* Not NUL-terminated at LEN: only LEN bytes are read. */
	run_parse_len(&r, caps, caps_len - 20, domcaps, domcaps_len);
	assert_int_equal(r.rv, -1);
	run_free(&r);
	free(domcaps);
	free(caps);
}

/* Missing arch or domain type, or another arch's domcaps, are refused. */
static void
node_caps_parse__missing_or_mismatched__refused(void **state)
{
	char	*domcaps;

	domcaps = domcaps_with("");
	expect_refused("<capabilities><host><cpu><model>EPYC</model></cpu>"
	    "</host></capabilities>", domcaps, "no host CPU arch");
	expect_refused("<capabilities><host><cpu><arch></arch></cpu></host>"
	    "</capabilities>", domcaps, "host CPU arch in capabilities XML "
	    "is empty");
	expect_refused(MIN_CAPS, "<domainCapabilities><cpu/>"
	    "</domainCapabilities>", "no domain type");
	expect_refused(MIN_CAPS, "<domainCapabilities><domain>qemu</domain>"
	    "<arch>aarch64</arch></domainCapabilities>",
	    "is for arch 'aarch64', the host is 'x86_64'");
	free(domcaps);
}

/* Billion laughs: refused at the DOCTYPE, quickly, nothing expanded. */
static void
node_caps_parse__billion_laughs__refused_unexpanded(void **state)
{
	struct timespec	 t0, t1;
	char		*domcaps;
	double		 secs;

	domcaps = domcaps_with("");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_refused(LAUGHS("capabilities", "<capabilities><host><cpu>"
	    "<arch>&l9;</arch></cpu></host></capabilities>"), domcaps,
	    "capabilities XML has a document type declaration");
	expect_refused(MIN_CAPS, LAUGHS("domainCapabilities",
	    "<domainCapabilities><domain>qemu</domain><cpu>"
	    "<mode name='custom' supported='yes'><model usable='yes'>&l9;"
	    "</model></mode></cpu></domainCapabilities>"),
	    "domain capabilities XML has a document type declaration");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(secs < 1.0);
	free(domcaps);
}

/* External entities and DTDs are refused, never loaded. */
static void
node_caps_parse__external_entity__refused(void **state)
{
	char	*domcaps;

	domcaps = domcaps_with("");
	expect_refused("<?xml version='1.0'?><!DOCTYPE capabilities ["
	    "<!ENTITY x SYSTEM 'file:///etc/passwd'>]><capabilities><host>"
	    "<cpu><arch>&x;</arch></cpu></host></capabilities>", domcaps,
	    "document type declaration");
	expect_refused("<!DOCTYPE capabilities SYSTEM 'http://127.0.0.1:9/x'>"
	    "<capabilities/>", domcaps, "document type declaration");
	expect_refused("<capabilities><host><cpu><arch>&undeclared;</arch>"
	    "</cpu></host></capabilities>", domcaps, "not well-formed");
	free(domcaps);
}

/* Deep nesting stops at libxml2's depth limit instead of recursing on. */
static void
node_caps_parse__deep_nesting__refused(void **state)
{
	char	*caps, *domcaps, *p;
	size_t	 depth = 5000, i;

	caps = xmalloc(depth * 7 + 64);
	p = caps + sprintf(caps, "<capabilities>");
	for (i = 0; i < depth; i++)
		p += sprintf(p, "<a>");
	for (i = 0; i < depth; i++)
		p += sprintf(p, "</a>");
	sprintf(p, "</capabilities>");
	domcaps = domcaps_with("");
	expect_refused(caps, domcaps, "not well-formed");
	free(domcaps);
	free(caps);
}

/* The caller's libxml2 error handler is back after a call. */
static int	handler_calls;	/* calls of test_handler */

/* Count a libxml2 structured error (2.12 made its argument const). */
#if LIBXML_VERSION >= 21200
static void
test_handler(void *arg, const xmlError *error)
#else
static void
test_handler(void *arg, xmlErrorPtr error)
#endif
{
	handler_calls++;
}

/* A parse that fails inside libxml2 leaves the caller's handler in place. */
static void
node_caps_parse__error_handlers__restored(void **state)
{
	char	*domcaps;

	xmlSetStructuredErrorFunc(&handler_calls, test_handler);
	domcaps = domcaps_with("");
	expect_refused("<capabilities>", domcaps, "not well-formed");
	assert_int_equal(handler_calls, 0);
	assert_ptr_equal(xmlStructuredError, test_handler);
	assert_ptr_equal(xmlStructuredErrorContext, &handler_calls);
	xmlSetStructuredErrorFunc(NULL, NULL);
	free(domcaps);
}

/* Run the tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    node_caps_parse__lab_fixtures__real_host_fields),
		cmocka_unit_test(
		    node_caps_parse__lab_unusable_models__left_out),
		cmocka_unit_test(
		    node_caps_labels__lab_fixtures__three_families),
		cmocka_unit_test(node_caps_parse__node_a__seed_example_fields),
		cmocka_unit_test(
		    node_caps_parse__node_b_two_cells__memory_and_cpus_summed),
		cmocka_unit_test(node_caps_labels__node_a_and_b__seed_example),
		cmocka_unit_test(
		    node_caps_labels__host_model_unsupported__no_host_labels),
		cmocka_unit_test(
		    node_caps_labels__host_model_not_ok__only_cpu_models),
		cmocka_unit_test(
		    node_caps_labels__existing_labels__appended_once),
		cmocka_unit_test(node_caps_labels__empty_caps__nothing),
		cmocka_unit_test(
		    node_caps_parse__duplicate_unknown_models__once_skipped),
		cmocka_unit_test(
		    node_caps_parse__custom_mode_unsupported__no_models),
		cmocka_unit_test(
		    node_caps_parse__no_topology_no_model__zero_and_null),
		cmocka_unit_test(node_caps_parse__cpus_num_only__summed),
		cmocka_unit_test(
		    node_caps_parse__memory_units__converted_to_kib),
		cmocka_unit_test(node_caps_parse__bad_memory__refused),
		cmocka_unit_test(node_caps_parse__huge_cpu_count__refused),
		cmocka_unit_test(
		    node_caps_parse__model_count_limit__1024_ok_1025_refused),
		cmocka_unit_test(node_caps_parse__string_limits__enforced),
		cmocka_unit_test(
		    node_caps_parse__model_not_label_safe__refused),
		cmocka_unit_test(node_caps_parse__empty__refused),
		cmocka_unit_test(node_caps_parse__not_xml__refused),
		cmocka_unit_test(node_caps_parse__wrong_root__refused),
		cmocka_unit_test(node_caps_parse__truncated__refused),
		cmocka_unit_test(
		    node_caps_parse__missing_or_mismatched__refused),
		cmocka_unit_test(
		    node_caps_parse__billion_laughs__refused_unexpanded),
		cmocka_unit_test(node_caps_parse__external_entity__refused),
		cmocka_unit_test(node_caps_parse__deep_nesting__refused),
		cmocka_unit_test(node_caps_parse__error_handlers__restored),
	};

	return (cmocka_run_group_tests_name("node-caps", tests, NULL, NULL));
}
