/* lstm_cell.c — the fused LSTM cell on the CPU (runtime/graph/fuse.c puts it
 * where the unrolled graph had _Plus, SliceChannel, four Activations,
 * three _Mul, a _Plus and a tanh: one pass over the rows instead of
 * eleven, and no intermediate arrays). Same functions as the unfused ops
 * (vmath.h's σ and tanh), and the same order of float operations, so the
 * fused and unfused graphs agree to a few ulp. Rows go to the engine's
 * workers; each row's columns of one role are contiguous, so the loops
 * over a row vectorise. */
#include "cpu_kernels.h"
#include "cpu_par.h"
#include "cpu_simd.h"
#include "vmath.h"

enum { ROLE_I, ROLE_G, ROLE_F, ROLE_O };

typedef struct cell_job {
    const float *a, *b, *cp, *act, *dc, *dh;
    float *c, *h, *actw, *da, *db, *dcp;
    mx_req req_a, req_b, req_c;
    size_t hid;
    const int *gate;
} cell_job;

/* Rows [lo, hi) of the forward pass. The column pointers are restrict
 * parameters: as block-scope locals GCC ignored the qualifier, could not
 * tell the stores from the loads and left the loop scalar (10x slower). */
MX_SIMD_CLONES static void forward_block(size_t lo, size_t hi, size_t H, const float *restrict ai,
                                         const float *restrict ag, const float *restrict af,
                                         const float *restrict ao, const float *restrict bi,
                                         const float *restrict bg, const float *restrict bf,
                                         const float *restrict bo, const float *restrict cp, float *restrict si,
                                         float *restrict sg, float *restrict sf, float *restrict so,
                                         float *restrict c, float *restrict h)
{
    for (size_t r = lo; r < hi; r++) {
        size_t w = r * 4 * H, n = r * H;
        for (size_t k = 0; k < H; k++) {
            float i = mx_vsigmoidf(ai[w + k] + bi[w + k]);
            float g = mx_vtanhf(ag[w + k] + bg[w + k]);
            float f = mx_vsigmoidf(af[w + k] + bf[w + k]);
            float o = mx_vsigmoidf(ao[w + k] + bo[w + k]);
            si[w + k] = i;
            sg[w + k] = g;
            sf[w + k] = f;
            so[w + k] = o;
            float fc = f * cp[n + k], ig = i * g, cc = fc + ig;
            c[n + k] = cc;
            h[n + k] = o * mx_vtanhf(cc);
        }
    }
}

static void forward_rows(void *p, size_t lo, size_t hi)
{
    const cell_job *j = p;
    size_t H = j->hid;
    size_t gi = (size_t)j->gate[ROLE_I] * H, gg = (size_t)j->gate[ROLE_G] * H;
    size_t gf = (size_t)j->gate[ROLE_F] * H, go = (size_t)j->gate[ROLE_O] * H;
    forward_block(lo, hi, H, j->a + gi, j->a + gg, j->a + gf, j->a + go, j->b + gi, j->b + gg, j->b + gf,
                  j->b + go, j->cp, j->actw + gi, j->actw + gg, j->actw + gf, j->actw + go, j->c, j->h);
}

void mx_cpu_lstm_cell_forward(mx_engine *eng, const float *a, const float *b, const float *cp, float *c,
                              float *hout, float *act, size_t n, size_t h, const int gate[4])
{
    cell_job j = {.a = a, .b = b, .cp = cp, .c = c, .h = hout, .actw = act, .hid = h, .gate = gate};
    /* a row costs ~5 transcendental evaluations per unit */
    size_t min_rows = h ? (MX_CPU_PAR_MIN / 8 + h - 1) / h : 1;
    mx_cpu_parallel(eng, n, min_rows ? min_rows : 1, forward_rows, &j);
}

/* Rows [lo, hi) of the gradients when da and db are both written (the
 * fused cell's i2h and h2h have one consumer each, so that is what bind
 * asks for) and dc, dh are given (all but the last step's cells); mode_c: 0 no dcp, 1 write, 2 add. Always inlined with mode_c
 * a constant, so each variant's loop has no branch and vectorises;
 * restrict parameters as in forward_block. */
static inline __attribute__((always_inline)) void backward_block(
    size_t lo, size_t hi, size_t H, int mode_c, const float *restrict si, const float *restrict sg,
    const float *restrict sf, const float *restrict so, const float *restrict cp, const float *restrict dc,
    const float *restrict dh, float *restrict dai, float *restrict dag, float *restrict daf, float *restrict dao,
    float *restrict dbi, float *restrict dbg, float *restrict dbf, float *restrict dbo, float *restrict dcp)
{
    for (size_t r = lo; r < hi; r++) {
        size_t w = r * 4 * H, n = r * H;
        for (size_t k = 0; k < H; k++) {
            float i = si[w + k], g = sg[w + k], f = sf[w + k], o = so[w + k], cpk = cp[n + k];
            float fc = f * cpk, ig = i * g, cc = fc + ig; /* c, exactly as forward */
            float t = mx_vtanhf(cc);
            float dhk = dh[n + k];
            float dck = dc[n + k] + dhk * o * (1.0f - t * t);
            float di = dck * g * (i * (1.0f - i)), dg = dck * i * (1.0f - g * g);
            float df = dck * cpk * (f * (1.0f - f)), dout = dhk * t * (o * (1.0f - o));
            dai[w + k] = dbi[w + k] = di;
            dag[w + k] = dbg[w + k] = dg;
            daf[w + k] = dbf[w + k] = df;
            dao[w + k] = dbo[w + k] = dout;
            if (mode_c == 1) dcp[n + k] = dck * f;
            else if (mode_c == 2) dcp[n + k] += dck * f;
        }
    }
}

