/*
 * qr.c - a QR code (libqrencode, 8-bit mode, error correction M) rendered as a
 * 1-bit grayscale PNG in memory with libpng, for the enrollment response.
 * No files, no printing: libpng's errors and warnings are caught here.
 * Not a general image library.
 */
#include "totp/qr.h"

#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <qrencode.h>

/* The growing PNG output, and what went wrong if something did. */
typedef struct qr_sink {
    unsigned char *data;
    size_t len;
    size_t cap;
    bool nomem; /* an allocation failed (ours or libpng's) */
} qr_sink;

/* libpng write callback: append to the sink, doubling its buffer as needed. */
static void qr_png_write(png_structp png, png_bytep bytes, png_size_t n)
{
    qr_sink *s = png_get_io_ptr(png);

    if (n > SIZE_MAX - s->len)
        png_error(png, "PNG too large");
    if (s->len + n > s->cap) {
        size_t ncap = s->cap != 0 ? s->cap : 4096;
        unsigned char *p;

        while (ncap < s->len + n) {
            if (ncap > SIZE_MAX / 2) {
                ncap = s->len + n;
                break;
            }
            ncap *= 2;
        }
        p = realloc(s->data, ncap);
        if (p == NULL) {
            s->nomem = true;
            png_error(png, "out of memory");
        }
        s->data = p;
        s->cap = ncap;
    }
    memcpy(s->data + s->len, bytes, n);
    s->len += n;
}

static void qr_png_flush(png_structp png)
{
    (void)png;
}

/* Errors go back to our setjmp quietly: lower layers never print. */
static void qr_png_error(png_structp png, png_const_charp msg)
{
    (void)msg;
    png_longjmp(png, 1);
}

static void qr_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* libpng's allocations, so that running out of memory can be told apart. */
static png_voidp qr_png_malloc(png_structp png, png_alloc_size_t n)
{
    png_voidp p = malloc(n);

    if (p == NULL) {
        qr_sink *s = png_get_mem_ptr(png);

        if (s != NULL)
            s->nomem = true;
    }
    return p;
}

static void qr_png_free(png_structp png, png_voidp p)
{
    (void)png;
    free(p);
}

/*
 * Write `qr` as PNG through `png`/`info` into the sink set up by the caller,
 * using `row` (at least (side + 7) / 8 bytes) as scratch. Returns false when
 * libpng failed. It is its own function so that the only locals alive across
 * the setjmp are parameters and loop counters nobody reads after a longjmp.
 */
static bool qr_png_render(png_structp png, png_infop info, const QRcode *qr, png_bytep row,
                          png_uint_32 side)
{
    if (setjmp(png_jmpbuf(png)))
        return false;

    png_set_IHDR(png, info, side, side, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    /* Level 1 and no row filters: the bitmap is mostly runs of identical rows
     * and bytes, which deflate shrinks nearly as well at level 1 as at 9, in a
     * fraction of the time (the PNG is made on every enrollment login). */
    png_set_compression_level(png, 1);
    png_set_filter(png, 0, PNG_FILTER_NONE);
    png_write_info(png, info);

    for (png_uint_32 y = 0; y < side; y++) {
        png_uint_32 my = y / QR_PNG_SCALE;

        /* 1-bit gray: a set bit is white. Start white, then clear dark modules. */
        memset(row, 0xff, (side + 7) / 8);
        if (my >= QR_QUIET_ZONE && my < (png_uint_32)qr->width + QR_QUIET_ZONE) {
            const unsigned char *line = qr->data + (size_t)(my - QR_QUIET_ZONE) * qr->width;

            for (png_uint_32 x = 0; x < side; x++) {
                png_uint_32 mx = x / QR_PNG_SCALE;

                if (mx < QR_QUIET_ZONE || mx >= (png_uint_32)qr->width + QR_QUIET_ZONE)
                    continue;
                if (line[mx - QR_QUIET_ZONE] & 1) /* bit 0 of each module: dark */
                    row[x / 8] &= (png_byte) ~(0x80u >> (x % 8));
            }
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    return true;
}

status qr_png(const char *text, unsigned char **png, size_t *len)
{
    QRcode *qr = NULL;
    png_structp wp = NULL;
    png_infop info = NULL;
    png_bytep row = NULL;
    qr_sink sink = {NULL, 0, 0, false};
    png_uint_32 side;
    status st = ST_INTERNAL;

    if (png == NULL || len == NULL)
        return ST_INVALID;
    *png = NULL;
    *len = 0;
    if (text == NULL)
        return ST_INVALID;

    errno = 0;
    qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (qr == NULL) {
        if (errno == ERANGE || errno == EINVAL)
            st = ST_INVALID; /* too long for version 40, or empty */
        else if (errno == ENOMEM)
            st = ST_NOMEM;
        goto out;
    }
    if (qr->width <= 0 || qr->width > 177)
        goto out; /* not a QR code libqrencode can make */
    side = ((png_uint_32)qr->width + 2 * QR_QUIET_ZONE) * QR_PNG_SCALE;

    row = malloc((side + 7) / 8);
    if (row == NULL) {
        st = ST_NOMEM;
        goto out;
    }
    wp = png_create_write_struct_2(PNG_LIBPNG_VER_STRING, &sink, qr_png_error, qr_png_warning,
                                   &sink, qr_png_malloc, qr_png_free);
    if (wp == NULL) {
        st = ST_NOMEM;
        goto out;
    }
    info = png_create_info_struct(wp);
    if (info == NULL) {
        st = ST_NOMEM;
        goto out;
    }
    png_set_write_fn(wp, &sink, qr_png_write, qr_png_flush);

    if (!qr_png_render(wp, info, qr, row, side)) {
        st = sink.nomem ? ST_NOMEM : ST_INTERNAL;
        goto out;
    }

    *png = sink.data;
    *len = sink.len;
    sink.data = NULL;
    st = ST_OK;

out:
    if (wp != NULL)
        png_destroy_write_struct(&wp, info != NULL ? &info : NULL);
    free(sink.data);
    free(row);
    QRcode_free(qr);
    return st;
}
