/* shape_param.h — private to runtime/ops: optional shape parameters.
 * MXNet's optional shapes (Pooling's kernel, stride and pad; Reshape's
 * shape and target_shape) default to an empty tuple, which the parameter
 * parser (mx_shape_parse) does not accept. Such a parameter takes this
 * default instead: a one-dim shape no real parameter uses, read back as
 * "not given". */
#ifndef MX_RUNTIME_OPS_SHAPE_PARAM_H
#define MX_RUNTIME_OPS_SHAPE_PARAM_H

#include <stdint.h>
#include "mx/shape.h"

#define MX_UNSET_SHAPE "(-9223372036854775807)"
#define MX_UNSET_SHAPE_TEXT MX_UNSET_SHAPE

/* 1 unless s is the MX_UNSET_SHAPE default. */
static inline int mx_shape_given(const mx_shape *s)
{
    return !(s->ndim == 1 && s->dims[0] == -INT64_MAX);
}

#endif
