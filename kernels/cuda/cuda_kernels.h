/* cuda_kernels.h — private to kernels/cuda: the CUDA implementations of
 * every mx_kernels entry (kernels/kernels.h holds each one's contract).
 * They are called from C (table.c), so they have C linkage; all run on
 * the current device's stream (cuda_rt.h) and return without waiting,
 * except where the contract returns a host value. */
#ifndef MX_KERNELS_CUDA_KERNELS_H
#define MX_KERNELS_CUDA_KERNELS_H

#include "kernels/kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Table entry gemm (see kernels/kernels.h). */
void mx_cuda_gemm(mx_engine *eng, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);
/* Table entry fill_rows (see kernels/kernels.h). */
void mx_cuda_fill_rows(mx_engine *eng, float *y, const float *bias, size_t rows, size_t cols);
/* Table entry sum_rows (see kernels/kernels.h). */
void mx_cuda_sum_rows(mx_engine *eng, float *db, const float *dy, size_t rows, size_t cols, mx_req req);
/* Table entry act_forward (see kernels/kernels.h). */
void mx_cuda_act_forward(mx_engine *eng, mx_act act, const float *x, float *y, size_t n);
/* Table entry act_backward (see kernels/kernels.h). */
void mx_cuda_act_backward(mx_engine *eng, mx_act act, const float *y, const float *dy, float *dx, size_t n, mx_req req);
/* Table entry softmax (see kernels/kernels.h). */
void mx_cuda_softmax(mx_engine *eng, const float *x, float *y, size_t outer, size_t channels, size_t inner);
/* Table entry softmax_ce_grad (see kernels/kernels.h). */
void mx_cuda_softmax_ce_grad(mx_engine *eng, const float *p, const float *label, float *dx, size_t outer, size_t channels, size_t inner, float scale, float smooth, int use_ignore, float ignore, mx_req req);
/* Table entry count_not_equal (see kernels/kernels.h). */
size_t mx_cuda_count_not_equal(mx_engine *eng, const float *label, size_t n, float ignore);
/* Table entry binary (see kernels/kernels.h). */
void mx_cuda_binary(mx_engine *eng, mx_binop op, const float *a, const float *b, float *y, size_t n);
/* Table entry scalar (see kernels/kernels.h). */
void mx_cuda_scalar(mx_engine *eng, mx_binop op, const float *a, float s, float *y, size_t n);
/* Table entry binary_backward (see kernels/kernels.h). */
void mx_cuda_binary_backward(mx_engine *eng, mx_binop op, const float *a, const float *b, const float *dy, float *da, mx_req req_a, float *db, mx_req req_b, size_t n);
/* Table entry scalar_backward (see kernels/kernels.h). */
void mx_cuda_scalar_backward(mx_engine *eng, mx_binop op, const float *a, float s, const float *dy, float *da, mx_req req, size_t n);
/* Table entry scale_copy (see kernels/kernels.h). */
void mx_cuda_scale_copy(mx_engine *eng, float *dst, const float *src, float alpha, size_t n, mx_req req);
/* Table entry unary (see kernels/kernels.h). */
void mx_cuda_unary(mx_engine *eng, mx_unop op, const float *x, float *y, size_t n, float lo, float hi);
/* Table entry unary_backward (see kernels/kernels.h). */
void mx_cuda_unary_backward(mx_engine *eng, mx_unop op, const float *x, const float *y, const float *dy,
                            float *dx, mx_req req, size_t n, float lo, float hi);
/* Table entry reduce (see kernels/kernels.h; kernels/cuda/reduce.cu). */
void mx_cuda_reduce(mx_engine *eng, mx_redop op, const float *x, float *y, const mx_reduce_geom *g, float scale,
                    mx_req req);
/* Table entry reduce_backward (see kernels/kernels.h). */
void mx_cuda_reduce_backward(mx_engine *eng, mx_redop op, const float *x, const float *y, const float *dy, float *dx,
                             const mx_reduce_geom *g, float scale, mx_req req);
/* Table entry bcast_binary (see kernels/kernels.h). */
void mx_cuda_bcast_binary(mx_engine *eng, mx_binop op, const float *a, const float *b, float *y,
                          const mx_bcast_geom *g);
/* Table entry bcast_grad (see kernels/kernels.h). */
void mx_cuda_bcast_grad(mx_engine *eng, mx_binop op, int side, const float *a, const float *b, const float *dy,
                        float *t, const mx_bcast_geom *g);
/* Table entry scatter (see kernels/kernels.h). */
void mx_cuda_scatter(mx_engine *eng, const float *src, float *dst, const mx_bcast_geom *g, mx_req req);
/* Table entry where (see kernels/kernels.h). */
void mx_cuda_where(mx_engine *eng, const float *cond, const float *a, const float *b, float *y, size_t n,
                   size_t inner);
