/** @file
 * checkpoint.h — MXNet-compatible checkpoints: prefix-symbol.json (graph
 * JSON) and prefix-%04d.params (NDArray list with arg:/aux: names), plus
 * prefix-%04d.states (optimizer states and counters, mx.save format) so
 * that training resumes bit for bit. Every file is written atomically. */
#ifndef MX_CHECKPOINT_H
#define MX_CHECKPOINT_H

#include "mx/context.h"
#include "mx/model.h"
#include "mx/ndfile.h"
#include "mx/symbol.h"

/** Saves the model's symbol, parameters and training state for epoch. */
mx_status mx_checkpoint_save(mx_model *m, const char *prefix, int epoch);

/** Loads prefix-symbol.json and prefix-%04d.params: the symbol and the
 * arg:/aux: arrays (names keep their prefixes). */
mx_status mx_checkpoint_load(const char *prefix, int epoch, mx_sym **sym, mx_nd_list *params);

/** A model built from a checkpoint alone (symbol JSON + params); its
 * parameters are checked against the symbol when it is bound. */
mx_model *mx_model_load(const char *prefix, int epoch, const mx_ctx *ctxs, int nctx);

/** Loads parameters and training state of epoch into m so the next fit
 * continues with epoch + 1 exactly as an uninterrupted run would. */
mx_status mx_model_resume(mx_model *m, const char *prefix, int epoch);

#endif
