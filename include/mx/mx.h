/** @file
 * mx.h — the whole public API of mxrt. */
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