/* Table entry where_backward (see kernels/kernels.h). */
void mx_cuda_where_backward(mx_engine *eng, const float *cond, const float *dy, float *da, mx_req req_a, float *db,
                            mx_req req_b, size_t n, size_t inner);
/* Table entry log_softmax (see kernels/kernels.h). */
void mx_cuda_log_softmax(mx_engine *eng, const float *x, float *y, size_t outer, size_t channels, size_t inner);
/* Table entry log_softmax_backward (see kernels/kernels.h). */
void mx_cuda_log_softmax_backward(mx_engine *eng, const float *y, const float *dy, float *dx, size_t outer,
                                  size_t channels, size_t inner, mx_req req);
/* Table entry copy_block (see kernels/kernels.h). */
void mx_cuda_copy_block(mx_engine *eng, float *dst, size_t dst_stride, const float *src, size_t src_stride,
                        size_t rows, size_t width, mx_req req);
/* Table entry fill (see kernels/kernels.h). */
void mx_cuda_fill(mx_engine *eng, float *dst, float value, size_t n);
/* Table entry scaled_diff (see kernels/kernels.h). */
void mx_cuda_scaled_diff(mx_engine *eng, const float *y, const float *label, float *dx, float scale, size_t n, mx_req req);
/* Table entry sgd_update (see kernels/kernels.h). */
void mx_cuda_sgd_update(mx_engine *eng, float *w, const float *g, float *mom, size_t n, float lr, float momentum, mx_gnorm gn);
/* Table entry nag_update (see kernels/kernels.h). */
void mx_cuda_nag_update(mx_engine *eng, float *w, const float *g, float *mom, size_t n, float lr, float momentum, mx_gnorm gn);
/* Table entry adam_update (see kernels/kernels.h). */
void mx_cuda_adam_update(mx_engine *eng, float *w, const float *g, float *m, float *v, size_t n, float lr, float beta1, float beta2, float eps, mx_gnorm gn);
/* Table entry adagrad_update (see kernels/kernels.h). */
void mx_cuda_adagrad_update(mx_engine *eng, float *w, const float *g, float *s, size_t n, float lr, float eps, mx_gnorm gn);
/* Table entry adadelta_update (see kernels/kernels.h). */
void mx_cuda_adadelta_update(mx_engine *eng, float *w, const float *g, float *r, float *s, size_t n, float lr, float rho, float eps, mx_gnorm gn);
/* Table entry adamax_update (see kernels/kernels.h). */
void mx_cuda_adamax_update(mx_engine *eng, float *w, const float *g, float *m, float *u, size_t n, float lr, float beta1, float beta2, float eps, mx_gnorm gn);
/* Table entry rmsprop_update (see kernels/kernels.h). */
void mx_cuda_rmsprop_update(mx_engine *eng, float *w, const float *g, float *s, size_t n, float lr, float rho, float eps, mx_gnorm gn);
/* Table entry nadam_update (see kernels/kernels.h). */
void mx_cuda_nadam_update(mx_engine *eng, float *w, const float *g, float *m, float *v, size_t n, float lr, float beta1, float beta2, float eps, mx_nadam_coef c, mx_gnorm gn);
/* Table entry conv_workspace (see kernels/kernels.h). */
size_t mx_cuda_conv_workspace(const mx_conv_geom *g);
/* Table entry conv_forward (see kernels/kernels.h). */
void mx_cuda_conv_forward(mx_engine *eng, const mx_conv_geom *g, const float *x, const float *w, const float *b, float *y, void *ws);
/* Table entry conv_backward (see kernels/kernels.h). */
void mx_cuda_conv_backward(mx_engine *eng, const mx_conv_geom *g, const float *x, const float *w, const float *dy, float *dx, mx_req req_x, float *dw, mx_req req_w, float *db, mx_req req_b, void *ws);
/* Table entry pool_forward (see kernels/kernels.h). */
void mx_cuda_pool_forward(mx_engine *eng, int type, size_t planes, const int in[2], const int out[2], const int k[2], const int s[2], const int p[2], int include_pad, const float *x, float *y, mx_req req);
/* Table entry pool_backward (see kernels/kernels.h). */
void mx_cuda_pool_backward(mx_engine *eng, int type, size_t planes, const int in[2], const int out[2], const int k[2], const int s[2], const int p[2], int include_pad, const float *x, const float *dy, float *dx, mx_req req);
/* Table entry concat (see kernels/kernels.h). */
void mx_cuda_concat(mx_engine *eng, int n, const float *const *src, const size_t *width, float *dst, size_t rows);
/* Table entry split (see kernels/kernels.h). */
void mx_cuda_split(mx_engine *eng, int n, const float *src, float *const *dst, const size_t *width, const mx_req *req, size_t rows);
/* Table entry dropout_forward (see kernels/kernels.h). */
void mx_cuda_dropout_forward(mx_engine *eng, unsigned long long seed, float keep, float scale, const float *x, float *y, unsigned char *mask, size_t n);
/* Table entry dropout_backward (see kernels/kernels.h). */
void mx_cuda_dropout_backward(mx_engine *eng, const unsigned char *mask, float scale, const float *dy, float *dx, size_t n, mx_req req);
/* Table entry uniform_fill (see kernels/kernels.h). */
void mx_cuda_uniform_fill(mx_engine *eng, unsigned long long seed, float *dst, size_t n, float lo, float hi);
/* Table entry batchnorm_forward (see kernels/kernels.h). */
void mx_cuda_batchnorm_forward(mx_engine *eng, const float *x, float *y, size_t outer, size_t c, size_t inner, const float *gamma, const float *beta, float eps, float *mean, float *var, float *invstd, int batch_stats);
/* Table entry batchnorm_backward (see kernels/kernels.h). */
void mx_cuda_batchnorm_backward(mx_engine *eng, const float *x, const float *dy, float *dx, size_t outer, size_t c, size_t inner, const float *mean, const float *invstd, const float *gamma, int batch_stats, mx_req req_x, float *dgamma, mx_req req_g, float *dbeta, mx_req req_b);
/* Table entry prelu_forward (see kernels/kernels.h). */
void mx_cuda_prelu_forward(mx_engine *eng, const float *x, const float *slope, float leak, float *y, size_t outer, size_t c, size_t inner);
/* Table entry prelu_backward (see kernels/kernels.h). */
void mx_cuda_prelu_backward(mx_engine *eng, const float *x, const float *slope, float leak, const float *dy, float *dx, size_t outer, size_t c, size_t inner, mx_req req_x, float *dslope, mx_req req_s);
/* Table entry elu_forward (see kernels/kernels.h). */
void mx_cuda_elu_forward(mx_engine *eng, const float *x, float *y, size_t n, float alpha);
/* Table entry elu_backward (see kernels/kernels.h). */
void mx_cuda_elu_backward(mx_engine *eng, const float *x, const float *dy, float *dx, size_t n, float alpha, mx_req req);
/* Table entry softmax_backward (see kernels/kernels.h). */
void mx_cuda_softmax_backward(mx_engine *eng, const float *y, const float *dy, float *dx, size_t outer, size_t channels, size_t inner, mx_req req);
/* Table entry embedding_forward (see kernels/kernels.h). */
void mx_cuda_embedding_forward(mx_engine *eng, const float *idx, const float *w, float *y, size_t n, size_t d, int input_dim);
/* Table entry embedding_backward (see kernels/kernels.h). */
void mx_cuda_embedding_backward(mx_engine *eng, const float *idx, const float *dy, float *dw, size_t n, size_t d, int input_dim, mx_req req);
/* Table entry copy_segments (see kernels/kernels.h). */
void mx_cuda_copy_segments(mx_engine *eng, int n, float *const *dst, const float *const *src, const size_t *count,
                           mx_req req);
