/* cpu_kernels.h — the CPU kernels behind mx_cpu_kernels (kernels/kernels.h
 * documents each entry's contract; these are its CPU implementations). */
#ifndef MX_KERNELS_CPU_KERNELS_H
#define MX_KERNELS_CPU_KERNELS_H

#include "kernels/kernels.h"

/* y = a op b elementwise. */
void mx_cpu_binary(mx_engine *eng, mx_binop op, const float *a, const float *b, float *y, size_t n);
/* y = a op s. */
void mx_cpu_scalar(mx_engine *eng, mx_binop op, const float *a, float s, float *y, size_t n);
/* Gradients of y = a op b. */
void mx_cpu_binary_backward(mx_engine *eng, mx_binop op, const float *a, const float *b,
                            const float *dy, float *da, mx_req req_a, float *db, mx_req req_b,
                            size_t n);
/* Gradient of y = a op s. */
void mx_cpu_scalar_backward(mx_engine *eng, mx_binop op, const float *a, float s, const float *dy,
                            float *da, mx_req req, size_t n);
/* dst (req) = alpha · src. */
void mx_cpu_scale_copy(mx_engine *eng, float *dst, const float *src, float alpha, size_t n, mx_req req);
/* Table entry unary (see kernels/kernels.h). */
void mx_cpu_unary(mx_engine *eng, mx_unop op, const float *x, float *y, size_t n, float lo, float hi);
/* Table entry unary_backward. */
void mx_cpu_unary_backward(mx_engine *eng, mx_unop op, const float *x, const float *y, const float *dy,
                           float *dx, mx_req req, size_t n, float lo, float hi);
/* Table entry reduce (see kernels/kernels.h; kernels/cpu/reduce.c). */
void mx_cpu_reduce(mx_engine *eng, mx_redop op, const float *x, float *y, const mx_reduce_geom *g, float scale,
                   mx_req req);
/* Table entry reduce_backward. */
void mx_cpu_reduce_backward(mx_engine *eng, mx_redop op, const float *x, const float *y, const float *dy, float *dx,
                            const mx_reduce_geom *g, float scale, mx_req req);
/* Table entry bcast_binary. */
void mx_cpu_bcast_binary(mx_engine *eng, mx_binop op, const float *a, const float *b, float *y,
                         const mx_bcast_geom *g);
/* Table entry bcast_grad. */
void mx_cpu_bcast_grad(mx_engine *eng, mx_binop op, int side, const float *a, const float *b, const float *dy,
                       float *t, const mx_bcast_geom *g);
/* Table entry scatter. */
void mx_cpu_scatter(mx_engine *eng, const float *src, float *dst, const mx_bcast_geom *g, mx_req req);
/* Table entry where. */
void mx_cpu_where(mx_engine *eng, const float *cond, const float *a, const float *b, float *y, size_t n,
                  size_t inner);
/* Table entry where_backward. */
void mx_cpu_where_backward(mx_engine *eng, const float *cond, const float *dy, float *da, mx_req req_a, float *db,
                           mx_req req_b, size_t n, size_t inner);
/* Table entry log_softmax. */
void mx_cpu_log_softmax(mx_engine *eng, const float *x, float *y, size_t outer, size_t channels, size_t inner);
/* Table entry log_softmax_backward. */
void mx_cpu_log_softmax_backward(mx_engine *eng, const float *y, const float *dy, float *dx, size_t outer,
                                 size_t channels, size_t inner, mx_req req);
/* Table entry copy_block. */
void mx_cpu_copy_block(mx_engine *eng, float *dst, size_t dst_stride, const float *src, size_t src_stride,
                       size_t rows, size_t width, mx_req req);
/* dst = value. */
void mx_cpu_fill(mx_engine *eng, float *dst, float value, size_t n);
/* Broadcast bias into every row of y. */
void mx_cpu_fill_rows(mx_engine *eng, float *y, const float *bias, size_t rows, size_t cols);
/* Column sums of dy into db. */
void mx_cpu_sum_rows(mx_engine *eng, float *db, const float *dy, size_t rows, size_t cols, mx_req req);
/* dx (req) = scale · (y − label). */
void mx_cpu_scaled_diff(mx_engine *eng, const float *y, const float *label, float *dx, float scale,
                        size_t n, mx_req req);
/* y = act(x). */
void mx_cpu_act_forward(mx_engine *eng, mx_act act, const float *x, float *y, size_t n);
/* dx (req) = dy · act'(y). */
void mx_cpu_act_backward(mx_engine *eng, mx_act act, const float *y, const float *dy, float *dx,
                         size_t n, mx_req req);
