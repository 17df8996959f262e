/*
 * fuzz_signup.c - libFuzzer target for the body of POST /signup: the strict
 * JSON parse, then validate_credentials, then free, as the route does.
 * /login has the same body and its own target (fuzz_login.c) so that each
 * keeps its own corpus; the code is shared in fuzz_common.h.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_credentials(data, size);
    return 0;
}
