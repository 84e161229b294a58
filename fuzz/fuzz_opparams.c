/* fuzz_opparams.c — libFuzzer target for operator parameter strings
 * ("kernel=(5,5) num_filter=20 ..."), the text users type in mx_op and
 * mx_chain and that symbol JSON carries, and for each op's shape
 * inference under adversarial parameters (huge kernels and strides,
 * negative or overflowing sizes), which must be refused, never crash or
 * produce a shape that would reach an allocation. Input layout:
 *   byte 0: bit 7 clear: the op, registry entry (byte & 0x7f) % count,
 *           applied to a variable "data" with the rest as its parameters;
 *           bit 7 set: the rest is up to 4 lines of "OpName key=value ..."
 *           fed through mx_chain from "data";
 *   byte 1: the shape of "data", one of the fixed shapes below;
 *   rest:   the text (cut at the first NUL).
 * The seeds use the chain form, which names the op, so they survive
 * changes to the registry's order. A symbol that builds is
 * shape-inferred, drawn and round-tripped through JSON like a loaded one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_sym.h"

#define MAX_LAYERS 4

static mx_shape data_shape(uint8_t b)
{
    static const int64_t shapes[][MX_MAX_NDIM + 1] = {
        /* ndim, dims...: MNIST, MLP input, small conv inputs, the
         * smallest, one dim, every dim, and sizes past int's limits (whose
         * float bytes still fit in int64) */
        {4, 2, 1, 28, 28},
        {2, 2, 784},
        {4, 2, 3, 8, 8},
        {3, 2, 3, 16},
        {4, 1, 1, 1, 1},
        {1, 4},
        {8, 1, 2, 3, 4, 5, 6, 7, 8},
        {4, 1, 1, 2147483647, 3},
        {2, 2147483647, 1073741823},
        {4, 2, 3, 1073741823, 1024},
        {2, 1, 1152921504606846976},
        {3, 8, 65536, 65536},
        {4, 3, 2, 5, 7},
    };
    const int64_t *s = shapes[b % (sizeof shapes / sizeof shapes[0])];
    return mx_shape_from((int)s[0], s + 1);
}

/* Splits text in place into at most MAX_LAYERS lines; returns the count. */
static int split_lines(char *text, const char *lines[MAX_LAYERS])
{
    int n = 0;
    for (char *p = text; n < MAX_LAYERS && *p;) {
        lines[n++] = p;
        char *nl = strchr(p, '\n');
        if (!nl) break;
        *nl = '\0';
        p = nl + 1;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    char *text = malloc(size - 1);
    if (!text) return 0;
    memcpy(text, data + 2, size - 2);
    text[size - 2] = '\0';
    mx_shape shape = data_shape(data[1]);
    mx_sym *in = mx_var("data"), *sym = NULL;
    if (in && !(data[0] & 0x80)) {
        const char *op = mx_op_name((data[0] & 0x7f) % mx_op_count());
        sym = mx_op_args(op, text, 1, NULL, &in);
    } else if (in) {
        const char *l[MAX_LAYERS + 1] = {NULL};
        split_lines(text, l);
        sym = mx_chain(in, l[0], l[1], l[2], l[3], (const char *)NULL);
    }
    if (sym) {
        fuzz_use_symbol(sym, "data", &shape);
        fuzz_check_round_trip(sym);
    }
    mx_sym_free(sym);
    mx_sym_free(in);
    free(text);
    return 0;
}
