/* dot.c — MXNet's dot and batch_dot as GEMMs (the kernel table's gemm).
 * dot contracts lhs's last axis with rhs's first (transpose_a: lhs's
 * first, transpose_b: rhs's last), the other axes flattened:
 * (…, K)·(K, …) gives lhs.shape[:-1] + rhs.shape[1:]. batch_dot multiplies
 * (B, M, K) by (B, K, N) per batch. Dense only. */
#include <stdio.h>

#include "ops.h"

typedef struct dot_param {
    int transpose_a, transpose_b;
    int stype; /* forward_stype: None or default */
} dot_param;

static const char *const stypes[] = {"None", "default", NULL};
static const char *const stypes_other[] = {"csr", "row_sparse", NULL};

static const mx_param_spec dot_params[] = {
    {"transpose_a", MX_P_BOOL, "false", offsetof(dot_param, transpose_a), NULL, 0, 0, NULL},
    {"transpose_b", MX_P_BOOL, "false", offsetof(dot_param, transpose_b), NULL, 0, 0, NULL},
    {"forward_stype", MX_P_ENUM, "None", offsetof(dot_param, stype), stypes, 0, 0, stypes_other},
    MX_PARAMS_END,
};

static int lhs_rhs(const void *param, const char **names)
{
    (void)param;
    names[0] = "lhs";
    names[1] = "rhs";
    return 2;
}

/* dot's view: lhs (m, k) or its transpose, rhs (k, n) or its transpose. */
static void dot_dims(const dot_param *p, const mx_shape *a, const mx_shape *b, int64_t *m, int64_t *k, int64_t *k2,
                     int64_t *n)
{
    size_t sa = mx_shape_size(a), sb = mx_shape_size(b);
    int64_t a_last = a->dims[a->ndim - 1], a_first = a->dims[0];
    int64_t b_first = b->dims[0], b_last = b->dims[b->ndim - 1];
    *k = p->transpose_a ? a_first : a_last;
    *m = (int64_t)sa / (*k ? *k : 1);
    *k2 = p->transpose_b ? b_last : b_first;
    *n = (int64_t)sb / (*k2 ? *k2 : 1);
}

static mx_status dot_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux,
                           int naux)
{
    (void)nin, (void)nout, (void)aux, (void)naux;
    const dot_param *p = param;
    if (in[0].ndim == 0 || in[1].ndim == 0) return MX_OK;
    int64_t m, k, k2, n;
    dot_dims(p, &in[0], &in[1], &m, &k, &k2, &n);
    char a[128], b[128];
    if (k != k2)
        return mx_set_error(MX_EINVAL, "lhs %s and rhs %s: contracted axes differ (%lld against %lld)",
                            mx_shape_str(&in[0], a, sizeof a), mx_shape_str(&in[1], b, sizeof b), (long long)k,
                            (long long)k2);
    if (m > INT32_MAX || n > INT32_MAX || k > INT32_MAX)
        return mx_set_error(MX_EINVAL, "lhs %s, rhs %s: sizes past 2^31 are not supported by the GEMM",
                            mx_shape_str(&in[0], a, sizeof a), mx_shape_str(&in[1], b, sizeof b));
    mx_shape y = {0, {0}};
    if (p->transpose_a) for (int d = 1; d < in[0].ndim; d++) y.dims[y.ndim++] = in[0].dims[d];
    else for (int d = 0; d < in[0].ndim - 1; d++) y.dims[y.ndim++] = in[0].dims[d];
    if (p->transpose_b) for (int d = 0; d < in[1].ndim - 1 && y.ndim < MX_MAX_NDIM; d++) y.dims[y.ndim++] = in[1].dims[d];
    else for (int d = 1; d < in[1].ndim && y.ndim < MX_MAX_NDIM; d++) y.dims[y.ndim++] = in[1].dims[d];
    if (y.ndim == 0) y = mx_shape_make(1, 1); /* vector · vector */
    return mx_shape_assign(&out[0], &y, "output");
}

/* C (m×n) = op(A)·op(B): y = a·b; da = dy·op(b)ᵀ; db = op(a)ᵀ·dy, each
 * written in the transposition its own layout needs. */
static void dot_fwd(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out, mx_tensor *aux)
{
    (void)aux;
    const dot_param *p = param;
    int64_t m, k, k2, n;
    dot_dims(p, &in[0].shape, &in[1].shape, &m, &k, &k2, &n);
    r->k->gemm(r->eng, p->transpose_a, p->transpose_b, (int)m, (int)n, (int)k, 1.0f, in[0].data,
               p->transpose_a ? (int)m : (int)k, in[1].data, p->transpose_b ? (int)k : (int)n, 0.0f, out[0].data,
               (int)n);
}

