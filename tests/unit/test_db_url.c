/*
 * test_db_url.c - unit tests for db_url_parse in db/url.c: DATABASE_URL in the
 * service's mysql:// form and the Flask app's mysql+pymysql:// form, with
 * percent-decoded credentials, the default port, ?socket= and ?charset=,
 * a list of servers (SPEC 11), and every malformed shape refused with a
 * message naming DATABASE_URL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "db/url.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* A db_config whose strings and timeouts are junk the parser must replace
 * (strings) or keep (timeouts). */
static void fill_junk(db_config *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < DB_MAX_HOSTS; i++) {
        snprintf(c->hosts[i].name, sizeof c->hosts[i].name, "junk-host");
        c->hosts[i].port = 1;
    }
    c->nhosts = 5;
    snprintf(c->user, sizeof c->user, "junk-user");
    snprintf(c->password, sizeof c->password, "junk-password");
    snprintf(c->database, sizeof c->database, "junk-db");
    snprintf(c->socket, sizeof c->socket, "junk-socket");
    c->connect_timeout = 7;
    c->read_timeout = 8;
    c->write_timeout = 9;
}

static const struct {
    const char *url;
    const char *host;
    unsigned port;
    const char *user;
    const char *password;
    const char *database;
    const char *socket;
} good_urls[] = {
    {"mysql://app:app@127.0.0.1:3306/data_integrity_task", "127.0.0.1", 3306, "app", "app",
     "data_integrity_task", ""},
    {"mysql+pymysql://root:pa%40ss@db.example:3307/shop", "db.example", 3307, "root", "pa@ss",
     "shop", ""},
    {"mysql+pymysql://root:secret@db:3306/shop?charset=utf8mb4", "db", 3306, "root", "secret",
     "shop", ""},
    {"mysql://u:p@h/d", "h", 3306, "u", "p", "d", ""},
    {"mysql://u@h/d", "h", 3306, "u", "", "d", ""},
    {"mysql://u:@h/d", "h", 3306, "u", "", "d", ""},
    {"mysql://h/d", "h", 3306, "", "", "d", ""},
    {"mysql://h:1/d", "h", 1, "", "", "d", ""},
    {"mysql://u:p@h:65535/d", "h", 65535, "u", "p", "d", ""},
    {"mysql://u:p@localhost/d?socket=/run/mysqld/mysqld.sock", "localhost", 3306, "u", "p", "d",
     "/run/mysqld/mysqld.sock"},
    {"mysql://u:p@h/d?charset=utf8mb4", "h", 3306, "u", "p", "d", ""},
    {"mysql://u:p@h/d?charset=utf8mb4&socket=/tmp/m.sock", "h", 3306, "u", "p", "d",
     "/tmp/m.sock"},
    {"mysql://u:p@h/d?socket=/tmp/m.sock&charset=utf8mb4", "h", 3306, "u", "p", "d",
     "/tmp/m.sock"},
    {"mysql://u:p@h/d?socket=%2Ftmp%2Fa%20b.sock", "h", 3306, "u", "p", "d", "/tmp/a b.sock"},
    /* an unescaped '@' in the password: the last '@' before the path ends it */
    {"mysql://u:p@x@h/d", "h", 3306, "u", "p@x", "d", ""},
    {"mysql://u:p@@h:3307/d", "h", 3307, "u", "p@", "d", ""},
    /* the first ':' separates user and password */
    {"mysql://u:p:q@h/d", "h", 3306, "u", "p:q", "d", ""},
    {"mysql://u%3Ax:p%2Fq%3F%23@h/d", "h", 3306, "u:x", "p/q?#", "d", ""},
    {"mysql://us%65r:%70%41%53%53@h/d", "h", 3306, "user", "pASS", "d", ""},
    {"mysql://u:p%C3%A9@h/d", "h", 3306, "u", "p\xc3\xa9", "d", ""},
};

