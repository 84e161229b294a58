/* onnx_read.h — private: an ONNX model file read with protobuf-c (the C
 * code generated at build time from Debian's onnx.proto), its tensors
 * decoded into float32 or int64 arrays and its node attributes looked up,
 * every failure an error naming the file, the tensor or the attribute. */
#ifndef MX_ONNX_READ_H
#define MX_ONNX_READ_H

#include <stddef.h>
#include <stdint.h>
#include "mx/error.h"
#include "mx/shape.h"
#include "onnx/onnx.pb-c.h"

/* ONNX allows more dimensions than mxrt does; a tensor with more is refused. */
typedef enum ox_dtype { OX_F32, OX_I64 } ox_dtype;

/* A constant tensor: floating types become float32, integer and bool types
 * int64 (shapes, indices, axes). Exactly one of f, i is set (n may be 0). */
typedef struct ox_tensor {
    ox_dtype dtype;
    mx_shape shape;
    size_t n;
    float *f;
    int64_t *i;
} ox_tensor;

/* Reads and unpacks path; NULL with MX_EIO (missing, unreadable) or
 * MX_EFORMAT (not an ONNX model: corrupt, truncated, no graph). */
Onnx__ModelProto *ox_model_load(const char *path);

/* Unpacks an ONNX model from memory (what names the source in errors). */
Onnx__ModelProto *ox_model_unpack(const uint8_t *buf, size_t len, const char *what);

/* Frees a model from ox_model_load / ox_model_unpack (NULL is fine). */
void ox_model_free(Onnx__ModelProto *m);

/* The opset of the default ("" or "ai.onnx") domain, 0 if the model names none. */
int ox_model_opset(const Onnx__ModelProto *m);

/* Decodes t (raw_data or the typed fields) into out; what names it in errors. */
mx_status ox_tensor_read(const Onnx__TensorProto *t, const char *what, ox_tensor *out);

/* An owned tensor of dtype and shape (data zeroed); MX_ENOMEM on failure. */
mx_status ox_tensor_alloc(ox_tensor *t, ox_dtype dtype, mx_shape shape);

/* A deep copy of src into dst. */
mx_status ox_tensor_copy(ox_tensor *dst, const ox_tensor *src);

/* Value k of t as a double / as an int64 (whatever t's dtype). */
double ox_tensor_get(const ox_tensor *t, size_t k);
int64_t ox_tensor_geti(const ox_tensor *t, size_t k);

/* v as an int64, saturating (NaN: 0). */
int64_t ox_to_i64(double v);

/* Frees t's data and zeroes it. */
void ox_tensor_free(ox_tensor *t);

/* Elements in a shape (1 for a scalar, ndim 0). */
size_t ox_shape_size(mx_shape s);

/* "(2,3,224,224)" into buf. */
const char *ox_shape_str(mx_shape s, char *buf, size_t cap);

/* The attribute of n called name, or NULL. */
const Onnx__AttributeProto *ox_attr(const Onnx__NodeProto *n, const char *name);

/* An INT attribute, or def when absent. */
int64_t ox_attr_int(const Onnx__NodeProto *n, const char *name, int64_t def);

/* A FLOAT attribute, or def when absent. */
float ox_attr_float(const Onnx__NodeProto *n, const char *name, float def);

/* A STRING attribute into buf (NUL-terminated), or def when absent. */
const char *ox_attr_str(const Onnx__NodeProto *n, const char *name, const char *def, char *buf, size_t cap);

/* An INTS attribute: its count (up to cap copied into out), -1 when absent. */
int ox_attr_ints(const Onnx__NodeProto *n, const char *name, int64_t *out, int cap);

/* A FLOATS attribute: its count (up to cap copied into out), -1 when absent. */
int ox_attr_floats(const Onnx__NodeProto *n, const char *name, float *out, int cap);

#endif
