/** @file
 * lstm.h — the unrolled LSTM of MXNet.jl's char-LSTM example, as one
 * symbol: L layers, T steps, weights shared over time, per-step
 * SoftmaxOutputs grouped, optionally the final states. */
#ifndef MX_LSTM_H
#define MX_LSTM_H

#include "mx/symbol.h"

/** Options of mx_lstm_unroll; mx_lstm_defaults gives the tutorial's. */
typedef struct mx_lstm_opts {
    const char *name; /**< prefix of every variable and node ("ptb") */
    int num_layers;   /**< L */
    int seq_len;      /**< T */
    int num_hidden;   /**< H: state size */
    int num_embed;    /**< embedding size */
    int num_label;    /**< vocabulary size: embedding input and prediction output */
    float dropout;    /**< before layers 2..L and before the prediction (0: none) */
    int output_states; /**< also output each layer's final c and h (for sampling) */
} mx_lstm_opts;

/** The tutorial's configuration: "ptb", 2 layers, 32 steps, 256 hidden,
 * 256 embedding, dropout 0, no state outputs; num_label still to set. */
mx_lstm_opts mx_lstm_defaults(void);

/** Builds the unrolled network. Inputs: `<name>_data_<t>` (character
 * indices, shape (batch,)) and `<name>_label_<t>` for t = 1..T, and the
 * initial states `<name>_l<i>_init_c` / `_init_h` (batch, H) for i = 1..L.
 * Parameters: `<name>_embed_weight` (num_label, num_embed) of an Embedding
 * op (MXNet.jl multiplies a one-hot input by an FC weight instead: the
 * same function, transposed weight), `<name>_l<i>_i2h_weight/_bias`,
 * `<name>_l<i>_h2h_weight/_bias` (4H rows: gates input, transform, forget,
 * output, split with SliceChannel), `<name>_pred_weight/_bias`. Outputs:
 * the T SoftmaxOutputs `<name>_softmax_<t>`, then with output_states the
 * final c and h of each layer through BlockGrad `<name>_l<i>_last_c/_h`.
 * NULL with the error set on bad options. */
mx_sym *mx_lstm_unroll(const mx_lstm_opts *o);

#endif
