/* optimizer_parse.c — optimizers from one-line specs for apps and job
 * scripts: "adam lr=0.01 clip_gradient=1 lr_schedule=exp gamma=0.9". The
 * keys are the mx_optimizer_opts field names; a key the chosen optimizer
 * does not use is an error rather than silently ignored, so a typo or a
 * misplaced option never trains with a setting the user did not get. */
#include "mx/optimizer.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mx/error.h"

static const char *const spec_names[] = {"sgd", "nag", "adam", "adagrad", "adadelta", "adamax", "rmsprop", "nadam"};
#define NNAMES ((int)(sizeof spec_names / sizeof spec_names[0]))

#define ALL 0xffu
#define BIT(k) (1u << (k))
#define MOMENTUM_KINDS (BIT(MX_OPT_SGD) | BIT(MX_OPT_NAG))
#define BETA_KINDS (BIT(MX_OPT_ADAM) | BIT(MX_OPT_ADAMAX) | BIT(MX_OPT_NADAM))

typedef enum key_id {
    K_LR, K_MOMENTUM, K_WD, K_RESCALE, K_CLIP, K_BETA1, K_BETA2, K_EPS, K_RHO,
    K_LR_SCHEDULE, K_GAMMA, K_POWER, K_DECAY_ITER, K_MU, K_DELTA, K_MU_GAMMA, K_ALPHA, NKEYS
} key_id;

static const struct {
    const char *key;
    unsigned kinds; /* bit per mx_opt_kind that uses the key */
} keys[NKEYS] = {
    [K_LR] = {"lr", ALL},
    [K_MOMENTUM] = {"momentum", MOMENTUM_KINDS},
    [K_WD] = {"weight_decay", ALL},
    [K_RESCALE] = {"rescale_grad", ALL},
    [K_CLIP] = {"clip_gradient", ALL},
    [K_BETA1] = {"beta1", BETA_KINDS},
    [K_BETA2] = {"beta2", BETA_KINDS},
    [K_EPS] = {"epsilon", ALL & ~MOMENTUM_KINDS},
    [K_RHO] = {"rho", BIT(MX_OPT_ADADELTA) | BIT(MX_OPT_RMSPROP)},
    [K_LR_SCHEDULE] = {"lr_schedule", ALL},
    [K_GAMMA] = {"gamma", ALL},
    [K_POWER] = {"power", ALL},
    [K_DECAY_ITER] = {"decay_on_iteration", ALL},
    [K_MU] = {"mu", BIT(MX_OPT_NADAM)},
    [K_DELTA] = {"delta", BIT(MX_OPT_NADAM)},
    [K_MU_GAMMA] = {"mu_gamma", BIT(MX_OPT_NADAM)},
    [K_ALPHA] = {"alpha", BIT(MX_OPT_NADAM)},
};

/* Error naming an unknown key, with the keys the optimizer does take. */
static void unknown_key(const char *tok, int len, int kind)
{
    char list[512];
    size_t used = 0;
    list[0] = '\0';
    for (int i = 0; i < NKEYS; i++)
        if (keys[i].kinds & BIT(kind)) {
            int w = snprintf(list + used, sizeof list - used, "%s%s", used ? " " : "", keys[i].key);
            if (w > 0 && (size_t)w < sizeof list - used) used += (size_t)w;
        }
    int known = -1;
    for (int i = 0; i < NKEYS; i++)
        if ((int)strlen(keys[i].key) == len && !strncmp(tok, keys[i].key, (size_t)len)) known = i;
    if (known >= 0)
        mx_set_error(MX_EINVAL, "optimizer spec: '%.*s' does not apply to %s (keys: %s)", len, tok,
                     spec_names[kind], list);
    else
        mx_set_error(MX_EINVAL, "optimizer spec: unknown key '%.*s' for %s (keys: %s)", len, tok,
                     spec_names[kind], list);
}

/* Parses the whole of value (len bytes) as a float; 0 if it is not one. */
static int parse_float(const char *value, int len, float *out)
{
    char buf[64];
    if (len <= 0 || len >= (int)sizeof buf) return 0;
    memcpy(buf, value, (size_t)len);
    buf[len] = '\0';
    char *end;
    *out = strtof(buf, &end);
    return end == buf + len;
}

static int is_word(const char *v, int len, const char *word)
{
    return (int)strlen(word) == len && !strncasecmp(v, word, (size_t)len);
}

