/* identity.c — ops that move data without arithmetic: Flatten (reshape
 * to (N, rest)), BlockGrad (identity forward, zero gradient) and _copy
 * (MXNet's identity). All run in place, which makes their forward free. */
#include "ops.h"

int mx_args_data(const void *param, const char **names)
{
    (void)param;
    names[0] = "data";
    return 1;
}

mx_status mx_infer_same_as_data(const void *param, mx_shape *in, int nin, mx_shape *out, int nout,
                                mx_shape *aux, int naux)
{
    (void)param; (void)nin; (void)nout; (void)aux; (void)naux;
    mx_status st = mx_shape_assign(&out[0], &in[0], "output");
    return st == MX_OK ? mx_shape_assign(&in[0], &out[0], "argument 'data'") : st;
}

static mx_status flatten_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout,
                               mx_shape *aux, int naux)
{
    (void)param; (void)nin; (void)nout; (void)aux; (void)naux;
    if (in[0].ndim == 0) return MX_OK;
    /* in int64, checked: an int (mx_shape_make) would wrap big shapes */
    int64_t dims[2] = {in[0].dims[0], 1};
    for (int i = 1; i < in[0].ndim; i++) {
        if (__builtin_mul_overflow(dims[1], in[0].dims[i], &dims[1])) {
            char buf[128];
            return mx_set_error(MX_EINVAL, "argument 'data': %s has too many elements to flatten",
                                mx_shape_str(&in[0], buf, sizeof buf));
        }
    }
    mx_shape y = mx_shape_from(2, dims);
    return mx_shape_assign(&out[0], &y, "output");
}

static void copy_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out,
                         mx_tensor *aux)
{
    (void)param; (void)aux;
    if (out[0].data != in[0].data)
        r->k->scale_copy(r->eng, out[0].data, in[0].data, 1.0f, mx_shape_size(&in[0].shape), MX_REQ_WRITE);
}

static void copy_backward(const mx_op_run *r, const void *param, const mx_tensor *out_grad,
                          const mx_tensor *in, const mx_tensor *out, mx_tensor *in_grad,
                          const mx_req *req, mx_tensor *aux)
{
    (void)param; (void)out; (void)aux;
    r->k->scale_copy(r->eng, in_grad[0].data, out_grad[0].data, 1.0f, mx_shape_size(&in[0].shape), req[0]);
}

static void block_backward(const mx_op_run *r, const void *param, const mx_tensor *out_grad,
                           const mx_tensor *in, const mx_tensor *out, mx_tensor *in_grad,
                           const mx_req *req, mx_tensor *aux)
{
    (void)param; (void)out_grad; (void)out; (void)aux;
    if (req[0] == MX_REQ_WRITE) r->k->fill(r->eng, in_grad[0].data, 0.0f, mx_shape_size(&in[0].shape));
}

const mx_op_def mx_op_flatten = {
    .name = "Flatten",
    .list_arguments = mx_args_data,
    .infer_shape = flatten_infer,
    .flags = MX_OP_INPLACE | MX_OP_BWD_INPLACE,
    .forward = copy_forward,
    .backward = copy_backward,
};

const mx_op_def mx_op_block_grad = {
    .name = "BlockGrad",
    .list_arguments = mx_args_data,
    .infer_shape = mx_infer_same_as_data,
    .flags = MX_OP_INPLACE,
    .forward = copy_forward,
    .backward = block_backward,
};

const mx_op_def mx_op_copy = {
    .name = "_copy",
    .list_arguments = mx_args_data,
    .infer_shape = mx_infer_same_as_data,
    .flags = MX_OP_INPLACE | MX_OP_BWD_INPLACE,
    .forward = copy_forward,
    .backward = copy_backward,
};
