/*
 * routes_web.c - the page for people (GET /), the API docs (GET /docs) and
 * their scripts and styles (GET /assets/<name>), all compiled into the binary
 * from web/ (and Redoc's standalone bundle from node_modules/, see
 * CMakeLists.txt): nothing is read from disk or fetched from another host at
 * run time. Not for the API's JSON answers (routes_*.c).
 *
 * Each HTML answer carries its Content-Security-Policy: the page allows
 * nothing but its own origin (and data: images, for the enrollment QR it
 * gets as base64); the docs add what Redoc needs and nothing more (inline
 * styles, which styled-components writes, and its search worker, started
 * from a blob: URL).
 */
#include <string.h>

#include "server/routes.h"

extern const char web_index_html[], web_app_js[], web_app_css[];
extern const char web_docs_html[], web_docs_js[], web_redoc_js[];
extern const unsigned long web_index_html_len, web_app_js_len, web_app_css_len;
extern const unsigned long web_docs_html_len, web_docs_js_len, web_redoc_js_len;

#define WEB_COMMON_POLICY                                                                          \
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

#define PAGE_CSP                                                                                   \
    "Content-Security-Policy: default-src 'self'; img-src 'self' data:; " WEB_COMMON_POLICY "\r\n"
#define DOCS_CSP                                                                                   \
    "Content-Security-Policy: default-src 'self'; style-src 'self' 'unsafe-inline'; "              \
    "img-src 'self' data:; worker-src blob:; " WEB_COMMON_POLICY "\r\n"

#define HTML_TYPE "text/html; charset=utf-8"
#define NO_REFERRER "Referrer-Policy: no-referrer\r\n"

typedef struct web_asset {
    const char *name; /* the <name> of /assets/<name> */
    const char *type;
    const char *data;
    const unsigned long *len;
} web_asset;

static const web_asset g_assets[] = {
    {"app.js", "text/javascript; charset=utf-8", web_app_js, &web_app_js_len},
    {"app.css", "text/css; charset=utf-8", web_app_css, &web_app_css_len},
    {"docs.js", "text/javascript; charset=utf-8", web_docs_js, &web_docs_js_len},
    {"redoc.standalone.js", "text/javascript; charset=utf-8", web_redoc_js, &web_redoc_js_len},
};

void route_page(request *r)
{
    http_send(r, 200, HTML_TYPE, web_index_html, web_index_html_len, PAGE_CSP NO_REFERRER);
}

void route_docs(request *r)
{
    http_send(r, 200, HTML_TYPE, web_docs_html, web_docs_html_len, DOCS_CSP NO_REFERRER);
}

void route_asset(request *r)
{
    for (size_t i = 0; i < sizeof g_assets / sizeof g_assets[0]; i++) {
        const web_asset *a = &g_assets[i];
        if (strlen(a->name) == r->path_arg_len &&
            memcmp(a->name, r->path_arg, r->path_arg_len) == 0) {
            http_send(r, 200, a->type, a->data, *a->len, NO_REFERRER);
            return;
        }
    }
    http_send_error(r, 404, "not_found", "No such path");
}
