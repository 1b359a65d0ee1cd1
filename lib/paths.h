/* Default locations (the interface contract names /etc/sigknock). */
#ifndef SK_PATHS_H
#define SK_PATHS_H

#define SK_CONFDIR		"/etc/sigknock"
#define SK_CONFIG_FILE		SK_CONFDIR "/sigknockd.conf"
#define SK_ACCESS_FILE		SK_CONFDIR "/access.conf"
#define SK_SERVER_KEY_FILE	SK_CONFDIR "/server.key"
#define SK_KEYRING_DIR		SK_CONFDIR "/keyring"
#define SK_STATE_DIR		"/var/lib/sigknock"
#define SK_PID_FILE		"/run/sigknockd.pid"

#endif
