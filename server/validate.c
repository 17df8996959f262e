/*
 * validate.c - see validate.h.
 */
#include "server/validate.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto/password.h"
#include "crypto/recovery.h"
#include "common/utf8.h"
#include "server/jsonio.h"
#include "totp/totp.h"

#define NAME_MAX_CHARS 255
#define DESC_MAX_CHARS 2000

/* Record the first reason for `field`. */
static void field_error(cJSON **fields, const char *field, const char *why)
{
    if (!*fields)
        *fields = cJSON_CreateObject();
    if (*fields && !cJSON_GetObjectItemCaseSensitive(*fields, field))
        cJSON_AddStringToObject(*fields, field, why);
}

/* Every key of `body` is one of `allowed` (NULL-terminated); the first
 * other one is an error, and enough of one: the answer names it alone. */
static void check_unknown(const cJSON *body, const char *const *allowed, cJSON **fields)
{
    for (const cJSON *it = body->child; it; it = it->next) {
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++)
            known = strcmp(*a, it->string) == 0;
        if (!known) {
            field_error(fields, it->string, "unknown field");
            return;
        }
    }
}

static bool valid_username(const char *s)
{
    size_t n = strlen(s);
    if (n < VALIDATE_USERNAME_MIN || n > VALIDATE_USERNAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!(isascii(ch) && isalnum(ch)) && ch != '_' && ch != '.' && ch != '@' && ch != '-')
            return false;
    }
    return true;
}

static const char *check_username(const cJSON *body, cJSON **fields)
{
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(body, "username");
    if (!u)
        field_error(fields, "username", "required");
    else if (!cJSON_IsString(u))
        field_error(fields, "username", "must be a string");
    else if (!valid_username(u->valuestring))
        field_error(fields, "username", "3 to 64 characters from A-Z a-z 0-9 _ . @ -");
    else
        return u->valuestring;
    return NULL;
}

/* A password field: 8..72 bytes (72 is bcrypt's limit: longer is refused,
 * never silently cut). Sets *len and returns the string, or NULL. */
static const char *check_password(const cJSON *body, const char *name, size_t *len, cJSON **fields)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(body, name);
    if (!p) {
        field_error(fields, name, "required");
    } else if (!cJSON_IsString(p)) {
        field_error(fields, name, "must be a string");
    } else {
        size_t n = strlen(p->valuestring);
        if (n < VALIDATE_PASSWORD_MIN || n > PASSWORD_MAX_BYTES) {
            field_error(fields, name, "8 to 72 bytes of UTF-8");
        } else {
            *len = n;
            return p->valuestring;
        }
    }
    return NULL;
}

cJSON *validate_credentials(const cJSON *body, void *credentials_out)
{
    credentials *out = credentials_out;
    static const char *const allowed[] = {"username", "password", NULL};
    cJSON *fields = NULL;
    memset(out, 0, sizeof *out);
    check_unknown(body, allowed, &fields);
    out->username = check_username(body, &fields);
    out->password = check_password(body, "password", &out->password_len, &fields);
    return fields;
}

/* A second factor: a TOTP code (6 digits) in `code_name`, or a recovery code
 * (xxxx-xxxx-xxxx, any case, dashes anywhere) in `recovery_name` when that
 * is not NULL, exactly one of the two. A `code_name` field may also hold a
 * recovery code when `code_or_recovery`. */
static void check_second_factor(const cJSON *body, const char *code_name, const char *recovery_name,
                                bool code_or_recovery, second_factor *out, cJSON **fields)
{
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(body, code_name);
    const cJSON *rc = recovery_name ? cJSON_GetObjectItemCaseSensitive(body, recovery_name) : NULL;
    if (code && rc) {
        field_error(fields, recovery_name, "send code or recovery_code, not both");
        return;
    }
    if (!code && !rc) {
        field_error(fields, code_name, "required");
        return;
    }
    const cJSON *f = code ? code : rc;
    const char *name = code ? code_name : recovery_name;
    bool is_str = cJSON_IsString(f) && f->valuestring;
    if (code && is_str && totp_code_well_formed(f->valuestring)) {
        out->code = f->valuestring;
    } else if ((rc || code_or_recovery) && is_str && strlen(f->valuestring) <= RECOVERY_INPUT_MAX &&
               recovery_normalize(f->valuestring, out->recovery_code)) {
        out->is_recovery = true;
    } else if (code && !code_or_recovery) {
        field_error(fields, name, "must be a string of 6 digits");
    } else if (code) {
        field_error(fields, name, "must be a string of 6 digits or a recovery code");
    } else {
        field_error(fields, name,
                    "must be a recovery code: 12 characters of a-z and 2-7, "
                    "dashes allowed");
    }
}

