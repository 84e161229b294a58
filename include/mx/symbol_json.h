/** @file
 * symbol_json.h — symbols as MXNet's graph JSON (`prefix-symbol.json`),
 * byte-compatible with what libmxnet 1.x writes, so graphs move between
 * mxrt and MXNet in both directions.
 *
 * Writing: nodes in topological order (MXNet's), variables as op "null",
 * each op's parameters exactly as given (sorted by key, as MXNet does);
 * auxiliary states are written as variable nodes and appended to their
 * op's inputs after its arguments, as MXNet does.
 * Reading: accepts node attributes under "attrs", "attr" or "param"
 * (older files; with "param" present, "attr" holds user attributes, not
 * parameters). Keys starting with "__" are MXNet bookkeeping, never
 * parameters: they are dropped from op nodes and kept on variables.
 * Duplicate node names are accepted, as MXNet accepts them. */
#ifndef MX_SYMBOL_JSON_H
#define MX_SYMBOL_JSON_H

#include "mx/error.h"
#include "mx/symbol.h"

/** MXNet's graph JSON for sym (malloc'd; the caller frees), NULL on error. */
char *mx_sym_to_json(const mx_sym *sym);

/** Writes mx_sym_to_json(sym) to path atomically (temp file + rename). */
mx_status mx_sym_save_json(const mx_sym *sym, const char *path);

/** Rebuilds a symbol from graph JSON text; what (a file name) starts every
 * error message, which names the node and field at fault. */
mx_sym *mx_sym_from_json(const char *text, const char *what);

/** Reads and rebuilds a symbol from a `-symbol.json` file. */
mx_sym *mx_sym_load_json(const char *path);

#endif
