/*
 * config-priv.h: the option table behind config.h, shared by config.c,
 * config-table.c and the unit tests.  Nothing else should need it.
 */
#ifndef FERRY_CONFIG_PRIV_H
#define FERRY_CONFIG_PRIV_H

#include <stddef.h>

#include "ferry/config.h"

#define CONFIG_LINE_MAX		4096	/* longest line accepted, in bytes */
#define CONFIG_NODES_MAX	256	/* most [node NAME] sections */
#define CONFIG_ERRORS_MAX	50	/* errors listed in a cause, then a count */

/* Sections of the file; [node NAME] may repeat, the others merge. */
enum config_section {
	CONFIG_SECTION_FERRYD,		/* [ferryd]: the daemon itself */
	CONFIG_SECTION_REDIS,		/* [redis]: the Redis connection */
	CONFIG_SECTION_MIGRATION,	/* [migration]: migration policy */
	CONFIG_SECTION_NODE,		/* [node NAME]: one hypervisor host */
};

/* What an option's value is, and so how it is parsed and stored. */
enum config_type {
	CONFIG_INT,		/* int in [min, max] */
	CONFIG_STRING,		/* char *, any text */
	CONFIG_CHOICE,		/* char *, one of a fixed set of words */
};

#define CONFIG_RELOAD	0x1	/* takes effect on SIGHUP, no restart */
#define CONFIG_REQUIRED	0x2	/* a [node NAME] must set it */
#define CONFIG_NONEMPTY	0x4	/* a string that may not be "" */
#define CONFIG_NAME	0x8	/* a string that is "" or util_name_valid() */

/* One row of the option table. */
struct config_option {
	enum config_section	 section;	/* section it belongs in */
	const char		*name;		/* key in the file */
	enum config_type	 type;		/* how the value is parsed */
	int			 flags;		/* CONFIG_RELOAD and friends */
	int			 min;		/* CONFIG_INT: smallest value */
	int			 max;		/* CONFIG_INT: largest value */
	int			 default_num;	/* CONFIG_INT: default */
	const char		*default_str;	/* STRING, CHOICE: default, or
						   NULL for none (node) */
	const char *const	*choices;	/* CHOICE: NULL-terminated words */
	const char		*example;	/* node options: sample value for
						   the default file */
	const char		*help;		/* one line, for the default file */
	size_t			 offset;	/* into struct config, or into
						   struct config_node for
						   CONFIG_SECTION_NODE */
};

/* Name and help line of a section, indexed by enum config_section. */
struct config_section_entry {
	const char	*name;		/* word between the brackets */
	const char	*help;		/* comment above it in the default file */
};

extern const struct config_option		config_table[];
extern const size_t				config_table_size;
extern const struct config_section_entry	config_sections[];
extern const size_t				config_sections_size;

#endif
