/* conv.c — convolution on the CPU (NCHW; 1-D as a height of one):
 * im2col + the built-in SGEMM, per sample n and group g:
 *   forward        y[n,g]  = W[g] · col(x[n,g])        (bias filled first)
 *   backward data  dx[n,g] = col2im(W[g]ᵀ · dy[n,g])
 *   weights        dW[g]  += dy[n,g] · colT(x[n,g])    (colT = colᵀ, im2row)
 * A 1×1 kernel with unit stride and no padding reads x as its own col.
 * Forward builds a col matrix past L2 a band of output rows at a time,
 * and takes the samples of a layer with few output pixels several to one
 * GEMM (their cols side by side), so that W streams once per group, not
 * once per sample (ResNet's 7×7 stages at batch 32: 56 → 38 ms a layer).
 *
 * Parallel over samples, not inside each GEMM: LeNet's per-sample products
 * (conv2: 50×64×500) run at about 110 GFLOP/s on one core from L2, but at
 * 60-90 GFLOP/s as one batched GEMM over a col buffer that spills L2
 * (tests/bench/bench_conv.c). The batch is cut into slots fixed by the
 * shape alone (never by the thread count); each slot owns a col buffer and
 * a partial weight gradient in the workspace, and the partials are summed
 * in slot order afterwards, so every thread count gives the same bits.
 * Workers take whole slots and run serial GEMMs on their own packing
 * scratch. With fewer slots than workers (batch 1, very large layers) the
 * slots run one after another with the pool inside each GEMM instead: the
 * SGEMM computes every entry the same way on any thread count, so the bits
 * are still the same. */
#include <string.h>

#include "cpu_kernels.h"
#include "cpu_par.h"
#include "cpu_simd.h"
#include "sgemm.h"

/* At most this many slots: enough for 16 workers to run at once, while
 * summing the partial weight gradients stays a few percent of backward. */
#define SLOTS_MAX 16
/* Fewer slots when they would take more than this much workspace. */
#define SLOTS_BUDGET ((size_t)32 << 20)

/* Forward takes several samples in one GEMM below this many output
 * pixels, at most this many at once (conv_plan.group). */
#define MULTI_OHW_MAX 256
#define MULTI_MAX 16
/* Forward's col matrix is built a band of output rows at a time past
 * this many floats (forward_sample). */
#define COL_BAND_FLOATS ((size_t)256 << 10)

/* How the workspace is cut, in floats (each part 64-byte aligned).
 * Backward's slots hold a whole col matrix and a weight gradient each;
 * forward needs far less (a band of col, or a few samples' cols when
 * they are small), and an executor that runs no backward sizes the
 * workspace for forward alone (mx_cpu_conv_forward_workspace). Forward
 * computes the same thing in either: only where it works moves. */
typedef struct conv_plan {
    int slots;
    size_t col;    /* one group's col matrix (0 when x is its own col) */
    size_t part;   /* a partial weight gradient (the whole weight) */
    size_t stride; /* one backward slot: col + part */
    int group;     /* samples forward takes in one GEMM (forward_samples) */
    int band;      /* output rows forward takes at a time (the whole plane when col is small) */
    size_t fstride; /* one forward slot */
    size_t fneed;  /* forward's whole workspace */
} conv_plan;

/* Everything one call needs; shared read-only by the workers. */
typedef struct conv_job {
    const mx_conv_geom *g;
    conv_plan p;
    int kdim, ohw;      /* rows of col (c/groups · kh · kw), output pixels */
    int rows;           /* weight gradient from im2row's colT (else col) */
    const float *x, *w, *b, *dy;
    float *y, *dx, *dw, *db;
    mx_req rx, rw, rb;
    float *ws;
    mx_engine *eng;
    int backward;
} conv_job;

/* Where a sample's GEMMs run: on the pool (eng), or serially on one
 * worker's packing scratch. */
typedef struct gemm_at {
    mx_engine *eng;
    void *scratch;
} gemm_at;

static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

/* 1 for a depthwise convolution, which forward runs directly (dw_planes). */
static int is_depthwise(const mx_conv_geom *g)
{
    return g->groups > 1 && g->groups == g->c && g->f == g->c;
}

