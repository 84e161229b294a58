/** @file
 * mx.h — the whole public API of mxrt: includes every other header. */

/** @mainpage mxrt API reference
 *
 * mxrt is MXNet's programming model — NDArray, symbolic graphs, shape
 * inference, bind/executor, FeedForward fit/predict, optimizers,
 * initializers, metrics, callbacks, data providers, checkpoints — in C,
 * for batch jobs on HPC clusters and for embedded Linux boards: one static
 * binary, every buffer planned into one arena at bind, no allocation in
 * the training hot path, and MXNet's operator names, symbol JSON and
 * `.params` files. Include mx/mx.h for all of it.
 *
 * Errors: every fallible call returns an mx_status (MX_OK on success) or a
 * pointer (NULL on failure) and leaves a message naming what is wrong in
 * mx_last_error().
 *
 * @section mx_core Core
 * - error.h — status codes and the thread-local last-error message
 * - log.h — MXNet.jl-style log lines, printed by rank 0, to stdout or a sink
 * - arena.h — the bump allocator every planned buffer comes from
 * - random.h — the seeded generator behind random fills, shuffles and initializers
 * - shape.h — array shapes, row-major and batch first
 * - engine.h — the CPU thread pool: pinned workers, static partitioning
 *
 * @section mx_ndarray NDArray
 * - context.h — where arrays live and executors run (MXNet's Context)
 * - ndarray.h — NDArray: a float32 array with a shape and a context
 * - ndfile.h — NDArray list files in MXNet's format (`.params`, mx.save / mx.load)
 *
 * @section mx_symbols Symbols and graphs
 * - symbol.h — symbolic graphs: variables, operators, composition, shape inference
 * - symbol_json.h — symbols as MXNet's graph JSON (`prefix-symbol.json`)
 * - graphviz.h — a symbol as a Graphviz DOT graph (mx.to_graphviz)
 * - lstm.h — the unrolled LSTM of MXNet.jl's char-LSTM example
 * - nn_factory.h — helpers that build common networks (mx.MLP)
 *
 * @section mx_executor Executor
 * - executor.h — a symbol bound to arrays, planned into one arena; forward and backward
 * - version.h — the version and build features of this mxrt
 *
 * @section mx_data Data
 * - io.h — data providers (MXNet.jl's AbstractDataProvider), ArrayDataProvider, MNIST
 * - io_char.h — the char-LSTM's provider (MXNet.jl's CharSeqProvider)
 * - csv.h — numeric CSV files and their provider (MXNet's CSVIter)
 * - idx.h — MNIST IDX files, raw or gzip-compressed
 * - pgm.h — Netpbm greymaps (PGM), as a board's camera writes them
 * - vocab.h — the char-LSTM vocabulary (MXNet.jl's build_vocabulary)
 *
 * @section mx_training Training
 * - model.h — FeedForward: fit and predict over one or several contexts
 * - optimizer.h — optimizers (SGD … Nadam, NAG) and learning-rate and momentum schedules
 * - initializer.h — parameter initializers with MXNet.jl's by-name rules
 * - metric.h — evaluation metrics (Accuracy, ACE, MSE, NLL, …)
 * - callback.h — training callbacks (speedometer, do_checkpoint, …)
 * - kvstore.h — the key-value store that sums gradients across contexts (KVStore)
 * - checkpoint.h — MXNet-compatible checkpoints, and resuming bit for bit
 * - dist.h — the collectives of distributed training (an MPI transport registers them)
 *
 * @section mx_fixed Fixed-buffer inference
 * - fixed_infer.h — inference in one caller-provided buffer of an exact size, for embedded boards
 */
#ifndef MX_MX_H
#define MX_MX_H

#include "mx/arena.h"
#include "mx/callback.h"
#include "mx/checkpoint.h"
#include "mx/context.h"
#include "mx/csv.h"
#include "mx/engine.h"
#include "mx/error.h"
#include "mx/executor.h"
#include "mx/fixed_infer.h"
#include "mx/graphviz.h"
#include "mx/idx.h"
#include "mx/initializer.h"
#include "mx/io.h"
#include "mx/io_char.h"
#include "mx/kvstore.h"
#include "mx/log.h"
#include "mx/lstm.h"
#include "mx/metric.h"
#include "mx/model.h"
#include "mx/ndarray.h"
#include "mx/ndfile.h"
#include "mx/nn_factory.h"
#include "mx/optimizer.h"
#include "mx/random.h"
#include "mx/shape.h"
#include "mx/symbol.h"
#include "mx/symbol_json.h"
#include "mx/version.h"
#include "mx/vocab.h"

#endif
