/*
 * url.h - DATABASE_URL (SPEC 1) into the connection settings of db.h.
 */
#ifndef INTEGRITY_DB_URL_H
#define INTEGRITY_DB_URL_H

#include <stddef.h>

#include "common/status.h"
#include "db/db.h"

/*
 * Parse a DATABASE_URL: mysql://user:pass@host:port/db, also with the Flask
 * scheme mysql+pymysql://, user and password percent-decoded, port default
 * 3306, ?socket=/path selecting a Unix socket (other query keys refused).
 * Several servers may be named, mysql://u:p@h1:3311,h2:3312,h3/db (at most
 * DB_MAX_HOSTS, each with its own port or 3306; not with ?socket=), into
 * out->hosts in that order.
 * Timeouts are left as they are in *out. ST_INVALID with a reason in
 * why[why_cap] on any error.
 */
status db_url_parse(const char *url, db_config *out, char *why, size_t why_cap);

#endif
