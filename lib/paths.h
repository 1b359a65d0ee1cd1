/* Default locations.  configure sets the directories (--sysconfdir,
 * --localstatedir, --runstatedir; /etc, /var and /run when left at their
 * defaults, as the interface contract names /etc/sigknock); these are
 * the fallbacks for a build without them. */
#ifndef SK_PATHS_H
#define SK_PATHS_H

#ifndef SK_SYSCONFDIR
#define SK_SYSCONFDIR		"/etc"
#endif
#ifndef SK_LOCALSTATEDIR
#define SK_LOCALSTATEDIR	"/var"
#endif
#ifndef SK_RUNSTATEDIR
#define SK_RUNSTATEDIR		"/run"
#endif

#define SK_CONFDIR		SK_SYSCONFDIR "/sigknock"
#define SK_CONFIG_FILE		SK_CONFDIR "/sigknockd.conf"
#define SK_ACCESS_FILE		SK_CONFDIR "/access.conf"
#define SK_SERVER_KEY_FILE	SK_CONFDIR "/server.key"
#define SK_KEYRING_DIR		SK_CONFDIR "/keyring"
#define SK_STATE_DIR		SK_LOCALSTATEDIR "/lib/sigknock"
#define SK_PID_FILE		SK_RUNSTATEDIR "/sigknockd/sigknockd.pid"

#endif
