/*
 * qr.h - a QR code (libqrencode, error correction M) rendered to a PNG in
 * memory with libpng: black modules on white, QR_PNG_SCALE pixels per module,
 * a 4-module quiet zone. Not a general image library.
 */
#ifndef INTEGRITY_QR_H
#define INTEGRITY_QR_H

#include <stddef.h>

#include "common/status.h"

#define QR_PNG_SCALE 8
#define QR_QUIET_ZONE 4

/*
 * Encode `text` as a QR code and return the PNG bytes in *png (malloc'd; the
 * caller frees with free()) and their count in *len. ST_INVALID when the text
 * does not fit a QR code, ST_NOMEM or ST_INTERNAL on library failures.
 */
status qr_png(const char *text, unsigned char **png, size_t *len);

#endif
