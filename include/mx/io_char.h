/** @file
 * io_char.h — the char-LSTM's data provider (MXNet.jl's CharSeqProvider):
 * a text cut into mini-batches of fixed-length character sequences for an
 * LSTM unrolled over seq_len steps.
 *
 * Batching (the tutorial's): the range [begin, end) of the text is cut to
 * a multiple of batch_size·seq_len characters; each consecutive block of
 * batch_size·seq_len characters is one batch, sample i of the batch taking
 * the i-th run of seq_len characters of the block; step t of sample i is
 * the block's character i·seq_len + t. The label of a character is the
 * next character of the text — for the last character used, the one after
 * it even when that lies past the cut or past end (a train range's last
 * label is the first character after it); only the text's very last byte
 * has none and gets the unknown index (MXNet.jl: UNKNOWN_CHAR after its
 * cut). No shuffling (the tutorial has none); reset starts over.
 *
 * Inputs, MXNet.jl's names and order, with t = 1..seq_len and
 * i = 1..num_layers:
 *   data   `<prefix>_data_<t>`     (batch,)             character indices
 *          `<prefix>_l<i>_init_c`  (batch, num_hidden)  always 0
 *          `<prefix>_l<i>_init_h`  (batch, num_hidden)  always 0
 *          (every init_c first, then every init_h)
 *   label  `<prefix>_label_<t>`    (batch,)             next-character indices
 * Values are vocabulary indices as floats (the network embeds them), not
 * MXNet.jl's one-hot vectors. A sample is one sequence. */
#ifndef MX_IO_CHAR_H
#define MX_IO_CHAR_H

#include <stddef.h>

#include "mx/io.h"
#include "mx/vocab.h"

/** Options of the char-LSTM provider; start from mx_char_defaults. */
typedef struct mx_char_opts {
    const char *text;      /**< mx_char_provider: the text (bytes); read only at construction */
    size_t len;            /**< its length */
    /** Start of the range used (byte offset; 0: the start of the text). */
    size_t begin, end;     /**< end of the range, exclusive; 0 means the end of the text */
    const mx_vocab *vocab; /**< required; read only at construction */
    int batch_size;        /**< 32 */
    int seq_len;           /**< 32 */
    int num_layers;        /**< 2 */
    int num_hidden;        /**< 256 */
    const char *prefix;    /**< "ptb" */
    /** Shards for distributed training (0 or 1: none): the range is cut to
     * whole global batches of batch_size·num_parts sequences and part i
     * takes the i-th batch_size of each — N parts at batch B see what one
     * reader at batch N·B sees. */
    int part_index, num_parts; /**< number of parts (0 or 1: no sharding); part_index is 0..num_parts-1 */
} mx_char_opts;

/** The tutorial's configuration (no text, no vocabulary). */
mx_char_opts mx_char_defaults(void);

/** Provider over opts->text. Fails (naming the option) on a missing vocab,
 * a bad size, a range outside the text, a range shorter than one batch, or
 * more than MX_IO_MAX inputs (seq_len + 2·num_layers data inputs). */
mx_provider *mx_char_provider(const mx_char_opts *opts);

/** Provider over the file at path (opts->text and len are ignored; begin and
 * end index the file's bytes); errors name the file. */
mx_provider *mx_char_provider_file(const char *path, const mx_char_opts *opts);

/** Where a train/validation split of len characters falls: round(len ·
 * train_fraction), clamped to [0, len] — MXNet.jl's n_train. Train on
 * [0, split), validate on [split, len). */
size_t mx_char_split_point(size_t len, double train_fraction);

#endif
