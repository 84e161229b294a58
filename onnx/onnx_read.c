/* onnx_read.c — ONNX files in: protobuf-c unpacks, we validate. protobuf-c
 * checks the wire format (lengths, tags, UTF-8 of strings); what it cannot
 * know — a tensor whose data does not match its dims, an unknown data
 * type, a model without a graph — is checked here, so that the importer
 * sees only tensors whose sizes add up. */
#include "onnx/onnx_read.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Files bigger than this are refused before reading (protobuf's own limit
 * for one message is 2 GiB; larger ONNX models keep external data). */
#define OX_MAX_FILE ((size_t)2 << 30)

Onnx__ModelProto *ox_model_unpack(const uint8_t *buf, size_t len, const char *what)
{
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
    if (!m) {
        mx_set_error(MX_EFORMAT, "%s: not an ONNX model (protobuf ModelProto does not decode: corrupt or "
                     "truncated, %zu bytes)", what, len);
        return NULL;
    }
    if (!m->graph) {
        mx_set_error(MX_EFORMAT, "%s: ONNX model has no graph", what);
        onnx__model_proto__free_unpacked(m, NULL);
        return NULL;
    }
    return m;
}

Onnx__ModelProto *ox_model_load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        mx_set_error(MX_EIO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        mx_set_error(MX_EIO, "%s: not a regular file", path);
        fclose(f);
        return NULL;
    }
    size_t len = (size_t)st.st_size;
    if (len > OX_MAX_FILE) {
        mx_set_error(MX_ENOTSUP, "%s: %zu bytes: models over 2 GiB (external data) are not supported", path, len);
        fclose(f);
        return NULL;
    }
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        mx_set_error(MX_ENOMEM, "%s: no memory for %zu bytes", path, len);
        fclose(f);
        return NULL;
    }
    size_t got = fread(buf, 1, len, f);
    int err = ferror(f);
    fclose(f);
    if (got != len || err) {
        mx_set_error(MX_EIO, "%s: read %zu of %zu bytes", path, got, len);
        free(buf);
        return NULL;
    }
    Onnx__ModelProto *m = ox_model_unpack(buf, len, path);
    free(buf);
    return m;
}

void ox_model_free(Onnx__ModelProto *m)
{
    if (m) onnx__model_proto__free_unpacked(m, NULL);
}

int ox_model_opset(const Onnx__ModelProto *m)
{
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = m->opset_import[i];
        if (o && (!o->domain || !*o->domain || !strcmp(o->domain, "ai.onnx")))
            return o->has_version ? (int)o->version : 0;
    }
    return 0;
}

size_t ox_shape_size(mx_shape s)
{
    size_t n = 1;
    for (int d = 0; d < s.ndim; d++) n *= (size_t)s.dims[d];
    return n;
}

