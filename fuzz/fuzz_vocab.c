/* fuzz_vocab.c — libFuzzer target for the char-LSTM vocabulary file
 * (mx_vocab_load): a user passes --vocab, so the header, the count and
 * every entry must be checked against the bytes. The input is the file's
 * bytes. A success must be self-consistent: every entry maps back to its
 * byte and the unknown entry is last. The same bytes also go through
 * mx_vocab_build, which must accept any text. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_file.h"
#include "mx/vocab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    if (!path) return 0;
    mx_vocab *v = mx_vocab_load(path);
    if (v) {
        int n = mx_vocab_size(v);
        if (n < 1 || n > 257 || mx_vocab_unknown(v) != n - 1) abort();
        for (int i = 0; i < n - 1; i++)
            if (mx_vocab_index(v, (unsigned char)mx_vocab_char(v, i)) != i) abort();
        mx_vocab_free(v);
    }
    mx_vocab *b = mx_vocab_build((const char *)data, size, 0);
    if (!b) abort(); /* any text has a vocabulary */
    for (size_t i = 0; i < size; i++)
        if (mx_vocab_char(b, mx_vocab_index(b, data[i])) != data[i]) abort();
    mx_vocab_free(b);
    return 0;
}
