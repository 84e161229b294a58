/* optimizer.c — the optimizers of mx/optimizer.h over the context's kernel
 * table: options and their validation, the schedules, the state buffer and
 * its header, and the per-step scalars (bias corrections) that the fused
 * kernels in kernels/<device>/ take. The spec parser is optimizer_parse.c. */
#include "mx/optimizer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/ndarray/device.h"
#include "kernels/kernels.h"

/* The step header of a state in GPU memory, kept on the host between
 * updates: reading it back every step would stall the device once per
 * parameter. mx_optimizer_flush writes them to the device. */
#define HDR_CACHE 512
typedef struct hdr_slot {
    const float *state; /* device address of the state (NULL: free slot) */
    mx_ctx ctx;
    float h[4];
    int dirty;          /* changed since the last flush */
} hdr_slot;

struct mx_optimizer {
    mx_optimizer_opts o;      /* as created */
    mx_momentum_schedule mom; /* o.momentum_schedule with AUTO resolved */
    double lr;                /* η of the current batch */
    int ncache;
    hdr_slot cache[HDR_CACHE];
};

static const char *const kind_names[] = {"SGD", "NAG", "ADAM", "AdaGrad", "AdaDelta", "AdaMax", "RMSProp", "Nadam"};
#define NKINDS ((int)(sizeof kind_names / sizeof kind_names[0]))

mx_optimizer_opts mx_optimizer_defaults(mx_opt_kind kind)
{
    mx_optimizer_opts o;
    memset(&o, 0, sizeof o);
    o.kind = kind;
    /* MXNet.jl's per-optimizer defaults (REFERENCE.md, "Optimizers"). */
    o.weight_decay = 1e-5f;
    o.beta1 = 0.9f, o.beta2 = 0.999f, o.epsilon = 1e-8f, o.rho = 0.9f;
    switch (kind) {
    case MX_OPT_SGD:
    case MX_OPT_NAG: o.lr = 0.01f, o.weight_decay = 1e-4f; break;
    case MX_OPT_ADAM: o.lr = 1e-3f; break;
    case MX_OPT_ADAGRAD: o.lr = 0.1f, o.epsilon = 1e-6f; break;
    case MX_OPT_ADADELTA: o.lr = 1.0f, o.rho = 0.95f, o.epsilon = 1e-6f; break;
    case MX_OPT_ADAMAX: o.lr = 2e-3f; break;
    case MX_OPT_RMSPROP: o.lr = 1e-3f; break;
    case MX_OPT_NADAM: o.lr = 1e-3f, o.beta1 = 0.99f; break;
    }
    o.lr_schedule.kind = MX_LR_FIXED;
    o.lr_schedule.gamma = 0.9f, o.lr_schedule.power = 0.5f;
    /* Filled so that switching to an explicit Nadam schedule starts from
     * MXNet.jl's NadamScheduler(); AUTO ignores them. */
    o.momentum_schedule.kind = MX_MOM_AUTO;
    o.momentum_schedule.mu = 0.99f, o.momentum_schedule.delta = 0.004f;
    o.momentum_schedule.gamma = 0.5f, o.momentum_schedule.alpha = 0.96f;
    return o;
}

/* Records "<optimizer>: bad value <v> for '<field>'" and returns 0. */
static int bad(const char *opt, const char *field, double v)
{
    mx_set_error(MX_EINVAL, "%s: bad value %g for '%s'", opt, v, field);
    return 0;
}

#define CHECK(cond, field, v) \
    do { if (!(cond)) return bad(name, field, (double)(v)); } while (0)

static int finite_ge0(float v) { return isfinite(v) && v >= 0.0f; }
static int unit_open(float v) { return v > 0.0f && v < 1.0f; }   /* (0, 1) */
static int unit_right(float v) { return v >= 0.0f && v < 1.0f; } /* [0, 1) */
static int unit_closed(float v) { return v >= 0.0f && v <= 1.0f; }