const char *ox_shape_str(mx_shape s, char *buf, size_t cap)
{
    size_t k = (size_t)snprintf(buf, cap, "(");
    for (int d = 0; d < s.ndim && k < cap; d++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%lld", d ? "," : "", (long long)s.dims[d]);
    if (k < cap) snprintf(buf + k, cap - k, ")");
    return buf;
}

mx_status ox_tensor_alloc(ox_tensor *t, ox_dtype dtype, mx_shape shape)
{
    memset(t, 0, sizeof *t);
    t->dtype = dtype;
    t->shape = shape;
    t->n = ox_shape_size(shape);
    size_t elem = dtype == OX_F32 ? sizeof(float) : sizeof(int64_t);
    void *p = calloc(t->n ? t->n : 1, elem);
    if (!p) return mx_set_error(MX_ENOMEM, "onnx: no memory for a tensor of %zu elements", t->n);
    if (dtype == OX_F32) t->f = p;
    else t->i = p;
    return MX_OK;
}

mx_status ox_tensor_copy(ox_tensor *dst, const ox_tensor *src)
{
    mx_status st = ox_tensor_alloc(dst, src->dtype, src->shape);
    if (st != MX_OK) return st;
    if (src->n) {
        if (src->dtype == OX_F32) memcpy(dst->f, src->f, src->n * sizeof(float));
        else memcpy(dst->i, src->i, src->n * sizeof(int64_t));
    }
    return MX_OK;
}

double ox_tensor_get(const ox_tensor *t, size_t k)
{
    return t->dtype == OX_F32 ? (double)t->f[k] : (double)t->i[k];
}

int64_t ox_tensor_geti(const ox_tensor *t, size_t k)
{
    return t->dtype == OX_F32 ? ox_to_i64(t->f[k]) : t->i[k];
}

int64_t ox_to_i64(double v)
{
    /* saturating, as a converter must never meet undefined behaviour: NaN is 0 */
    if (v != v) return 0;
    if (v >= 9.2e18) return INT64_MAX;
    if (v <= -9.2e18) return INT64_MIN;
    return (int64_t)v;
}

void ox_tensor_free(ox_tensor *t)
{
    if (!t) return;
    free(t->f);
    free(t->i);
    memset(t, 0, sizeof *t);
}

/* IEEE half and bfloat16 to float. */
static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0x1f) bits = sign | 0x7f800000u | (man << 13);
    else if (exp) bits = sign | ((exp + 112) << 23) | (man << 13);
    else if (!man) bits = sign;
    else { /* subnormal: normalise */
        exp = 113;
        while (!(man & 0x400)) { man <<= 1; exp--; }
        bits = sign | (exp << 23) | ((man & 0x3ff) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static float bits_to_float(uint32_t bits)
{
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* Bytes of one element in raw_data, 0 for a type we cannot read. */
static size_t raw_elem_size(int type)
{
    switch (type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: return 4;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: return 8;
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: return 2;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: return 1;
    default: return 0;
    }
}

static int is_float_type(int type)
{
    return type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE ||
           type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16 || type == ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16;
}

/* Element k of little-endian raw data of type, as double (floats) or int64. */
static void raw_get(const uint8_t *p, int type, size_t k, double *dv, int64_t *iv)
{
    size_t es = raw_elem_size(type);
    uint64_t u = 0;
    for (size_t b = 0; b < es; b++) u |= (uint64_t)p[k * es + b] << (8 * b);
    switch (type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: *dv = bits_to_float((uint32_t)u); break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: { double d; memcpy(&d, &u, sizeof d); *dv = d; break; }
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: *dv = half_to_float((uint16_t)u); break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16: *dv = bits_to_float((uint32_t)u << 16); break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: *iv = (int32_t)(uint32_t)u; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: *iv = (int16_t)(uint16_t)u; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: *iv = (int8_t)(uint8_t)u; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: *iv = (int64_t)u; break;
    default: *iv = (int64_t)u; break; /* unsigned and bool */
    }
}

mx_status ox_tensor_read(const Onnx__TensorProto *t, const char *what, ox_tensor *out)
{
    memset(out, 0, sizeof *out);
    int type = t->has_data_type ? t->data_type : 0;
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return mx_set_error(MX_ENOTSUP, "%s: tensor '%s' keeps its data in an external file: not supported "
                            "(save the model with its weights inside)", what, t->name ? t->name : "");
    if (type == ONNX__TENSOR_PROTO__DATA_TYPE__STRING || !raw_elem_size(type))
        return mx_set_error(type == 0 ? MX_EFORMAT : MX_ENOTSUP, "%s: tensor '%s': data type %d %s", what,
                            t->name ? t->name : "", type, type == 0 ? "missing" : "not supported");
    if (t->n_dims > MX_MAX_NDIM)
        return mx_set_error(MX_ENOTSUP, "%s: tensor '%s' has %zu dimensions (mxrt: at most %d)", what,
                            t->name ? t->name : "", t->n_dims, MX_MAX_NDIM);
    mx_shape s = {.ndim = (int)t->n_dims};
    size_t n = 1;
    for (size_t d = 0; d < t->n_dims; d++) {
        if (t->dims[d] < 0 || t->dims[d] > ((int64_t)1 << 40) || (t->dims[d] && n > ((size_t)1 << 40) / (size_t)t->dims[d]))
            return mx_set_error(MX_EFORMAT, "%s: tensor '%s': bad dimension %lld", what, t->name ? t->name : "",
                                (long long)t->dims[d]);
        s.dims[d] = t->dims[d];
        n *= (size_t)t->dims[d];
    }
    int fl = is_float_type(type);
    size_t have;
    const char *field;
    if (t->has_raw_data) {
        have = t->raw_data.len / raw_elem_size(type);
        field = "raw_data";
        if (t->raw_data.len % raw_elem_size(type)) have = (size_t)-1;
    } else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
        have = t->n_float_data, field = "float_data";
    } else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE) {
        have = t->n_double_data, field = "double_data";
    } else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
        have = t->n_int64_data, field = "int64_data";
    } else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__UINT32 || type == ONNX__TENSOR_PROTO__DATA_TYPE__UINT64) {
        have = t->n_uint64_data, field = "uint64_data";
    } else {
        have = t->n_int32_data, field = "int32_data"; /* int8..int32, uint8/16, bool, float16 bits */
    }
    if (have != n)
        return mx_set_error(MX_EFORMAT, "%s: tensor '%s': %s holds %zu values, its dims %zu", what,
                            t->name ? t->name : "", field, have == (size_t)-1 ? 0 : have, n);
    mx_status st = ox_tensor_alloc(out, fl ? OX_F32 : OX_I64, s);
    if (st != MX_OK) return st;
    for (size_t k = 0; k < n; k++) {
        double dv = 0;
        int64_t iv = 0;
        if (t->has_raw_data) raw_get(t->raw_data.data, type, k, &dv, &iv);
        else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) dv = t->float_data[k];
        else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE) dv = t->double_data[k];
        else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) iv = t->int64_data[k];
        else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__UINT32 || type == ONNX__TENSOR_PROTO__DATA_TYPE__UINT64)
            iv = (int64_t)t->uint64_data[k];
        else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16) dv = half_to_float((uint16_t)t->int32_data[k]);
        else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16)
            dv = bits_to_float((uint32_t)t->int32_data[k] << 16);
        else iv = t->int32_data[k];
        if (fl) out->f[k] = (float)dv;
        else out->i[k] = iv;
    }
    return MX_OK;
}

