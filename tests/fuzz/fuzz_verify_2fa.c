/*
 * fuzz_verify_2fa.c - libFuzzer target for the body of POST /verify-2fa: the
 * strict JSON parse, then validate_code_request, then free, as the route
 * does. On success the code is exactly 6 ASCII digits and the username obeys
 * the signup rule.
 */
#include "fuzz_common.h"

#include "totp/totp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *body = fuzz_parse_body(data, size);
    if (!body)
        return 0;
    code_request c;
    cJSON *fields = validate_code_request(body, &c);
    if (fields) {
        fuzz_render_fields(fields);
    } else {
        fuzz_check_username(body, c.username);
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(body, "code");
        FUZZ_CHECK(cJSON_IsString(code) && c.code == code->valuestring);
        FUZZ_CHECK(strlen(c.code) == TOTP_DIGITS);
        for (size_t i = 0; i < TOTP_DIGITS; i++)
            FUZZ_CHECK(c.code[i] >= '0' && c.code[i] <= '9');
        FUZZ_CHECK(cJSON_GetArraySize(body) == 2);
    }
    cJSON_Delete(body);
    return 0;
}