/* Table entry lstm_cell_forward (see kernels/kernels.h). */
void mx_cuda_lstm_cell_forward(mx_engine *eng, const float *a, const float *b, const float *cp, float *c, float *hout, float *act, size_t n, size_t h, const int gate[4]);
/* Table entry lstm_cell_backward (see kernels/kernels.h). */
void mx_cuda_lstm_cell_backward(mx_engine *eng, const float *act, const float *cp, const float *dc, const float *dh, float *da, mx_req req_a, float *db, mx_req req_b, float *dcp, mx_req req_c, size_t n, size_t h, const int gate[4]);

/* Table entry gru_cell_forward. */
void mx_cuda_gru_cell_forward(mx_engine *eng, const float *a, const float *b, const float *hp, float *h, float *act,
                             size_t n, size_t hs);
/* Table entry gru_cell_backward. */
void mx_cuda_gru_cell_backward(mx_engine *eng, const float *act, const float *hp, const float *dh, float *da,
                              float *db, float *dhp, size_t n, size_t hs);
/* Table entry lrn_forward. */
void mx_cuda_lrn_forward(mx_engine *eng, const float *x, float *y, size_t outer, size_t c, size_t inner, int nsize,
                         float alpha, float beta, float knorm);
/* Table entry lrn_backward. */
void mx_cuda_lrn_backward(mx_engine *eng, const float *x, const float *dy, float *dx, mx_req req, size_t outer,
                          size_t c, size_t inner, int nsize, float alpha, float beta, float knorm);

#ifdef __cplusplus
}
#endif

#endif
