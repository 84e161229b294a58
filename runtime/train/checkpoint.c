/* checkpoint.c — saving and loading FeedForward checkpoints. MXNet's two
 * files (prefix-symbol.json, prefix-%04d.params with arg:/aux: names) move
 * between mxrt and MXNet; prefix-%04d.states (same list format) adds what
 * an exact resume needs: optimizer states, the iteration count, the
 * executors' random generators, and the CRC-32 of the params file it
 * belongs to.
 *
 * The pair is published in a crash-safe order: params and states are
 * written completely as *.new files, then params is renamed into place,
 * then states. A crash before the first rename leaves the old pair; one
 * between the renames leaves new params, old states and a complete
 * states.new — resume sees the CRC mismatch and takes states.new, and
 * the next save of that epoch first finishes the publish. */
#include "mx/checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "formats/atomic_file.h"

#include "mx/log.h"
#include "mx/symbol_json.h"
#include "runtime/ndarray/device.h"
#include "model_internal.h"

#define MAX_ITEMS 4096

static void file_name(char *buf, size_t cap, const char *prefix, int epoch, const char *ext)
{
    snprintf(buf, cap, "%s-%04d.%s", prefix, epoch, ext);
}

/* A (1-D) float view of n floats; count and double values ride in floats. */
static mx_nd *view(float *data, size_t n)
{
    return mx_nd_wrap(mx_shape_make(1, (int)n), data);
}

typedef struct item_list {
    int n;
    char *names[MAX_ITEMS];
    mx_nd *arrays[MAX_ITEMS];
} item_list;

static mx_status add(item_list *l, const char *kind, const char *name, mx_nd *a)
{
    if (!a) return MX_ENOMEM;
    if (l->n == MAX_ITEMS) { mx_nd_free(a); return mx_set_error(MX_EINVAL, "checkpoint: too many arrays"); }
    size_t len = strlen(kind) + strlen(name) + 2;
    char *s = malloc(len);
    if (!s) { mx_nd_free(a); return mx_set_error(MX_ENOMEM, "checkpoint: out of memory"); }
    snprintf(s, len, "%s:%s", kind, name);
    l->names[l->n] = s;
    l->arrays[l->n++] = a;
    return MX_OK;
}

static void clear(item_list *l)
{
    for (int i = 0; i < l->n; i++) { free(l->names[i]); mx_nd_free(l->arrays[i]); }
    l->n = 0;
}

/* Optimizer state of parameter i: in the KVStore with several contexts,
 * else in the executor's arena; on the first context's device either way. */
static float *state_of(mx_model *m, int i, size_t *n)
{
    if (m->nctx > 1) return mx_kvstore_state(m->kv, i, n);
    *n = m->state_n ? m->state_n[i] : 0;
    return m->state ? m->state[i] : NULL;
}

/* CRC-32 of a whole file (zlib's), or an error naming it. */
static mx_status file_crc(const char *path, uint32_t *crc)
{
    FILE *f = fopen(path, "rb");
    if (!f) return mx_set_error(MX_EIO, "%s: cannot read back", path);
    unsigned char buf[1 << 16];
    uLong c = crc32(0L, Z_NULL, 0);
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) c = crc32(c, buf, (uInt)n);
    int bad = ferror(f);
    fclose(f);
    if (bad) return mx_set_error(MX_EIO, "%s: read error", path);
    *crc = (uint32_t)c;
    return MX_OK;
}

static mx_status save_states(mx_model *m, const char *path, int epoch, uint32_t params_crc)
{
    static item_list l; /* large: keep it off the stack */
    mx_status st = MX_OK;
    double meta[2] = {(double)m->iter, (double)epoch};
    float metaf[4];
    memcpy(metaf, meta, sizeof meta);
    st = add(&l, "meta", "iter_epoch", view(metaf, 4));
    /* exact as a float: the CRC's two 16-bit halves */
    float crcf[2] = {(float)(params_crc >> 16), (float)(params_crc & 0xffffu)};
    if (st == MX_OK) st = add(&l, "meta", "params_crc", view(crcf, 2));
    for (int i = 0; st == MX_OK && i < m->nparams; i++) {
        size_t n;
        float *s = state_of(m, i, &n);
        if (s && n) st = add(&l, "state", mx_model_param_name(m, i), mx_nd_wrap_ctx(m->ctx[0], mx_shape_make(1, (int)n), s));
    }
    float rng[MX_MAX_CTX][8];
    for (int k = 0; st == MX_OK && k < m->nctx; k++) {
        char name[32];
        snprintf(name, sizeof name, "rng%d", k);
        memcpy(rng[k], mx_exec_rng(m->exec[k])->s, sizeof rng[k]);
        st = add(&l, "meta", name, view(rng[k], 8));
    }
    if (st == MX_OK) st = mx_nd_save(path, l.n, (const char *const *)l.names, l.arrays);
    clear(&l);
    return st;
}

