/*
 * node-caps.c: a host's libvirt capabilities and domain capabilities XML
 * read into struct node_caps with libxml2 and XPath, and the seed's three
 * CPU label families computed from them.
 *
 * The XML comes from a hypervisor host, so it is not trusted.  libvirt
 * never writes a document type declaration, so one stops the parse: with
 * no DTD there are no entities to expand (no billion laughs) and nothing
 * external to load; the network is off too.  libxml2 prints its errors to
 * stderr unless told otherwise, so for the length of a call its handlers
 * (per thread) are swapped for ours, which keep the first message for the
 * cause.  Every count and every string read has a limit.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>

#include "ferry/node.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

#define NODE_CAPS_MAX_XML	(16 * 1024 * 1024) /* bytes in one document */
#define NODE_CAPS_MAX_MODELS	1024	/* usable named CPU models */
#define NODE_CAPS_MAX_STRING	256	/* bytes in one string read */
#define NODE_CAPS_MAX_CPUS	65536	/* host logical CPUs */

/* Where the facts are (libvirt's formatcaps and formatdomaincaps). */
#define XP_ARCH		"/capabilities/host/cpu/arch"
#define XP_CPU_MODEL	"/capabilities/host/cpu/model"
#define XP_CELL_MEMORY	"/capabilities/host/topology/cells/cell/memory"
#define XP_CELL_CPU	"/capabilities/host/topology/cells/cell/cpus/cpu"
#define XP_CELL_CPUS	"/capabilities/host/topology/cells/cell/cpus/@num"
#define XP_DOMAIN	"/domainCapabilities/domain"
#define XP_DC_ARCH	"/domainCapabilities/arch"
#define XP_HOST_MODE "(/domainCapabilities/cpu/mode[@name='host-model'])[1]"
#define XP_HOST_OK	XP_HOST_MODE "/@supported"
#define XP_HOST_MODEL	XP_HOST_MODE "/model"
#define XP_MODELS	"/domainCapabilities/cpu/mode[@name='custom']" \
			"[@supported='yes']/model[@usable='yes']"

/* libxml2 2.12 made the structured error handler's argument const. */
#if LIBXML_VERSION >= 21200
#define NODE_CAPS_XML_ERROR	const xmlError
#else
#define NODE_CAPS_XML_ERROR	xmlError
#endif

/* One document being read, and what libxml2 said about it. */
struct node_caps_doc {
	const char		*what;	/* name in messages */
	const char		*root;	/* expected root element */
	xmlDocPtr		 doc;	/* the tree, or NULL */
	xmlXPathContextPtr	 xpath;	/* XPath on doc, or NULL */
	int			 dtd;	/* a DOCTYPE stopped parsing */
	char			*error;	/* libxml2's first error */
	int			 error_line; /* its line, 0 if unknown */
};

/* A unit of memory as libvirt names it (any case) and its size. */
struct node_caps_unit {
	const char	*name;		/* as in unit='...' */
	uint64_t	 bytes;		/* bytes in one unit */
};

/* libvirt's memory units (virScaleInteger): xB are powers of 1000. */
static const struct node_caps_unit node_caps_units[] = {
	{ .name = "b", .bytes = 1 },
	{ .name = "byte", .bytes = 1 },
	{ .name = "bytes", .bytes = 1 },
	{ .name = "KB", .bytes = 1000ULL },
	{ .name = "K", .bytes = 1ULL << 10 },
	{ .name = "KiB", .bytes = 1ULL << 10 },
	{ .name = "MB", .bytes = 1000ULL * 1000 },
	{ .name = "M", .bytes = 1ULL << 20 },
	{ .name = "MiB", .bytes = 1ULL << 20 },
	{ .name = "GB", .bytes = 1000ULL * 1000 * 1000 },
	{ .name = "G", .bytes = 1ULL << 30 },
	{ .name = "GiB", .bytes = 1ULL << 30 },
	{ .name = "TB", .bytes = 1000ULL * 1000 * 1000 * 1000 },
	{ .name = "T", .bytes = 1ULL << 40 },
	{ .name = "TiB", .bytes = 1ULL << 40 },
	{ .name = "PB", .bytes = 1000ULL * 1000 * 1000 * 1000 * 1000 },
	{ .name = "P", .bytes = 1ULL << 50 },
	{ .name = "PiB", .bytes = 1ULL << 50 },
	{ .name = "EB", .bytes = 1000ULL * 1000 * 1000 * 1000 * 1000 * 1000 },
	{ .name = "E", .bytes = 1ULL << 60 },
	{ .name = "EiB", .bytes = 1ULL << 60 },
};

