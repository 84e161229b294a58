/* fuzz_pgm.c — libFuzzer target for the PGM reader (mx_pgm_load), whose
 * files are user input to mnist_infer --pgm. Each input is read as a
 * 28x28 image (the app's) and as a 3x2 one (so that the fuzzer reaches
 * whole valid images cheaply); a success must leave every pixel written
 * and within 0..255 of a maxval-scaled greymap. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_file.h"
#include "mx/pgm.h"

static void load(const char *path, int w, int h)
{
    uint8_t px[28 * 28];
    memset(px, 0xA5, sizeof px);
    if (mx_pgm_load(path, w, h, px) != MX_OK) return;
    /* Past the image nothing may be touched. */
    for (size_t i = (size_t)w * (size_t)h; i < sizeof px; i++)
        if (px[i] != 0xA5) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    if (!path) return 0;
    load(path, 28, 28);
    load(path, 3, 2);
    return 0;
}
