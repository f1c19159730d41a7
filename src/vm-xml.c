/*
 * vm-xml.c: read a libvirt domain XML into struct vm_info with libxml2 and
 * XPath.  The text comes from a hypervisor and, through <metadata>, from
 * whoever may define domains there, so it is treated as hostile: no DTD,
 * no entities, no network, bounded counts and lengths, and every failure
 * is a message in *cause, never a crash.  libxml2's own messages are
 * caught for the length of one call instead of going to stderr.
 */

#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "ferry/util.h"
#include "ferry/vm.h"
#include "ferry/xmalloc.h"

/*
 * Bounds on hostile input.  libvirt hands out domain XML as an RPC string
 * of at most 4 MiB, so 16 MiB leaves room and still stops a runaway
 * document before libxml2 sees it.
 */
#define VM_XML_MAX_LEN		(16 * 1024 * 1024)	/* bytes of XML */
#define VM_XML_MAX_DISKS	256			/* <disk> elements */
#define VM_XML_MAX_IFACES	256			/* <interface> elements */
#define VM_XML_MAX_HOSTDEVS	64			/* <hostdev> elements */
#define VM_XML_MAX_LABELS	64			/* per ferry label kind */
#define VM_XML_MAX_STRING	4096			/* bytes of one value */
#define VM_XML_MAX_VCPUS	4096			/* largest <vcpu> */

/* Longest piece of untrusted text quoted in a cause. */
#define VM_XML_QUOTE_MAX	64

/* Prefix bound to VM_XMLNS in our XPath expressions. */
#define VM_XML_PREFIX		"ferry"

/* libxml2 2.12 made the structured error const. */
#if LIBXML_VERSION >= 21200
typedef const xmlError *vm_xml_error_t;
#else
typedef xmlErrorPtr vm_xml_error_t;
#endif

/* State of one vm_info_parse() call. */
struct vm_xml {
	xmlParserCtxtPtr	 parser;	/* libxml2 parser context */
	xmlDocPtr		 doc;		/* the parsed document */
	xmlXPathContextPtr	 xpath;		/* XPath context on doc */
	char			*xml_error;	/* first libxml2 error, quoted */
	int			 doctype;	/* a DOCTYPE was met: parse stopped */
};

/* <disk device='...'> values, also the names vm_disk_device_name() gives. */
static const char *vm_disk_device_names[] = {
	[VM_DISK_DISK] = "disk",
	[VM_DISK_CDROM] = "cdrom",
	[VM_DISK_FLOPPY] = "floppy",
	[VM_DISK_LUN] = "lun",
};

/* <cpu mode='...'> values; VM_CPU_UNSET is never read from a document. */
static const char *vm_cpu_mode_names[] = {
	[VM_CPU_UNSET] = "unset",
	[VM_CPU_HOST_MODEL] = "host-model",
	[VM_CPU_HOST_PASSTHROUGH] = "host-passthrough",
	[VM_CPU_MAXIMUM] = "maximum",
	[VM_CPU_CUSTOM] = "custom",
};

/* Guards xmlInitParser(). */
static pthread_once_t	 vm_xml_once = PTHREAD_ONCE_INIT;

