/* kernels.h — private: the per-device kernel table. Ops in runtime/ops
 * hold the semantics and call only these entries; the math lives in
 * kernels/<device>/. Raw pointers, explicit sizes (llm.c style). Every
 * kernel with a `req` writes (MX_REQ_WRITE) or accumulates (MX_REQ_ADD). */
#ifndef MX_RUNTIME_KERNELS_H
#define MX_RUNTIME_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include "mx/engine.h"
#include "mx/shape.h"

typedef enum mx_req { MX_REQ_NULL = 0, MX_REQ_WRITE = 1, MX_REQ_ADD = 2 } mx_req;

typedef enum mx_act { MX_ACT_RELU, MX_ACT_SIGMOID, MX_ACT_TANH, MX_ACT_SOFTRELU, MX_ACT_SOFTSIGN } mx_act;

/* MAX and MIN only in the broadcast entries (bcast_binary, bcast_grad). */
typedef enum mx_binop {
    MX_BIN_ADD, MX_BIN_SUB, MX_BIN_MUL, MX_BIN_DIV, MX_BIN_RSUB, MX_BIN_RDIV, MX_BIN_MAX, MX_BIN_MIN
} mx_binop;

/* Reductions (MXNet's sum, mean (a scaled sum), max, min, prod). */
typedef enum mx_redop { MX_RED_SUM, MX_RED_MAX, MX_RED_MIN, MX_RED_PROD } mx_redop;

/* An N-d reduction of x: y holds one value for every index of the kept
 * axes (row-major over them), folded over the reduced axes. Sizes and x's
 * element strides per axis; adjacent axes of one kind merged by the caller. */
typedef struct mx_reduce_geom {
    int nk, nr;
    int64_t ksize[MX_MAX_NDIM], kstride[MX_MAX_NDIM];
    int64_t rsize[MX_MAX_NDIM], rstride[MX_MAX_NDIM];
} mx_reduce_geom;

/* A broadcast: y's shape (row-major) and the element strides of a and b
 * along it, 0 where an input has size 1 and is repeated. */
typedef struct mx_bcast_geom {
    int ndim;
    int64_t shape[MX_MAX_NDIM], sa[MX_MAX_NDIM], sb[MX_MAX_NDIM];
} mx_bcast_geom;

/* MXNet's unary math ops (kernel_shared.h holds their formulas); CLIP
 * takes its bounds as the entries' lo and hi. */
typedef enum mx_unop {
    MX_UN_ABS, MX_UN_NEG, MX_UN_SQUARE, MX_UN_SQRT, MX_UN_RSQRT, MX_UN_EXP, MX_UN_LOG, MX_UN_CLIP,
    MX_UN_SMOOTH_L1 /* σ in lo */
} mx_unop;

/* MXNet.jl's gradient normalisation, fused into every optimizer kernel:
 * g ← g·rescale; clamp to ±clip when clip > 0; g ← g + wd·W. */
typedef struct mx_gnorm {
    float rescale, clip, wd;
} mx_gnorm;

/* Nadam's per-step bias corrections (see nadam_update). */
typedef struct mx_nadam_coef {
    float g, m, v;
} mx_nadam_coef;

/* Convolution geometry (issue #3; the conv_* entries below), NCHW: input
 * (n, c, h, w), weight (f, c/groups, kh, kw), output (n, f, oh, ow); per
 * spatial axis stride s, zero padding p, dilation d. 1-D sets h = kh = oh
 * = 1, sh = dh = 1, ph = 0. */
typedef struct mx_conv_geom {
    int n, c, h, w, f, groups;
    int kh, kw, sh, sw, ph, pw, dh, dw;
    int oh, ow;
} mx_conv_geom;