static int uses_betas(mx_opt_kind k) { return k == MX_OPT_ADAM || k == MX_OPT_ADAMAX || k == MX_OPT_NADAM; }
static int uses_momentum(mx_opt_kind k) { return k == MX_OPT_SGD || k == MX_OPT_NAG; }

/* Checks every field that kind o->kind uses; 1 if all are valid. */
static int validate(const mx_optimizer_opts *o)
{
    if ((int)o->kind < 0 || (int)o->kind >= NKINDS) {
        mx_set_error(MX_EINVAL, "optimizer: bad value %d for 'kind'", (int)o->kind);
        return 0;
    }
    const char *name = kind_names[o->kind];
    mx_opt_kind k = o->kind;
    CHECK(isfinite(o->lr) && o->lr > 0.0f, "lr", o->lr);
    if (uses_momentum(k)) CHECK(unit_right(o->momentum), "momentum", o->momentum);
    CHECK(finite_ge0(o->weight_decay), "weight_decay", o->weight_decay);
    CHECK(finite_ge0(o->rescale_grad), "rescale_grad", o->rescale_grad);
    CHECK(finite_ge0(o->clip_gradient), "clip_gradient", o->clip_gradient);
    if (uses_betas(k)) {
        CHECK(unit_right(o->beta1), "beta1", o->beta1);
        CHECK(unit_right(o->beta2), "beta2", o->beta2);
    }
    if (k == MX_OPT_ADADELTA || k == MX_OPT_RMSPROP) CHECK(unit_open(o->rho), "rho", o->rho);
    if (!uses_momentum(k)) CHECK(isfinite(o->epsilon) && o->epsilon > 0.0f, "epsilon", o->epsilon);

    const mx_lr_schedule *ls = &o->lr_schedule;
    CHECK(ls->kind == MX_LR_FIXED || ls->kind == MX_LR_EXP || ls->kind == MX_LR_INV, "lr_schedule", ls->kind);
    if (ls->kind != MX_LR_FIXED) CHECK(unit_open(ls->gamma), "lr_schedule.gamma", ls->gamma);
    if (ls->kind == MX_LR_INV) CHECK(finite_ge0(ls->power), "lr_schedule.power", ls->power);

    const mx_momentum_schedule *ms = &o->momentum_schedule;
    int ok_kind = ms->kind == MX_MOM_AUTO || (uses_momentum(k) && (ms->kind == MX_MOM_NULL || ms->kind == MX_MOM_FIXED)) ||
                  (k == MX_OPT_NADAM && ms->kind == MX_MOM_NADAM) ||
                  (!uses_momentum(k) && k != MX_OPT_NADAM && ms->kind == MX_MOM_NULL);
    if (!ok_kind) {
        /* MXNet.jl: SGD takes Null/Fixed, Nadam only its NadamScheduler. */
        mx_set_error(MX_EINVAL, "%s: momentum_schedule kind %d does not apply to %s", name, (int)ms->kind, name);
        return 0;
    }
    if (ms->kind == MX_MOM_FIXED || ms->kind == MX_MOM_NADAM) CHECK(unit_right(ms->mu), "momentum_schedule.mu", ms->mu);
    if (ms->kind == MX_MOM_NADAM) {
        CHECK(finite_ge0(ms->delta), "momentum_schedule.delta", ms->delta);
        CHECK(unit_closed(ms->gamma), "momentum_schedule.gamma", ms->gamma);
        CHECK(unit_closed(ms->alpha), "momentum_schedule.alpha", ms->alpha);
    }
    return 1;
}

/* The schedule an AUTO momentum stands for (MXNet.jl's initmomsched and
 * Nadam's default NadamScheduler(μ = β1)). */