static void dot_bwd(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                    const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    (void)out, (void)aux;
    const dot_param *p = param;
    int64_t m, k, k2, n;
    dot_dims(p, &in[0].shape, &in[1].shape, &m, &k, &k2, &n);
    if (req[0] != MX_REQ_NULL) {
        float beta = mx_req_beta(req[0]);
        if (!p->transpose_a) /* da (m×k) = dy (m×n) · op(b)ᵀ */
            r->k->gemm(r->eng, 0, !p->transpose_b, (int)m, (int)k, (int)n, 1.0f, dy[0].data, (int)n, in[1].data,
                       p->transpose_b ? (int)k : (int)n, beta, din[0].data, (int)k);
        else /* da (k×m) = op(b) · dyᵀ */
            r->k->gemm(r->eng, p->transpose_b, 1, (int)k, (int)m, (int)n, 1.0f, in[1].data,
                       p->transpose_b ? (int)k : (int)n, dy[0].data, (int)n, beta, din[0].data, (int)m);
    }
    if (req[1] != MX_REQ_NULL) {
        float beta = mx_req_beta(req[1]);
        if (!p->transpose_b) /* db (k×n) = op(a)ᵀ · dy */
            r->k->gemm(r->eng, !p->transpose_a, 0, (int)k, (int)n, (int)m, 1.0f, in[0].data,
                       p->transpose_a ? (int)m : (int)k, dy[0].data, (int)n, beta, din[1].data, (int)n);
        else /* db (n×k) = dyᵀ · op(a) */
            r->k->gemm(r->eng, 1, p->transpose_a, (int)n, (int)k, (int)m, 1.0f, dy[0].data, (int)n, in[0].data,
                       p->transpose_a ? (int)m : (int)k, beta, din[1].data, (int)k);
    }
}

const mx_op_def mx_op_dot = {
    .name = "dot",
    .param_size = sizeof(dot_param),
    .params = dot_params,
    .list_arguments = lhs_rhs,
    .infer_shape = dot_infer,
    .bwd_needs_in = 3u,
    .forward = dot_fwd,
    .backward = dot_bwd,
};

/* -- batch_dot: one GEMM a batch -- */

static mx_status batch_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux,
                             int naux)
{
    (void)nin, (void)nout, (void)aux, (void)naux;
    const dot_param *p = param;
    if (in[0].ndim == 0 || in[1].ndim == 0) return MX_OK;
    char a[128], b[128];
    if (in[0].ndim != 3 || in[1].ndim != 3 || in[0].dims[0] != in[1].dims[0])
        return mx_set_error(MX_EINVAL, "lhs %s and rhs %s must be 3-D with the same batch",
                            mx_shape_str(&in[0], a, sizeof a), mx_shape_str(&in[1], b, sizeof b));
    int64_t m = p->transpose_a ? in[0].dims[2] : in[0].dims[1], k = p->transpose_a ? in[0].dims[1] : in[0].dims[2];
    int64_t k2 = p->transpose_b ? in[1].dims[2] : in[1].dims[1], n = p->transpose_b ? in[1].dims[1] : in[1].dims[2];
    if (k != k2)
        return mx_set_error(MX_EINVAL, "lhs %s and rhs %s: contracted axes differ (%lld against %lld)",
                            mx_shape_str(&in[0], a, sizeof a), mx_shape_str(&in[1], b, sizeof b), (long long)k,
                            (long long)k2);
    mx_shape y = {3, {in[0].dims[0], m, n}};
    return mx_shape_assign(&out[0], &y, "output");
}

static void batch_fwd(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out, mx_tensor *aux)
{
    (void)aux;
    const dot_param *p = param;
    const mx_shape *a = &in[0].shape;
    int64_t B = a->dims[0], m = out[0].shape.dims[1], n = out[0].shape.dims[2];
    int64_t k = p->transpose_a ? a->dims[1] : a->dims[2];
    for (int64_t i = 0; i < B; i++)
        r->k->gemm(r->eng, p->transpose_a, p->transpose_b, (int)m, (int)n, (int)k, 1.0f, in[0].data + i * m * k,
                   p->transpose_a ? (int)m : (int)k, in[1].data + i * k * n, p->transpose_b ? (int)k : (int)n, 0.0f,
                   out[0].data + i * m * n, (int)n);
}

static void batch_bwd(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                      const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    (void)aux;
    const dot_param *p = param;
    const mx_shape *a = &in[0].shape;
    int64_t B = a->dims[0], m = out[0].shape.dims[1], n = out[0].shape.dims[2];
    int64_t k = p->transpose_a ? a->dims[1] : a->dims[2];
    for (int64_t i = 0; i < B; i++) {
        const float *A = in[0].data + i * m * k, *Bm = in[1].data + i * k * n, *D = dy[0].data + i * m * n;
        if (req[0] != MX_REQ_NULL) {
            float *dA = din[0].data + i * m * k;
            float beta = mx_req_beta(req[0]);
            if (!p->transpose_a)
                r->k->gemm(r->eng, 0, !p->transpose_b, (int)m, (int)k, (int)n, 1.0f, D, (int)n, Bm,
                           p->transpose_b ? (int)k : (int)n, beta, dA, (int)k);
            else
                r->k->gemm(r->eng, p->transpose_b, 1, (int)k, (int)m, (int)n, 1.0f, Bm,
                           p->transpose_b ? (int)k : (int)n, D, (int)n, beta, dA, (int)m);
        }
        if (req[1] != MX_REQ_NULL) {
            float *dB = din[1].data + i * k * n;
            float beta = mx_req_beta(req[1]);
            if (!p->transpose_b)
                r->k->gemm(r->eng, !p->transpose_a, 0, (int)k, (int)n, (int)m, 1.0f, A,
                           p->transpose_a ? (int)m : (int)k, D, (int)n, beta, dB, (int)n);
            else
                r->k->gemm(r->eng, 1, p->transpose_a, (int)n, (int)k, (int)m, 1.0f, D, (int)n, A,
                           p->transpose_a ? (int)m : (int)k, beta, dB, (int)k);
        }
    }
}

const mx_op_def mx_op_batch_dot = {
    .name = "batch_dot",
    .param_size = sizeof(dot_param),
    .params = dot_params,
    .list_arguments = lhs_rhs,
    .infer_shape = batch_infer,
    .bwd_needs_in = 3u,
    .forward = batch_fwd,
    .backward = batch_bwd,
};
