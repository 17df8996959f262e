/*
 * fuzz_product_update.c - libFuzzer target for the body of PUT and PATCH
 * /products/<id> (partial: any field, at least one): the strict JSON parse,
 * then validate_product(partial true), then free, as routes_products.c does.
 * The checks are in fuzz_product.h.
 */
#include "fuzz_product.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_product(data, size, true);
    return 0;
}
