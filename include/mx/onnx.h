/** @file
 * onnx.h — ONNX models in and out (issue #17): a PyTorch (or any) ONNX
 * file becomes an MXNet-format checkpoint that every mxrt path runs, and an
 * mxrt or MXNet checkpoint becomes an ONNX file for other runtimes.
 *
 * Import is for the input shapes given (or those the ONNX graph states):
 * shape arithmetic (Shape -> Gather -> Unsqueeze -> Concat -> Reshape,
 * Expand) is folded to constants for them. Initializers become parameters
 * under their ONNX names; each mxrt node is named after the ONNX node it
 * comes from. An op ONNX has and mxrt cannot run is MX_ENOTSUP, naming the
 * op type, the node and the opset; a corrupt or truncated file MX_EFORMAT.
 *
 * Export reads the checkpoint's graph as MXNet's JSON, so what MXNet
 * wrote exports as well as what mxrt wrote.
 *
 * Only libmxrt_onnx.a (this API and the protobuf-c reader) links
 * protobuf-c; the runtime does not. */
#ifndef MX_ONNX_H
#define MX_ONNX_H
#include "mx/error.h"
#include "mx/ndfile.h"
#include "mx/shape.h"
#include "mx/symbol.h"

/** Reads path and converts it: *sym the graph (outputs as the ONNX graph's),
 * *params its parameters named "arg:NAME" / "aux:NAME" as a checkpoint's.
 * names/shapes (n of them) fix the shapes of graph inputs; an input whose
 * ONNX shape has a symbolic dimension needs one. */
mx_status mx_onnx_import(const char *path, int n, const char *const *names, const mx_shape *shapes, mx_sym **sym,
                         mx_nd_list *params);

/** mx_onnx_import, written as PREFIX-symbol.json and PREFIX-0000.params (atomically). */
mx_status mx_onnx_import_file(const char *path, int n, const char *const *names, const mx_shape *shapes,
                              const char *prefix);

/** Writes sym with params (a checkpoint's "arg:"/"aux:" arrays) as an ONNX
 * model at path (atomically), at opset 9 to 17 (0: 13). names/shapes (n of
 * them) give the shapes of the graph's data inputs, batch first; labels of
 * loss heads are dropped and the heads export their forward pass. */
mx_status mx_onnx_export(const mx_sym *sym, const mx_nd_list *params, int n, const char *const *names,
                         const mx_shape *shapes, int opset, const char *path);

/** mx_onnx_export of the checkpoint PREFIX-symbol.json + PREFIX-EPOCH.params. */
mx_status mx_onnx_export_file(const char *prefix, int epoch, int n, const char *const *names, const mx_shape *shapes,
                              int opset, const char *path);

#endif