/* Applies key=value to o; 0 with an error naming the key or value. */
static int apply(mx_optimizer_opts *o, key_id id, const char *v, int len)
{
    float f = 0.0f;
    if (id == K_LR_SCHEDULE) {
        if (is_word(v, len, "fixed")) o->lr_schedule.kind = MX_LR_FIXED;
        else if (is_word(v, len, "exp")) o->lr_schedule.kind = MX_LR_EXP;
        else if (is_word(v, len, "inv")) o->lr_schedule.kind = MX_LR_INV;
        else goto bad_value;
        return 1;
    }
    if (id == K_DECAY_ITER) {
        if (is_word(v, len, "1") || is_word(v, len, "true")) o->lr_schedule.decay_on_iteration = 1;
        else if (is_word(v, len, "0") || is_word(v, len, "false")) o->lr_schedule.decay_on_iteration = 0;
        else goto bad_value;
        return 1;
    }
    if (!parse_float(v, len, &f)) goto bad_value;
    switch (id) {
    case K_LR: o->lr = f; break;
    case K_MOMENTUM: o->momentum = f; break;
    case K_WD: o->weight_decay = f; break;
    case K_RESCALE: o->rescale_grad = f; break;
    case K_CLIP: o->clip_gradient = f; break;
    case K_BETA1: o->beta1 = f; break;
    case K_BETA2: o->beta2 = f; break;
    case K_EPS: o->epsilon = f; break;
    case K_RHO: o->rho = f; break;
    case K_GAMMA: o->lr_schedule.gamma = f; break;
    case K_POWER: o->lr_schedule.power = f; break;
    case K_MU: o->momentum_schedule.mu = f; break;
    case K_DELTA: o->momentum_schedule.delta = f; break;
    case K_MU_GAMMA: o->momentum_schedule.gamma = f; break;
    case K_ALPHA: o->momentum_schedule.alpha = f; break;
    default: break;
    }
    return 1;
bad_value:
    mx_set_error(MX_EINVAL, "optimizer spec: bad value '%.*s' for '%s'", len, v, keys[id].key);
    return 0;
}

mx_optimizer *mx_optimizer_parse(const char *spec)
{
    const char *p = spec ? spec : "";
    while (isspace((unsigned char)*p)) p++;
    int len = 0;
    while (p[len] && !isspace((unsigned char)p[len])) len++;
    if (!len) {
        mx_set_error(MX_EINVAL, "optimizer spec: empty (want e.g. \"adam lr=0.001\")");
        return NULL;
    }
    int kind = -1;
    for (int i = 0; i < NNAMES; i++)
        if (is_word(p, len, spec_names[i])) kind = i;
    if (kind < 0) {
        mx_set_error(MX_EINVAL, "optimizer spec: unknown optimizer '%.*s' (sgd nag adam adagrad adadelta "
                                "adamax rmsprop nadam)", len, p);
        return NULL;
    }
    mx_optimizer_opts o = mx_optimizer_defaults((mx_opt_kind)kind);
    int seen[NKEYS] = {0};
    for (p += len;;) {
        while (isspace((unsigned char)*p)) p++;
        if (!*p) break;
        for (len = 0; p[len] && !isspace((unsigned char)p[len]); len++) {}
        const char *eq = memchr(p, '=', (size_t)len);
        if (!eq) {
            mx_set_error(MX_EINVAL, "optimizer spec: '%.*s' is not key=value", len, p);
            return NULL;
        }
        int klen = (int)(eq - p), id = -1;
        for (int i = 0; i < NKEYS; i++)
            if ((keys[i].kinds & BIT(kind)) && (int)strlen(keys[i].key) == klen && !strncmp(p, keys[i].key, (size_t)klen))
                id = i;
        if (id < 0) {
            unknown_key(p, klen, kind);
            return NULL;
        }
        if (!apply(&o, (key_id)id, eq + 1, len - klen - 1)) return NULL;
        seen[id] = 1;
        p += len;
    }
    /* Schedule parameters only mean something with their schedule. */
    mx_lr_kind lk = o.lr_schedule.kind;
    if ((seen[K_GAMMA] || seen[K_DECAY_ITER]) && lk == MX_LR_FIXED) {
        mx_set_error(MX_EINVAL, "optimizer spec: '%s' needs lr_schedule=exp or inv",
                     keys[seen[K_GAMMA] ? K_GAMMA : K_DECAY_ITER].key);
        return NULL;
    }
    if (seen[K_POWER] && lk != MX_LR_INV) {
        mx_set_error(MX_EINVAL, "optimizer spec: 'power' needs lr_schedule=inv");
        return NULL;
    }
    /* Any Nadam scheduler key makes the schedule explicit; μ₀ stays β1 as
     * in MXNet.jl's NadamScheduler(μ = β1) unless mu is given. */
    if (seen[K_MU] || seen[K_DELTA] || seen[K_MU_GAMMA] || seen[K_ALPHA]) {
        o.momentum_schedule.kind = MX_MOM_NADAM;
        if (!seen[K_MU]) o.momentum_schedule.mu = o.beta1;
    }
    return mx_optimizer_create(&o);
}
