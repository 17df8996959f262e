/*
 * fuzz_login.c - libFuzzer target for the body of POST /login: the strict
 * JSON parse, then validate_credentials, then free, as the route does. Same
 * code as fuzz_signup.c (fuzz_common.h), its own corpus.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_credentials(data, size);
    return 0;
}
