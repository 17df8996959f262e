/*
 * fuzz_verify_2fa.c - libFuzzer target for the body of POST /verify-2fa: the
 * strict JSON parse, then validate_code_request, then free, as the route
 * does. On success the username obeys the signup rule and exactly one of
 * code (exactly 6 ASCII digits) and recovery_code (at most 64 characters,
 * read as 12 of a-z2-7) was sent.
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
        const cJSON *rc = cJSON_GetObjectItemCaseSensitive(body, "recovery_code");
        FUZZ_CHECK((code == NULL) != (rc == NULL));
        if (code) {
            FUZZ_CHECK(cJSON_IsString(code) && c.code == code->valuestring);
            FUZZ_CHECK(!c.factor.is_recovery);
            FUZZ_CHECK(strlen(c.code) == TOTP_DIGITS);
            for (size_t i = 0; i < TOTP_DIGITS; i++)
                FUZZ_CHECK(c.code[i] >= '0' && c.code[i] <= '9');
        } else {
            FUZZ_CHECK(cJSON_IsString(rc) && strlen(rc->valuestring) <= RECOVERY_INPUT_MAX);
            FUZZ_CHECK(c.code == NULL && c.factor.is_recovery);
            FUZZ_CHECK(strlen(c.factor.recovery_code) == RECOVERY_CODE_LEN);
            for (size_t i = 0; i < RECOVERY_CODE_LEN; i++) {
                char ch = c.factor.recovery_code[i];
                FUZZ_CHECK((ch >= 'a' && ch <= 'z') || (ch >= '2' && ch <= '7'));
            }
        }
        FUZZ_CHECK(cJSON_GetArraySize(body) == 2);
    }
    cJSON_Delete(body);
    return 0;
}
