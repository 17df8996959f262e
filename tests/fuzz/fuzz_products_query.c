/*
 * fuzz_products_query.c - libFuzzer target for the query string of
 * GET /products (validate_page on a NUL-terminated copy, as the route gets it
 * from CivetWeb) and for the decimal ids it is built on (validate_id on the
 * raw bytes, as the /products/<id> path segment is parsed).
 */
#include "fuzz_common.h"

#include <inttypes.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *q = fuzz_cstr(data, size);
    static const char *const cursors[] = {"after_id", "after_seq"};
    for (size_t k = 0; k < 2; k++) {
        page pg;
        if (!validate_page(q, cursors[k], &pg))
            continue;
        if (pg.paged) {
            char key[16];
            snprintf(key, sizeof key, "%s=", cursors[k]);
            FUZZ_CHECK(pg.limit >= 1 && pg.limit <= VALIDATE_PAGE_MAX);
            FUZZ_CHECK(pg.after <= (uint64_t)INT64_MAX);
            FUZZ_CHECK(strstr(q, "limit=") != NULL || strstr(q, key) != NULL);
        } else {
            FUZZ_CHECK(pg.limit == 0 && pg.after == 0);
        }
    }

    /* validate_id: plain decimal 1..2^63-1 that prints back as it came. */
    uint64_t id = 0;
    char *exact = malloc(size ? size : 1); /* no NUL: ASan sees an over-read */
    FUZZ_CHECK(exact != NULL);
    if (size > 0)
        memcpy(exact, data, size);
    if (validate_id(exact, size, &id)) {
        char back[24];
        int n = snprintf(back, sizeof back, "%" PRIu64, id);
        FUZZ_CHECK(id >= 1 && id <= (uint64_t)INT64_MAX);
        FUZZ_CHECK(n > 0 && (size_t)n == size && memcmp(back, exact, size) == 0);
    }
    free(exact);
    free(q);
    return 0;
}
