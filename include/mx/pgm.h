/** @file
 * pgm.h — Netpbm greymaps (PGM), binary P5 and ASCII P2, 8-bit (maxval
 * 1..255), as a board's camera or a test harness writes them: one image
 * per file, read into bytes scaled to 0..255. */
#ifndef MX_PGM_H
#define MX_PGM_H

#include <stdint.h>
#include "mx/error.h"

/** Reads path, which must be exactly width × height, into pixels (width ×
 * height bytes, row-major); a maxval below 255 is scaled up to 255. Errors
 * name the file and what is wrong (magic, size, maxval, truncation). */
mx_status mx_pgm_load(const char *path, int width, int height, uint8_t *pixels);

#endif
