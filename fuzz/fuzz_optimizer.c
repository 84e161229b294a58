/* fuzz_optimizer.c — libFuzzer target for optimizer specs
 * (mx_optimizer_parse: the apps' --optimizer "adam lr=0.001 …"): names,
 * keys, numbers and schedules come from the command line or a job
 * script. The input is the spec text. A spec that parses must give an
 * optimizer whose state size is sane and that can run one update on a
 * small array without a NaN from the parsing itself (finite lr). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mx/mx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    mx_optimizer *opt = mx_optimizer_parse(text);
    free(text);
    if (!opt) return 0;
    size_t n = mx_optimizer_state_size(opt, 8);
    if (n > 8 * 8 + 64) abort();
    mx_opt_state os = {1, 1, 1, 8};
    mx_optimizer_begin_batch(opt, &os);
    if (!isfinite(mx_optimizer_lr(opt))) abort();
    float w[8] = {1, -1, 2, -2, 0.5f, -0.5f, 0, 3}, g[8] = {0.1f, -0.2f, 0.3f, 0, 1, -1, 0.5f, 2};
    float *state = calloc(n + 1, sizeof *state);
    mx_nd *wn = mx_nd_wrap(mx_shape_make(1, 8), w), *gn = mx_nd_wrap(mx_shape_make(1, 8), g);
    if (state && wn && gn) mx_optimizer_update(opt, wn, gn, n ? state : NULL);
    mx_nd_free(wn);
    mx_nd_free(gn);
    free(state);
    mx_optimizer_free(opt);
    return 0;
}