/* Keep libxml2's first error for D (if any) and print nothing. */
static void
node_caps_xml_error(void *arg, NODE_CAPS_XML_ERROR *error)
{
	struct node_caps_doc	*d = arg;
	unsigned char		*p;
	size_t			 len;

	if (d == NULL || d->error != NULL || error == NULL ||
	    error->message == NULL)
		return;
	/* One line for the cause: some messages span two. */
	d->error = xstrndup(error->message, NODE_CAPS_MAX_STRING);
	for (p = (unsigned char *)d->error; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	len = strlen(d->error);
	while (len > 0 && d->error[len - 1] == ' ')
		d->error[--len] = '\0';
	d->error_line = error->line;
}

/* Print nothing for libxml2's unstructured messages. */
static void __attribute__((format(printf, 2, 3)))
node_caps_xml_quiet(void *arg, const char *fmt, ...)
{
}

/* Stop the parse at a DOCTYPE: libvirt writes none, so refuse all DTDs. */
static void
node_caps_xml_dtd(void *arg, const xmlChar *name, const xmlChar *external_id,
    const xmlChar *system_id)
{
	xmlParserCtxtPtr	 ctxt = arg;
	struct node_caps_doc	*d = ctxt->_private;

	d->dtd = 1;
	xmlStopParser(ctxt);
}

/* Parse LEN bytes of BUF into D; 0, or -1 with *CAUSE. */
static int
node_caps_doc_open(struct node_caps_doc *d, const char *buf, size_t len,
    char **cause)
{
	xmlParserCtxtPtr	 ctxt = NULL;
	xmlNodePtr		 top = NULL;
	int			 rv = -1;

	if (buf == NULL || len == 0) {
		xasprintf(cause, "%s XML is empty", d->what);
		goto out;
	}
	if (len > NODE_CAPS_MAX_XML) {
		xasprintf(cause, "%s XML is too large (%zu bytes, at most %d)",
		    d->what, len, NODE_CAPS_MAX_XML);
		goto out;
	}
	ctxt = xmlCreateMemoryParserCtxt(buf, (int)len);
	if (ctxt == NULL) {
		xasprintf(cause, "cannot create an XML parser for %s", d->what);
		goto out;
	}
	/* No XML_PARSE_NOENT, DTDLOAD or HUGE: keep libxml2's limits. */
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING);
	ctxt->_private = d;
	ctxt->sax->internalSubset = node_caps_xml_dtd;

	xmlParseDocument(ctxt);
	d->doc = ctxt->myDoc;
	ctxt->myDoc = NULL;
	if (d->dtd) {
		xasprintf(cause,
		    "%s XML has a document type declaration, which libvirt never writes",
		    d->what);
		goto out;
	}
	if (!ctxt->wellFormed || d->doc == NULL) {
		xasprintf(cause, "%s XML is not well-formed: line %d: %s",
		    d->what, d->error_line,
		    d->error != NULL ? d->error : "unknown error");
		goto out;
	}
	top = xmlDocGetRootElement(d->doc);
	if (top == NULL) {
		xasprintf(cause, "%s XML has no root element", d->what);
		goto out;
	}
	if (top->ns != NULL || !xmlStrEqual(top->name, BAD_CAST d->root)) {
		xasprintf(cause,
		    "%s XML has root element '%.64s', expected '%s'",
		    d->what, (const char *)top->name, d->root);
		goto out;
	}
	d->xpath = xmlXPathNewContext(d->doc);
	if (d->xpath == NULL) {
		xasprintf(cause, "cannot create an XPath context for %s",
		    d->what);
		goto out;
	}
	d->xpath->error = node_caps_xml_error;
	d->xpath->userData = d;
	rv = 0;
out:
	if (ctxt != NULL)
		xmlFreeParserCtxt(ctxt);
	return (rv);
}

/* Free what D holds. */
static void
node_caps_doc_close(struct node_caps_doc *d)
{
	xmlXPathFreeContext(d->xpath);
	d->xpath = NULL;
	xmlFreeDoc(d->doc);
	d->doc = NULL;
	free(d->error);
	d->error = NULL;
}

