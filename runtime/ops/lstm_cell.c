/* lstm_cell.c — _FusedLSTMCell, the op runtime/graph/fuse.c puts in place of an
 * LSTM cell made of plain ops (lstm.c's, MXNet.jl's):
 *   gates = SliceChannel(i2h + h2h, 4);  i, f, o = σ(…), g = tanh(…)
 *   c = f·c_prev + i·g;  h = o·tanh(c)
 * Inputs i2h, h2h (n, 4h) and c_prev (n, h); outputs c, h (n, h) and the
 * activated gates (n, 4h), which backward reads with c_prev instead of the
 * pre-activations: the i2h/h2h buffers die after forward, and backward
 * evaluates one tanh instead of five functions. Not in the registry: no
 * symbol names it, so symbol JSON never holds it. */
#include "ops.h"

static int cell_args(const void *param, const char **names)
{
    (void)param;
    names[0] = "i2h";
    names[1] = "h2h";
    names[2] = "c_prev";
    return 3;
}

static int cell_outputs(const void *param)
{
    (void)param;
    return 3;
}

/* Fills every shape from whichever of the (n, 4h) or (n, h) ones is known. */
static mx_status cell_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout,
                            mx_shape *aux, int naux)
{
    (void)param; (void)nin; (void)nout; (void)aux; (void)naux;
    mx_shape *wide[3] = {&in[0], &in[1], &out[2]}, *narrow[3] = {&in[2], &out[0], &out[1]};
    mx_shape w = {0}, s = {0};
    for (int i = 0; i < 3 && !w.ndim; i++) w = *wide[i];
    for (int i = 0; i < 3 && !s.ndim; i++) s = *narrow[i];
    if (w.ndim && (w.ndim != 2 || w.dims[1] % 4 != 0))
        return mx_set_error(MX_EINVAL, "argument 'i2h': expected (batch, 4·hidden)");
    /* dims are int64_t: built from arrays (mx_shape_make reads ints) */
    if (w.ndim && !s.ndim) s = mx_shape_from(2, (int64_t[2]){w.dims[0], w.dims[1] / 4});
    if (s.ndim && !w.ndim) {
        if (s.ndim != 2) return mx_set_error(MX_EINVAL, "argument 'c_prev': expected (batch, hidden)");
        w = mx_shape_from(2, (int64_t[2]){s.dims[0], 4 * s.dims[1]});
    }
    if (!w.ndim) return MX_OK;
    static const char *const what[3] = {"argument 'i2h'", "argument 'h2h'", "output 'gates'"};
    static const char *const swhat[3] = {"argument 'c_prev'", "output 'c'", "output 'h'"};
    for (int i = 0; i < 3; i++) {
        mx_status st = mx_shape_assign(wide[i], &w, what[i]);
        if (st == MX_OK) st = mx_shape_assign(narrow[i], &s, swhat[i]);
        if (st != MX_OK) return st;
    }
    return MX_OK;
}

static void cell_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out,
                         mx_tensor *aux)
{
    (void)aux;
    const mx_lstm_cell_param *p = param;
    r->k->lstm_cell_forward(r->eng, in[0].data, in[1].data, in[2].data, out[0].data, out[1].data, out[2].data,
                            (size_t)out[0].shape.dims[0], (size_t)out[0].shape.dims[1], p->gate);
}

static void cell_backward(const mx_op_run *r, const void *param, const mx_tensor *out_grad,
                          const mx_tensor *in, const mx_tensor *out, mx_tensor *in_grad,
                          const mx_req *req, mx_tensor *aux)
{
    (void)aux;
    const mx_lstm_cell_param *p = param;
    r->k->lstm_cell_backward(r->eng, out[2].data, in[2].data, out_grad[0].data, out_grad[1].data,
                             in_grad[0].data, req[0], in_grad[1].data, req[1], in_grad[2].data, req[2],
                             (size_t)out[0].shape.dims[0], (size_t)out[0].shape.dims[1], p->gate);
}

const mx_op_def mx_op_lstm_cell = {
    .name = "_FusedLSTMCell",
    .param_size = sizeof(mx_lstm_cell_param),
    .list_arguments = cell_args,
    .num_outputs = cell_outputs,
    .infer_shape = cell_infer,
    .bwd_needs_in = 4u,  /* c_prev */
    .bwd_needs_out = 4u, /* the activated gates */
    .forward = cell_forward,
    .backward = cell_backward,
};