static void test_good_urls(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(good_urls); i++) {
        db_config c;
        char why[256] = "";

        fill_junk(&c);
        status st = db_url_parse(good_urls[i].url, &c, why, sizeof why);
        if (st != ST_OK)
            fail_msg("%s: refused (%s)", good_urls[i].url, why);
        if (c.nhosts != 1)
            fail_msg("%s: %u hosts, want 1", good_urls[i].url, c.nhosts);
        if (strcmp(c.hosts[0].name, good_urls[i].host) != 0)
            fail_msg("%s: host \"%s\", want \"%s\"", good_urls[i].url, c.hosts[0].name,
                     good_urls[i].host);
        if (c.hosts[0].port != good_urls[i].port)
            fail_msg("%s: port %u, want %u", good_urls[i].url, c.hosts[0].port,
                     good_urls[i].port);
        if (strcmp(c.user, good_urls[i].user) != 0)
            fail_msg("%s: user \"%s\", want \"%s\"", good_urls[i].url, c.user,
                     good_urls[i].user);
        if (strcmp(c.password, good_urls[i].password) != 0)
            fail_msg("%s: password \"%s\", want \"%s\"", good_urls[i].url, c.password,
                     good_urls[i].password);
        if (strcmp(c.database, good_urls[i].database) != 0)
            fail_msg("%s: database \"%s\", want \"%s\"", good_urls[i].url, c.database,
                     good_urls[i].database);
        if (strcmp(c.socket, good_urls[i].socket) != 0)
            fail_msg("%s: socket \"%s\", want \"%s\"", good_urls[i].url, c.socket,
                     good_urls[i].socket);
        /* timeouts are not the URL's business */
        assert_int_equal(c.connect_timeout, 7);
        assert_int_equal(c.read_timeout, 8);
        assert_int_equal(c.write_timeout, 9);
    }
}

static const char *const bad_urls[] = {
    /* scheme */
    "postgres://u:p@h:5432/d",
    "http://h/d",
    "mysql:/h/d",
    "mysql:h/d",
    "//h/d",
    "h/d",
    "",
    /* path and database */
    "mysql://u:p@h:1/",
    "mysql://u:p@h:1",
    "mysql://h",
    "mysql://h/",
    "mysql://h/?socket=/tmp/m.sock",
    /* host */
    "mysql://u:p@/d",
    "mysql:///d",
    "mysql://:3306/d",
    /* port */
    "mysql://h:0/d",
    "mysql://h:65536/d",
    "mysql://h:12a/d",
    "mysql://h:/d",
    "mysql://h:-1/d",
    "mysql://h:99999999999999999999/d",
    /* percent-escapes */
    "mysql://u:%zz@h/d",
    "mysql://u:p%4@h/d",
    "mysql://u:p%@h/d",
    "mysql://%zz:p@h/d",
    "mysql://h/d%4",
    "mysql://h/d%",
    "mysql://h/d%g0",
    "mysql://u:p%00@h/d",
    "mysql://u%00:p@h/d",
    "mysql://h/d%00",
    "mysql://h/d?socket=/tmp/m%4",
    "mysql://h/d?socket=/tmp/m%00.sock",
    /* query */
    "mysql://h/d?ssl=true",
    "mysql://h/d?sslmode=require",
    "mysql://h/d?socket=/tmp/m.sock&foo=bar",
    "mysql://h/d?charset=utf8mb4&foo=bar",
    "mysql://h/d?Socket=/tmp/m.sock",
    "mysql://h/d?socket",
    "mysql://h/d?socket=",
    /* lists of servers */
    "mysql://h1,/d",
    "mysql://,h2/d",
    "mysql://h1,,h2/d",
    "mysql://h1:3306,h2:0/d",
    "mysql://h1:3306:3307/d",
    "mysql://h1,h2/d?socket=/tmp/m.sock",
    "mysql://a,b,c,d,e,f,g,h,i/d",
};