/* The CRC a states list records for its params file (-1 if none; long
 * long: a 32-bit long cannot hold every CRC apart from -1). */
static long long recorded_crc(const mx_nd_list *l)
{
    int k = mx_nd_list_find(l, "meta:params_crc");
    if (k < 0 || mx_nd_size(l->arrays[k]) != 2) return -1;
    const float *c = mx_nd_data(l->arrays[k]);
    return (long long)(((uint32_t)c[0] << 16) | (uint32_t)c[1]);
}

/* Completes a publish a crash interrupted between its two renames (new
 * params in place, their states only in states.new) before this save
 * writes a states.new of its own: overwriting that file would leave
 * params without any matching states. */
static mx_status finish_interrupted_publish(const char *params, const char *states, const char *states_new)
{
    if (access(states_new, F_OK) != 0 || access(params, F_OK) != 0) return MX_OK;
    uint32_t crc = 0;
    mx_nd_list l;
    memset(&l, 0, sizeof l);
    if (file_crc(params, &crc) != MX_OK || mx_nd_load(states_new, &l) != MX_OK) return MX_OK; /* nothing to finish */
    long long recorded = recorded_crc(&l);
    mx_nd_list_free(&l);
    return recorded == (long long)crc ? mx_atomic_rename(states_new, states) : MX_OK;
}

mx_status mx_checkpoint_save(mx_model *m, const char *prefix, int epoch)
{
    if (!m->exec[0]) return mx_set_error(MX_EINVAL, "checkpoint %s: the model has not been trained or bound", prefix);
    char path[4096], params[4096], params_new[4200], states[4096], states_new[4200];
    snprintf(path, sizeof path, "%s-symbol.json", prefix);
    mx_status st = mx_sym_save_json(m->sym, path);
    if (st != MX_OK) return st;
    file_name(params, sizeof params, prefix, epoch, "params");
    file_name(states, sizeof states, prefix, epoch, "states");
    snprintf(params_new, sizeof params_new, "%s.new", params);
    snprintf(states_new, sizeof states_new, "%s.new", states);
    if ((st = finish_interrupted_publish(params, states, states_new)) != MX_OK) return st;
    static item_list l;
    mx_exec *e = m->exec[0];
    for (int i = 0; st == MX_OK && i < m->nparams; i++) {
        mx_nd *p = mx_model_param(m, i);
        st = add(&l, "arg", mx_model_param_name(m, i), mx_nd_wrap_ctx(mx_nd_context(p), mx_nd_shape(p), mx_nd_data(p)));
    }
    for (int i = 0; st == MX_OK && i < mx_exec_num_aux(e); i++)
        st = add(&l, "aux", mx_exec_aux_name(e, i), mx_nd_wrap_ctx(mx_nd_context(mx_exec_aux(e, i)),
                                                                    mx_nd_shape(mx_exec_aux(e, i)), mx_nd_data(mx_exec_aux(e, i))));
    if (st == MX_OK) st = mx_nd_save(params_new, l.n, (const char *const *)l.names, l.arrays);
    clear(&l);
    uint32_t crc = 0;
    if (st == MX_OK) st = file_crc(params_new, &crc);
    if (st == MX_OK) st = save_states(m, states_new, epoch, crc);
    /* Both complete: publish params, then states. */
    if (st == MX_OK) st = mx_atomic_rename(params_new, params);
    if (st == MX_OK) st = mx_atomic_rename(states_new, states);
    if (st != MX_OK) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", mx_last_error());
        unlink(params_new);
        unlink(states_new);
        return mx_set_error(st, "checkpoint %s epoch %d not saved (the previous files are intact): %s", prefix,
                            epoch, msg);
    }
    mx_log_info("Saved checkpoint to '%s'", params);
    return MX_OK;
}

mx_status mx_checkpoint_load(const char *prefix, int epoch, mx_sym **sym, mx_nd_list *params)
{
    char path[4096];
    snprintf(path, sizeof path, "%s-symbol.json", prefix);
    *sym = mx_sym_load_json(path);
    if (!*sym) return MX_EFORMAT;
    file_name(path, sizeof path, prefix, epoch, "params");
    mx_status st = mx_nd_load(path, params);
    for (int i = 0; st == MX_OK && i < params->n; i++) {
        const char *name = params->names ? params->names[i] : NULL;
        if (!name || (strncmp(name, "arg:", 4) && strncmp(name, "aux:", 4)))
            st = mx_set_error(MX_EFORMAT, "%s: array %d is named '%s', expected arg:<name> or aux:<name>", path, i,
                              name ? name : "(none)");
    }
    if (st != MX_OK) {
        if (st != MX_EIO || params->n) mx_nd_list_free(params);
        mx_sym_free(*sym);
        *sym = NULL;
    }
    return st;
}