static mx_momentum_schedule resolve_momentum(const mx_optimizer_opts *o)
{
    mx_momentum_schedule m = o->momentum_schedule;
    if (m.kind != MX_MOM_AUTO) return m;
    if (uses_momentum(o->kind)) {
        m.kind = o->momentum > 0.0f ? MX_MOM_FIXED : MX_MOM_NULL;
        m.mu = o->momentum;
    } else if (o->kind == MX_OPT_NADAM) {
        m.kind = MX_MOM_NADAM;
        m.mu = o->beta1, m.delta = 0.004f, m.gamma = 0.5f, m.alpha = 0.96f;
    } else {
        m.kind = MX_MOM_NULL;
    }
    return m;
}

mx_optimizer *mx_optimizer_create(const mx_optimizer_opts *opts)
{
    mx_optimizer_opts o = opts ? *opts : mx_optimizer_defaults(MX_OPT_SGD);
    if (!validate(&o)) return NULL;
    mx_optimizer *opt = calloc(1, sizeof *opt);
    if (!opt) { mx_set_error(MX_ENOMEM, "%s: out of memory", kind_names[o.kind]); return NULL; }
    o.lr_schedule.decay_on_iteration = o.lr_schedule.decay_on_iteration != 0;
    opt->o = o;
    opt->mom = resolve_momentum(&o);
    opt->lr = mx_lr_schedule_at(&o.lr_schedule, o.lr, NULL);
    return opt;
}

mx_optimizer_opts mx_optimizer_get_opts(const mx_optimizer *opt) { return opt->o; }

double mx_lr_schedule_at(const mx_lr_schedule *s, double lr, const mx_opt_state *st)
{
    /* MXNet.jl's fit advances the schedule's t after each epoch (or batch),
     * so the first epoch (batch) trains with t = 0, i.e. η₀. */
    long t = 0;
    if (st) t = s->decay_on_iteration ? st->iter - 1 : (long)st->epoch - 1;
    if (t < 0) t = 0;
    switch (s->kind) {
    case MX_LR_EXP: return lr * pow((double)s->gamma, (double)t);
    case MX_LR_INV: return lr * pow(1.0 + (double)s->gamma * (double)t, -(double)s->power);
    case MX_LR_FIXED: break;
    }
    return lr;
}

double mx_momentum_schedule_at(const mx_momentum_schedule *s, double t)
{
    switch (s->kind) {
    case MX_MOM_FIXED: return s->mu;
    case MX_MOM_NADAM: return (double)s->mu * (1.0 - (double)s->gamma * pow((double)s->alpha, t * (double)s->delta));
    case MX_MOM_AUTO:
    case MX_MOM_NULL: break;
    }
    return 0.0;
}

void mx_optimizer_begin_batch(mx_optimizer *opt, const mx_opt_state *st)
{
    opt->lr = mx_lr_schedule_at(&opt->o.lr_schedule, opt->o.lr, st);
}

float mx_optimizer_lr(const mx_optimizer *opt) { return (float)opt->lr; }

const char *mx_optimizer_name(const mx_optimizer *opt) { return kind_names[opt->o.kind]; }

/* Optimizers whose state starts with the step-count header. */
static int has_header(mx_opt_kind k) { return uses_betas(k); }

size_t mx_optimizer_state_size(const mx_optimizer *opt, size_t n)
{
    switch (opt->o.kind) {
    case MX_OPT_SGD:
    case MX_OPT_NAG: return opt->mom.kind == MX_MOM_NULL ? 0 : n;
    case MX_OPT_ADAGRAD:
    case MX_OPT_RMSPROP: return n;
    case MX_OPT_ADADELTA: return 2 * n;
    case MX_OPT_ADAM:
    case MX_OPT_ADAMAX:
    case MX_OPT_NADAM: return MX_OPT_HEADER + 2 * n;
    }
    return 0;
}

/* The header: uint64 step count in floats 0–1, double Πμ in floats 2–3,
 * copied bytewise so that the values stay exact whatever their size. */
static uint64_t hdr_steps(const float *state)
{
    uint64_t t;
    memcpy(&t, state, sizeof t);
    return t;
}