static int	vm_xml_fail(char **, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Initialise libxml2 once per process (not thread-safe on its own). */
static void
vm_xml_init(void)
{
	xmlInitParser();
}

/* Name of disk device D. */
const char *
vm_disk_device_name(enum vm_disk_device d)
{
	if ((size_t)d >= nitems(vm_disk_device_names) ||
	    vm_disk_device_names[d] == NULL)
		return ("unknown");
	return (vm_disk_device_names[d]);
}

/* Name of CPU mode M. */
const char *
vm_cpu_mode_name(enum vm_cpu_mode m)
{
	if ((size_t)m >= nitems(vm_cpu_mode_names) ||
	    vm_cpu_mode_names[m] == NULL)
		return ("unknown");
	return (vm_cpu_mode_names[m]);
}

/*
 * Copy S for a message: bytes that are not printable ASCII become \xNN and
 * long text is cut, so a hostile document cannot garble a log or a reply.
 */
static char *
vm_xml_quote(const char *s)
{
	char	*out;
	size_t	 i, n = 0;

	out = xmalloc(VM_XML_QUOTE_MAX * 4 + 4);
	for (i = 0; s[i] != '\0' && i < VM_XML_QUOTE_MAX; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\')
			out[n++] = s[i];
		else
			n += snprintf(out + n, 5, "\\x%02x", (u_char)s[i]);
	}
	if (s[i] != '\0') {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return (out);
}

/* Set *CAUSE (if still unset) from a format; always returns -1. */
static int
vm_xml_fail(char **cause, const char *fmt, ...)
{
	va_list	 ap;

	if (cause == NULL || *cause != NULL)
		return (-1);
	va_start(ap, fmt);
	xvasprintf(cause, fmt, ap);
	va_end(ap);
	return (-1);
}

/* Keep libxml2's first error of one call; later ones and warnings go. */
static void
vm_xml_error_cb(void *arg, vm_xml_error_t err)
{
	struct vm_xml	*x = arg;
	char		*msg, *quoted;
	size_t		 n;

	if (x == NULL || err == NULL || x->xml_error != NULL)
		return;
	if (err->level < XML_ERR_ERROR)
		return;
	msg = xstrdup(err->message != NULL ? err->message : "unknown error");
	n = strlen(msg);
	while (n > 0 && isspace((u_char)msg[n - 1]))
		msg[--n] = '\0';
	quoted = vm_xml_quote(msg);
	if (err->line > 0)
		xasprintf(&x->xml_error, "line %d: %s", err->line, quoted);
	else
		x->xml_error = xstrdup(quoted);
	free(quoted);
	free(msg);
}

/* Swallow libxml2's unstructured messages for the length of a call. */
static void
vm_xml_generic_cb(void *arg, const char *fmt, ...)
{
}

/*
 * SAX hook called at <!DOCTYPE ...>, before any declaration in it is read:
 * domain XML never has one, and refusing it here means no entity is ever
 * declared, so none can be expanded (billion laughs) or fetched (XXE).
 */
static void
vm_xml_doctype_cb(void *arg, const xmlChar *name, const xmlChar *external_id,
    const xmlChar *system_id)
{
	xmlParserCtxtPtr	 ctxt = arg;
	struct vm_xml		*x = ctxt->_private;

	x->doctype = 1;
	xmlStopParser(ctxt);
}

/* Evaluate XPath EXPR with NODE as the context node. */
static xmlXPathObjectPtr
vm_xml_eval(struct vm_xml *x, xmlNodePtr node, const char *expr)
{
	x->xpath->node = node;
	return (xmlXPathEvalExpression((const xmlChar *)expr, x->xpath));
}

/* Nodes matched by EXPR under NODE (0 if none or on error). */
static int
vm_xml_count(struct vm_xml *x, xmlNodePtr node, const char *expr)
{
	xmlXPathObjectPtr	 obj;
	int			 n = 0;

	obj = vm_xml_eval(x, node, expr);
	if (obj != NULL && obj->type == XPATH_NODESET &&
	    obj->nodesetval != NULL)
		n = obj->nodesetval->nodeNr;
	xmlXPathFreeObject(obj);
	return (n);
}

/*
 * The text of the first node EXPR matches under NODE (an attribute's value
 * or an element's text) in *OUT, or NULL if nothing matches.  WHERE names
 * NODE in messages ("devices/disk[2]/", or "" for the root).
 */
static int
vm_xml_string(struct vm_xml *x, xmlNodePtr node, const char *where,
    const char *expr, char **out, char **cause)
{
	xmlXPathObjectPtr	 obj = NULL;
	xmlChar			*s = NULL;
	size_t			 len;
	int			 ret = -1;

	*out = NULL;
	obj = vm_xml_eval(x, node, expr);
	if (obj == NULL || obj->type != XPATH_NODESET) {
		vm_xml_fail(cause, "cannot evaluate '%s%s'", where, expr);
		goto out;
	}
	if (obj->nodesetval == NULL || obj->nodesetval->nodeNr == 0) {
		ret = 0;
		goto out;
	}
	s = xmlNodeGetContent(obj->nodesetval->nodeTab[0]);
	if (s == NULL) {
		*out = xstrdup("");
		ret = 0;
		goto out;
	}
	len = strlen((const char *)s);
	if (len > VM_XML_MAX_STRING) {
		vm_xml_fail(cause, "'%s%s' is too long (%zu bytes, at most %d)",
		    where, expr, len, VM_XML_MAX_STRING);
		goto out;
	}
	*out = xstrdup((const char *)s);
	ret = 0;

out:
	xmlFree(s);
	xmlXPathFreeObject(obj);
	return (ret);
}

/* Like vm_xml_string() but a missing or empty value is an error. */
static int
vm_xml_required(struct vm_xml *x, xmlNodePtr node, const char *where,
    const char *expr, char **out, char **cause)
{
	if (vm_xml_string(x, node, where, expr, out, cause) != 0)
		return (-1);
	if (*out == NULL || **out == '\0') {
		free(*out);
		*out = NULL;
		return (vm_xml_fail(cause, "'%s%s' is missing", where, expr));
	}
	return (0);
}

/* Strip XML white space from both ends of S in place. */
static char *
vm_xml_trim(char *s)
{
	size_t	 n;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return (s);
}

/*
 * Read S as an unsigned number in BASE (0: C rules, as libvirt reads
 * addresses and ids); surrounding white space is allowed, signs are not.
 */
static int
vm_xml_ull(char *s, int base, unsigned long long *out)
{
	char			*end;
	unsigned long long	 v;

	s = vm_xml_trim(s);
	if (*s == '\0' || *s == '-' || *s == '+')
		return (-1);
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno != 0 || *end != '\0')
		return (-1);
	*out = v;
	return (0);
}

/*
 * Number at EXPR under NODE in BASE, at most MAX; DEF if absent, or an
 * error if DEF is -1.
 */
static int
vm_xml_number(struct vm_xml *x, xmlNodePtr node, const char *where,
    const char *expr, int base, unsigned long long max, long long def,
    unsigned long long *out, char **cause)
{
	char	*s = NULL, *q = NULL;
	int	 ret = -1;

	if (vm_xml_string(x, node, where, expr, &s, cause) != 0)
		goto out;
	if (s == NULL) {
		if (def < 0) {
			vm_xml_fail(cause, "'%s%s' is missing", where, expr);
			goto out;
		}
		*out = def;
		ret = 0;
		goto out;
	}
	q = vm_xml_quote(s);
	if (vm_xml_ull(s, base, out) != 0) {
		vm_xml_fail(cause, "'%s%s' is not a number: '%s'", where, expr,
		    q);
		goto out;
	}
	if (*out > max) {
		vm_xml_fail(cause, "'%s%s' is out of range: '%s' (at most %llu)",
		    where, expr, q, max);
		goto out;
	}
	ret = 0;

out:
	free(q);
	free(s);
	return (ret);
}

/*
 * Bytes per UNIT, as libvirt's virScaleInteger reads it: case-insensitive
 * b/byte/bytes, K/M/G/T/P/E alone or with "iB" (powers of 1024), with "B"
 * (powers of 1000).  No unit means KiB, <memory>'s default.
 */
static int
vm_xml_unit(const char *unit, uint64_t *scale)
{
	static const char	 prefixes[] = "kmgtpe";
	const char		*p;
	uint64_t		 base, s = 1;
	size_t			 i;

	if (unit == NULL || *unit == '\0') {
		*scale = 1024;
		return (0);
	}
	if (strcasecmp(unit, "b") == 0 || strcasecmp(unit, "byte") == 0 ||
	    strcasecmp(unit, "bytes") == 0) {
		*scale = 1;
		return (0);
	}
	if (unit[1] == '\0' || strcasecmp(unit + 1, "iB") == 0)
		base = 1024;
	else if ((unit[1] == 'b' || unit[1] == 'B') && unit[2] == '\0')
		base = 1000;
	else
		return (-1);
	p = strchr(prefixes, tolower((u_char)unit[0]));
	if (p == NULL)
		return (-1);
	for (i = 0; i <= (size_t)(p - prefixes); i++)
		s *= base;
	*scale = s;
	return (0);
}

/*
 * Size in KiB of element ELEM (memory or currentMemory) in *KIB, rounded
 * up as libvirt does; *FOUND says whether ELEM is there.
 */
static int
vm_xml_memory(struct vm_xml *x, xmlNodePtr root, const char *elem,
    uint64_t *kib, int *found, char **cause)
{
	char			 expr[64];
	char			*text = NULL, *unit = NULL, *q = NULL;
	uint64_t		 scale;
	unsigned long long	 v;
	int			 ret = -1;

	*found = 0;
	*kib = 0;
	if (vm_xml_string(x, root, "", elem, &text, cause) != 0)
		goto out;
	if (text == NULL) {
		ret = 0;
		goto out;
	}
	*found = 1;
	snprintf(expr, sizeof expr, "%s/@unit", elem);
	if (vm_xml_string(x, root, "", expr, &unit, cause) != 0)
		goto out;
	if (vm_xml_unit(unit, &scale) != 0) {
		q = vm_xml_quote(unit);
		vm_xml_fail(cause, "unknown unit '%s' in '%s'", q, elem);
		goto out;
	}
	q = vm_xml_quote(text);
	if (vm_xml_ull(text, 10, &v) != 0) {
		vm_xml_fail(cause, "'%s' is not a number: '%s'", elem, q);
		goto out;
	}
	if (v != 0 && v > UINT64_MAX / scale) {
		vm_xml_fail(cause, "'%s' is too large: '%s' times %llu bytes",
		    elem, q, (unsigned long long)scale);
		goto out;
	}
	v *= scale;
	*kib = v / 1024 + (v % 1024 != 0);
	ret = 0;

out:
	free(q);
	free(unit);
	free(text);
	return (ret);
}

/* Read <memory> and <currentMemory> into VM. */
static int
vm_xml_parse_memory(struct vm_xml *x, xmlNodePtr root, struct vm_info *vm,
    char **cause)
{
	uint64_t	 cur;
	int		 found;

	if (vm_xml_memory(x, root, "memory", &vm->memory_kib, &found,
	    cause) != 0)
		return (-1);
	if (!found)
		return (vm_xml_fail(cause, "element 'memory' is missing"));
	if (vm_xml_memory(x, root, "currentMemory", &cur, &found, cause) != 0)
		return (-1);
	if (found && cur > vm->memory_kib)
		vm->memory_kib = cur;
	return (0);
}

/*
 * Read <vcpu>, <cpu> and CPU pinning into VM.  Pinning is a <vcpupin> or a
 * cpuset on <vcpu>; placement='static' alone is what libvirt prints for
 * every domain and placement='auto' leaves the choice to numad.
 */
static int
vm_xml_parse_cpu(struct vm_xml *x, xmlNodePtr root, struct vm_info *vm,
    char **cause)
{
	unsigned long long	 n;
	char			*mode = NULL, *model = NULL, *cpuset = NULL;
	char			*q = NULL;
	size_t			 i;
	int			 ret = -1;

	if (vm_xml_number(x, root, "", "vcpu", 10, ULLONG_MAX, 1, &n,
	    cause) != 0)
		goto out;
	if (n < 1 || n > VM_XML_MAX_VCPUS) {
		vm_xml_fail(cause, "'vcpu' is out of range: '%llu' (1 to %d)",
		    n, VM_XML_MAX_VCPUS);
		goto out;
	}
	vm->vcpus = n;

	if (vm_xml_string(x, root, "", "vcpu/@cpuset", &cpuset, cause) != 0)
		goto out;
	if (cpuset != NULL && *vm_xml_trim(cpuset) != '\0')
		vm->cpu_pinned = 1;
	if (vm_xml_count(x, root, "cputune/vcpupin") > 0)
		vm->cpu_pinned = 1;

	if (vm_xml_string(x, root, "", "cpu/@mode", &mode, cause) != 0)
		goto out;
	if (vm_xml_string(x, root, "", "cpu/model", &model, cause) != 0)
		goto out;
	if (model != NULL && *vm_xml_trim(model) != '\0')
		vm->cpu_model = xstrdup(vm_xml_trim(model));
	if (mode != NULL) {
		for (i = 0; i < nitems(vm_cpu_mode_names); i++) {
			if (i == VM_CPU_UNSET || vm_cpu_mode_names[i] == NULL)
				continue;
			if (strcmp(mode, vm_cpu_mode_names[i]) == 0)
				break;
		}
		if (i == nitems(vm_cpu_mode_names)) {
			q = vm_xml_quote(mode);
			vm_xml_fail(cause, "unknown CPU mode '%s'", q);
			goto out;
		}
		vm->cpu_mode = i;
	} else if (vm->cpu_model != NULL)
		vm->cpu_mode = VM_CPU_CUSTOM;
	else
		vm->cpu_mode = VM_CPU_UNSET;
	ret = 0;

out:
	free(q);
	free(cpuset);
	free(model);
	free(mode);
	return (ret);
}

/*
 * The element nodes EXPR matches under NODE, at most MAX of them; WHAT
 * names them in the message when there are more.
 */
static xmlXPathObjectPtr
vm_xml_list(struct vm_xml *x, xmlNodePtr node, const char *expr, int max,
    const char *what, size_t *n, char **cause)
{
	xmlXPathObjectPtr	 obj;

	*n = 0;
	obj = vm_xml_eval(x, node, expr);
	if (obj == NULL || obj->type != XPATH_NODESET) {
		xmlXPathFreeObject(obj);
		vm_xml_fail(cause, "cannot evaluate '%s'", expr);
		return (NULL);
	}
	if (obj->nodesetval != NULL)
		*n = obj->nodesetval->nodeNr;
	if (*n > (size_t)max) {
		vm_xml_fail(cause, "too many %s (%zu, at most %d)", what, *n,
		    max);
		xmlXPathFreeObject(obj);
		return (NULL);
	}
	return (obj);
}

/* Read one <disk> (number I, from 1) into D. */
static int
vm_xml_parse_disk(struct vm_xml *x, xmlNodePtr node, size_t i,
    struct vm_disk *d, char **cause)
{
	char	 where[64];
	char	*device = NULL, *q = NULL;
	size_t	 j;
	int	 ret = -1;

	snprintf(where, sizeof where, "devices/disk[%zu]/", i);
	if (vm_xml_string(x, node, where, "@device", &device, cause) != 0)
		goto out;
	if (device == NULL)
		d->device = VM_DISK_DISK;
	else {
		for (j = 0; j < nitems(vm_disk_device_names); j++) {
			if (vm_disk_device_names[j] != NULL &&
			    strcmp(device, vm_disk_device_names[j]) == 0)
				break;
		}
		if (j == nitems(vm_disk_device_names)) {
			q = vm_xml_quote(device);
			vm_xml_fail(cause, "unknown disk device '%s' in '%s'",
			    q, where);
			goto out;
		}
		d->device = j;
	}

	/* libvirt reads a disk without a type as a file. */
	if (vm_xml_string(x, node, where, "@type", &d->type, cause) != 0)
		goto out;
	if (d->type == NULL)
		d->type = xstrdup("file");
	if (vm_xml_required(x, node, where, "target/@dev", &d->target,
	    cause) != 0)
		goto out;

	if (vm_xml_string(x, node, where, "source/@file", &d->path,
	    cause) != 0)
		goto out;
	if (d->path == NULL && vm_xml_string(x, node, where, "source/@dev",
	    &d->path, cause) != 0)
		goto out;
	if (d->path == NULL && vm_xml_string(x, node, where, "source/@dir",
	    &d->path, cause) != 0)
		goto out;
	if (vm_xml_string(x, node, where, "source/@pool", &d->pool,
	    cause) != 0)
		goto out;
	if (vm_xml_string(x, node, where, "source/@volume", &d->volume,
	    cause) != 0)
		goto out;
	if (vm_xml_string(x, node, where, "source/@protocol", &d->protocol,
	    cause) != 0)
		goto out;
	if (vm_xml_string(x, node, where, "source/@name", &d->name,
	    cause) != 0)
		goto out;

	/*
	 * A running domain's XML may keep a <source> with only bookkeeping
	 * attributes (index, startupPolicy) on a drive with no medium: only
	 * a source naming something counts.
	 */
	d->has_source = vm_xml_count(x, node, "source[@file or @dev or @dir or"
	    " @pool or @volume or @protocol or @name or @path or *]") > 0;
	d->readonly = vm_xml_count(x, node, "readonly") > 0;
	d->shareable = vm_xml_count(x, node, "shareable") > 0;
	ret = 0;

out:
	free(q);
	free(device);
	return (ret);
}

/*
 * PCI address "DDDD:BB:SS.F" of the <address> element EXPR matches under
 * NODE, read as libvirt reads it (any C base, missing parts are 0).
 */
static int
vm_xml_pci_address(struct vm_xml *x, xmlNodePtr node, const char *where,
    const char *expr, char **out, char **cause)
{
	char			 path[256];
	unsigned long long	 v[4];
	static const char	*attrs[] = { "domain", "bus", "slot", "function" };
	static const unsigned long long	 max[] = { 0xffff, 0xff, 0x1f, 0x7 };
	size_t			 i;

	*out = NULL;
	if (vm_xml_count(x, node, expr) == 0)
		return (vm_xml_fail(cause, "'%s%s' is missing", where, expr));
	for (i = 0; i < nitems(attrs); i++) {
		snprintf(path, sizeof path, "%s/@%s", expr, attrs[i]);
		if (vm_xml_number(x, node, where, path, 0, max[i], 0, &v[i],
		    cause) != 0)
			return (-1);
	}
	xasprintf(out, "%04llx:%02llx:%02llx.%llx", v[0], v[1], v[2], v[3]);
	return (0);
}

/* Description of a USB <hostdev>: by vendor and product, else by address. */
static int
vm_xml_usb(struct vm_xml *x, xmlNodePtr node, const char *where, char **out,
    char **cause)
{
	unsigned long long	 vendor, product, bus, device;

	if (vm_xml_count(x, node, "source/vendor") > 0) {
		if (vm_xml_number(x, node, where, "source/vendor/@id", 0,
		    0xffff, -1, &vendor, cause) != 0)
			return (-1);
		if (vm_xml_number(x, node, where, "source/product/@id", 0,
		    0xffff, -1, &product, cause) != 0)
			return (-1);
		xasprintf(out, "usb %04llx:%04llx", vendor, product);
		return (0);
	}
	if (vm_xml_count(x, node, "source/address") > 0) {
		if (vm_xml_number(x, node, where, "source/address/@bus", 0,
		    UINT_MAX, -1, &bus, cause) != 0)
			return (-1);
		if (vm_xml_number(x, node, where, "source/address/@device", 0,
		    UINT_MAX, -1, &device, cause) != 0)
			return (-1);
		xasprintf(out, "usb bus %llu device %llu", bus, device);
		return (0);
	}
	return (vm_xml_fail(cause, "'%ssource' has no vendor or address",
	    where));
}

/* Description of a SCSI <hostdev>: adapter and address, or iSCSI target. */
static int
vm_xml_scsi(struct vm_xml *x, xmlNodePtr node, const char *where, char **out,
    char **cause)
{
	char			*adapter = NULL, *name = NULL;
	unsigned long long	 bus, target, unit;
	int			 ret = -1;

	if (vm_xml_string(x, node, where, "source/@name", &name, cause) != 0)
		goto out;
	if (name != NULL) {
		xasprintf(out, "scsi %s", name);
		ret = 0;
		goto out;
	}
	if (vm_xml_required(x, node, where, "source/adapter/@name", &adapter,
	    cause) != 0)
		goto out;
	if (vm_xml_number(x, node, where, "source/address/@bus", 0, UINT_MAX,
	    0, &bus, cause) != 0)
		goto out;
	if (vm_xml_number(x, node, where, "source/address/@target", 0,
	    UINT_MAX, 0, &target, cause) != 0)
		goto out;
	if (vm_xml_number(x, node, where, "source/address/@unit", 0,
	    ULLONG_MAX, 0, &unit, cause) != 0)
		goto out;
	xasprintf(out, "scsi %s:%llu:%llu:%llu", adapter, bus, target, unit);
	ret = 0;

out:
	free(name);
	free(adapter);
	return (ret);
}

/* Read one <hostdev> (number I, from 1) into H. */
static int
vm_xml_parse_hostdev(struct vm_xml *x, xmlNodePtr node, size_t i,
    struct vm_hostdev *h, char **cause)
{
	char	 where[64];
	char	*type = NULL, *wwpn = NULL;
	int	 ret = -1;

	snprintf(where, sizeof where, "devices/hostdev[%zu]/", i);
	if (vm_xml_required(x, node, where, "@type", &type, cause) != 0)
		goto out;
	if (strcmp(type, "pci") == 0) {
		h->kind = VM_HOSTDEV_PCI;
		if (vm_xml_pci_address(x, node, where, "source/address",
		    &h->desc, cause) != 0)
			goto out;
	} else if (strcmp(type, "mdev") == 0) {
		h->kind = VM_HOSTDEV_MDEV;
		if (vm_xml_required(x, node, where, "source/address/@uuid",
		    &h->desc, cause) != 0)
			goto out;
	} else if (strcmp(type, "usb") == 0) {
		h->kind = VM_HOSTDEV_USB;
		if (vm_xml_usb(x, node, where, &h->desc, cause) != 0)
			goto out;
	} else if (strcmp(type, "scsi") == 0) {
		h->kind = VM_HOSTDEV_OTHER;
		if (vm_xml_scsi(x, node, where, &h->desc, cause) != 0)
			goto out;
	} else if (strcmp(type, "scsi_host") == 0) {
		h->kind = VM_HOSTDEV_OTHER;
		if (vm_xml_string(x, node, where, "source/@wwpn", &wwpn,
		    cause) != 0)
			goto out;
		if (wwpn != NULL)
			xasprintf(&h->desc, "scsi_host %s", wwpn);
		else
			h->desc = xstrdup("scsi_host");
	} else {
		h->kind = VM_HOSTDEV_OTHER;
		h->desc = xstrdup(type);
	}
	ret = 0;

out:
	free(wwpn);
	free(type);
	return (ret);
}

/*
 * Read one <interface> (number I, from 1) into IF.  The source is the
 * attribute its type uses; an SR-IOV VF (type='hostdev') is named by its
 * PCI address, so the rules can treat it as the host device it is.
 */
static int
vm_xml_parse_iface(struct vm_xml *x, xmlNodePtr node, size_t i,
    struct vm_iface *iface, char **cause)
{
	char		 where[64];
	const char	*expr = NULL;

	snprintf(where, sizeof where, "devices/interface[%zu]/", i);
	if (vm_xml_required(x, node, where, "@type", &iface->type,
	    cause) != 0)
		return (-1);
	if (strcmp(iface->type, "network") == 0)
		expr = "source/@network";
	else if (strcmp(iface->type, "bridge") == 0)
		expr = "source/@bridge";
	else if (strcmp(iface->type, "direct") == 0)
		expr = "source/@dev";
	else if (strcmp(iface->type, "vhostuser") == 0)
		expr = "source/@path";
	if (strcmp(iface->type, "hostdev") == 0) {
		if (vm_xml_count(x, node, "source/address") > 0 &&
		    vm_xml_pci_address(x, node, where, "source/address",
		    &iface->source, cause) != 0)
			return (-1);
	} else if (expr != NULL) {
		if (vm_xml_string(x, node, where, expr, &iface->source,
		    cause) != 0)
			return (-1);
	}
	if (vm_xml_string(x, node, where, "mac/@address", &iface->mac,
	    cause) != 0)
		return (-1);
	return (0);
}

/*
 * Read ferry's labels of kind ELEM (nodeSelector or requiredLabel); WHAT
 * names them in messages.
 */
static int
vm_xml_parse_labels(struct vm_xml *x, xmlNodePtr root, const char *elem,
    const char *what, struct vm_label **labels, size_t *nlabels, char **cause)
{
	xmlXPathObjectPtr	 obj = NULL;
	char			 expr[128], where[160];
	struct vm_label		*l;
	size_t			 i, n;
	int			 ret = -1;

	snprintf(expr, sizeof expr, "metadata/" VM_XML_PREFIX ":placement/"
	    VM_XML_PREFIX ":%s", elem);
	obj = vm_xml_list(x, root, expr, VM_XML_MAX_LABELS, what, &n, cause);
	if (obj == NULL)
		goto out;
	if (n == 0) {
		ret = 0;
		goto out;
	}
	*labels = xcalloc(n, sizeof **labels);
	*nlabels = n;
	for (i = 0; i < n; i++) {
		l = &(*labels)[i];
		snprintf(where, sizeof where, "%s[%zu]/", expr, i + 1);
		if (vm_xml_string(x, obj->nodesetval->nodeTab[i], where, "@key",
		    &l->key, cause) != 0)
			goto out;
		if (l->key == NULL || *l->key == '\0') {
			vm_xml_fail(cause, "element '%s' %zu in ferry placement"
			    " has no 'key'", elem, i + 1);
			goto out;
		}
		if (vm_xml_string(x, obj->nodesetval->nodeTab[i], where,
		    "@value", &l->value, cause) != 0)
			goto out;
	}
	ret = 0;

out:
	xmlXPathFreeObject(obj);
	return (ret);
}

/* Read the devices of the domain into VM. */
static int
vm_xml_parse_devices(struct vm_xml *x, xmlNodePtr root, struct vm_info *vm,
    char **cause)
{
	xmlXPathObjectPtr	 obj = NULL;
	size_t			 i, n;
	int			 ret = -1;

	obj = vm_xml_list(x, root, "devices/disk", VM_XML_MAX_DISKS, "disks",
	    &n, cause);
	if (obj == NULL)
		goto out;
	if (n > 0) {
		vm->disks = xcalloc(n, sizeof *vm->disks);
		vm->ndisks = n;
	}
	for (i = 0; i < n; i++) {
		if (vm_xml_parse_disk(x, obj->nodesetval->nodeTab[i], i + 1,
		    &vm->disks[i], cause) != 0)
			goto out;
	}
	xmlXPathFreeObject(obj);

	obj = vm_xml_list(x, root, "devices/interface", VM_XML_MAX_IFACES,
	    "interfaces", &n, cause);
	if (obj == NULL)
		goto out;
	if (n > 0) {
		vm->ifaces = xcalloc(n, sizeof *vm->ifaces);
		vm->nifaces = n;
	}
	for (i = 0; i < n; i++) {
		if (vm_xml_parse_iface(x, obj->nodesetval->nodeTab[i], i + 1,
		    &vm->ifaces[i], cause) != 0)
			goto out;
	}
	xmlXPathFreeObject(obj);

	obj = vm_xml_list(x, root, "devices/hostdev", VM_XML_MAX_HOSTDEVS,
	    "host devices", &n, cause);
	if (obj == NULL)
		goto out;
	if (n > 0) {
		vm->hostdevs = xcalloc(n, sizeof *vm->hostdevs);
		vm->nhostdevs = n;
	}
	for (i = 0; i < n; i++) {
		if (vm_xml_parse_hostdev(x, obj->nodesetval->nodeTab[i], i + 1,
		    &vm->hostdevs[i], cause) != 0)
			goto out;
	}
	ret = 0;

out:
	xmlXPathFreeObject(obj);
	return (ret);
}

/* Parse the document in X into a new VM. */
static int
vm_xml_parse_domain(struct vm_xml *x, struct vm_info **out, char **cause)
{
	struct vm_info	*vm = NULL;
	xmlNodePtr	 root;
	int		 ret = -1;

	root = xmlDocGetRootElement(x->doc);
	if (root == NULL || !xmlStrEqual(root->name, BAD_CAST "domain")) {
		vm_xml_fail(cause, "not a domain");
		goto out;
	}
	x->xpath = xmlXPathNewContext(x->doc);
	if (x->xpath == NULL) {
		vm_xml_fail(cause, "cannot create XPath context");
		goto out;
	}
	x->xpath->error = vm_xml_error_cb;
	x->xpath->userData = x;
	if (xmlXPathRegisterNs(x->xpath, BAD_CAST VM_XML_PREFIX,
	    BAD_CAST VM_XMLNS) != 0) {
		vm_xml_fail(cause, "cannot register namespace '%s'", VM_XMLNS);
		goto out;
	}

	vm = xcalloc(1, sizeof *vm);
	if (vm_xml_string(x, root, "", "name", &vm->name, cause) != 0)
		goto out;
	if (vm->name == NULL || *vm->name == '\0') {
		vm_xml_fail(cause, "element 'name' is missing");
		goto out;
	}
	if (vm_xml_string(x, root, "", "uuid", &vm->uuid, cause) != 0)
		goto out;
	if (vm_xml_parse_memory(x, root, vm, cause) != 0)
		goto out;
	if (vm_xml_parse_cpu(x, root, vm, cause) != 0)
		goto out;
	if (vm_xml_parse_devices(x, root, vm, cause) != 0)
		goto out;
	if (vm_xml_parse_labels(x, root, "nodeSelector", "node selectors",
	    &vm->node_selector, &vm->nnode_selector, cause) != 0)
		goto out;
	if (vm_xml_parse_labels(x, root, "requiredLabel", "required labels",
	    &vm->required_labels, &vm->nrequired_labels, cause) != 0)
		goto out;
	*out = vm;
	vm = NULL;
	ret = 0;

out:
	vm_info_free(vm);
	return (ret);
}

/*
 * Parse domain XML.  libxml2's messages for this call go to
 * vm_xml_error_cb(): the handlers are per thread, so they are swapped in
 * for the call and put back before returning.
 */
int
vm_info_parse(const char *xml, size_t len, struct vm_info **out,
    char **cause)
{
	struct vm_xml		 x = { .parser = NULL };
	xmlStructuredErrorFunc	 old_serror;
	xmlGenericErrorFunc	 old_gerror;
	void			*old_sctx, *old_gctx;
	int			 ret = -1;

	*out = NULL;
	if (len == 0)
		return (vm_xml_fail(cause, "domain XML is empty"));
	if (len > VM_XML_MAX_LEN) {
		return (vm_xml_fail(cause, "domain XML is too large (%zu bytes,"
		    " at most %d)", len, VM_XML_MAX_LEN));
	}
	pthread_once(&vm_xml_once, vm_xml_init);

	old_serror = xmlStructuredError;
	old_sctx = xmlStructuredErrorContext;
	old_gerror = xmlGenericError;
	old_gctx = xmlGenericErrorContext;
	xmlSetStructuredErrorFunc(&x, vm_xml_error_cb);
	xmlSetGenericErrorFunc(NULL, vm_xml_generic_cb);

	x.parser = xmlNewParserCtxt();
	if (x.parser == NULL) {
		vm_xml_fail(cause, "cannot create XML parser");
		goto out;
	}
	x.parser->_private = &x;
	x.parser->sax->internalSubset = vm_xml_doctype_cb;

	/* No XML_PARSE_NOENT, no DTDLOAD: entities are never substituted. */
	x.doc = xmlCtxtReadMemory(x.parser, xml, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (x.doctype || (x.doc != NULL && (x.doc->intSubset != NULL ||
	    x.doc->extSubset != NULL))) {
		vm_xml_fail(cause, "domain XML must not have a DOCTYPE");
		goto out;
	}
	if (x.doc == NULL) {
		vm_xml_fail(cause, "invalid domain XML: %s", x.xml_error != NULL ?
		    x.xml_error : "unknown error");
		goto out;
	}
	ret = vm_xml_parse_domain(&x, out, cause);

out:
	if (x.xpath != NULL)
		xmlXPathFreeContext(x.xpath);
	if (x.doc != NULL)
		xmlFreeDoc(x.doc);
	if (x.parser != NULL)
		xmlFreeParserCtxt(x.parser);
	free(x.xml_error);
	xmlSetStructuredErrorFunc(old_sctx, old_serror);
	xmlSetGenericErrorFunc(old_gctx, old_gerror);
	return (ret);
}

/* Free a disk's strings. */
static void
vm_disk_clear(struct vm_disk *d)
{
	free(d->type);
	free(d->target);
	free(d->path);
	free(d->pool);
	free(d->volume);
	free(d->protocol);
	free(d->name);
}

/* Free N labels. */
static void
vm_labels_free(struct vm_label *labels, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(labels[i].key);
		free(labels[i].value);
	}
	free(labels);
}

/* Free VM; accepts NULL. */
void
vm_info_free(struct vm_info *vm)
{
	size_t	 i;

	if (vm == NULL)
		return;
	free(vm->name);
	free(vm->uuid);
	free(vm->cpu_model);
	for (i = 0; i < vm->ndisks; i++)
		vm_disk_clear(&vm->disks[i]);
	free(vm->disks);
	for (i = 0; i < vm->nifaces; i++) {
		free(vm->ifaces[i].type);
		free(vm->ifaces[i].source);
		free(vm->ifaces[i].mac);
	}
	free(vm->ifaces);
	for (i = 0; i < vm->nhostdevs; i++)
		free(vm->hostdevs[i].desc);
	free(vm->hostdevs);
	vm_labels_free(vm->node_selector, vm->nnode_selector);
	vm_labels_free(vm->required_labels, vm->nrequired_labels);
	free(vm);
}