const Onnx__AttributeProto *ox_attr(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i] && n->attribute[i]->name && !strcmp(n->attribute[i]->name, name)) return n->attribute[i];
    return NULL;
}

int64_t ox_attr_int(const Onnx__NodeProto *n, const char *name, int64_t def)
{
    const Onnx__AttributeProto *a = ox_attr(n, name);
    return a && a->has_i ? a->i : def;
}

float ox_attr_float(const Onnx__NodeProto *n, const char *name, float def)
{
    const Onnx__AttributeProto *a = ox_attr(n, name);
    return a && a->has_f ? a->f : a && a->has_i ? (float)a->i : def;
}

const char *ox_attr_str(const Onnx__NodeProto *n, const char *name, const char *def, char *buf, size_t cap)
{
    const Onnx__AttributeProto *a = ox_attr(n, name);
    if (!a || !a->has_s) return def;
    size_t len = a->s.len < cap - 1 ? a->s.len : cap - 1;
    if (len) memcpy(buf, a->s.data, len); /* an empty string has no data */
    buf[len] = 0;
    return buf;
}

int ox_attr_ints(const Onnx__NodeProto *n, const char *name, int64_t *out, int cap)
{
    const Onnx__AttributeProto *a = ox_attr(n, name);
    if (!a) return -1;
    for (size_t i = 0; i < a->n_ints && (int)i < cap; i++) out[i] = a->ints[i];
    return a->n_ints > (size_t)1 << 20 ? 1 << 20 : (int)a->n_ints;
}

int ox_attr_floats(const Onnx__NodeProto *n, const char *name, float *out, int cap)
{
    const Onnx__AttributeProto *a = ox_attr(n, name);
    if (!a) return -1;
    for (size_t i = 0; i < a->n_floats && (int)i < cap; i++) out[i] = a->floats[i];
    return a->n_floats > (size_t)1 << 20 ? 1 << 20 : (int)a->n_floats;
}