/* Softmax over the channel axis. */
void mx_cpu_softmax(mx_engine *eng, const float *x, float *y, size_t outer, size_t channels,
                    size_t inner);
/* Cross-entropy gradient of softmax. */
void mx_cpu_softmax_ce_grad(mx_engine *eng, const float *p, const float *label, float *dx,
                            size_t outer, size_t channels, size_t inner, float scale, float smooth,
                            int use_ignore, float ignore, mx_req req);
/* Labels different from ignore. */
size_t mx_cpu_count_not_equal(mx_engine *eng, const float *label, size_t n, float ignore);
/* dst = src · scale for n bytes turned into floats (dataset pixels). */
void mx_cpu_u8_to_f32(float *dst, const unsigned char *src, size_t n, float scale);
/* Optimizer steps, each fused with the gradient normalisation
 * (kernels/cpu/optimizers.c; contracts in kernels/kernels.h). */
void mx_cpu_sgd_update(mx_engine *eng, float *w, const float *g, float *mom, size_t n, float lr,
                       float momentum, mx_gnorm gn);
/* NAG step. */
void mx_cpu_nag_update(mx_engine *eng, float *w, const float *g, float *mom, size_t n, float lr,
                       float momentum, mx_gnorm gn);
/* ADAM step. */
void mx_cpu_adam_update(mx_engine *eng, float *w, const float *g, float *m, float *v, size_t n,
                        float lr, float beta1, float beta2, float eps, mx_gnorm gn);
/* AdaGrad step. */
void mx_cpu_adagrad_update(mx_engine *eng, float *w, const float *g, float *s, size_t n, float lr,
                           float eps, mx_gnorm gn);
/* AdaDelta step. */
void mx_cpu_adadelta_update(mx_engine *eng, float *w, const float *g, float *r, float *s, size_t n,
                            float lr, float rho, float eps, mx_gnorm gn);
/* AdaMax step. */
void mx_cpu_adamax_update(mx_engine *eng, float *w, const float *g, float *m, float *u, size_t n,
                          float lr, float beta1, float beta2, float eps, mx_gnorm gn);
/* RMSProp step. */
void mx_cpu_rmsprop_update(mx_engine *eng, float *w, const float *g, float *s, size_t n, float lr,
                           float rho, float eps, mx_gnorm gn);
/* Nadam step. */
void mx_cpu_nadam_update(mx_engine *eng, float *w, const float *g, float *m, float *v, size_t n,
                         float lr, float beta1, float beta2, float eps, mx_nadam_coef c, mx_gnorm gn);

/* -- convolution kernels (issue #3) -- */
/* Workspace bytes of the CPU convolution (kernels/cpu/conv.c). */
size_t mx_cpu_conv_workspace(const mx_conv_geom *g);
/* Table entry conv_forward_workspace (see kernels/kernels.h). */
size_t mx_cpu_conv_forward_workspace(const mx_conv_geom *g);
/* Convolution forward: im2col + SGEMM, parallel over samples. */
void mx_cpu_conv_forward(mx_engine *eng, const mx_conv_geom *g, const float *x, const float *w,
                         const float *b, float *y, void *ws);
/* Convolution backward: data, weight and bias gradients. */
void mx_cpu_conv_backward(mx_engine *eng, const mx_conv_geom *g, const float *x, const float *w,
                          const float *dy, float *dx, mx_req req_x, float *dw, mx_req req_w,
                          float *db, mx_req req_b, void *ws);
/* -- pooling and shape kernels (issue #3) -- */
/* Pooling forward over planes (kernels/cpu/pooling.c). */
void mx_cpu_pool_forward(mx_engine *eng, int type, size_t planes, const int in[2], const int out[2],
                         const int k[2], const int s[2], const int p[2], int include_pad,
                         const float *x, float *y, mx_req req);
/* Pooling backward over planes. */
void mx_cpu_pool_backward(mx_engine *eng, int type, size_t planes, const int in[2], const int out[2],
                          const int k[2], const int s[2], const int p[2], int include_pad,
                          const float *x, const float *dy, float *dx, mx_req req);
/* Rows of the sources side by side (Concat forward). */
void mx_cpu_concat(mx_engine *eng, int n, const float *const *src, const size_t *width, float *dst,
                   size_t rows);
/* Rows split back into the parts (Concat backward). */
void mx_cpu_split(mx_engine *eng, int n, const float *src, float *const *dst, const size_t *width,
                  const mx_req *req, size_t rows);