mx_model *mx_model_load(const char *prefix, int epoch, const mx_ctx *ctxs, int nctx)
{
    mx_sym *sym;
    mx_nd_list params;
    memset(&params, 0, sizeof params);
    if (mx_checkpoint_load(prefix, epoch, &sym, &params) != MX_OK) return NULL;
    mx_model *m = mx_model_create(sym, ctxs, nctx);
    mx_sym_free(sym);
    if (!m) { mx_nd_list_free(&params); return NULL; }
    m->pending = params;
    m->has_pending = 1;
    m->pending_fresh = 1;
    return m;
}

mx_status mx_model_resume(mx_model *m, const char *prefix, int epoch)
{
    char params_path[4096], path[4096], alt[4200];
    const char *used = path;
    file_name(params_path, sizeof params_path, prefix, epoch, "params");
    mx_nd_list params, states;
    memset(&params, 0, sizeof params);
    memset(&states, 0, sizeof states);
    uint32_t crc = 0;
    mx_status st = mx_nd_load(params_path, &params);
    if (st == MX_OK) st = file_crc(params_path, &crc);
    if (st != MX_OK) {
        if (params.n) mx_nd_list_free(&params);
        return st;
    }
    file_name(path, sizeof path, prefix, epoch, "states");
    st = mx_nd_load(path, &states);
    if (st == MX_OK && recorded_crc(&states) != (long long)crc) {
        /* A save interrupted between its two renames: states.new is the
         * one that belongs to these params. */
        mx_nd_list_free(&states);
        snprintf(alt, sizeof alt, "%s.new", path);
        mx_nd_list fallback;
        memset(&fallback, 0, sizeof fallback);
        if (mx_nd_load(alt, &fallback) == MX_OK && recorded_crc(&fallback) == (long long)crc) {
            states = fallback;
            used = alt;
        } else {
            if (fallback.n) mx_nd_list_free(&fallback);
            st = mx_set_error(MX_EFORMAT, "%s does not belong to %s (different CRC-32; an interrupted save?): "
                                          "resume from another epoch", path, params_path);
        }
    }
    if (st != MX_OK) {
        mx_nd_list_free(&params);
        return st;
    }
    if (m->has_pending) mx_nd_list_free(&m->pending);
    if (m->has_pending_states) mx_nd_list_free(&m->pending_states);
    m->pending = params;
    m->has_pending = 1;
    m->pending_fresh = 1;
    m->pending_states = states;
    m->has_pending_states = 1;
    m->resume_epoch = epoch;
    snprintf(m->states_path, sizeof m->states_path, "%s", used);
    return MX_OK;
}

mx_status mx_model_restore_states(mx_model *m)
{
    if (!m->has_pending_states) return MX_OK;
    mx_nd_list *l = &m->pending_states;
    const char *path = m->states_path;
    mx_status st = MX_OK;
    int meta = mx_nd_list_find(l, "meta:iter_epoch");
    if (meta < 0 || mx_nd_size(l->arrays[meta]) != 4)
        st = mx_set_error(MX_EFORMAT, "%s: no meta:iter_epoch entry", path);
    if (st == MX_OK) {
        double v[2];
        memcpy(v, mx_nd_data(l->arrays[meta]), sizeof v);
        m->iter = (long)v[0];
    }
    for (int i = 0; st == MX_OK && i < m->nparams; i++) {
        size_t n;
        float *s = state_of(m, i, &n);
        if (!n) continue;
        char key[512];
        snprintf(key, sizeof key, "state:%s", mx_model_param_name(m, i));
        int k = mx_nd_list_find(l, key);
        if (k < 0) st = mx_set_error(MX_EFORMAT, "%s: no optimizer state '%s' (saved with another optimizer?)", path, key);
        else if (mx_nd_size(l->arrays[k]) != n)
            st = mx_set_error(MX_EFORMAT, "%s: optimizer state '%s' has %zu floats, the optimizer needs %zu", path, key,
                              mx_nd_size(l->arrays[k]), n);
        else st = mx_dev_copy(s, m->ctx[0], mx_nd_data(l->arrays[k]), mx_cpu(), n * sizeof(float));
    }
    for (int k = 0; st == MX_OK && k < m->nctx; k++) {
        char key[32];
        snprintf(key, sizeof key, "meta:rng%d", k);
        int r = mx_nd_list_find(l, key);
        if (r >= 0 && mx_nd_size(l->arrays[r]) == 8) memcpy(mx_exec_rng(m->exec[k])->s, mx_nd_data(l->arrays[r]), 32);
    }
    mx_nd_list_free(l);
    m->has_pending_states = 0;
    return st;
}
