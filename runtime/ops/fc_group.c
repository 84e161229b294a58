/* fc_group.c — _FCGroup, the op runtime/graph/fuse_fc.c puts in place of
 * FullyConnected nodes that share their weight and bias and do not depend
 * on one another: an unrolled RNN's input and output projections, one per
 * time step. Part t computes y_t = x_t·Wᵀ + b as FullyConnected would; the
 * group stacks the parts' rows in its workspace and runs one GEMM over
 * all of them (and in backward one for dX, one for dW and one bias sum)
 * instead of one small GEMM per part: on a GPU each of those was a
 * launch of a few microseconds with little work in it. Copying the rows
 * in and out costs two cheap kernels a pass. Not in the registry.
 *
 * Inputs: data0 … data(P-1), weight (H, D), bias (H) unless no_bias;
 * outputs: P arrays (rows, H). Every data is 2-D (rows, D), the same
 * shape (fuse_fc.c only groups such nodes). */
#include <stdint.h>

#include "ops.h"

#define N10(p) p "0", p "1", p "2", p "3", p "4", p "5", p "6", p "7", p "8", p "9"
static const char *const data_names[MX_FC_GROUP_MAX] = {
    N10("data"), N10("data1"), N10("data2"), N10("data3"), N10("data4"), N10("data5"), "data60", "data61",
};

static int group_args(const void *param, const char **names)
{
    const mx_fc_group_param *p = param;
    int n = p->parts < MX_FC_GROUP_MAX ? p->parts : MX_FC_GROUP_MAX;
    for (int t = 0; t < n; t++) names[t] = data_names[t];
    names[n] = "weight";
    if (p->no_bias) return n + 1;
    names[n + 1] = "bias";
    return n + 2;
}

static int group_outputs(const void *param)
{
    const mx_fc_group_param *p = param;
    return p->parts < MX_FC_GROUP_MAX ? p->parts : MX_FC_GROUP_MAX;
}

static mx_status group_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout,
                             mx_shape *aux, int naux)
{
    (void)nin; (void)nout; (void)aux; (void)naux;
    const mx_fc_group_param *p = param;
    if (p->parts < 2 || p->parts > MX_FC_GROUP_MAX)
        return mx_set_error(MX_EINVAL, "parts=%d is out of range 2..%d", p->parts, MX_FC_GROUP_MAX);
    mx_shape x = {0};
    for (int t = 0; t < p->parts && !x.ndim; t++) x = in[t];
    if (!x.ndim) return MX_OK;
    if (x.ndim != 2) return mx_set_error(MX_EINVAL, "argument 'data': expected (rows, input width)");
    for (int t = 0; t < p->parts; t++) {
        mx_status st = mx_shape_assign(&in[t], &x, "argument 'data'");
        if (st != MX_OK) return st;
    }
    mx_shape w = mx_shape_from(2, (int64_t[2]){p->num_hidden, x.dims[1]});
    mx_status st = mx_shape_assign(&in[p->parts], &w, "argument 'weight'");
    if (st == MX_OK && !p->no_bias) {
        mx_shape b = mx_shape_make(1, p->num_hidden);
        st = mx_shape_assign(&in[p->parts + 1], &b, "argument 'bias'");
    }
    mx_shape y = mx_shape_from(2, (int64_t[2]){x.dims[0], p->num_hidden});
    for (int t = 0; st == MX_OK && t < p->parts; t++) st = mx_shape_assign(&out[t], &y, "output");
    return st;
}

/* The stacked rows: X (P·rows, D), then Y or dY (P·rows, H). */
static size_t group_workspace(const mx_kernels *k, const void *param, const mx_shape *in, const mx_shape *out)
{
    (void)k;
    const mx_fc_group_param *p = param;
    size_t rows = (size_t)in[0].dims[0] * (size_t)p->parts;
    return rows * ((size_t)in[0].dims[1] + (size_t)out[0].dims[1]) * sizeof(float);
}

/* One copy_segments call between the stacked block (part t at block +
 * t·each floats) and the parts' arrays, to the block or back, with req.
 * Parts without data are left out, and with reqs those whose own request
 * is not req. */