typedef struct mx_kernels {
    const char *name;
    /* 1: bind runs FullyConnected nodes that share a weight as one GEMM
     * over all their rows (fuse_fc.c): where launches cost more than
     * small GEMMs' work (GPUs). The CPU keeps one GEMM a node. */
    int fc_groups;
    /* C = alpha·op(A)·op(B) + beta·C, row-major (see kernels/cpu/sgemm.h). */
    void (*gemm)(mx_engine *eng, int ta, int tb, int m, int n, int k, float alpha, const float *a,
                 int lda, const float *b, int ldb, float beta, float *c, int ldc);
    /* y[r, :] = bias for each of rows rows of cols. */
    void (*fill_rows)(mx_engine *eng, float *y, const float *bias, size_t rows, size_t cols);
    /* db (req) = column sums of dy (rows × cols). */
    void (*sum_rows)(mx_engine *eng, float *db, const float *dy, size_t rows, size_t cols, mx_req req);
    /* y = act(x), elementwise; y may be x. */
    void (*act_forward)(mx_engine *eng, mx_act act, const float *x, float *y, size_t n);
    /* dx (req) = dy · act'(x) written in terms of y = act(x); dx may be dy. */
    void (*act_backward)(mx_engine *eng, mx_act act, const float *y, const float *dy, float *dx,
                         size_t n, mx_req req);
    /* y = softmax of x over the middle axis of (outer, channels, inner). */
    void (*softmax)(mx_engine *eng, const float *x, float *y, size_t outer, size_t channels,
                    size_t inner);
    /* dx (req) = scale · (p − target) over (outer, channels, inner), the
     * target 1 − smooth for the label's class and smooth / (channels − 1)
     * for the others (label smoothing; smooth 0: one-hot); positions whose
     * label is ignore (when use_ignore) get 0. */
    void (*softmax_ce_grad)(mx_engine *eng, const float *p, const float *label, float *dx,
                            size_t outer, size_t channels, size_t inner, float scale, float smooth,
                            int use_ignore, float ignore, mx_req req);
    /* Number of labels that differ from ignore (a GPU waits for the count). */
    size_t (*count_not_equal)(mx_engine *eng, const float *label, size_t n, float ignore);
    /* y = a op b elementwise; y may be a or b. */
    void (*binary)(mx_engine *eng, mx_binop op, const float *a, const float *b, float *y, size_t n);
    /* y = a op s (or s op a for RSUB/RDIV); y may be a. */
    void (*scalar)(mx_engine *eng, mx_binop op, const float *a, float s, float *y, size_t n);
    /* Gradients of y = a op b: da (req_a), db (req_b); either may be NULL. */
    void (*binary_backward)(mx_engine *eng, mx_binop op, const float *a, const float *b,
                            const float *dy, float *da, mx_req req_a, float *db, mx_req req_b,
                            size_t n);
    /* Gradient of y = a op s: da (req). */
    void (*scalar_backward)(mx_engine *eng, mx_binop op, const float *a, float s, const float *dy,
                            float *da, mx_req req, size_t n);
    /* dst (req) = alpha · src; dst may be src. */
    void (*scale_copy)(mx_engine *eng, float *dst, const float *src, float alpha, size_t n, mx_req req);
    /* y = op(x) elementwise (mx_unop_apply; lo and hi: CLIP's bounds); y may be x. */
    void (*unary)(mx_engine *eng, mx_unop op, const float *x, float *y, size_t n, float lo, float hi);
    /* dx (req) = dy · op'(x) (mx_unop_grad, which may read y = op(x)). */
    void (*unary_backward)(mx_engine *eng, mx_unop op, const float *x, const float *y, const float *dy,
                           float *dx, mx_req req, size_t n, float lo, float hi);
    /* -- reductions and broadcasts (issue #16) -- */
    /* y[j] (req) = scale · op of x over the reduced axes of g, for every
     * kept index j; summed in a fixed order (same bits on any thread count). */
    void (*reduce)(mx_engine *eng, mx_redop op, const float *x, float *y, const mx_reduce_geom *g, float scale,
                   mx_req req);
    /* dx (req) for every x of j's fold: scale·dy[j] (SUM), dy[j] where
     * x == y[j] (MAX, MIN: every tie, as MXNet), dy[j]·y[j]/x (PROD). */
    void (*reduce_backward)(mx_engine *eng, mx_redop op, const float *x, const float *y, const float *dy,
                            float *dx, const mx_reduce_geom *g, float scale, mx_req req);
    /* y = a op b, broadcast by g (b NULL: y = a gathered: g's strides may be
     * any, so one entry also transposes and slices); y not a or b. */
    void (*bcast_binary)(mx_engine *eng, mx_binop op, const float *a, const float *b, float *y,
                         const mx_bcast_geom *g);
    /* t = dy · ∂(a op b)/∂a (side 0) or /∂b (side 1) at every index of y,
     * before the reduction to the input's shape: ADD 1, 1; SUB 1, −1; MUL
     * b, a; DIV 1/b, −a/b²; MAX a ≥ b, a < b; MIN a ≤ b, a > b. */
    void (*bcast_grad)(mx_engine *eng, mx_binop op, int side, const float *a, const float *b, const float *dy,
                       float *t, const mx_bcast_geom *g);
    /* dst[offset of i in g's a strides] (req) = src[i] for every index i
     * of g's shape (src contiguous): the inverse of a gather; the offsets
     * must be distinct (transposes, slices, pads). */
    void (*scatter)(mx_engine *eng, const float *src, float *dst, const mx_bcast_geom *g, mx_req req);
    /* y = cond ? a : b elementwise, cond[i / inner] for element i (inner 1:
     * cond has y's shape; else one cond a row of inner elements). */
    void (*where)(mx_engine *eng, const float *cond, const float *a, const float *b, float *y, size_t n,
                  size_t inner);
    /* da (req_a) = dy where cond, 0 elsewhere; db (req_b) the other way (NULL skipped). */
    void (*where_backward)(mx_engine *eng, const float *cond, const float *dy, float *da, mx_req req_a, float *db,
                           mx_req req_b, size_t n, size_t inner);
    /* y = log softmax of x over the middle axis of (outer, channels, inner):
     * x − max − log Σ e^(x − max). */
    /* MXNet's LRN over x viewed as (outer, c, inner), window nsize
     * channels: y = x·(knorm + α/nsize·Σ x²)^−β (kernel_shared.h). */
    void (*lrn_forward)(mx_engine *eng, const float *x, float *y, size_t outer, size_t c, size_t inner, int nsize,
                        float alpha, float beta, float knorm);
    /* Its gradient dx (req) from dy, recomputing the scales from x. */
    void (*lrn_backward)(mx_engine *eng, const float *x, const float *dy, float *dx, mx_req req, size_t outer,
                         size_t c, size_t inner, int nsize, float alpha, float beta, float knorm);
    void (*log_softmax)(mx_engine *eng, const float *x, float *y, size_t outer, size_t channels, size_t inner);
    /* dx (req) = dy − e^y · Σ dy over the channels. */
    void (*log_softmax_backward)(mx_engine *eng, const float *y, const float *dy, float *dx, size_t outer,
                                 size_t channels, size_t inner, mx_req req);
    /* rows rows of width floats: dst[r·dst_stride + i] (req) = src[r·src_stride + i]
     * (slices, crops and pads of one axis; the blocks do not overlap). */
    void (*copy_block)(mx_engine *eng, float *dst, size_t dst_stride, const float *src, size_t src_stride,
                       size_t rows, size_t width, mx_req req);
    /* dst = value. */
    void (*fill)(mx_engine *eng, float *dst, float value, size_t n);
    /* dx (req) = scale · (y − label). */
    void (*scaled_diff)(mx_engine *eng, const float *y, const float *label, float *dx, float scale,
                        size_t n, mx_req req);
    /* Optimizer steps (see mx/optimizer.h), each one fused pass that first
     * normalises g as MXNet.jl does (mx_gnorm), then updates W and the
     * state arrays; scalars that depend on the step count (bias
     * corrections) are folded in by the caller. */
    /* SGD: mom NULL: W −= lr·g; else mom = μ·mom − lr·g, W += mom. */
    void (*sgd_update)(mx_engine *eng, float *w, const float *g, float *mom, size_t n, float lr,
                       float momentum, mx_gnorm gn);
    /* NAG (libmxnet): mom = μ·mom + g, W −= lr·(g + μ·mom); mom NULL: W −= lr·g. */
    void (*nag_update)(mx_engine *eng, float *w, const float *g, float *mom, size_t n, float lr,
                       float momentum, mx_gnorm gn);
    /* ADAM: m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; W −= lr·m/(√v + ϵ),
     * lr holding η·√(1−β2ᵗ)/(1−β1ᵗ). */
    void (*adam_update)(mx_engine *eng, float *w, const float *g, float *m, float *v, size_t n,
                        float lr, float beta1, float beta2, float eps, mx_gnorm gn);
    /* AdaGrad: s += g²; W −= lr·g/√(s + ϵ). */
    void (*adagrad_update)(mx_engine *eng, float *w, const float *g, float *s, size_t n, float lr,
                           float eps, mx_gnorm gn);
    /* AdaDelta: r = ρ·r + (1−ρ)·g²; d = g·√(s + ϵ)/√(r + ϵ); W −= lr·d;
     * s = ρ·s + (1−ρ)·d². */
    void (*adadelta_update)(mx_engine *eng, float *w, const float *g, float *r, float *s, size_t n,
                            float lr, float rho, float eps, mx_gnorm gn);
    /* AdaMax: m = β1·m + (1−β1)·g; u = max(β2·u, |g|); W −= lr·m/(u + ϵ),
     * lr holding η/(1−β1ᵗ). */
    void (*adamax_update)(mx_engine *eng, float *w, const float *g, float *m, float *u, size_t n,
                          float lr, float beta1, float beta2, float eps, mx_gnorm gn);
    /* RMSProp: s = ρ·s + (1−ρ)·g²; W −= lr·g/√(s + ϵ). */
    void (*rmsprop_update)(mx_engine *eng, float *w, const float *g, float *s, size_t n, float lr,
                           float rho, float eps, mx_gnorm gn);
    /* Nadam: m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
     * W −= lr·(c.g·g + c.m·m)/(√(c.v·v) + ϵ) with the caller's bias
     * corrections c.g = (1−μₜ)/(1−Πμ), c.m = μₜ₊₁/(1−Πμ·μₜ₊₁), c.v = 1/(1−β2ᵗ). */
    void (*nadam_update)(mx_engine *eng, float *w, const float *g, float *m, float *v, size_t n,
                         float lr, float beta1, float beta2, float eps, mx_nadam_coef c, mx_gnorm gn);
    /* -- convolution kernels (issue #3) -- */
    /* Scratch bytes conv_forward and conv_backward need for g. */
    size_t (*conv_workspace)(const mx_conv_geom *g);
    /* Scratch bytes conv_forward alone needs (at most conv_workspace):
     * what an executor that runs no backward gives it. */
    size_t (*conv_forward_workspace)(const mx_conv_geom *g);
    /* y = conv(x, w) + b (b NULL: no bias); ws: conv_forward_workspace(g)
     * bytes or more, 64-byte aligned; the same bits whichever. */
    void (*conv_forward)(mx_engine *eng, const mx_conv_geom *g, const float *x, const float *w,
                         const float *b, float *y, void *ws);
    /* Gradients of conv_forward from dy: dx (req_x), dw (req_w), db
     * (req_b); MX_REQ_NULL skips one. ws as for conv_forward. */
    void (*conv_backward)(mx_engine *eng, const mx_conv_geom *g, const float *x, const float *w,
                          const float *dy, float *dx, mx_req req_x, float *dw, mx_req req_w,
                          float *db, mx_req req_b, void *ws);
    /* -- pooling and shape kernels (issue #3) -- */
    /* y (req) = pooling of planes planes of in = {h, w} into out = {h, w};
     * type 0 max, 1 avg, 2 sum; window k, stride s, pad p, each {h, w}.
     * Padded cells never win a max; avg divides by the window's cells in
     * the padded input (include_pad) or in the input, as MXNet does. */
    void (*pool_forward)(mx_engine *eng, int type, size_t planes, const int in[2], const int out[2],
                         const int k[2], const int s[2], const int p[2], int include_pad,
                         const float *x, float *y, mx_req req);
    /* dx (req) = gradient of pool_forward: max routes dy to the first
     * arg-max of each window of x; avg and sum spread it over the window. */
    void (*pool_backward)(mx_engine *eng, int type, size_t planes, const int in[2], const int out[2],
                          const int k[2], const int s[2], const int p[2], int include_pad,
                          const float *x, const float *dy, float *dx, mx_req req);
    /* Each of rows rows of dst = the n sources' rows side by side; source i
     * has rows of width[i] floats. */
    void (*concat)(mx_engine *eng, int n, const float *const *src, const size_t *width, float *dst,
                   size_t rows);
    /* The inverse: dst[i] (req[i]; NULL skipped) = its columns of src. */
    void (*split)(mx_engine *eng, int n, const float *src, float *const *dst, const size_t *width,
                  const mx_req *req, size_t rows);
    /* -- layer kernels: dropout, batchnorm, leakyrelu, softmax activation (issue #3) -- */
    /* Dropout: element i is kept when a counter-based draw of (seed, i) is
     * below keep, so the mask depends on the seed only, never on threads;
     * mask[i] = 1 or 0, y = x·mask·scale. y may be x. */
    void (*dropout_forward)(mx_engine *eng, unsigned long long seed, float keep, float scale,
                            const float *x, float *y, unsigned char *mask, size_t n);
    /* dx (req) = dy·mask·scale; dx may be dy. */
    void (*dropout_backward)(mx_engine *eng, const unsigned char *mask, float scale, const float *dy,
                             float *dx, size_t n, mx_req req);
    /* dst[i] = U(lo, hi) from the same counter-based draws (seed, i). */
    void (*uniform_fill)(mx_engine *eng, unsigned long long seed, float *dst, size_t n, float lo,
                         float hi);
    /* BatchNorm over x viewed as (outer, c, inner), channel = middle axis.
     * batch_stats: mean and biased var of each channel, reduced by one
     * thread in a fixed order (same bits for any thread count), written to
     * mean/var; else mean/var are read. invstd = 1/sqrt(var + eps);
     * y = (x − mean)·invstd·gamma + beta, gamma NULL meaning 1. */
    void (*batchnorm_forward)(mx_engine *eng, const float *x, float *y, size_t outer, size_t c,
                              size_t inner, const float *gamma, const float *beta, float eps,
                              float *mean, float *var, float *invstd, int batch_stats);
    /* Its gradients from the saved mean/invstd: dbeta = Σdy, dgamma =
     * Σdy·x̂ (0 when gamma is NULL), dx = g·invstd·(dy − Σdy/M − x̂·Σdy·x̂/M)
     * with batch_stats, else g·invstd·dy (M = outer·inner). Each may be
     * NULL / MX_REQ_NULL; dx may be dy. */
    void (*batchnorm_backward)(mx_engine *eng, const float *x, const float *dy, float *dx,
                               size_t outer, size_t c, size_t inner, const float *mean,
                               const float *invstd, const float *gamma, int batch_stats,
                               mx_req req_x, float *dgamma, mx_req req_g, float *dbeta, mx_req req_b);
    /* y = x for x > 0, else slope[ch]·x over x viewed as (outer, c, inner)
     * (prelu: slope per channel; rrelu: one per element); slope NULL: leak
     * for every element (leaky, rrelu at inference), a value because a
     * device cannot read the host's parameter. y may be x. */
    void (*prelu_forward)(mx_engine *eng, const float *x, const float *slope, float leak, float *y,
                          size_t outer, size_t c, size_t inner);
    /* dx (req_x) = dy·(x > 0 ? 1 : slope[ch] or leak); dslope (req_s, may
     * be NULL) = Σ dy·min(x, 0) per channel, reduced before dx is written
     * (dx may be dy). */
    void (*prelu_backward)(mx_engine *eng, const float *x, const float *slope, float leak, const float *dy,
                           float *dx, size_t outer, size_t c, size_t inner, mx_req req_x,
                           float *dslope, mx_req req_s);
    /* ELU: y = x for x > 0, else alpha·(eˣ − 1). y may be x. */
    void (*elu_forward)(mx_engine *eng, const float *x, float *y, size_t n, float alpha);
    /* dx (req) = dy·(x > 0 ? 1 : alpha·eˣ); dx may be dy. */
    void (*elu_backward)(mx_engine *eng, const float *x, const float *dy, float *dx, size_t n,
                         float alpha, mx_req req);
    /* Softmax gradient from its output y over the middle axis of
     * (outer, channels, inner): dx (req) = y·(dy − Σ_c dy·y); dx may be dy. */
    void (*softmax_backward)(mx_engine *eng, const float *y, const float *dy, float *dx,
                             size_t outer, size_t channels, size_t inner, mx_req req);
    /* -- embedding (issue #5) -- */
    /* y[i, :] = w[row(idx[i]), :] for n indices, rows of d floats; row(v)
     * truncates v and clips it into [0, input_dim) (NaN → 0). */
    void (*embedding_forward)(mx_engine *eng, const float *idx, const float *w, float *y, size_t n,
                              size_t d, int input_dim);
    /* dw (req) += dy[i, :] into row(idx[i]) for every i; repeated indices
     * sum (CPU: in index order; GPU: atomically, order not fixed). */
    void (*embedding_backward)(mx_engine *eng, const float *idx, const float *dy, float *dw, size_t n,
                               size_t d, int input_dim, mx_req req);
    /* -- FeedForward's staging on GPUs (runtime/train/model_parallel.c), row groups (ops/fc_group.c) -- */
    /* dst[i][0..count[i]) (req) = src[i][0..count[i]) for each i < n, all
     * device memory (the pointer arrays are the caller's host memory): a
     * batch's inputs scattered from one landing block, the outputs
     * gathered into one, so a step makes one copy each way instead of one
     * per array; a group's parts gathered into one GEMM operand. */
    void (*copy_segments)(mx_engine *eng, int n, float *const *dst, const float *const *src, const size_t *count,
                          mx_req req);
    /* -- the fused LSTM cell (runtime/graph/fuse.c; issue #7) -- */
    /* One LSTM cell over n rows of h units. Pre-activations a + b, rows of
     * 4h with gate[r]·h the column of role r (0 input σ, 1 transform tanh,
     * 2 forget σ, 3 output σ): c = f·cp + i·g, h = o·tanh(c). The activated
     * gates are saved in act (n × 4h, same layout) for backward. */
    void (*lstm_cell_forward)(mx_engine *eng, const float *a, const float *b, const float *cp, float *c,
                              float *hout, float *act, size_t n, size_t h, const int gate[4]);
    /* Its gradients from the saved gates and cp: dc, dh NULL mean zero;
     * da (req_a) and db (req_b) both get the pre-activation gradient, dcp
     * (req_c) the previous cell's; a NULL destination is skipped. */
    void (*lstm_cell_backward)(mx_engine *eng, const float *act, const float *cp, const float *dc,
                               const float *dh, float *da, mx_req req_a, float *db, mx_req req_b,
                               float *dcp, mx_req req_c, size_t n, size_t h, const int gate[4]);
    /* -- the GRU cell of the fused RNN op (issue #16; kernel_shared.h) -- */
    /* One GRU cell over n rows of h units from pre-activations a (i2h) and
     * b (h2h), 3h a row (r, z, n) and the previous state hp: h (n × h) and
     * the saved act (n × 4h: r, z, n, b_n) for backward. */
    void (*gru_cell_forward)(mx_engine *eng, const float *a, const float *b, const float *hp, float *h, float *act,
                             size_t n, size_t hs);
    /* Its gradients from dh: da, db (n × 3h) and dhp = z·dh (n × h), all written. */
    void (*gru_cell_backward)(mx_engine *eng, const float *act, const float *hp, const float *dh, float *da,
                              float *db, float *dhp, size_t n, size_t hs);
} mx_kernels;

/* The CPU table (kernels/cpu/table.c). */
extern const mx_kernels mx_cpu_kernels;

/* The CUDA table (kernels/cuda/table.c; only in cuda=1 builds). */
extern const mx_kernels mx_cuda_kernels;

#endif