/* Evaluate node-set EXPR in D into *OBJ; 0, or -1 with *CAUSE. */
static int
node_caps_doc_nodes(struct node_caps_doc *d, const char *expr,
    xmlXPathObjectPtr *obj, char **cause)
{
	*obj = xmlXPathEvalExpression(BAD_CAST expr, d->xpath);
	if (*obj == NULL || (*obj)->type != XPATH_NODESET) {
		xmlXPathFreeObject(*obj);
		*obj = NULL;
		xasprintf(cause, "cannot evaluate '%s' in %s XML", expr,
		    d->what);
		return (-1);
	}
	return (0);
}

/*
 * Set *OUT to a copy of NODE's text (an element's or an attribute's) in D:
 * 1 to NODE_CAPS_MAX_STRING bytes, no control characters; 0, or -1 with
 * *CAUSE naming WHAT.
 */
static int
node_caps_node_text(struct node_caps_doc *d, xmlNodePtr node,
    const char *what, char **out, char **cause)
{
	xmlChar			*text = NULL;
	const unsigned char	*p;
	size_t			 len;
	int			 rv = -1;

	*out = NULL;
	text = xmlNodeGetContent(node);
	if (text == NULL || *text == '\0') {
		xasprintf(cause, "%s in %s XML is empty", what, d->what);
		goto out;
	}
	len = strlen((const char *)text);
	if (len > NODE_CAPS_MAX_STRING) {
		xasprintf(cause,
		    "%s in %s XML is too long (%zu bytes, at most %d)",
		    what, d->what, len, NODE_CAPS_MAX_STRING);
		goto out;
	}
	for (p = text; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			xasprintf(cause, "%s in %s XML has a control character",
			    what, d->what);
			goto out;
		}
	}
	*out = xstrdup((const char *)text);
	rv = 0;
out:
	xmlFree(text);
	return (rv);
}

/*
 * Set *OUT to the checked text of EXPR's first node in D, or NULL if there
 * is none; 0, or -1 with *CAUSE naming WHAT.
 */
static int
node_caps_doc_string(struct node_caps_doc *d, const char *expr,
    const char *what, char **out, char **cause)
{
	xmlXPathObjectPtr	 obj = NULL;
	int			 rv = -1;

	*out = NULL;
	if (node_caps_doc_nodes(d, expr, &obj, cause) != 0)
		goto out;
	if (xmlXPathNodeSetIsEmpty(obj->nodesetval)) {
		rv = 0;
		goto out;
	}
	rv = node_caps_node_text(d, obj->nodesetval->nodeTab[0], what, out,
	    cause);
out:
	xmlXPathFreeObject(obj);
	return (rv);
}

/* Whether NAME can end a label key: [A-Za-z0-9_.-]. */
static int
node_caps_model_valid(const char *name)
{
	const char	*p;

	for (p = name; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
		    *p == '-')
			continue;
		return (0);
	}
	return (p != name);
}

/* Parse TEXT, decimal digits only, into *V; 0, or -1 (not one, overflow). */
static int
node_caps_parse_u64(const char *text, uint64_t *v)
{
	const char	*p;
	uint64_t	 n = 0;
	unsigned int	 digit;

	if (*text == '\0')
		return (-1);
	for (p = text; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return (-1);
		digit = (unsigned int)(*p - '0');
		if (n > (UINT64_MAX - digit) / 10)
			return (-1);
		n = n * 10 + digit;
	}
	*v = n;
	return (0);
}

/* Set *BYTES to the size of memory unit NAME (NULL: KiB); 0, or -1. */
static int
node_caps_unit_bytes(const char *name, uint64_t *bytes)
{
	size_t	i;

	if (name == NULL) {
		*bytes = 1024;
		return (0);
	}
	for (i = 0; i < nitems(node_caps_units); i++) {
		if (strcasecmp(node_caps_units[i].name, name) == 0) {
			*bytes = node_caps_units[i].bytes;
			return (0);
		}
	}
	return (-1);
}