/* -- layer kernels (issue #3) -- */
/* Dropout mask and output (kernels/cpu/dropout.c). */
void mx_cpu_dropout_forward(mx_engine *eng, unsigned long long seed, float keep, float scale,
                            const float *x, float *y, unsigned char *mask, size_t n);
/* Dropout gradient through the saved mask. */
void mx_cpu_dropout_backward(mx_engine *eng, const unsigned char *mask, float scale, const float *dy,
                             float *dx, size_t n, mx_req req);
/* Counter-based uniform draws. */
void mx_cpu_uniform_fill(mx_engine *eng, unsigned long long seed, float *dst, size_t n, float lo,
                         float hi);
/* BatchNorm forward (kernels/cpu/batchnorm.c). */
void mx_cpu_batchnorm_forward(mx_engine *eng, const float *x, float *y, size_t outer, size_t c,
                              size_t inner, const float *gamma, const float *beta, float eps,
                              float *mean, float *var, float *invstd, int batch_stats);
/* BatchNorm gradients. */
void mx_cpu_batchnorm_backward(mx_engine *eng, const float *x, const float *dy, float *dx,
                               size_t outer, size_t c, size_t inner, const float *mean,
                               const float *invstd, const float *gamma, int batch_stats,
                               mx_req req_x, float *dgamma, mx_req req_g, float *dbeta, mx_req req_b);
/* Leaky/PReLU/RReLU forward (kernels/cpu/leaky_relu.c). */
void mx_cpu_prelu_forward(mx_engine *eng, const float *x, const float *slope, float leak, float *y,
                          size_t outer, size_t c, size_t inner);
/* Leaky/PReLU/RReLU gradients. */
void mx_cpu_prelu_backward(mx_engine *eng, const float *x, const float *slope, float leak, const float *dy,
                           float *dx, size_t outer, size_t c, size_t inner, mx_req req_x,
                           float *dslope, mx_req req_s);
/* ELU forward. */
void mx_cpu_elu_forward(mx_engine *eng, const float *x, float *y, size_t n, float alpha);
/* ELU gradient. */
void mx_cpu_elu_backward(mx_engine *eng, const float *x, const float *dy, float *dx, size_t n,
                         float alpha, mx_req req);
/* Softmax gradient from the output (kernels/cpu/softmax.c). */
void mx_cpu_softmax_backward(mx_engine *eng, const float *y, const float *dy, float *dx,
                             size_t outer, size_t channels, size_t inner, mx_req req);
/* Embedding row gather (kernels/cpu/embedding.c). */
void mx_cpu_embedding_forward(mx_engine *eng, const float *idx, const float *w, float *y, size_t n,
                              size_t d, int input_dim);
/* Embedding weight gradient: scatter-add of dy's rows. */
void mx_cpu_embedding_backward(mx_engine *eng, const float *idx, const float *dy, float *dw, size_t n,
                               size_t d, int input_dim, mx_req req);
/* Copies of several arrays (kernels/cpu/elementwise.c). */
void mx_cpu_copy_segments(mx_engine *eng, int n, float *const *dst, const float *const *src, const size_t *count,
                          mx_req req);
/* The fused LSTM cell (kernels/cpu/lstm_cell.c). */
void mx_cpu_lstm_cell_forward(mx_engine *eng, const float *a, const float *b, const float *cp, float *c,
                              float *hout, float *act, size_t n, size_t h, const int gate[4]);
/* Its gradients. */
void mx_cpu_lstm_cell_backward(mx_engine *eng, const float *act, const float *cp, const float *dc,
                               const float *dh, float *da, mx_req req_a, float *db, mx_req req_b,
                               float *dcp, mx_req req_c, size_t n, size_t h, const int gate[4]);

/* Table entry gru_cell_forward. */
void mx_cpu_gru_cell_forward(mx_engine *eng, const float *a, const float *b, const float *hp, float *h, float *act,
                             size_t n, size_t hs);
/* Table entry gru_cell_backward. */
void mx_cpu_gru_cell_backward(mx_engine *eng, const float *act, const float *hp, const float *dh, float *da,
                              float *db, float *dhp, size_t n, size_t hs);
/* Table entry lrn_forward. */
void mx_cpu_lrn_forward(mx_engine *eng, const float *x, float *y, size_t outer, size_t c, size_t inner, int nsize,
                        float alpha, float beta, float knorm);
/* Table entry lrn_backward. */
void mx_cpu_lrn_backward(mx_engine *eng, const float *x, const float *dy, float *dx, mx_req req, size_t outer,
                         size_t c, size_t inner, int nsize, float alpha, float beta, float knorm);

#endif
