/*
 * fuzz_product_create.c - libFuzzer target for the body of POST /products
 * (every field but description required): the strict JSON parse, then
 * validate_product(partial false), then free, as routes_products.c does. The
 * checks are in fuzz_product.h.
 */
#include "fuzz_product.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_product(data, size, false);
    return 0;
}
