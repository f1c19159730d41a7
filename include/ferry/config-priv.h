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
#define CONFIG_STORAGE_MAX	256	/* most [storage NAME] sections */
#define CONFIG_LIST_MAX		64	/* most items in a list value */
#define CONFIG_ITEM_MAX		256	/* longest list item, in bytes */
#define CONFIG_ERRORS_MAX	50	/* errors listed in a cause, then a count */

/*
 * Sections of the file; [node NAME] and [storage NAME] may repeat (the
 * "named" sections), the others merge.
 */
enum config_section {
	CONFIG_SECTION_FERRYD,		/* [ferryd]: the daemon itself */
	CONFIG_SECTION_REDIS,		/* [redis]: the Redis connection */
	CONFIG_SECTION_MIGRATION,	/* [migration]: migration policy */
	CONFIG_SECTION_NOTIFY,		/* [notify]: webhooks */
	CONFIG_SECTION_NODE,		/* [node NAME]: one hypervisor host */
	CONFIG_SECTION_STORAGE,		/* [storage NAME]: one storage class */
};

/* What an option's value is, and so how it is parsed and stored. */
enum config_type {
	CONFIG_INT,		/* int in [min, max] */
	CONFIG_STRING,		/* char *, any text */
	CONFIG_CHOICE,		/* char *, one of a fixed set of words */
	CONFIG_BOOL,		/* int 0 or 1, from true/false, yes/no,
				   on/off, 1/0 */
	CONFIG_LIST,		/* struct config_list, comma separated */
};

#define CONFIG_RELOAD	0x1	/* takes effect on SIGHUP, no restart */
#define CONFIG_REQUIRED	0x2	/* a [node NAME] must set it */
#define CONFIG_NONEMPTY	0x4	/* a string that may not be "" */
#define CONFIG_NAME	0x8	/* a string that is "" or util_name_valid();
				   a list whose items all are */
#define CONFIG_LABEL	0x10	/* a list of "key=value" labels */
#define CONFIG_PATH	0x20	/* a list of absolute paths */
#define CONFIG_URL	0x40	/* a list of http(s) URLs, notify_url_check();
				   items up to NOTIFY_URL_MAX bytes, not
				   CONFIG_ITEM_MAX */

/* One row of the option table. */
struct config_option {
	enum config_section	 section;	/* section it belongs in */
	const char		*name;		/* key in the file */
	enum config_type	 type;		/* how the value is parsed */
	int			 flags;		/* CONFIG_RELOAD and friends */
	int			 min;		/* CONFIG_INT: smallest value */
	int			 max;		/* CONFIG_INT: largest value */
	int			 default_num;	/* INT, BOOL: default */
	const char		*default_str;	/* STRING, CHOICE: default, or
						   NULL for none (node) */
	const char *const	*choices;	/* CHOICE: NULL-terminated words */
	const char		*example;	/* named sections: sample value
						   for the default file */
	const char		*help;		/* one line, for the default file */
	size_t			 offset;	/* into struct config, struct
						   config_node for CONFIG_SECTION_NODE
						   or struct config_storage for
						   CONFIG_SECTION_STORAGE; lists
						   store a struct config_list */
};

/* Name and help line of a section, indexed by enum config_section. */
struct config_section_entry {
	const char	*name;		/* word between the brackets */
	const char	*help;		/* comment above it in the default file */
	int		 named;		/* takes a NAME and may repeat */
};

extern const struct config_option		config_table[];
extern const size_t				config_table_size;
extern const struct config_section_entry	config_sections[];
extern const size_t				config_sections_size;

#endif