#define BACKWARD_VARIANT(fn, MODE)                                                                       \
    MX_SIMD_CLONES static void fn(const cell_job *j, size_t lo, size_t hi, const size_t g[4])           \
    {                                                                                                    \
        const float *s = j->act;                                                                         \
        backward_block(lo, hi, j->hid, MODE, s + g[0], s + g[1], s + g[2], s + g[3], j->cp, j->dc, j->dh, \
                       j->da + g[0], j->da + g[1], j->da + g[2], j->da + g[3], j->db + g[0], j->db + g[1], \
                       j->db + g[2], j->db + g[3], j->dcp);                                              \
    }
BACKWARD_VARIANT(backward_no_c, 0)
BACKWARD_VARIANT(backward_write_c, 1)
BACKWARD_VARIANT(backward_add_c, 2)

static void backward_rows(void *p, size_t lo, size_t hi)
{
    const cell_job *j = p;
    size_t H = j->hid, g[4];
    for (int q = 0; q < 4; q++) g[q] = (size_t)j->gate[q] * H;
    if (!j->dcp) backward_no_c(j, lo, hi, g);
    else if (j->req_c == MX_REQ_ADD) backward_add_c(j, lo, hi, g);
    else backward_write_c(j, lo, hi, g);
}

/* Any other case (an input gradient added to or not wanted, a zero dc or
 * dh): a scalar pass, the same values as backward_block. */
static inline void put(float *dst, size_t k, float v, mx_req req)
{
    if (req == MX_REQ_ADD) dst[k] += v;
    else dst[k] = v;
}

static void backward_rows_general(void *p, size_t lo, size_t hi)
{
    const cell_job *j = p;
    size_t H = j->hid;
    size_t col0[4] = {(size_t)j->gate[ROLE_I] * H, (size_t)j->gate[ROLE_G] * H, (size_t)j->gate[ROLE_F] * H,
                      (size_t)j->gate[ROLE_O] * H};
    for (size_t r = lo; r < hi; r++) {
        const float *act = j->act + r * 4 * H, *cp = j->cp + r * H;
        for (size_t k = 0; k < H; k++) {
            float i = act[col0[ROLE_I] + k], g = act[col0[ROLE_G] + k];
            float f = act[col0[ROLE_F] + k], o = act[col0[ROLE_O] + k];
            float fc = f * cp[k], ig = i * g, cc = fc + ig;
            float t = mx_vtanhf(cc);
            float dhk = j->dh ? j->dh[r * H + k] : 0.0f;
            float dck = (j->dc ? j->dc[r * H + k] : 0.0f) + dhk * o * (1.0f - t * t);
            float d[4] = {dck * g * (i * (1.0f - i)), dck * i * (1.0f - g * g), dck * cp[k] * (f * (1.0f - f)),
                          dhk * t * (o * (1.0f - o))};
            for (int q = 0; q < 4; q++) {
                if (j->da) put(j->da + r * 4 * H, col0[q] + k, d[q], j->req_a);
                if (j->db) put(j->db + r * 4 * H, col0[q] + k, d[q], j->req_b);
            }
            if (j->dcp) put(j->dcp + r * H, k, dck * f, j->req_c);
        }
    }
}

void mx_cpu_lstm_cell_backward(mx_engine *eng, const float *act, const float *cp, const float *dc,
                               const float *dh, float *da, mx_req req_a, float *db, mx_req req_b,
                               float *dcp, mx_req req_c, size_t n, size_t h, const int gate[4])
{
    cell_job j = {.act = act, .cp = cp, .dc = dc, .dh = dh, .hid = h, .gate = gate,
                  .da = req_a ? da : NULL, .db = req_b ? db : NULL, .dcp = req_c ? dcp : NULL,
                  .req_a = req_a, .req_b = req_b, .req_c = req_c};
    size_t min_rows = h ? (MX_CPU_PAR_MIN / 4 + h - 1) / h : 1;
    int fast = req_a == MX_REQ_WRITE && req_b == MX_REQ_WRITE && dc && dh;
    mx_cpu_parallel(eng, n, min_rows ? min_rows : 1, fast ? backward_rows : backward_rows_general, &j);
}
