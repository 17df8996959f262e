/*
 * url.c - DATABASE_URL to struct db_config (see url.h). Text only: nothing
 * here connects.
 */
#define _GNU_SOURCE /* memrchr */
#include "db/url.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hexdigit.h"

/* Percent-decode [s, s+n) into out[cap]; false when malformed or too long. */
static bool pct_decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int ch = (unsigned char)s[i];
        if (ch == '%') {
            if (i + 2 >= n)
                return false;
            int hi = hexdigit_value(s[i + 1]), lo = hexdigit_value(s[i + 2]);
            if (hi < 0 || lo < 0)
                return false;
            ch = hi * 16 + lo;
            if (ch == 0)
                return false;
            i += 2;
        }
        if (o + 1 >= cap)
            return false;
        out[o++] = (char)ch;
    }
    out[o] = '\0';
    return true;
}

status db_url_parse(const char *url, db_config *out, char *why, size_t why_cap)
{
#define FAIL(msg)                                                                                  \
    do {                                                                                           \
        snprintf(why, why_cap, "DATABASE_URL: %s", msg);                                           \
        return ST_INVALID;                                                                         \
    } while (0)
    const char *p;
    if (strncmp(url, "mysql://", 8) == 0)
        p = url + 8;
    else if (strncmp(url, "mysql+pymysql://", 16) == 0)
        p = url + 16;
    else if (strncmp(url, "mariadb://", 10) == 0)
        p = url + 10;
    else
        FAIL("scheme must be mysql:// or mysql+pymysql://");

    const char *slash = strchr(p, '/');
    if (!slash)
        FAIL("missing /database");
    const char *at = memrchr(p, '@', (size_t)(slash - p));
    const char *hostp = p;
    out->user[0] = out->password[0] = '\0';
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *uend = colon ? colon : at;
        if (!pct_decode(p, (size_t)(uend - p), out->user, sizeof out->user))
            FAIL("bad user name");
        if (colon &&
            !pct_decode(colon + 1, (size_t)(at - colon - 1), out->password, sizeof out->password))
            FAIL("bad password");
        hostp = at + 1;
    }
    /* host[:port] or a comma-separated list of them (SPEC 11) */
    out->nhosts = 0;
    for (const char *h = hostp;;) {
        const char *comma = memchr(h, ',', (size_t)(slash - h));
        const char *hend = comma ? comma : slash;
        if (out->nhosts == DB_MAX_HOSTS)
            FAIL("more than 8 servers");
        db_host *dh = &out->hosts[out->nhosts];
        const char *pcolon = memchr(h, ':', (size_t)(hend - h));
        const char *nend = pcolon ? pcolon : hend;
        if (nend == h)
            FAIL("missing host");
        if (!pct_decode(h, (size_t)(nend - h), dh->name, sizeof dh->name))
            FAIL("bad host");
        dh->port = 3306;
        if (pcolon) {
            char *e;
            errno = 0;
            long port = strtol(pcolon + 1, &e, 10);
            if (errno || e != hend || pcolon[1] < '0' || pcolon[1] > '9' || port < 1 ||
                port > 65535)
                FAIL("bad port");
            dh->port = (unsigned)port;
        }
        out->nhosts++;
        if (!comma)
            break;
        h = comma + 1;
    }
    const char *db = slash + 1;
    const char *q = strchr(db, '?');
    size_t dblen = q ? (size_t)(q - db) : strlen(db);
    if (dblen == 0)
        FAIL("missing database name");
    if (!pct_decode(db, dblen, out->database, sizeof out->database))
        FAIL("bad database name");
    out->socket[0] = '\0';
    while (q && *q) {
        q++; /* skip '?' or '&' */
        const char *amp = strchr(q, '&');
        size_t n = amp ? (size_t)(amp - q) : strlen(q);
        if (n > 7 && strncmp(q, "socket=", 7) == 0) {
            if (!pct_decode(q + 7, n - 7, out->socket, sizeof out->socket))
                FAIL("bad socket path");
        } else if (n > 8 && strncmp(q, "charset=", 8) == 0) {
            /* pymysql URLs often carry ?charset=utf8mb4: we always use utf8mb4 */
        } else if (n > 0) {
            FAIL("unknown query parameter (only socket= and charset= are accepted)");
        }
        q = amp;
    }
    if (out->socket[0] && out->nhosts > 1)
        FAIL("socket= names one server: it cannot go with a list of hosts");
    return ST_OK;
#undef FAIL
}
