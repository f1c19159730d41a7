/*
 * ctl-conf.h: ferryctl's configuration file, where the server and the
 * token are kept so that they need not be typed.
 */
#ifndef FERRY_CTL_CONF_H
#define FERRY_CTL_CONF_H

#define CTL_CONF_DEFAULT	"~/.config/ferry/ferryctl.conf" /* for help */

struct ctl_conf;

int		 ctl_conf_load(const char *, struct ctl_conf **, char **);
void		 ctl_conf_free(struct ctl_conf *);
const char	*ctl_conf_server(const struct ctl_conf *);
int		 ctl_conf_token(const struct ctl_conf *, char **, char **);
int		 ctl_conf_token_valid(const char *);

#endif