cJSON *validate_code_request(const cJSON *body, void *code_out)
{
    code_request *out = code_out;
    static const char *const allowed[] = {"username", "code", "recovery_code", NULL};
    cJSON *fields = NULL;
    memset(out, 0, sizeof *out);
    check_unknown(body, allowed, &fields);
    out->username = check_username(body, &fields);
    check_second_factor(body, "code", "recovery_code", false, &out->factor, &fields);
    out->code = out->factor.code;
    return fields;
}

cJSON *validate_password_request(const cJSON *body, void *out_)
{
    password_request *out = out_;
    static const char *const allowed[] = {"password", NULL};
    cJSON *fields = NULL;
    memset(out, 0, sizeof *out);
    check_unknown(body, allowed, &fields);
    out->password = check_password(body, "password", &out->password_len, &fields);
    return fields;
}

cJSON *validate_password_change(const cJSON *body, void *out_)
{
    password_change *out = out_;
    static const char *const allowed[] = {"old_password", "new_password", NULL};
    cJSON *fields = NULL;
    memset(out, 0, sizeof *out);
    check_unknown(body, allowed, &fields);
    out->old_password = check_password(body, "old_password", &out->old_len, &fields);
    out->new_password = check_password(body, "new_password", &out->new_len, &fields);
    return fields;
}

cJSON *validate_account_delete(const cJSON *body, void *out_)
{
    account_delete *out = out_;
    static const char *const allowed[] = {"password", "code", NULL};
    cJSON *fields = NULL;
    memset(out, 0, sizeof *out);
    check_unknown(body, allowed, &fields);
    out->password = check_password(body, "password", &out->password_len, &fields);
    check_second_factor(body, "code", NULL, true, &out->factor, &fields);
    return fields;
}

static bool only_whitespace(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r' && *s != '\f' && *s != '\v')
            return false;
    return true;
}

cJSON *validate_product(const cJSON *body, void *in_out)
{
    product_input *in = in_out;
    product_fields *f = &in->f;
    char *price_buf = in->price;
    bool partial = in->partial;
    static const char *const allowed[] = {"name", "description", "price", "quantity", NULL};
    cJSON *fields = NULL;
    memset(f, 0, sizeof *f);
    check_unknown(body, allowed, &fields);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "name");
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(body, "description");
    const cJSON *price = cJSON_GetObjectItemCaseSensitive(body, "price");
    const cJSON *qty = cJSON_GetObjectItemCaseSensitive(body, "quantity");

    if (name) {
        if (!cJSON_IsString(name))
            field_error(&fields, "name", "must be a string");
        else if (utf8_length(name->valuestring) > NAME_MAX_CHARS ||
                 only_whitespace(name->valuestring))
            field_error(&fields, "name", "1 to 255 characters, not only white space");
        else
            f->name = name->valuestring;
    } else if (!partial) {
        field_error(&fields, "name", "required");
    }
    if (desc) {
        if (!cJSON_IsString(desc))
            field_error(&fields, "description", "must be a string");
        else if (utf8_length(desc->valuestring) > DESC_MAX_CHARS)
            field_error(&fields, "description", "at most 2000 characters");
        else
            f->description = desc->valuestring;
    }
    if (price) {
        if (!jsonio_price(price, price_buf))
            field_error(&fields, "price",
                        "a number from 0 to 99999999.99 with at most 2 decimal places");
        else
            f->price = price_buf;
    } else if (!partial) {
        field_error(&fields, "price", "required");
    }
    if (qty) {
        if (!jsonio_integer(qty, 0, 2147483647, &f->quantity))
            field_error(&fields, "quantity", "an integer from 0 to 2147483647");
        else
            f->has_quantity = true;
    } else if (!partial) {
        field_error(&fields, "quantity", "required");
    }
    if (partial && !fields && !name && !desc && !price && !qty)
        field_error(&fields, "body", "send at least one of name, description, price, quantity");
    return fields;
}

bool validate_id(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 19 || s[0] == '0')
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > INT64_MAX)
        return false;
    *out = v;
    return true;
}

bool validate_page(const char *q, const char *cursor, page *out)
{
    size_t cursor_len = strlen(cursor);
    memset(out, 0, sizeof *out);
    bool seen_limit = false, seen_after = false;
    while (q && *q) {
        const char *amp = strchr(q, '&');
        size_t n = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', n);
        if (eq) {
            size_t klen = (size_t)(eq - q), vlen = n - klen - 1;
            uint64_t v = 0;
            bool zero = vlen == 1 && eq[1] == '0';
            if (klen == 5 && strncmp(q, "limit", 5) == 0) {
                if (seen_limit || !validate_id(eq + 1, vlen, &v) || v > VALIDATE_PAGE_MAX)
                    return false;
                out->limit = v;
                seen_limit = out->paged = true;
            } else if (klen == cursor_len && strncmp(q, cursor, klen) == 0) {
                if (seen_after || !(zero || validate_id(eq + 1, vlen, &v)))
                    return false;
                out->after = v;
                seen_after = out->paged = true;
            }
        }
        q = amp ? amp + 1 : NULL;
    }
    if (out->paged && !seen_limit)
        out->limit = VALIDATE_PAGE_MAX;
    return true;
}