static void hdr_set_steps(float *state, uint64_t t) { memcpy(state, &t, sizeof t); }

static double hdr_prod(const float *state)
{
    double p;
    memcpy(&p, state + 2, sizeof p);
    return p;
}

static void hdr_set_prod(float *state, double p) { memcpy(state + 2, &p, sizeof p); }

uint64_t mx_optimizer_state_steps(const mx_optimizer *opt, const float *state)
{
    return has_header(opt->o.kind) && state ? hdr_steps(state) : 0;
}

/* Nadam's bias corrections for update t (1-based), following MXNet.jl's
 * nadam.jl: Πμ ← Πμ·μₜ; g′ = g/(1−Πμ); m̂ = m/(1−Πμ·μₜ₊₁); n̂ = n/(1−β2ᵗ);
 * m̄ = (1−μₜ)·g′ + μₜ₊₁·m̂; W −= η·m̄/(√n̂ + ϵ). Advances the header. */
static mx_nadam_coef nadam_coef(const mx_optimizer *opt, float *state)
{
    uint64_t t = hdr_steps(state) + 1;
    double mu_t = mx_momentum_schedule_at(&opt->mom, (double)t);
    double mu_t1 = mx_momentum_schedule_at(&opt->mom, (double)t + 1.0);
    double prod = (t == 1 ? 1.0 : hdr_prod(state)) * mu_t; /* a fresh (zero) header means Πμ = 1 */
    double prod_next = prod * mu_t1;
    mx_nadam_coef c = {(float)((1.0 - mu_t) / (1.0 - prod)), (float)(mu_t1 / (1.0 - prod_next)),
                       (float)(1.0 / (1.0 - pow((double)opt->o.beta2, (double)t)))};
    hdr_set_prod(state, prod);
    hdr_set_steps(state, t);
    return c;
}

/* The cached header of a device state, read on first use; NULL when the
 * cache is full. */
static hdr_slot *cached_header(mx_optimizer *opt, const float *state, mx_ctx ctx)
{
    for (int i = 0; i < opt->ncache; i++)
        if (opt->cache[i].state == state) return &opt->cache[i];
    if (opt->ncache == HDR_CACHE) return NULL;
    hdr_slot *s = &opt->cache[opt->ncache];
    if (mx_dev_copy(s->h, mx_cpu(), state, ctx, sizeof s->h) != MX_OK) return NULL;
    s->state = state;
    s->ctx = ctx;
    s->dirty = 0;
    opt->ncache++;
    return s;
}

mx_status mx_optimizer_flush(mx_optimizer *opt)
{
    mx_status st = MX_OK;
    for (int i = 0; i < opt->ncache && st == MX_OK; i++) {
        hdr_slot *s = &opt->cache[i];
        if (s->dirty) st = mx_dev_copy((float *)s->state, s->ctx, s->h, mx_cpu(), sizeof s->h);
        s->dirty = 0;
    }
    return st;
}

void mx_optimizer_forget(mx_optimizer *opt) { opt->ncache = 0; }

