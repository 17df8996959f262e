/*
 * fuzz_account.c - libFuzzer target for the bodies of the account routes
 * (SPEC 9): the first byte picks validate_password_request (POST
 * /account/recovery-codes, /account/2fa/reset), validate_password_change
 * (POST /account/password) or validate_account_delete (DELETE /account); the
 * rest is the body: the strict JSON parse, the check, then free, as the
 * routes do. On success every password is 8..72 bytes and the delete's code
 * is either 6 ASCII digits or a recovery code read as 12 of a-z2-7.
 */
#include "fuzz_common.h"

#include "totp/totp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_password(const char *pw, size_t len)
{
    FUZZ_CHECK(pw != NULL && strlen(pw) == len);
    FUZZ_CHECK(len >= VALIDATE_PASSWORD_MIN && len <= 72);
}

static void check_factor(const second_factor *f)
{
    if (f->is_recovery) {
        FUZZ_CHECK(f->code == NULL && strlen(f->recovery_code) == RECOVERY_CODE_LEN);
        for (size_t i = 0; i < RECOVERY_CODE_LEN; i++) {
            char ch = f->recovery_code[i];
            FUZZ_CHECK((ch >= 'a' && ch <= 'z') || (ch >= '2' && ch <= '7'));
        }
    } else {
        FUZZ_CHECK(f->code != NULL && strlen(f->code) == TOTP_DIGITS);
        for (size_t i = 0; i < TOTP_DIGITS; i++)
            FUZZ_CHECK(f->code[i] >= '0' && f->code[i] <= '9');
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned which = data[0] % 3;
    cJSON *body = fuzz_parse_body(data + 1, size - 1);
    if (!body)
        return 0;
    cJSON *fields = NULL;
    if (which == 0) {
        password_request p;
        fields = validate_password_request(body, &p);
        if (!fields)
            check_password(p.password, p.password_len);
    } else if (which == 1) {
        password_change c;
        fields = validate_password_change(body, &c);
        if (!fields) {
            check_password(c.old_password, c.old_len);
            check_password(c.new_password, c.new_len);
        }
    } else {
        account_delete d;
        fields = validate_account_delete(body, &d);
        if (!fields) {
            check_password(d.password, d.password_len);
            check_factor(&d.factor);
        }
    }
    if (fields)
        fuzz_render_fields(fields);
    cJSON_Delete(body);
    return 0;
}
