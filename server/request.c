/*
 * request.c - reading requests (see http.h): headers, the JSON body (type,
 * size cap, strict parse, the route's validation), and the path rules that
 * routing applies.
 */
#include <civetweb.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/hexdigit.h"
#include "server/http.h"

const char *http_header(request *r, const char *name)
{
    return mg_get_header(r->conn, name);
}

bool http_is_json_type(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    static const char want[] = "application/json";
    size_t n = sizeof want - 1;
    if (strncasecmp(ct, want, n) != 0)
        return false;
    const char *rest = ct + n;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return *rest == '\0' || *rest == ';';
}

/*
 * Read and parse the JSON object body. On failure the error response (415,
 * 413 or 400) has been sent and false is returned. The caller frees *out.
 */
static bool read_json(request *r, cJSON **out)
{
    *out = NULL;
    if (!http_is_json_type(http_header(r, "Content-Type"))) {
        http_send_error(r, 415, "unsupported_media_type",
                        "Send the body as JSON with Content-Type: application/json");
        return false;
    }
    const struct mg_request_info *ri = mg_get_request_info(r->conn);
    if (ri->content_length > HTTP_BODY_MAX) {
        r->close = true; /* the body stays unread */
        http_send_error(r, 413, "payload_too_large", "The body is larger than 64 KiB");
        return false;
    }
    char *buf = malloc(HTTP_BODY_MAX + 1);
    if (!buf) {
        http_send_status(r, ST_NOMEM);
        return false;
    }
    size_t len = 0;
    for (;;) {
        int n = mg_read(r->conn, buf + len, HTTP_BODY_MAX + 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        if (len > HTTP_BODY_MAX) {
            OPENSSL_cleanse(buf, len);
            free(buf);
            r->close = true; /* the rest of the body stays unread */
            http_send_error(r, 413, "payload_too_large", "The body is larger than 64 KiB");
            return false;
        }
    }
    const char *why = NULL;
    status st = jsonio_parse_object(buf, len, out, &why);
    OPENSSL_cleanse(buf, len); /* passwords and codes */
    free(buf);
    if (st != ST_OK) {
        http_send_error(r, 400, "invalid_json", why);
        return false;
    }
    return true;
}

bool http_read_body(request *r, http_body_check check, void *out, cJSON **body)
{
    if (!read_json(r, body))
        return false;
    cJSON *fields = check(*body, out);
    if (fields) {
        http_send_validation(r, fields);
        return false;
    }
    return true;
}

void http_pattern_compile(const char *pattern, path_pattern *out)
{
    const char *star = strchr(pattern, '*');
    size_t plen = strlen(pattern) - 1; /* without the '$' */
    out->prefix = pattern;
    out->prefix_len = star ? (size_t)(star - pattern) : plen;
    out->suffix = star ? star + 1 : "";
    out->suffix_len = star ? plen - out->prefix_len - 1 : 0;
    out->has_arg = star != NULL;
}

bool http_pattern_match(const path_pattern *p, const char *path, size_t len, const char **arg,
                        size_t *arg_len)
{
    if (!p->has_arg)
        return len == p->prefix_len && memcmp(path, p->prefix, len) == 0;
    if (len < p->prefix_len + 1 + p->suffix_len || memcmp(path, p->prefix, p->prefix_len) != 0)
        return false;
    const char *seg = path + p->prefix_len;
    size_t seglen = strcspn(seg, "/");
    if (seglen == 0 || len - p->prefix_len - seglen != p->suffix_len ||
        memcmp(seg + seglen, p->suffix, p->suffix_len) != 0)
        return false;
    *arg = seg;
    *arg_len = seglen;
    return true;
}

bool http_path_clean(const char *p)
{
    for (; *p; p++) {
        if (*p != '%')
            continue;
        int hi = hexdigit_value(p[1]), lo = hi < 0 ? -1 : hexdigit_value(p[2]);
        if (lo < 0)
            return false;
        int v = hi * 16 + lo;
        if (v < 0x20 || v == 0x7f)
            return false;
        p += 2;
    }
    return true;
}