/* Add the memory of one NUMA cell (NODE in D) to *KIB; 0, or -1 with *CAUSE. */
static int
node_caps_cell_memory(struct node_caps_doc *d, xmlNodePtr node,
    uint64_t *kib, char **cause)
{
	xmlAttrPtr	 attr = NULL;
	char		*text = NULL, *unit = NULL;
	uint64_t	 value, bytes, add;
	int		 rv = -1;

	if (node_caps_node_text(d, node, "NUMA cell memory", &text,
	    cause) != 0)
		goto out;
	attr = xmlHasNsProp(node, BAD_CAST "unit", NULL);
	if (attr != NULL && node_caps_node_text(d, (xmlNodePtr)attr,
	    "NUMA cell memory unit", &unit, cause) != 0)
		goto out;
	if (node_caps_parse_u64(text, &value) != 0) {
		xasprintf(cause,
		    "NUMA cell memory '%s' in %s XML is not a number",
		    text, d->what);
		goto out;
	}
	if (node_caps_unit_bytes(unit, &bytes) != 0) {
		xasprintf(cause,
		    "NUMA cell memory unit '%s' in %s XML is unknown",
		    unit, d->what);
		goto out;
	}
	if (value > UINT64_MAX / bytes) {
		xasprintf(cause,
		    "NUMA cell memory '%s %s' in %s XML is too large",
		    text, unit != NULL ? unit : "KiB", d->what);
		goto out;
	}
	value *= bytes;
	add = value / 1024 + (value % 1024 != 0);
	if (*kib > UINT64_MAX - add) {
		xasprintf(cause, "host memory in %s XML is too large", d->what);
		goto out;
	}
	*kib += add;
	rv = 0;
out:
	free(unit);
	free(text);
	return (rv);
}

/* Sum the NUMA cells' memory in D into *KIB (0 without a topology). */
static int
node_caps_memory(struct node_caps_doc *d, uint64_t *kib, char **cause)
{
	xmlXPathObjectPtr	 obj = NULL;
	int			 i, n, rv = -1;

	*kib = 0;
	if (node_caps_doc_nodes(d, XP_CELL_MEMORY, &obj, cause) != 0)
		goto out;
	n = xmlXPathNodeSetGetLength(obj->nodesetval);
	for (i = 0; i < n; i++) {
		if (node_caps_cell_memory(d, obj->nodesetval->nodeTab[i], kib,
		    cause) != 0)
			goto out;
	}
	rv = 0;
out:
	xmlXPathFreeObject(obj);
	return (rv);
}

/*
 * Count the host's logical CPUs in D into *CPUS: its topology's cpu
 * elements, else the sum of the cells' cpus/@num, else 0.
 */
static int
node_caps_cpus(struct node_caps_doc *d, unsigned int *cpus, char **cause)
{
	xmlXPathObjectPtr	 obj = NULL;
	char			*text = NULL;
	uint64_t		 total = 0, num;
	int			 i, n, rv = -1;

	*cpus = 0;
	if (node_caps_doc_nodes(d, XP_CELL_CPU, &obj, cause) != 0)
		goto out;
	total = (uint64_t)xmlXPathNodeSetGetLength(obj->nodesetval);
	if (total == 0) {
		xmlXPathFreeObject(obj);
		obj = NULL;
		if (node_caps_doc_nodes(d, XP_CELL_CPUS, &obj, cause) != 0)
			goto out;
		n = xmlXPathNodeSetGetLength(obj->nodesetval);
		for (i = 0; i < n && total <= NODE_CAPS_MAX_CPUS; i++) {
			if (node_caps_node_text(d, obj->nodesetval->nodeTab[i],
			    "NUMA cell CPU count", &text, cause) != 0)
				goto out;
			if (node_caps_parse_u64(text, &num) != 0) {
				xasprintf(cause,
				    "NUMA cell CPU count '%s' in %s XML is not a number",
				    text, d->what);
				goto out;
			}
			free(text);
			text = NULL;
			if (num > NODE_CAPS_MAX_CPUS)
				num = NODE_CAPS_MAX_CPUS + 1;
			total += num;
		}
	}
	if (total > NODE_CAPS_MAX_CPUS) {
		xasprintf(cause, "%s XML has too many host CPUs (at most %d)",
		    d->what, NODE_CAPS_MAX_CPUS);
		goto out;
	}
	*cpus = (unsigned int)total;
	rv = 0;
out:
	free(text);
	xmlXPathFreeObject(obj);
	return (rv);
}