static void move_parts(const mx_op_run *r, int P, float *block, size_t each, const mx_tensor *parts, int to_block,
                       const mx_req *reqs, mx_req req)
{
    float *dst[MX_FC_GROUP_MAX];
    const float *src[MX_FC_GROUP_MAX];
    size_t count[MX_FC_GROUP_MAX];
    int n = 0;
    for (int t = 0; t < P; t++) {
        if (!parts[t].data || (reqs && reqs[t] != req)) continue;
        float *b = block + (size_t)t * each;
        dst[n] = to_block ? b : parts[t].data;
        src[n] = to_block ? parts[t].data : b;
        count[n++] = each;
    }
    if (n) r->k->copy_segments(r->eng, n, dst, src, count, req);
}

static void group_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out,
                          mx_tensor *aux)
{
    (void)aux;
    const mx_fc_group_param *p = param;
    int P = p->parts, H = p->num_hidden;
    int rows = (int)in[0].shape.dims[0], D = (int)in[0].shape.dims[1], R = rows * P;
    float *X = r->workspace, *Y = X + (size_t)R * D;
    move_parts(r, P, X, (size_t)rows * D, in, 1, NULL, MX_REQ_WRITE);
    float beta = 0.0f;
    if (!p->no_bias) {
        r->k->fill_rows(r->eng, Y, in[P + 1].data, (size_t)R, (size_t)H);
        beta = 1.0f;
    }
    r->k->gemm(r->eng, 0, 1, R, H, D, 1.0f, X, D, in[P].data, D, beta, Y, H);
    move_parts(r, P, Y, (size_t)rows * H, out, 0, NULL, MX_REQ_WRITE);
}

static void group_backward(const mx_op_run *r, const void *param, const mx_tensor *out_grad,
                           const mx_tensor *in, const mx_tensor *out, mx_tensor *in_grad,
                           const mx_req *req, mx_tensor *aux)
{
    (void)out; (void)aux;
    const mx_fc_group_param *p = param;
    int P = p->parts, H = p->num_hidden;
    int rows = (int)in[0].shape.dims[0], D = (int)in[0].shape.dims[1], R = rows * P;
    float *X = r->workspace, *dY = X + (size_t)R * D;
    /* dY stacked; a part whose output nothing consumes has no gradient: zero */
    for (int t = 0; t < P; t++)
        if (!out_grad[t].data) r->k->fill(r->eng, dY + (size_t)t * rows * H, 0.0f, (size_t)rows * H);
    move_parts(r, P, dY, (size_t)rows * H, out_grad, 1, NULL, MX_REQ_WRITE);
    const mx_req rw = req[P], rb = p->no_bias ? MX_REQ_NULL : req[P + 1];
    if (rw != MX_REQ_NULL) { /* dW = dYᵀ·X over every part's rows */
        move_parts(r, P, X, (size_t)rows * D, in, 1, NULL, MX_REQ_WRITE);
        r->k->gemm(r->eng, 1, 0, H, D, R, 1.0f, dY, H, X, D, mx_req_beta(rw), in_grad[P].data, D);
    }
    if (rb != MX_REQ_NULL) r->k->sum_rows(r->eng, in_grad[P + 1].data, dY, (size_t)R, (size_t)H, rb);
    int any = 0;
    for (int t = 0; t < P; t++) any |= req[t] != MX_REQ_NULL;
    if (!any) return;
    /* dX = dY·W into the block X had (no longer read), then out to each
     * part: the ones written first and the ones added to in two calls */
    r->k->gemm(r->eng, 0, 0, R, D, H, 1.0f, dY, H, in[P].data, D, 0.0f, X, D);
    move_parts(r, P, X, (size_t)rows * D, in_grad, 0, req, MX_REQ_WRITE);
    move_parts(r, P, X, (size_t)rows * D, in_grad, 0, req, MX_REQ_ADD);
}

const mx_op_def mx_op_fc_group = {
    .name = "_FCGroup",
    .param_size = sizeof(mx_fc_group_param),
    .list_arguments = group_args,
    .num_outputs = group_outputs,
    .infer_shape = group_infer,
    .bwd_needs_in = UINT64_MAX, /* every part's data and the weight */
    .workspace = group_workspace,
    .forward = group_forward,
    .backward = group_backward,
};