void mx_optimizer_update(mx_optimizer *opt, mx_nd *w, const mx_nd *g, float *state)
{
    const mx_kernels *k = mx_kernels_for(mx_nd_context(w));
    mx_dev_use(mx_nd_context(w));
    mx_engine *eng = mx_engine_default();
    const mx_optimizer_opts *o = &opt->o;
    size_t n = mx_nd_size(w);
    float *wd = mx_nd_data(w);
    const float *gd = mx_nd_data(g);
    mx_gnorm gn = {o->rescale_grad > 0.0f ? o->rescale_grad : 1.0f, o->clip_gradient, o->weight_decay};
    float lr = (float)opt->lr;
    float *a = state, *b = state ? state + n : NULL;
    if (has_header(o->kind)) a = state + MX_OPT_HEADER, b = a + n;
    /* The header (step count, Πμ) is host arithmetic: for a state in GPU
     * memory it lives in the host cache (read from the device once), or,
     * with the cache full, is read into hdr and written back. */
    float hdr[4];
    float *h = state;
    mx_ctx wc = mx_nd_context(w);
    int dev_hdr = wc.dev_type != MX_CPU && state && has_header(o->kind);
    hdr_slot *slot = dev_hdr ? cached_header(opt, state, wc) : NULL;
    if (slot) {
        h = slot->h;
        slot->dirty = 1;
        dev_hdr = 0;
    } else if (dev_hdr) {
        mx_dev_copy(hdr, mx_cpu(), state, wc, sizeof hdr);
        h = hdr;
    }
    switch (o->kind) {
    case MX_OPT_SGD:
    case MX_OPT_NAG: {
        int mom = opt->mom.kind != MX_MOM_NULL;
        float mu = (float)mx_momentum_schedule_at(&opt->mom, 0.0);
        (o->kind == MX_OPT_SGD ? k->sgd_update : k->nag_update)(eng, wd, gd, mom ? state : NULL, n, lr, mu, gn);
        break;
    }
    case MX_OPT_ADAM: {
        /* aₜ = √(1−β2ᵗ)/(1−β1ᵗ) with t the 1-based step (MXNet.jl's adam.jl). */
        uint64_t t = hdr_steps(h) + 1;
        double at = sqrt(1.0 - pow((double)o->beta2, (double)t)) / (1.0 - pow((double)o->beta1, (double)t));
        k->adam_update(eng, wd, gd, a, b, n, (float)(opt->lr * at), o->beta1, o->beta2, o->epsilon, gn);
        hdr_set_steps(h, t);
        break;
    }
    case MX_OPT_ADAGRAD: k->adagrad_update(eng, wd, gd, a, n, lr, o->epsilon, gn); break;
    case MX_OPT_ADADELTA: k->adadelta_update(eng, wd, gd, a, b, n, lr, o->rho, o->epsilon, gn); break;
    case MX_OPT_ADAMAX: {
        uint64_t t = hdr_steps(h) + 1;
        double c = 1.0 / (1.0 - pow((double)o->beta1, (double)t));
        k->adamax_update(eng, wd, gd, a, b, n, (float)(opt->lr * c), o->beta1, o->beta2, o->epsilon, gn);
        hdr_set_steps(h, t);
        break;
    }
    case MX_OPT_RMSPROP: k->rmsprop_update(eng, wd, gd, a, n, lr, o->rho, o->epsilon, gn); break;
    case MX_OPT_NADAM: {
        mx_nadam_coef c = nadam_coef(opt, h);
        k->nadam_update(eng, wd, gd, a, b, n, lr, o->beta1, o->beta2, o->epsilon, c, gn);
        break;
    }
    }
    if (dev_hdr) mx_dev_copy(state, wc, hdr, mx_cpu(), sizeof hdr);
}

float mx_optimizer_rescale(const mx_optimizer *opt) { return opt->o.rescale_grad; }

void mx_optimizer_set_rescale(mx_optimizer *opt, float rescale) { opt->o.rescale_grad = rescale; }

void mx_optimizer_free(mx_optimizer *opt) { free(opt); }

mx_sgd_opts mx_sgd_defaults(void)
{
    mx_optimizer_opts d = mx_optimizer_defaults(MX_OPT_SGD);
    mx_sgd_opts o = {d.lr, d.momentum, d.weight_decay, d.rescale_grad, d.clip_gradient};
    return o;
}

mx_optimizer *mx_sgd_create(const mx_sgd_opts *opts)
{
    mx_sgd_opts s = opts ? *opts : mx_sgd_defaults();
    mx_optimizer_opts o = mx_optimizer_defaults(MX_OPT_SGD);
    o.lr = s.lr, o.momentum = s.momentum, o.weight_decay = s.weight_decay;
    o.rescale_grad = s.rescale_grad, o.clip_gradient = s.clip_gradient;
    return mx_optimizer_create(&o);
}