/*
 * Read D's usable named CPU models into OUT, in document order without
 * duplicates; 0, or -1 with *CAUSE.  A model whose usability libvirt
 * cannot tell ('unknown') is not usable, nor is any if custom mode is not
 * supported.
 */
static int
node_caps_models(struct node_caps_doc *d, struct node_caps *out,
    char **cause)
{
	xmlXPathObjectPtr	 obj = NULL;
	char			*name = NULL;
	size_t			 j;
	int			 i, n, rv = -1;

	if (node_caps_doc_nodes(d, XP_MODELS, &obj, cause) != 0)
		goto out;
	n = xmlXPathNodeSetGetLength(obj->nodesetval);
	if (n > NODE_CAPS_MAX_MODELS) {
		xasprintf(cause,
		    "%s XML lists too many usable CPU models (%d, at most %d)",
		    d->what, n, NODE_CAPS_MAX_MODELS);
		goto out;
	}
	if (n > 0)
		out->models = xcalloc((size_t)n, sizeof *out->models);
	for (i = 0; i < n; i++) {
		if (node_caps_node_text(d, obj->nodesetval->nodeTab[i],
		    "usable CPU model", &name, cause) != 0)
			goto out;
		if (!node_caps_model_valid(name)) {
			xasprintf(cause,
			    "usable CPU model '%s' in %s XML has a character not allowed in a label",
			    name, d->what);
			goto out;
		}
		for (j = 0; j < out->nmodels; j++) {
			if (strcmp(out->models[j], name) == 0)
				break;
		}
		if (j == out->nmodels) {
			out->models[out->nmodels++] = name;
			name = NULL;
		}
		free(name);
		name = NULL;
	}
	rv = 0;
out:
	free(name);
	xmlXPathFreeObject(obj);
	return (rv);
}

/* Read D's host-model CPU mode into OUT; 0, or -1 with *CAUSE. */
static int
node_caps_host_model(struct node_caps_doc *d, struct node_caps *out,
    char **cause)
{
	char	*supported = NULL;
	int	 rv = -1;

	if (node_caps_doc_string(d, XP_HOST_OK, "host-model support",
	    &supported, cause) != 0)
		goto out;
	out->host_model_ok = supported != NULL &&
	    strcmp(supported, "yes") == 0;
	if (node_caps_doc_string(d, XP_HOST_MODEL, "host-model CPU model",
	    &out->host_model, cause) != 0)
		goto out;
	if (out->host_model != NULL &&
	    !node_caps_model_valid(out->host_model)) {
		xasprintf(cause,
		    "host-model CPU model '%s' in %s XML has a character not allowed in a label",
		    out->host_model, d->what);
		goto out;
	}
	rv = 0;
out:
	free(supported);
	return (rv);
}

/* Read what OUT takes from capabilities C and domain capabilities DC. */
static int
node_caps_read(struct node_caps_doc *c, struct node_caps_doc *dc,
    struct node_caps *out, char **cause)
{
	char	*dc_arch = NULL;
	int	 rv = -1;

	if (node_caps_doc_string(c, XP_ARCH, "host CPU arch", &out->arch,
	    cause) != 0)
		goto out;
	if (out->arch == NULL) {
		xasprintf(cause, "%s XML has no host CPU arch", c->what);
		goto out;
	}
	if (node_caps_doc_string(c, XP_CPU_MODEL, "host CPU model",
	    &out->host_cpu_model, cause) != 0)
		goto out;
	if (node_caps_memory(c, &out->memory_kib, cause) != 0)
		goto out;
	if (node_caps_cpus(c, &out->cpus, cause) != 0)
		goto out;

	if (node_caps_doc_string(dc, XP_DOMAIN, "domain type",
	    &out->domain_type, cause) != 0)
		goto out;
	if (out->domain_type == NULL) {
		xasprintf(cause, "%s XML has no domain type", dc->what);
		goto out;
	}
	/* Models for another arch would give this host wrong labels. */
	if (node_caps_doc_string(dc, XP_DC_ARCH, "arch", &dc_arch,
	    cause) != 0)
		goto out;
	if (dc_arch != NULL && strcmp(dc_arch, out->arch) != 0) {
		xasprintf(cause, "%s XML is for arch '%s', the host is '%s'",
		    dc->what, dc_arch, out->arch);
		goto out;
	}
	if (node_caps_host_model(dc, out, cause) != 0)
		goto out;
	if (node_caps_models(dc, out, cause) != 0)
		goto out;
	rv = 0;
out:
	free(dc_arch);
	return (rv);
}

