/* cpu_kernels.h — the CPU kernels behind mx_cpu_kernels (runtime/kernels.h
 * documents each entry's contract; these are its CPU implementations). */
#ifndef MX_KERNELS_CPU_KERNELS_H
#define MX_KERNELS_CPU_KERNELS_H

#include "kernels.h"

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
                            size_t outer, size_t channels, size_t inner, float scale, int use_ignore,
                            float ignore, mx_req req);
/* Labels different from ignore. */
size_t mx_cpu_count_not_equal(const float *label, size_t n, float ignore);
/* dst = src · scale for n bytes turned into floats (dataset pixels). */
void mx_cpu_u8_to_f32(float *dst, const unsigned char *src, size_t n, float scale);
/* Optimizer steps, each fused with the gradient normalisation
 * (kernels/cpu/optimizers.c; contracts in runtime/kernels.h). */
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
/* -- pooling and shape kernels (issue #3) -- */
/* -- layer kernels (issue #3) -- */

#endif
