/* embedding.c — Embedding: out[i, :] = weight[data[i], :] for every index
 * of data (class indices stored as floats, any shape), weight (input_dim,
 * output_dim), output data's shape + (output_dim,). As MXNet, an index is
 * truncated to an integer and clipped into [0, input_dim) — out-of-range
 * indices read the first or last row, never fail — and data gets no
 * gradient. dtype runs as float32 only (MXNet's others are not supported);
 * sparse_grad is accepted: MXNet stores the same gradient row-sparse. */
#include "ops.h"

typedef struct embed_param {
    int input_dim;
    int output_dim;
    int dtype;       /* always 0: float32 */
    int sparse_grad;
} embed_param;

static const char *const dtype_names[] = {"float32", NULL};
static const char *const dtype_other[] = {"bfloat16", "float16", "float64", "int32", "int64", "int8", "uint8", NULL};

static const mx_param_spec embed_params[] = {
    {"input_dim", MX_P_INT, NULL, offsetof(embed_param, input_dim), NULL, 1, 0, NULL},
    {"output_dim", MX_P_INT, NULL, offsetof(embed_param, output_dim), NULL, 1, 0, NULL},
    {"dtype", MX_P_ENUM, "float32", offsetof(embed_param, dtype), dtype_names, 0, 0, dtype_other},
    {"sparse_grad", MX_P_BOOL, "false", offsetof(embed_param, sparse_grad), NULL, 0, 0, NULL},
    MX_PARAMS_END,
};

static int embed_args(const void *param, const char **names)
{
    (void)param;
    names[0] = "data";
    names[1] = "weight";
    return 2;
}

/* Output from data (or data from output) and the weight's shape. */
static mx_status embed_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout,
                             mx_shape *aux, int naux)
{
    (void)nin; (void)nout; (void)aux; (void)naux;
    const embed_param *p = param;
    char a[128];
    mx_shape w = mx_shape_make(2, p->input_dim, p->output_dim);
    mx_status st = mx_shape_assign(&in[1], &w, "argument 'weight' (input_dim, output_dim)");
    if (st != MX_OK) return st;
    if (in[0].ndim == 0 && out[0].ndim) {
        if (out[0].ndim < 2 || out[0].dims[out[0].ndim - 1] != p->output_dim)
            return mx_set_error(MX_EINVAL, "output has shape %s but its last dim must be output_dim %d "
                                "after at least one data dim", mx_shape_str(&out[0], a, sizeof a), p->output_dim);
        in[0] = out[0];
        in[0].ndim--;
    }
    if (in[0].ndim == 0) return MX_OK;
    if (in[0].ndim >= MX_MAX_NDIM)
        return mx_set_error(MX_EINVAL, "argument 'data' has shape %s: no room for the output_dim axis "
                            "(at most %d dims)", mx_shape_str(&in[0], a, sizeof a), MX_MAX_NDIM);
    mx_shape y = in[0];
    y.dims[y.ndim++] = p->output_dim;
    return mx_shape_assign(&out[0], &y, "output");
}

/* The row gather and scatter-add are kernels (a GPU reads the indices on
 * the device). */
static void embed_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out,
                          mx_tensor *aux)
{
    (void)aux;
    const embed_param *p = param;
    r->k->embedding_forward(r->eng, in[0].data, in[1].data, out[0].data, mx_shape_size(&in[0].shape),
                            (size_t)p->output_dim, p->input_dim);
}

/* d(weight) (req) = scatter-add of the output gradient's rows; data gets
 * none (zeros when asked to write, as SoftmaxOutput's label). */
static void embed_backward(const mx_op_run *r, const void *param, const mx_tensor *out_grad,
                           const mx_tensor *in, const mx_tensor *out, mx_tensor *in_grad,
                           const mx_req *req, mx_tensor *aux)
{
    (void)out; (void)aux;
    const embed_param *p = param;
    size_t n = mx_shape_size(&in[0].shape);
    if (req[0] == MX_REQ_WRITE) r->k->fill(r->eng, in_grad[0].data, 0.0f, n);
    r->k->embedding_backward(r->eng, in[0].data, out_grad[0].data, in_grad[1].data, n, (size_t)p->output_dim,
                             p->input_dim, req[1]);
}

const mx_op_def mx_op_embedding = {
    .name = "Embedding",
    .param_size = sizeof(embed_param),
    .params = embed_params,
    .list_arguments = embed_args,
    .infer_shape = embed_infer,
    .bwd_needs_in = 1u,
    .forward = embed_forward,
    .backward = embed_backward,
};
