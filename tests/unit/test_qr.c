/*
 * test_qr.c - unit tests for totp/qr.c: the PNG is well formed, has the size
 * and the quiet zone the header promises, shows exactly libqrencode's modules,
 * and the real zbarimg decodes it back to the very same otpauth URI.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <png.h>
#include <qrencode.h>

#include "totp/qr.h"

static const char uri[] =
    "otpauth://totp/Integrity%20API:Hager666?secret=JBSWY3DPEHPK3PXP&issuer=Integrity%20API";

static void test_png_matches_qr_modules(void **state)
{
    static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char *png = NULL, *pixels = NULL;
    size_t len = 0;
    png_image image;
    QRcode *qr = NULL;
    unsigned side, border;

    (void)state;
    assert_int_equal(qr_png(uri, &png, &len), ST_OK);
    assert_non_null(png);
    assert_true(len > sizeof(signature));
    assert_memory_equal(png, signature, sizeof(signature));

    /* The same symbol qr_png draws, to know the module count and every module. */
    qr = QRcode_encodeString(uri, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    assert_non_null(qr);
    side = ((unsigned)qr->width + 2 * QR_QUIET_ZONE) * QR_PNG_SCALE;
    border = QR_QUIET_ZONE * QR_PNG_SCALE;

    memset(&image, 0, sizeof(image));
    image.version = PNG_IMAGE_VERSION;
    assert_true(png_image_begin_read_from_memory(&image, png, len));
    assert_int_equal(image.width, side);
    assert_int_equal(image.height, side);
    image.format = PNG_FORMAT_GRAY;
    pixels = malloc(PNG_IMAGE_SIZE(image));
    assert_non_null(pixels);
    assert_true(png_image_finish_read(&image, NULL, pixels, 0, NULL));

    for (unsigned y = 0; y < side; y++) {
        for (unsigned x = 0; x < side; x++) {
            unsigned char px = pixels[(size_t)y * side + x];

            if (x < border || y < border || x >= side - border || y >= side - border) {
                assert_int_equal(px, 255); /* the quiet zone is white */
            } else {
                unsigned mx = (x - border) / QR_PNG_SCALE, my = (y - border) / QR_PNG_SCALE;
                int dark = qr->data[(size_t)my * (unsigned)qr->width + mx] & 1;

                assert_int_equal(px, dark ? 0 : 255);
            }
        }
    }
    /* The top-left finder pattern starts with a dark module. */
    assert_int_equal(pixels[(size_t)border * side + border], 0);

    free(pixels);
    QRcode_free(qr);
    free(png);
}

static void test_zbarimg_decodes_uri(void **state)
{
    char path[] = "/tmp/test_qr_XXXXXX";
    char cmd[128], decoded[512];
    unsigned char *png = NULL;
    size_t len = 0, got = 0;
    FILE *f, *p;
    int fd, n, rc = -1;
    bool written, ran;

    (void)state;
    assert_int_equal(qr_png(uri, &png, &len), ST_OK);

    fd = mkstemp(path);
    assert_true(fd >= 0);
    f = fdopen(fd, "wb");
    if (f == NULL)
        close(fd);
    written = f != NULL && fwrite(png, 1, len, f) == len;
    if (f != NULL && fclose(f) != 0)
        written = false;
    free(png);

    n = snprintf(cmd, sizeof(cmd), "zbarimg --nodbus --raw -q '%s'", path);
    p = written && n > 0 && (size_t)n < sizeof(cmd) ? popen(cmd, "r") : NULL;
    ran = p != NULL;
    if (ran) {
        got = fread(decoded, 1, sizeof(decoded) - 1, p);
        rc = pclose(p);
    }
    decoded[got] = '\0';
    unlink(path); /* before any assertion can end the test */

    assert_true(written);
    assert_true(ran);
    assert_true(WIFEXITED(rc));
    assert_int_equal(WEXITSTATUS(rc), 0); /* 127: zbarimg missing; 4: nothing found */
    /* zbarimg ends each symbol with a newline. */
    if (got > 0 && decoded[got - 1] == '\n')
        decoded[got - 1] = '\0';
    assert_string_equal(decoded, uri);
}

static void test_oversize_text_is_invalid(void **state)
{
    unsigned char *png = (unsigned char *)"not touched";
    size_t len = 1;
    char *big;

    (void)state;
    /* Version 40-M holds at most 2331 bytes in 8-bit mode. */
    big = malloc(5001);
    assert_non_null(big);
    memset(big, 'A', 5000);
    big[5000] = '\0';
    assert_int_equal(qr_png(big, &png, &len), ST_INVALID);
    assert_null(png);
    assert_int_equal(len, 0);
    free(big);
}

static void test_bad_arguments(void **state)
{
    unsigned char *png = NULL;
    size_t len = 0;

    (void)state;
    assert_int_equal(qr_png(NULL, &png, &len), ST_INVALID);
    assert_int_equal(qr_png(uri, NULL, &len), ST_INVALID);
    assert_int_equal(qr_png(uri, &png, NULL), ST_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_matches_qr_modules),
        cmocka_unit_test(test_zbarimg_decodes_uri),
        cmocka_unit_test(test_oversize_text_is_invalid),
        cmocka_unit_test(test_bad_arguments),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
