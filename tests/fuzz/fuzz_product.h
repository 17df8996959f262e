/*
 * fuzz_product.h - the body of POST /products (partial false) and of
 * PUT/PATCH /products/<id> (partial true) for fuzz_product_create.c and
 * fuzz_product_update.c: the strict JSON parse, validate_product, then free,
 * as routes_products.c does, with the SPEC 6 rules checked on what passed.
 */
#ifndef INTEGRITY_FUZZ_PRODUCT_H
#define INTEGRITY_FUZZ_PRODUCT_H

#include <math.h>

#include "fuzz_common.h"

/* A name or description validate_product accepted: it is the body's string. */
static inline void fuzz_check_text(const cJSON *body, const char *key, const char *got,
                                   size_t max_chars)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(body, key);
    if (!got) {
        FUZZ_CHECK(item == NULL);
        return;
    }
    FUZZ_CHECK(cJSON_IsString(item) && got == item->valuestring);
    FUZZ_CHECK(utf8_valid(got, strlen(got)));
    FUZZ_CHECK(utf8_length(got) <= max_chars);
}

/*
 * A price validate_product accepted: price_buf is "<1..8 digits>.<2 digits>",
 * reads back with strtod as the very double the client sent, lies in
 * 0..99999999.99, and renders (jsonio_decimal) as a JSON number of the same
 * value.
 */
static inline void fuzz_check_price(const cJSON *body, const char *price, const char *buf)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(body, "price");
    if (!price) {
        FUZZ_CHECK(item == NULL);
        return;
    }
    FUZZ_CHECK(price == buf && cJSON_IsNumber(item));
    size_t n = strlen(buf), digits = 0;
    while (digits < n && buf[digits] >= '0' && buf[digits] <= '9')
        digits++;
    FUZZ_CHECK(digits >= 1 && digits <= 8 && n == digits + 3 && buf[digits] == '.');
    FUZZ_CHECK(buf[digits + 1] >= '0' && buf[digits + 1] <= '9');
    FUZZ_CHECK(buf[digits + 2] >= '0' && buf[digits + 2] <= '9');
    char *end = NULL;
    double v = strtod(buf, &end);
    FUZZ_CHECK(end == buf + n);
    FUZZ_CHECK(v >= 0 && v <= 99999999.99);
    FUZZ_CHECK(v == item->valuedouble); /* -0 == 0 holds too */
    /* At most two decimals, computed another way: the nearest whole number
     * of cents, divided by 100, is the same double again. */
    FUZZ_CHECK(nearbyint(v * 100) / 100 == v);

    strbuf out;
    sb_init(&out);
    jsonio_decimal(&out, buf);
    FUZZ_CHECK(!out.oom && out.len > 0);
    cJSON *num = cJSON_Parse(out.data);
    FUZZ_CHECK(cJSON_IsNumber(num) && num->valuedouble == v);
    cJSON_Delete(num);
    sb_free(&out);
}

static inline void fuzz_product(const uint8_t *data, size_t size, bool partial)
{
    cJSON *body = fuzz_parse_body(data, size);
    if (!body)
        return;
    product_input in = {.partial = partial};
    cJSON *fields = validate_product(body, &in);
    const product_fields f = in.f;
    const char *price_buf = in.price;
    if (fields) {
        fuzz_render_fields(fields);
        cJSON_Delete(body);
        return;
    }
    static const char *const known[] = {"name", "description", "price", "quantity"};
    int nknown = 0;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        nknown += cJSON_GetObjectItemCaseSensitive(body, known[i]) != NULL;
    FUZZ_CHECK(nknown == cJSON_GetArraySize(body)); /* no unknown key got through */
    FUZZ_CHECK(nknown >= 1);

    fuzz_check_text(body, "name", f.name, 255);
    if (f.name) {
        bool blank = true;
        for (const char *p = f.name; *p && blank; p++)
            blank = strchr(" \t\n\r\f\v", *p) != NULL;
        FUZZ_CHECK(!blank);
    }
    fuzz_check_text(body, "description", f.description, 2000);
    fuzz_check_price(body, f.price, price_buf);
    const cJSON *qty = cJSON_GetObjectItemCaseSensitive(body, "quantity");
    FUZZ_CHECK(f.has_quantity == (qty != NULL));
    if (f.has_quantity) {
        FUZZ_CHECK(f.quantity >= 0 && f.quantity <= 2147483647);
        FUZZ_CHECK((double)f.quantity == qty->valuedouble);
    }
    if (!partial)
        FUZZ_CHECK(f.name && f.price && f.has_quantity);
    cJSON_Delete(body);
}

#endif
