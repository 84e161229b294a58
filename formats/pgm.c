/* pgm.c — PGM reader (P5 binary, P2 ASCII) for single 8-bit greymaps of
 * a known size; every failure is one message starting with the path. */
#include "mx/pgm.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Skips whitespace and '#' comments (to the end of their line). */
static int skip_space(FILE *f)
{
    int c;
    while ((c = getc(f)) != EOF) {
        if (c == '#') {
            while ((c = getc(f)) != EOF && c != '\n') {}
        } else if (!isspace(c)) {
            ungetc(c, f);
            return 0;
        }
    }
    return -1;
}

/* Reads one decimal header or P2 field (at most 5 digits); -1 if none. */
static long read_field(FILE *f)
{
    if (skip_space(f) != 0) return -1;
    long v = 0;
    int c, digits = 0;
    while ((c = getc(f)) != EOF && isdigit(c)) {
        if (++digits > 5) return -1;
        v = v * 10 + (c - '0');
    }
    if (c != EOF) ungetc(c, f);
    return digits ? v : -1;
}

static mx_status parse(FILE *f, const char *path, int width, int height, uint8_t *pixels)
{
    char magic[2];
    if (fread(magic, 1, 2, f) != 2 || magic[0] != 'P' || (magic[1] != '5' && magic[1] != '2'))
        return mx_set_error(MX_EFORMAT, "%s: not a PGM file (expected magic P5 or P2)", path);
    long w = read_field(f), h = read_field(f), maxval = read_field(f);
    if (w < 0 || h < 0 || maxval < 0) return mx_set_error(MX_EFORMAT, "%s: bad or truncated PGM header", path);
    if (w != width || h != height)
        return mx_set_error(MX_EFORMAT, "%s: image is %ldx%ld, expected %dx%d", path, w, h, width, height);
    if (maxval < 1 || maxval > 255)
        return mx_set_error(MX_EFORMAT, "%s: maxval %ld is not an 8-bit greymap (1..255)", path, maxval);
    size_t n = (size_t)width * (size_t)height;
    if (magic[1] == '5') {
        int c = getc(f); /* exactly one whitespace byte ends the header */
        if (c == EOF || !isspace(c)) return mx_set_error(MX_EFORMAT, "%s: bad PGM header end", path);
        if (fread(pixels, 1, n, f) != n) return mx_set_error(MX_EFORMAT, "%s: truncated: fewer than %zu pixels", path, n);
    } else {
        for (size_t i = 0; i < n; i++) {
            long v = read_field(f);
            if (v < 0) return mx_set_error(MX_EFORMAT, "%s: truncated or bad pixel %zu of %zu", path, i + 1, n);
            if (v > maxval) return mx_set_error(MX_EFORMAT, "%s: pixel %zu is %ld, above maxval %ld", path, i + 1, v, maxval);
            pixels[i] = (uint8_t)v;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (pixels[i] > maxval) return mx_set_error(MX_EFORMAT, "%s: pixel %zu above maxval %ld", path, i + 1, maxval);
        /* To MNIST's 0..255 range, so the model sees what it was trained on. */
        if (maxval != 255) pixels[i] = (uint8_t)((pixels[i] * 255 + maxval / 2) / maxval);
    }
    return MX_OK;
}

mx_status mx_pgm_load(const char *path, int width, int height, uint8_t *pixels)
{
    FILE *f = fopen(path, "rb");
    if (!f) return mx_set_error(MX_EIO, "%s: cannot open: %s", path, strerror(errno));
    mx_status st = parse(f, path, width, height, pixels);
    if (st == MX_OK && ferror(f)) st = mx_set_error(MX_EIO, "%s: read failed", path);
    fclose(f);
    return st;
}