/* Several servers, in their order, each with its own port (SPEC 11). */
static void test_host_lists(void **state)
{
    static const struct {
        const char *url;
        unsigned n;
        const char *names[DB_MAX_HOSTS];
        unsigned ports[DB_MAX_HOSTS];
    } cases[] = {
        {"mysql://u:p@h1:3311,h2:3312,h3:3313/db", 3, {"h1", "h2", "h3"}, {3311, 3312, 3313}},
        {"mysql://u:p@127.0.0.1:4500,127.0.0.1:4510/db", 2, {"127.0.0.1", "127.0.0.1"},
         {4500, 4510}},
        {"mysql+pymysql://u:p@a,b:1/db?charset=utf8mb4", 2, {"a", "b"}, {3306, 1}},
        {"mysql://a,b,c,d,e,f,g,h/d", 8, {"a", "b", "c", "d", "e", "f", "g", "h"},
         {3306, 3306, 3306, 3306, 3306, 3306, 3306, 3306}},
        {"mysql://u:p%2C@x%2Cy:7/d", 1, {"x,y"}, {7}},
    };
    (void)state;
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        db_config c;
        char why[256] = "";
        fill_junk(&c);
        if (db_url_parse(cases[i].url, &c, why, sizeof why) != ST_OK)
            fail_msg("%s: refused (%s)", cases[i].url, why);
        if (c.nhosts != cases[i].n)
            fail_msg("%s: %u hosts, want %u", cases[i].url, c.nhosts, cases[i].n);
        for (unsigned k = 0; k < cases[i].n; k++) {
            assert_string_equal(c.hosts[k].name, cases[i].names[k]);
            assert_int_equal(c.hosts[k].port, cases[i].ports[k]);
        }
    }
}

static void test_bad_urls(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(bad_urls); i++) {
        db_config c;
        char why[256] = "";

        fill_junk(&c);
        status st = db_url_parse(bad_urls[i], &c, why, sizeof why);
        if (st != ST_INVALID)
            fail_msg("\"%s\": got status %d, want ST_INVALID", bad_urls[i], (int)st);
        if (!strstr(why, "DATABASE_URL"))
            fail_msg("\"%s\": message \"%s\" does not mention DATABASE_URL", bad_urls[i], why);
    }
}

/* Fields longer than db_config holds are refused, not cut. */
static void test_too_long(void **state)
{
    static const struct {
        const char *before, *after;
        size_t fill; /* characters of 'x' between before and after */
    } cases[] = {
        {"mysql://h/", "", 65},             /* database: at most 64 */
        {"mysql://", "/d", 256},            /* host: at most 255 */
        {"mysql://", "@h/d", 128},          /* user: at most 127 */
        {"mysql://u:", "@h/d", 256},        /* password: at most 255 */
        {"mysql://h/d?socket=/", "", 255},  /* socket: at most 255 */
    };
    static const size_t fits[] = {64, 255, 127, 255, 254};

    (void)state;
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        for (int round = 0; round < 2; round++) {
            size_t n = round ? cases[i].fill : fits[i];
            char url[1024];
            char why[256] = "";
            db_config c;
            size_t lb = strlen(cases[i].before), la = strlen(cases[i].after);

            assert_true(lb + n + la < sizeof url);
            memcpy(url, cases[i].before, lb);
            memset(url + lb, 'x', n);
            memcpy(url + lb + n, cases[i].after, la + 1);
            fill_junk(&c);
            status st = db_url_parse(url, &c, why, sizeof why);
            if (round == 0 && st != ST_OK)
                fail_msg("case %zu: %zu characters refused (%s)", i, n, why);
            if (round == 1 && st != ST_INVALID)
                fail_msg("case %zu: %zu characters accepted", i, n);
            if (round == 1 && !strstr(why, "DATABASE_URL"))
                fail_msg("case %zu: message \"%s\"", i, why);
        }
    }
}

/* A small why buffer gets a truncated, still terminated message. */
static void test_small_why_buffer(void **state)
{
    db_config c;
    char why[8];

    (void)state;
    memset(why, 'Z', sizeof why);
    fill_junk(&c);
    assert_int_equal(db_url_parse("postgres://h/d", &c, why, sizeof why), ST_INVALID);
    assert_non_null(memchr(why, '\0', sizeof why));
    assert_string_equal(why, "DATABAS");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_urls),
        cmocka_unit_test(test_bad_urls),
        cmocka_unit_test(test_host_lists),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_small_why_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