/* Parse capabilities and domain capabilities XML into OUT. */
int
node_caps_parse(const char *caps, size_t caps_len, const char *domcaps,
    size_t domcaps_len, struct node_caps *out, char **cause)
{
	struct node_caps_doc	 c = {
		.what = "capabilities", .root = "capabilities"
	};
	struct node_caps_doc	 dc = {
		.what = "domain capabilities", .root = "domainCapabilities"
	};
	xmlStructuredErrorFunc	 old_serror;
	xmlGenericErrorFunc	 old_error;
	void			*old_sctx, *old_ctx;
	int			 rv = -1;

	memset(out, 0, sizeof *out);
	xmlInitParser();
	old_serror = xmlStructuredError;
	old_sctx = xmlStructuredErrorContext;
	old_error = xmlGenericError;
	old_ctx = xmlGenericErrorContext;
	xmlSetGenericErrorFunc(NULL, node_caps_xml_quiet);

	xmlSetStructuredErrorFunc(&c, node_caps_xml_error);
	if (node_caps_doc_open(&c, caps, caps_len, cause) != 0)
		goto out;
	xmlSetStructuredErrorFunc(&dc, node_caps_xml_error);
	if (node_caps_doc_open(&dc, domcaps, domcaps_len, cause) != 0)
		goto out;
	xmlSetStructuredErrorFunc(NULL, node_caps_xml_error);
	if (node_caps_read(&c, &dc, out, cause) != 0)
		goto out;
	rv = 0;
out:
	xmlSetStructuredErrorFunc(old_sctx, old_serror);
	xmlSetGenericErrorFunc(old_ctx, old_error);
	node_caps_doc_close(&dc);
	node_caps_doc_close(&c);
	if (rv != 0)
		node_caps_clear(out);
	return (rv);
}

/* Free what CAPS holds and zero it; CAPS may be NULL. */
void
node_caps_clear(struct node_caps *caps)
{
	size_t	i;

	if (caps == NULL)
		return;
	free(caps->arch);
	free(caps->host_cpu_model);
	free(caps->host_model);
	for (i = 0; i < caps->nmodels; i++)
		free(caps->models[i]);
	free(caps->models);
	free(caps->domain_type);
	memset(caps, 0, sizeof *caps);
}

/* Append PREFIX NAME = "true" to *LABELS / *N unless that key is there. */
static void
node_caps_label_add(struct node_label **labels, size_t *n,
    const char *prefix, const char *name)
{
	char	*key = NULL;
	size_t	 i;

	xasprintf(&key, "%s%s", prefix, name);
	for (i = 0; i < *n; i++) {
		if (strcmp((*labels)[i].key, key) == 0) {
			free(key);
			return;
		}
	}
	*labels = xreallocarray(*labels, *n + 1, sizeof **labels);
	(*labels)[*n].key = key;
	(*labels)[*n].value = xstrdup("true");
	(*n)++;
}

/*
 * Append CAPS's CPU labels to *LABELS / *N, skipping keys already there: the
 * host-model CPU, each usable model, and the host-model CPU again as the
 * model host-model VMs started elsewhere may migrate here with.
 */
void
node_caps_labels(const struct node_caps *caps, struct node_label **labels,
    size_t *n)
{
	size_t	i;
	int	host_model = 0;

	if (caps == NULL)
		return;
	host_model = caps->host_model_ok && caps->host_model != NULL;
	if (host_model) {
		node_caps_label_add(labels, n, NODE_LABEL_HOST_MODEL,
		    caps->host_model);
	}
	for (i = 0; i < caps->nmodels; i++) {
		node_caps_label_add(labels, n, NODE_LABEL_CPU_MODEL,
		    caps->models[i]);
	}
	if (host_model) {
		node_caps_label_add(labels, n, NODE_LABEL_MIGRATION,
		    caps->host_model);
	}
}

/* Free N labels and the array; LABELS may be NULL. */
void
node_labels_free(struct node_label *labels, size_t n)
{
	size_t	i;

	if (labels == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(labels[i].key);
		free(labels[i].value);
	}
	free(labels);
}
