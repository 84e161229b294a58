/** @file
 * vocab.h — the char-LSTM vocabulary (MXNet.jl's build_vocabulary): the
 * characters of a text sorted by descending frequency, plus one UNKNOWN
 * entry at the end for every character it does not hold.
 *
 * Characters are bytes: a UTF-8 text's multibyte characters become several
 * entries (one per byte value), so a vocabulary never has more than 256
 * characters and needs no decoding. Frequency ties go to the smaller byte
 * value, so the order is the same on every machine.
 *
 * The unknown entry is a dedicated index, size − 1, with no byte of its own
 * (MXNet.jl uses the character '\0'; a byte would collide with a text that
 * holds it).
 *
 * The vocab file holds the characters in order after a one-line header:
 *
 *     "mxrt-vocab 1 <n>\n" then exactly n bytes, nothing after them
 *
 * (n known characters; the unknown entry is implied, not stored). */
#ifndef MX_VOCAB_H
#define MX_VOCAB_H

#include <stddef.h>

#include "mx/error.h"

/** Character vocabulary (opaque): byte ↔ index, with the unknown entry last. */
typedef struct mx_vocab mx_vocab;

/** Vocabulary of len bytes of text. max_chars > 0 keeps only the max_chars
 * most frequent characters (the rest map to unknown); 0 keeps all. */
mx_vocab *mx_vocab_build(const char *text, size_t len, int max_chars);

/** Vocabulary of a whole file, as mx_vocab_build; errors name the file. */
mx_vocab *mx_vocab_build_file(const char *path, int max_chars);

/** Reads a vocab file; a missing, truncated or corrupt file, or one listing
 * a character twice, is an error naming the file and what is wrong. */
mx_vocab *mx_vocab_load(const char *path);

/** Writes the vocab file (the known characters in order). */
mx_status mx_vocab_save(const mx_vocab *v, const char *path);

/** Entries, the unknown one included (the softmax size of the network). */
int mx_vocab_size(const mx_vocab *v);

/** The unknown entry's index: mx_vocab_size(v) − 1. */
int mx_vocab_unknown(const mx_vocab *v);

/** Index of byte c; the unknown index when the vocabulary lacks it. */
int mx_vocab_index(const mx_vocab *v, unsigned char c);

/** Byte (0..255) of entry index; -1 for the unknown entry or out of range. */
int mx_vocab_char(const mx_vocab *v, int index);

/** Frees the vocabulary (NULL is fine). */
void mx_vocab_free(mx_vocab *v);

/** Reads a whole file into a malloc'ed buffer (free it with free); a
 * terminating '\0' follows the len bytes. Errors name the file. */
mx_status mx_text_read(const char *path, char **text, size_t *len);

#endif