uint64_t validate_if_match(const char *h)
{
    if (!h)
        return 0;
    while (*h == ' ')
        h++;
    if (strcmp(h, "*") == 0)
        return 0;
    size_t n = strlen(h);
    while (n > 0 && h[n - 1] == ' ')
        n--;
    uint64_t v;
    if (n >= 3 && h[0] == '"' && h[n - 1] == '"' && validate_id(h + 1, n - 2, &v))
        return v;
    return UINT64_MAX;
}

bool validate_idempotency_key(const char *h, const char **key, size_t *len)
{
    if (!h)
        return false;
    while (*h == ' ' || *h == '\t')
        h++;
    size_t n = strlen(h);
    while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
        n--;
    if (n == 0 || n > PRODUCTS_IDEM_KEY_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)h[i] < 0x20 || (unsigned char)h[i] > 0x7e)
            return false;
    *key = h;
    *len = n;
    return true;
}

/* One field into the digest: its length (8 bytes, big-endian), then it. */
static bool digest_field(EVP_MD_CTX *md, const char *s, size_t n)
{
    unsigned char be[8];
    uint64_t v = n;
    for (int i = 7; i >= 0; i--, v >>= 8)
        be[i] = (unsigned char)(v & 0xff);
    return EVP_DigestUpdate(md, be, sizeof be) == 1 && EVP_DigestUpdate(md, s, n) == 1;
}

status validate_product_digest(const product_fields *f, unsigned char out[PRODUCTS_IDEM_HASH_LEN])
{
    char qty[24];
    const char *desc = f->description ? f->description : "";
    int qn = snprintf(qty, sizeof qty, "%lld", (long long)f->quantity);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int outlen = 0;
    bool ok = md && qn > 0 && (size_t)qn < sizeof qty && f->name && f->price &&
              EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
              digest_field(md, VALIDATE_DIGEST_LABEL, strlen(VALIDATE_DIGEST_LABEL)) &&
              digest_field(md, f->name, strlen(f->name)) && digest_field(md, desc, strlen(desc)) &&
              digest_field(md, f->price, strlen(f->price)) && digest_field(md, qty, (size_t)qn) &&
              EVP_DigestFinal_ex(md, out, &outlen) == 1 && outlen == PRODUCTS_IDEM_HASH_LEN;
    EVP_MD_CTX_free(md);
    if (!ok)
        memset(out, 0, PRODUCTS_IDEM_HASH_LEN);
    return ok ? ST_OK : ST_INTERNAL;
}

bool validate_bearer(const char *h, const char **token)
{
    if (!h || strncmp(h, "Bearer ", 7) != 0 || h[7] == '\0' || strchr(h + 7, ' '))
        return false;
    *token = h + 7;
    return true;
}

/* The q-value `accept` gives `type` ("major/minor"): the most specific
 * matching range wins; 0 when nothing matches. */
static double accept_q(const char *accept, const char *type)
{
    const char *slash = strchr(type, '/');
    size_t major = (size_t)(slash - type), tlen = strlen(type);
    double q_best = 0.0;
    int best_spec = -1;
    const char *p = accept;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = p + strcspn(p, ",");
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *rend = semi ? semi : end;
        while (rend > p && rend[-1] == ' ')
            rend--;
        size_t rlen = (size_t)(rend - p);
        int spec = -1;
        if (rlen == 3 && strncmp(p, "*/*", 3) == 0)
            spec = 0;
        else if (rlen == major + 2 && strncasecmp(p, type, major + 1) == 0 && p[major + 1] == '*')
            spec = 1;
        else if (rlen == tlen && strncasecmp(p, type, rlen) == 0)
            spec = 2;
        if (spec > best_spec) {
            double q = 1.0;
            for (const char *s = semi; s && s < end;
                 s = s + 1 < end ? memchr(s + 1, ';', (size_t)(end - s - 1)) : NULL) {
                const char *k = s + 1;
                while (k < end && *k == ' ')
                    k++;
                if (k + 1 < end && (k[0] == 'q' || k[0] == 'Q') && k[1] == '=') {
                    char *qe;
                    double v = strtod(k + 2, &qe);
                    q = qe > k + 2 && v >= 0 && v <= 1 ? v : 0;
                }
            }
            best_spec = spec;
            q_best = q;
        }
        p = end;
    }
    return q_best;
}

bool validate_prefers_json(const char *accept)
{
    if (!accept)
        return false;
    return accept_q(accept, "application/json") > accept_q(accept, "image/png");
}