/* 1 when the col matrix would be x itself. */
static int is_pointwise(const mx_conv_geom *g)
{
    return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->ph == 0 && g->pw == 0;
}

static conv_plan plan_of(const mx_conv_geom *g)
{
    size_t kdim = (size_t)(g->c / g->groups) * g->kh * g->kw, ohw = (size_t)g->oh * g->ow;
    conv_plan p;
    /* (+ 8: im2row's last short row may spill that far) */
    p.col = is_pointwise(g) ? 0 : round16(kdim * ohw + 8);
    p.part = round16((size_t)g->f * kdim);
    p.stride = p.col + p.part;
    size_t fit = SLOTS_BUDGET / (p.stride * sizeof(float));
    int s = g->n < SLOTS_MAX ? g->n : SLOTS_MAX;
    if ((size_t)s > fit) s = fit > 0 ? (int)fit : 1;
    p.slots = s > 0 ? s : 1;
    /* Forward: S samples side by side in one GEMM where a sample has few
     * output pixels (ResNet's last stages: 7×7, 14×14): its GEMM is a thin
     * W · col whose cost is streaming W (up to 9 MB) once per sample; S
     * samples' cols side by side stream it once per S. S comes from the
     * backward stride: fixed by the shape alone, whichever workspace is
     * given ... */
    p.group = 1;
    size_t per = (kdim + (size_t)g->f) * ohw + 16;
    if (p.col && g->groups == 1 && ohw < MULTI_OHW_MAX && p.stride / per > 1)
        p.group = p.stride / per < MULTI_MAX ? (int)(p.stride / per) : MULTI_MAX;
    /* ... or a band of output rows at a time when col is large. */
    p.band = g->oh;
    if (p.col && kdim * ohw > COL_BAND_FLOATS) {
        size_t band = COL_BAND_FLOATS / (kdim * g->ow);
        p.band = band < 1 ? 1 : (int)band;
    }
    p.fstride = p.group > 1 ? round16(per * p.group) : p.col ? round16(kdim * p.band * g->ow + 8) : 0;
    p.fneed = (size_t)p.slots * p.fstride;
    /* With fewer samples than workers a sample's bands run side by side,
     * each at its own place of a whole col (forward_sample_bands). */
    if (p.band < g->oh && g->groups == 1 && p.col > p.fneed) p.fneed = p.col;
    return p;
}

size_t mx_cpu_conv_workspace(const mx_conv_geom *g)
{
    conv_plan p = plan_of(g);
    size_t bwd = (size_t)p.slots * p.stride;
    return (bwd > p.fneed ? bwd : p.fneed) * sizeof(float);
}

size_t mx_cpu_conv_forward_workspace(const mx_conv_geom *g)
{
    if (is_depthwise(g)) return 0; /* direct, no col */
    return plan_of(g).fneed * sizeof(float);
}

static void gemm(gemm_at at, int ta, int tb, int m, int n, int k, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc)
{
    if (at.scratch) mx_sgemm_serial(at.scratch, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
    else mx_sgemm(at.eng, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}

/* Outputs [*lo, *hi) of one axis whose tap reads inside the input: those
 * with i = o·stride + off in [0, size), off = k·dilate − pad. */
static void valid_range(int off, int stride, int size, int out, int *lo, int *hi)
{
    long a = off >= 0 ? 0 : (-(long)off + stride - 1) / stride;
    long b = (long)size - 1 - off < 0 ? 0 : ((long)size - 1 - off) / stride + 1;
    if (b > out) b = out;
    *lo = (int)(a < b ? a : b);
    *hi = (int)b;
}

/* Row pieces move in 8-float blocks, one vector move each: LeNet's conv2
 * rows are 8 floats, and GCC's memcpy/memset calls for its copy loops
 * (suppressed below) cost more than such a row. A copy may end with an
 * overlapping block; an accumulation may not. */
#if defined(__GNUC__) && !defined(__clang__)
#define NO_LIBCALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define NO_LIBCALLS
#endif

static inline void copy_row(float *restrict d, const float *restrict s, int n)
{
    /* fixed-size memcpy: one unaligned vector load and store each */
    if (n >= 8) {
        int i = 0;
        for (; i + 8 <= n; i += 8) memcpy(d + i, s + i, 32);
        if (i < n) memcpy(d + n - 8, s + n - 8, 32);
    } else if (n >= 4) { /* (a 5×5 kernel's rows in im2row) */
        memcpy(d, s, 16);
        memcpy(d + n - 4, s + n - 4, 16);
    } else {
        for (int i = 0; i < n; i++) d[i] = s[i];
    }
}

static inline void zero_row(float *restrict d, int n)
{
    if (n < 8) {
        for (int i = 0; i < n; i++) d[i] = 0.0f;
        return;
    }
    int i = 0;
    for (; i + 8 <= n; i += 8) memset(d + i, 0, 32);
    if (i < n) memset(d + n - 8, 0, 32);
}

static inline void add_row(float *restrict d, const float *restrict s, int n)
{
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) d[i + l] += s[i + l];
    for (; i < n; i++) d[i] += s[i];
}

/* col (kdim × (oy1−oy0)·ow, rows ld floats apart) of cg channels of one
 * sample, for output rows [oy0, oy1): row (c, ky, kx) holds what each of
 * those output pixels sees through that tap, 0 in the padding. Loop
 * bounds come first, so the rows inside the input are plain copies. */
MX_SIMD_CLONES NO_LIBCALLS static void im2col_rows(const mx_conv_geom *g, const float *restrict x, int cg,
                                                   float *restrict col, size_t ld, int oy0, int oy1)
{
    const int ow = g->ow, sw = g->sw;
    const size_t ystep = (size_t)g->sh * g->w;
    for (int c = 0; c < cg; c++)
        for (int ky = 0; ky < g->kh; ky++) {
            int ylo, yhi, offy = ky * g->dh - g->ph;
            valid_range(offy, g->sh, g->h, g->oh, &ylo, &yhi);
            ylo = ylo < oy0 ? oy0 : ylo > oy1 ? oy1 : ylo;
            yhi = yhi > oy1 ? oy1 : yhi < ylo ? ylo : yhi;
            for (int kx = 0; kx < g->kw; kx++) {
                float *restrict d = col + ((size_t)(c * g->kh + ky) * g->kw + kx) * ld;
                int lo, hi, offx = kx * g->dw - g->pw, n;
                valid_range(offx, sw, g->w, ow, &lo, &hi);
                n = hi - lo;
                zero_row(d, (ylo - oy0) * ow); /* rows above the input */
                d += (size_t)(ylo - oy0) * ow;
                if (yhi > ylo) {
                    const float *restrict s =
                        x + ((size_t)c * g->h + ylo * g->sh + offy) * g->w + lo * sw + offx;
                    if (sw == 1 && n == 8 && ow == 8) { /* one whole row a vector: LeNet's conv2 */
                        for (int oy = ylo; oy < yhi; oy++, d += ow, s += ystep) memcpy(d, s, 32);
                    } else if (sw == 1 && n == ow) {
                        for (int oy = ylo; oy < yhi; oy++, d += ow, s += ystep) copy_row(d, s, n);
                    } else {
                        for (int oy = ylo; oy < yhi; oy++, d += ow, s += ystep) {
                            zero_row(d, lo);
                            if (sw == 1) copy_row(d + lo, s, n);
                            else
                                for (int i = 0; i < n; i++) d[lo + i] = s[i * sw];
                            zero_row(d + hi, ow - hi);
                        }
                    }
                }
                zero_row(d, (oy1 - yhi) * ow); /* rows below */
            }
        }
}

/* The whole col matrix of one sample (every output row). */
static void im2col(const mx_conv_geom *g, const float *x, int cg, float *col, size_t ld)
{
    im2col_rows(g, x, cg, col, ld, 0, g->oh);
}

/* dx (cg channels of one sample) += the col matrix folded back: the
 * transpose of im2col, padding taps dropped. kx is the outer tap loop:
 * taps kx and kx + 1 add to row pieces one float apart, and a load that
 * half-overlaps a store still in flight stalls (col2im ran about a tenth
 * slower in the (ky, kx) order). */
MX_SIMD_CLONES NO_LIBCALLS static void col2im(const mx_conv_geom *g, const float *restrict col, int cg,
                                              float *restrict dx)
{
    const int ow = g->ow, oh = g->oh, sw = g->sw;
    const size_t ystep = (size_t)g->sh * g->w;
    for (int c = 0; c < cg; c++)
        for (int kx = 0; kx < g->kw; kx++) {
            int lo, hi, offx = kx * g->dw - g->pw;
            valid_range(offx, sw, g->w, ow, &lo, &hi);
            for (int ky = 0; ky < g->kh; ky++) {
                int ylo, yhi, offy = ky * g->dh - g->ph;
                valid_range(offy, g->sh, g->h, oh, &ylo, &yhi);
                if (yhi <= ylo || hi <= lo) continue;
                const float *restrict s = col + ((size_t)(c * g->kh + ky) * g->kw + kx) * oh * ow +
                                          (size_t)ylo * ow + lo;
                float *restrict d = dx + ((size_t)c * g->h + ylo * g->sh + offy) * g->w + lo * sw + offx;
                int n = hi - lo;
                if (sw == 1 && n == 8) { /* one vector a row: LeNet's conv2 */
                    for (int oy = ylo; oy < yhi; oy++, s += ow, d += ystep)
                        for (int l = 0; l < 8; l++) d[l] += s[l];
                    continue;
                }
                for (int oy = ylo; oy < yhi; oy++, s += ow, d += ystep) {
                    if (sw == 1) add_row(d, s, n);
                    else
                        for (int i = 0; i < n; i++) d[i * sw] += s[i];
                }
            }
        }
}

/* colT (oh·ow × kdim), the transpose of im2col's matrix: row (oy, ox)
 * holds the receptive field of that output pixel, kernel rows contiguous. */
MX_SIMD_CLONES NO_LIBCALLS static void im2row(const mx_conv_geom *g, const float *restrict x, int cg,
                                              float *restrict colt, const float *x_end)
{
    /* locals: memcpy's stores may alias *g as far as the compiler knows */
    const int kh = g->kh, kw = g->kw, kdim = cg * g->kh * g->kw, dw = g->dw;
    const size_t hw = (size_t)g->h * g->w, ystep = (size_t)g->dh * g->w;
    for (int oy = 0; oy < g->oh; oy++) {
        int iy0 = oy * g->sh - g->ph, rows_in = iy0 >= 0 && iy0 + (g->kh - 1) * g->dh < g->h;
        for (int ox = 0; ox < g->ow; ox++) {
            float *restrict d = colt + ((size_t)oy * g->ow + ox) * kdim;
            int lo, hi, ix = ox * g->sw - g->pw, n;
            valid_range(ix, dw, g->w, kw, &lo, &hi); /* the taps kx inside the row */
            n = hi - lo;
            if (rows_in && n == kw && dw == 1) { /* the whole field inside: plain copies */
                const float *restrict s = x + (size_t)iy0 * g->w + ix;
                /* Short rows (kw < 8) move as one 8-float vector each: the
                 * extra floats land where the next row (or the next pixel,
                 * or the col buffer's slack) is written later, and are read
                 * only while still inside x. Half the stores of two 4-float
                 * moves: im2row is store-bound. */
                if (kw < 8 && s + (size_t)(cg - 1) * hw + (kh - 1) * ystep + 8 <= x_end) {
                    for (int c = 0; c < cg; c++, s += hw) {
                        const float *restrict r = s;
                        for (int ky = 0; ky < kh; ky++, d += kw, r += ystep) memcpy(d, r, 32);
                    }
                    continue;
                }
                for (int c = 0; c < cg; c++, s += hw) {
                    const float *restrict r = s;
                    for (int ky = 0; ky < kh; ky++, d += kw, r += ystep) copy_row(d, r, kw);
                }
                continue;
            }
            for (int c = 0; c < cg; c++)
                for (int ky = 0; ky < g->kh; ky++, d += kw) {
                    int iy = oy * g->sh - g->ph + ky * g->dh;
                    if (iy < 0 || iy >= g->h || n == 0) {
                        zero_row(d, kw);
                        continue;
                    }
                    const float *restrict s = x + ((size_t)c * g->h + iy) * g->w + ix + lo * dw;
                    zero_row(d, lo);
                    if (dw == 1) copy_row(d + lo, s, n);
                    else
                        for (int i = 0; i < n; i++) d[lo + i] = s[i * dw];
                    zero_row(d + hi, kw - hi);
                }
        }
    }
}

/* Every row of y (rows × cols) = its filter's bias. */
MX_SIMD_CLONES static void fill_bias(float *restrict y, const float *restrict b, int rows, int cols)
{
    for (int r = 0; r < rows; r++)
        for (int s = 0; s < cols; s++) y[(size_t)r * cols + s] = b[r];
}


/* Output rows [oy0, oy1) of sample n, group gi: im2col of the band into
 * col, one GEMM into y's rows (bias already there when there is one). */
static void forward_rows(const conv_job *J, gemm_at at, long n, int gi, float *col, int oy0, int oy1)
{
    const mx_conv_geom *g = J->g;
    const int cg = g->c / g->groups, fg = g->f / g->groups, k = J->kdim, ohw = J->ohw;
    const size_t hw = (size_t)g->h * g->w;
    const float *src = J->x + (size_t)n * g->c * hw + (size_t)gi * cg * hw;
    const float *wg = J->w + (size_t)gi * fg * k;
    float *yg = J->y + (size_t)n * g->f * ohw + (size_t)gi * fg * ohw;
    float beta = J->b ? 1.0f : 0.0f;
    if (!J->p.col) {
        gemm(at, 0, 0, fg, ohw, k, wg, k, src, ohw, beta, yg, ohw);
        return;
    }
    int wide = (oy1 - oy0) * g->ow;
    im2col_rows(g, src, cg, col, (size_t)wide, oy0, oy1);
    gemm(at, 0, 0, fg, wide, k, wg, k, col, wide, beta, yg + (size_t)oy0 * g->ow, ohw);
}

/* A col matrix past L2 is written out and read back by the GEMM's
 * packing (ResNet's 64 × 576 × 3136 floats: 7 MB a sample): forward takes
 * it a band of output rows at a time, each band's col staying in cache. */
static void forward_sample(const conv_job *J, gemm_at at, long n, float *col)
{
    const mx_conv_geom *g = J->g;
    if (J->b) fill_bias(J->y + (size_t)n * g->f * J->ohw, J->b, g->f, J->ohw);
    int band = J->p.band;
    for (int gi = 0; gi < g->groups; gi++)
        for (int oy0 = 0; oy0 < g->oh; oy0 += band)
            forward_rows(J, at, n, gi, col, oy0, oy0 + band < g->oh ? oy0 + band : g->oh);
}

/* With fewer samples than workers (batch 1), a sample's bands run side by
 * side instead of each GEMM on the pool: band b's col sits at its own
 * offset of the slot's col (which holds a whole sample's), and each band
 * is the same serial GEMM whichever worker runs it: the same bits. */
typedef struct band_job {
    const conv_job *J;
    long n;
    float *col;
    int band, nbands;
} band_job;

static void band_task(void *ctx, int tid, int nthreads)
{
    const band_job *B = ctx;
    const mx_conv_geom *g = B->J->g;
    long b0, b1;
    mx_split_range(B->nbands, tid, nthreads, &b0, &b1);
    gemm_at at = {NULL, mx_engine_scratch(B->J->eng, tid)};
    for (long b = b0; b < b1; b++) {
        int oy0 = (int)b * B->band, oy1 = oy0 + B->band < g->oh ? oy0 + B->band : g->oh;
        forward_rows(B->J, at, B->n, 0, B->col + (size_t)B->J->kdim * oy0 * g->ow, oy0, oy1);
    }
}

static void forward_sample_bands(const conv_job *J, long n, float *col)
{
    const mx_conv_geom *g = J->g;
    if (J->b) fill_bias(J->y + (size_t)n * g->f * J->ohw, J->b, g->f, J->ohw);
    band_job B = {J, n, col, J->p.band, 0};
    B.nbands = (g->oh + B.band - 1) / B.band;
    mx_engine_run(J->eng, band_task, &B);
}

/* One sample's share of backward; first: the slot's first sample, which
 * writes the slot's partial weight gradient instead of adding to it. */
static void backward_sample(const conv_job *J, gemm_at at, long n, float *col, float *part, int first)
{
    const mx_conv_geom *g = J->g;
    const int cg = g->c / g->groups, fg = g->f / g->groups, k = J->kdim, ohw = J->ohw;
    const size_t hw = (size_t)g->h * g->w;
    const float *x = J->x + (size_t)n * g->c * hw, *dy = J->dy + (size_t)n * g->f * ohw;
    float *dx = J->rx != MX_REQ_NULL ? J->dx + (size_t)n * g->c * hw : NULL;
    /* col2im accumulates: a written gradient starts from zero */
    if (dx && J->p.col && J->rx == MX_REQ_WRITE) memset(dx, 0, (size_t)g->c * hw * sizeof *dx);
    for (int gi = 0; gi < g->groups; gi++) {
        const float *dyg = dy + (size_t)gi * fg * ohw, *wg = J->w + (size_t)gi * fg * k;
        const float *xg = x + gi * cg * hw;
        if (J->rw != MX_REQ_NULL && J->rows) { /* dW += dy · colT */
            im2row(g, xg, cg, col, J->x + (size_t)g->n * g->c * hw);
            gemm(at, 0, 0, fg, k, ohw, dyg, ohw, col, k, first ? 0.0f : 1.0f, part + (size_t)gi * fg * k, k);
        } else if (J->rw != MX_REQ_NULL) { /* dW += dy · colᵀ */
            const float *src = xg;
            if (J->p.col) {
                im2col(g, xg, cg, col, (size_t)ohw);
                src = col;
            }
            gemm(at, 0, 1, fg, k, ohw, dyg, ohw, src, ohw, first ? 0.0f : 1.0f,
                 part + (size_t)gi * fg * k, k);
        }
        if (!dx) continue;
        float *dxg = dx + gi * cg * hw;
        if (!J->p.col) { /* pointwise: the GEMM lands in dx itself */
            gemm(at, 1, 0, k, ohw, fg, wg, k, dyg, ohw, J->rx == MX_REQ_ADD ? 1.0f : 0.0f, dxg, ohw);
        } else {
            gemm(at, 1, 0, k, ohw, fg, wg, k, dyg, ohw, 0.0f, col, ohw);
            col2im(g, col, cg, dxg);
        }
    }
}


/* Samples [n0, n0 + cnt) of one group-free conv as one GEMM over their
 * cols side by side, then each sample's rows (plus bias) into y. */
static void forward_samples(const conv_job *J, gemm_at at, long n0, int cnt, float *buf)
{
    const mx_conv_geom *g = J->g;
    const int k = J->kdim, ohw = J->ohw, wide = cnt * ohw;
    const size_t hw = (size_t)g->h * g->w;
    float *col = buf, *out = buf + (size_t)k * wide + 16;
    for (int s = 0; s < cnt; s++) /* sample s: columns [s·ohw, (s+1)·ohw) of the wide col */
        im2col(g, J->x + (size_t)(n0 + s) * g->c * hw, g->c, col + (size_t)s * ohw, (size_t)wide);
    gemm(at, 0, 0, g->f, wide, k, J->w, k, col, wide, 0.0f, out, wide);
    for (int s = 0; s < cnt; s++) {
        float *y = J->y + (size_t)(n0 + s) * g->f * ohw;
        for (int f = 0; f < g->f; f++) {
            const float *src = out + (size_t)f * wide + (size_t)s * ohw;
            float bias = J->b ? J->b[f] : 0.0f;
            float *dst = y + (size_t)f * ohw;
            for (int p = 0; p < ohw; p++) dst[p] = src[p] + bias;
        }
    }
}

/* Slot j: samples [j·n/slots, (j+1)·n/slots), a balanced cut whichever
 * contiguous run of slots a worker takes. */
static void run_slot(const conv_job *J, int j, gemm_at at)
{
    long n0 = (long)j * J->g->n / J->p.slots, n1 = (long)(j + 1) * J->g->n / J->p.slots;
    /* (forward of a pointwise conv may have no workspace at all) */
    float *col = J->ws ? J->ws + (size_t)j * (J->backward ? J->p.stride : J->p.fstride) : NULL;
    float *part = col ? col + J->p.col : NULL;
    int group = J->backward ? 1 : J->p.group;
    for (long n = n0; n < n1;) {
        if (J->backward) backward_sample(J, at, n, col, part, n == n0);
        else if (group > 1 && n1 - n > 1) {
            int cnt = n1 - n < group ? (int)(n1 - n) : group;
            forward_samples(J, at, n, cnt, col);
            n += cnt;
            continue;
        } else forward_sample(J, at, n, col);
        n++;
    }
}

static void slot_task(void *ctx, int tid, int nthreads)
{
    const conv_job *J = ctx;
    long j0, j1;
    mx_split_range(J->p.slots, tid, nthreads, &j0, &j1);
    gemm_at at = {NULL, mx_engine_scratch(J->eng, tid)};
    for (long j = j0; j < j1; j++) run_slot(J, (int)j, at);
}

static void run_slots(conv_job *J)
{
    if (J->p.slots >= mx_engine_threads(J->eng)) {
        mx_engine_run(J->eng, slot_task, J);
        return;
    }
    gemm_at at = {J->eng, NULL};
    if (!J->backward && J->g->groups == 1 && J->p.band < J->g->oh) {
        for (long n = 0; n < J->g->n; n++) forward_sample_bands(J, n, J->ws);
        return;
    }
    for (int j = 0; j < J->p.slots; j++) run_slot(J, j, at);
}

/* dw[lo, hi) (req) = Σ over slots of the partials, in slot order. */
MX_SIMD_CLONES static void sum_partials(const conv_job *J, size_t lo, size_t hi)
{
    float *restrict dw = J->dw;
    for (int j = 0; j < J->p.slots; j++) {
        const float *restrict part = J->ws + (size_t)j * J->p.stride + J->p.col;
        if (j == 0 && J->rw == MX_REQ_WRITE)
            for (size_t e = lo; e < hi; e++) dw[e] = part[e];
        else
            for (size_t e = lo; e < hi; e++) dw[e] += part[e];
    }
}

/* db[f] over [f0, f1) (req) = Σ of dy over samples and pixels; sixteen
 * running sums per row (one vector), then added in a fixed order. */
MX_SIMD_CLONES static void sum_bias(const conv_job *J, long f0, long f1)
{
    const int ohw = J->ohw;
    for (long f = f0; f < f1; f++) {
        float acc[16] = {0};
        float tail = 0.0f;
        for (long n = 0; n < J->g->n; n++) {
            const float *restrict row = J->dy + ((size_t)n * J->g->f + f) * ohw;
            int s = 0;
            for (; s + 16 <= ohw; s += 16)
                for (int l = 0; l < 16; l++) acc[l] += row[s + l];
            for (; s < ohw; s++) tail += row[s];
        }
        float sum = tail;
        for (int l = 0; l < 16; l++) sum += acc[l];
        J->db[f] = J->rb == MX_REQ_ADD ? J->db[f] + sum : sum;
    }
}

static void reduce_task(void *ctx, int tid, int nthreads)
{
    const conv_job *J = ctx;
    if (J->rw != MX_REQ_NULL) {
        size_t total = (size_t)J->g->f * J->kdim;
        long u0, u1; /* whole vectors per worker */
        mx_split_range((long)(total + 15) / 16, tid, nthreads, &u0, &u1);
        size_t lo = (size_t)u0 * 16, hi = (size_t)u1 * 16 < total ? (size_t)u1 * 16 : total;
        if (lo < hi) sum_partials(J, lo, hi);
    }
    if (J->rb != MX_REQ_NULL) {
        long f0, f1;
        mx_split_range(J->g->f, tid, nthreads, &f0, &f1);
        sum_bias(J, f0, f1);
    }
}

static void job_init(conv_job *J, mx_engine *eng, const mx_conv_geom *g, void *ws)
{
    memset(J, 0, sizeof *J);
    J->g = g;
    J->p = plan_of(g);
    J->kdim = g->c / g->groups * g->kh * g->kw;
    J->ohw = g->oh * g->ow;
    /* dy·colT runs the strip kernels over whole vectors of kdim: 1.5× the
     * dot kernels' speed on dy·colᵀ when pixels are few (LeNet's conv2:
     * 64); few taps (conv1: 25) would leave the strips' vectors empty. */
    J->rows = J->p.col && J->kdim >= 64;
    J->ws = ws;
    J->eng = eng;
}

/* Depthwise (one filter per channel, MobileNet's 3×3 layers): as a GEMM
 * each group is a 1 × 9 by 9 × pixels product, all overhead; directly,
 * each output plane adds its kh·kw shifted input rows, tap by tap (the
 * plane stays in L1), planes spread over the pool. The same arithmetic
 * whatever the thread count (is_depthwise, above). */

typedef struct dw_job {
    const mx_conv_geom *g;
    const float *x, *w, *b;
    float *y;
} dw_job;

MX_SIMD_CLONES static void dw_planes(void *p, size_t lo, size_t hi)
{
    const dw_job *J = p;
    const mx_conv_geom *g = J->g;
    const int ow = g->ow, sw = g->sw;
    const size_t hw = (size_t)g->h * g->w, ohw = (size_t)g->oh * ow;
    for (size_t plane = lo; plane < hi; plane++) {
        const int ch = (int)(plane % (size_t)g->c);
        const float *x = J->x + plane * hw, *w = J->w + (size_t)ch * g->kh * g->kw;
        float *restrict y = J->y + plane * ohw;
        const float bias = J->b ? J->b[ch] : 0.0f;
        for (size_t i = 0; i < ohw; i++) y[i] = bias;
        for (int ky = 0; ky < g->kh; ky++) {
            int ylo, yhi, offy = ky * g->dh - g->ph;
            valid_range(offy, g->sh, g->h, g->oh, &ylo, &yhi);
            for (int kx = 0; kx < g->kw; kx++) {
                int xlo, xhi, offx = kx * g->dw - g->pw;
                valid_range(offx, sw, g->w, ow, &xlo, &xhi);
                const float t = w[ky * g->kw + kx];
                for (int oy = ylo; oy < yhi; oy++) {
                    const float *restrict s = x + (size_t)(oy * g->sh + offy) * g->w + offx;
                    float *restrict d = y + (size_t)oy * ow;
                    if (sw == 1)
                        for (int ox = xlo; ox < xhi; ox++) d[ox] += t * s[ox];
                    else
                        for (int ox = xlo; ox < xhi; ox++) d[ox] += t * s[ox * sw];
                }
            }
        }
    }
}

void mx_cpu_conv_forward(mx_engine *eng, const mx_conv_geom *g, const float *x, const float *w,
                         const float *b, float *y, void *ws)
{
    if (is_depthwise(g)) {
        dw_job D = {g, x, w, b, y};
        mx_cpu_parallel(eng, (size_t)g->n * g->c, 1, dw_planes, &D);
        return;
    }
    conv_job J;
    job_init(&J, eng, g, ws);
    J.x = x, J.w = w, J.b = b, J.y = y;
    run_slots(&J);
}

void mx_cpu_conv_backward(mx_engine *eng, const mx_conv_geom *g, const float *x, const float *w,
                          const float *dy, float *dx, mx_req req_x, float *dw, mx_req req_w,
                          float *db, mx_req req_b, void *ws)
{
    conv_job J;
    job_init(&J, eng, g, ws);
    J.x = x, J.w = w, J.dy = dy, J.backward = 1;
    J.dx = dx, J.dw = dw, J.db = db;
    J.rx = dx ? req_x : MX_REQ_NULL;
    J.rw = dw ? req_w : MX_REQ_NULL;
    J.rb = db ? req_b : MX_REQ_NULL;
    if (J.rx != MX_REQ_NULL || J.rw != MX_REQ_NULL) run_slots(&J);
    if (J.rw != MX_REQ_NULL || J.rb != MX_REQ_NULL) mx_engine_run(eng, reduce_task, &J);
}
