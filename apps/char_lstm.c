/* char_lstm.c — the MXNet.jl char-LSTM tutorial as a static binary:
 * "train" fits the unrolled LSTM (2 layers, 32 steps, 256 hidden, 256
 * embedding) to a text with Adam (lr 0.01, weight decay 1e-5, clip 1),
 * reporting NLL and perplexity; "sample" loads a checkpoint and its
 * vocabulary and generates text one character at a time, as the
 * tutorial's sampler does. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app_dist.h"
#include "app_train.h"

#define PROG "char_lstm"
#define NAME "ptb"                  /* the tutorial's symbol prefix */
#define DEFAULT_PREFIX "char_lstm"  /* checkpoint prefix of both subcommands */
#define TUTORIAL_ADAM "adam lr=0.01 weight_decay=0.00001 clip_gradient=1"

/* 1 if argv holds --name or --name=value. */
static int flag_given(int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], "--", 2) && !strncmp(argv[i] + 2, name, n) && (!argv[i][2 + n] || argv[i][2 + n] == '='))
            return 1;
    return 0;
}

/* The vocabulary file beside a checkpoint: PREFIX-vocab. */
static void vocab_beside(char *buf, size_t cap, const char *prefix)
{
    snprintf(buf, cap, "%s-vocab", prefix);
}

/* ---- train ---------------------------------------------------------------- */

/* The vocabulary: loaded from the file when asked to (--vocab, or the one
 * saved beside the checkpoint a run resumes), else built from the text and
 * saved there so the sampler maps characters exactly as training did. */
static mx_vocab *train_vocab(const char *path, int load, const char *text, size_t len, int max_vocab)
{
    if (load && access(path, F_OK) == 0) {
        mx_vocab *v = mx_vocab_load(path);
        if (v) mx_log_info("Vocabulary: %d characters + unknown, from '%s'", mx_vocab_size(v) - 1, path);
        return v;
    }
    mx_vocab *v = mx_vocab_build(text, len, max_vocab);
    if (!v) return NULL;
    /* Every rank builds the same vocabulary from the same text; rank 0 writes it. */
    if (app_dist_is_root() && mx_vocab_save(v, path) != MX_OK) {
        mx_vocab_free(v);
        return NULL;
    }
    mx_log_info("Vocabulary: %d characters + unknown, saved to '%s'", mx_vocab_size(v) - 1, path);
    return v;
}

static int train_main(int argc, char **argv)
{
    const char *prog = PROG " train", *data = "input.txt", *vocab_path = NULL;
    int seq_len = 32, num_hidden = 256, num_embed = 256, num_layers = 2, max_vocab = 0, limit = 0;
    float dropout = 0.0f, train_fraction = 0.9f;
    app_train t;
    app_arg args[APP_TRAIN_NARGS + 10];
    int n = app_train_args(&t, prog, 21, 32, 0.01f, 0.9f, 1e-5f, args);
    /* The tutorial's settings where they differ from the shared defaults. */
    t.optimizer = TUTORIAL_ADAM;
    t.init_spec = "uniform:0.1";
    t.speedometer = 50;
    t.checkpoint = DEFAULT_PREFIX;
    args[n++] = (app_arg){"data", APP_STRING, &data, 0, 0, "the training text (the tutorial: tinyshakespeare's input.txt)"};
    args[n++] = (app_arg){"seq-len", APP_INT, &seq_len, 1, MX_IO_MAX, "unrolled steps per sequence"};
    args[n++] = (app_arg){"num-hidden", APP_INT, &num_hidden, 1, 65536, "LSTM state size"};
    args[n++] = (app_arg){"num-embed", APP_INT, &num_embed, 1, 65536, "character embedding size"};
    args[n++] = (app_arg){"num-layers", APP_INT, &num_layers, 1, 64, "stacked LSTM layers"};
    args[n++] = (app_arg){"dropout", APP_FLOAT, &dropout, 0, 0.99, "dropout before layers 2.. and the prediction"};
    args[n++] = (app_arg){"train-fraction", APP_FLOAT, &train_fraction, 1e-6, 1,
                          "leading fraction of the characters to train on; the rest validates (1 = no validation)"};
    args[n++] = (app_arg){"vocab", APP_STRING, &vocab_path, 0, 0,
                          "vocabulary file: loaded if it exists, else built from the text and saved there "
                          "(default PREFIX-vocab beside the checkpoints, always rebuilt unless resuming)"};
    args[n++] = (app_arg){"max-vocab", APP_INT, &max_vocab, 0, 256,
                          "keep the N most frequent characters, the rest become unknown (0 = all)"};
    args[n++] = (app_arg){"limit-chars", APP_INT, &limit, 0, 2147483647, "use only the first N characters (0 = all)"};
    int rc = app_parse_args(prog,
                            "Trains the MXNet.jl tutorial's char-LSTM on a text and reports NLL and perplexity.\n"
                            "The optimizer is --optimizer (default the tutorial's Adam): set lr= and weight_decay=\n"
                            "there (--lr, --momentum and --wd are not used). Checkpoints go to PREFIX-%04d.params\n"
                            "after every epoch and the vocabulary to PREFIX-vocab, PREFIX " DEFAULT_PREFIX " unless\n"
                            "--checkpoint says otherwise.",
                            args, n, argc, argv);
    if (rc != 0) return rc > 0 ? 0 : 2;
    if (!flag_given(argc, argv, "optimizer"))
        for (const char *const *f = (const char *const[]){"lr", "momentum", "wd", NULL}; *f; f++)
            if (flag_given(argc, argv, *f)) {
                fprintf(stderr, "%s: --%s: not used by this app; set %s= in the --optimizer spec (default \"%s\")\n",
                        prog, *f, strcmp(*f, "wd") ? *f : "weight_decay", TUTORIAL_ADAM);
                return 2;
            }
    if (seq_len + 2 * num_layers > MX_IO_MAX) {
        fprintf(stderr, "%s: --seq-len %d + 2 x --num-layers %d inputs are more than %d\n", prog, seq_len, num_layers,
                MX_IO_MAX);
        return 2;
    }
    /* A resumed run checkpoints beside the one it resumes unless told otherwise. */
    if (t.resume[0] && !strcmp(t.checkpoint, DEFAULT_PREFIX) && !flag_given(argc, argv, "checkpoint"))
        t.checkpoint = NULL;
    if ((rc = app_train_prepare(&t)) != 0) return rc;

    /* The data: the text, its vocabulary, and the 0.9 / 0.1 split. */
    char *text;
    size_t len;
    if (mx_text_read(data, &text, &len) != MX_OK) return app_die(prog, "--data");
    if (limit > 0 && (size_t)limit < len) len = (size_t)limit;
    char vocab_file[4200];
    if (vocab_path) snprintf(vocab_file, sizeof vocab_file, "%s", vocab_path);
    else vocab_beside(vocab_file, sizeof vocab_file, t.checkpoint);
    mx_vocab *vocab = train_vocab(vocab_file, vocab_path || t.resume[0], text, len, max_vocab);
    if (!vocab) return app_die(prog, "vocabulary");
    size_t split = mx_char_split_point(len, train_fraction);
    mx_char_opts co = mx_char_defaults();
    co.text = text;
    co.len = len;
    co.vocab = vocab;
    co.batch_size = t.batch_size;
    co.seq_len = seq_len;
    co.num_layers = num_layers;
    co.num_hidden = num_hidden;
    co.prefix = NAME;
    co.end = split;
    co.part_index = t.rank; /* --kvstore dist_sync: this rank's share of every batch */
    co.num_parts = t.nranks;
    mx_provider *train = mx_char_provider(&co), *eval = NULL;
    if (!train) return app_die(prog, "training data");
    if (split < len) {
        co.begin = split;
        co.end = len;
        if (!(eval = mx_char_provider(&co))) return app_die(prog, "validation data (see --train-fraction)");
    }

    /* The network: the LSTM unrolled over seq_len steps. */
    mx_lstm_opts lo = mx_lstm_defaults();
    lo.name = NAME;
    lo.num_layers = num_layers;
    lo.seq_len = seq_len;
    lo.num_hidden = num_hidden;
    lo.num_embed = num_embed;
    lo.num_label = mx_vocab_size(vocab);
    lo.dropout = dropout;
    mx_sym *lstm = mx_lstm_unroll(&lo);
    if (!lstm) return app_die(prog, "network");

    /* The model, Adam, the NLL metric, and fit. */
    mx_metric *nll = mx_metric_nll();
    if (!nll) return app_die(prog, "metric");
    char note[4400];
    snprintf(note, sizeof note, "data %s: %zu characters (%zu train)", data, len, split);
    rc = app_train_fit(&t, lstm, train, eval, nll, note);
    double v;
    if (rc == 0 && app_dist_is_root() && app_train_last(&t, 0, "NLL", &v)) printf("final training NLL = %.4f\n", v);
    if (rc == 0 && app_dist_is_root() && app_train_last(&t, 1, "perplexity", &v))
        printf("final validation perplexity = %.4f\n", v);
    app_train_finish(&t);
    mx_metric_free(nll);
    mx_provider_free(train);
    mx_provider_free(eval);
    mx_sym_free(lstm);
    mx_vocab_free(vocab);
    free(text);
    return rc;
}

/* ---- sample --------------------------------------------------------------- */

/* The parameter "arg:<NAME><suffix>" of l, or NULL. */
static mx_nd *param(const mx_nd_list *l, const char *suffix)
{
    char key[160];
    snprintf(key, sizeof key, "arg:%s%s", NAME, suffix);
    int i = mx_nd_list_find(l, key);
    return i < 0 ? NULL : l->arrays[i];
}

/* The network's sizes, read off the saved parameters' shapes. */
static mx_status infer_sizes(const mx_nd_list *l, const char *path, mx_lstm_opts *o)
{
    char sfx[64];
    mx_nd *embed = param(l, "_embed_weight"), *h2h = param(l, "_l1_h2h_weight");
    if (!embed || mx_nd_ndim(embed) != 2 || !h2h || mx_nd_ndim(h2h) != 2)
        return mx_set_error(MX_EFORMAT, "%s: no 2-D parameter '%s%s' (not a char_lstm checkpoint?)", path, NAME,
                            !embed || mx_nd_ndim(embed) != 2 ? "_embed_weight" : "_l1_h2h_weight");
    o->num_label = (int)mx_nd_shape(embed).dims[0];
    o->num_embed = (int)mx_nd_shape(embed).dims[1];
    o->num_hidden = (int)mx_nd_shape(h2h).dims[1];
    o->num_layers = 0;
    for (;;) {
        snprintf(sfx, sizeof sfx, "_l%d_i2h_weight", o->num_layers + 1);
        if (!param(l, sfx)) break;
        o->num_layers++;
    }
    return MX_OK;
}

/* Copies every learned argument of e from the file's "arg:" entries,
 * checking that each is there with the shape the network needs. */
static mx_status load_args(mx_exec *e, const mx_nd_list *l, const char *path)
{
    for (int i = 0; i < mx_exec_num_args(e); i++) {
        const char *name = mx_exec_arg_name(e, i);
        if (strstr(name, "_data_") || strstr(name, "_label_") || strstr(name, "_init_")) continue;
        char key[300], want[96], got[96];
        snprintf(key, sizeof key, "arg:%s", name);
        int k = mx_nd_list_find(l, key);
        if (k < 0) return mx_set_error(MX_EFORMAT, "%s: no parameter '%s'", path, name);
        mx_nd *dst = mx_exec_arg(e, i), *src = l->arrays[k];
        mx_shape a = mx_nd_shape(dst), b = mx_nd_shape(src);
        if (a.ndim != b.ndim || memcmp(a.dims, b.dims, (size_t)a.ndim * sizeof a.dims[0])) {
            mx_shape_str(&a, want, sizeof want);
            mx_shape_str(&b, got, sizeof got);
            return mx_set_error(MX_EFORMAT, "%s: parameter '%s' has shape %s, the network needs %s", path, name, got,
                                want);
        }
        mx_nd_copy(dst, src);
    }
    return MX_OK;
}

/* Index drawn from p^(1/temperature) over the known characters (the
 * unknown entry, the last, has no byte to print and is never drawn). */
static int draw(const float *p, int known, double temperature, mx_rng *rng)
{
    double top = -INFINITY, sum = 0.0;
    for (int k = 0; k < known; k++) top = fmax(top, log(fmax(p[k], 1e-30)));
    for (int k = 0; k < known; k++) sum += exp((log(fmax(p[k], 1e-30)) - top) / temperature);
    double u = (double)mx_rng_uniform(rng) * sum;
    for (int k = 0; k < known; k++) {
        u -= exp((log(fmax(p[k], 1e-30)) - top) / temperature);
        if (u < 0.0) return k;
    }
    return known - 1;
}

static int sample_main(int argc, char **argv)
{
    const char *prog = PROG " sample", *prefix = DEFAULT_PREFIX, *vocab_path = NULL, *start = "a";
    int epoch = 0, length = 100, samples = 10, seed = 0;
    float temperature = 1.0f;
    app_arg args[] = {
        {"checkpoint", APP_STRING, &prefix, 0, 0, "checkpoint PREFIX written by train"},
        {"epoch", APP_INT, &epoch, 1, 100000, "epoch to load, PREFIX-%04d.params: required, no default"},
        {"vocab", APP_STRING, &vocab_path, 0, 0, "vocabulary file (default PREFIX-vocab)"},
        {"start", APP_STRING, &start, 0, 0, "first characters of every sample"},
        {"length", APP_INT, &length, 1, 1 << 20, "characters per sample, the start included"},
        {"temperature", APP_FLOAT, &temperature, 1e-3, 1e3, "sample from p^(1/T): below 1 sharper, above 1 flatter"},
        {"samples", APP_INT, &samples, 1, 4096, "samples drawn together (the batch)"},
        {"seed", APP_INT, &seed, 0, 2147483647, "random seed: the same seed gives the same samples"},
    };
    int nargs = (int)(sizeof args / sizeof args[0]);
    int rc = app_parse_args(prog,
                            "Generates text from a char_lstm checkpoint, as the tutorial's sampler: each sample\n"
                            "starts with --start and continues with characters drawn one at a time. Output: per\n"
                            "sample a line '## Sample N', the sample's raw text (it may hold newlines), a blank line.",
                            args, nargs, argc, argv);
    if (rc != 0) return rc > 0 ? 0 : 2;
    if (!epoch) {
        fprintf(stderr, "%s: --epoch is required (the checkpoint to load)\n", prog);
        return 2;
    }
    int nstart = (int)strlen(start);
    if (nstart > length) {
        fprintf(stderr, "%s: --start: %d characters, longer than --length %d\n", prog, nstart, length);
        return 2;
    }

    /* The vocabulary and the parameters, and the sizes they agree on. */
    char vocab_file[4200], params_file[4200];
    if (vocab_path) snprintf(vocab_file, sizeof vocab_file, "%s", vocab_path);
    else vocab_beside(vocab_file, sizeof vocab_file, prefix);
    snprintf(params_file, sizeof params_file, "%s-%04d.params", prefix, epoch);
    mx_vocab *vocab = mx_vocab_load(vocab_file);
    if (!vocab) return app_die(prog, "vocabulary");
    for (int i = 0; i < nstart; i++)
        if (mx_vocab_index(vocab, (unsigned char)start[i]) == mx_vocab_unknown(vocab)) {
            unsigned char c = (unsigned char)start[i];
            fprintf(stderr, isprint(c) ? "%s: --start: character '%c' is not in the vocabulary %s\n"
                                       : "%s: --start: byte 0x%02x is not in the vocabulary %s\n",
                    prog, c, vocab_file);
            return 2;
        }
    mx_nd_list params = {0};
    if (mx_nd_load(params_file, &params) != MX_OK) return app_die(prog, "checkpoint");
    mx_lstm_opts lo = mx_lstm_defaults();
    lo.name = NAME;
    lo.seq_len = 1;
    lo.output_states = 1;
    if (infer_sizes(&params, params_file, &lo) != MX_OK) return app_die(prog, "checkpoint");
    int V = mx_vocab_size(vocab), L = lo.num_layers, H = lo.num_hidden;
    if (lo.num_label != V) {
        fprintf(stderr, "%s: %s holds %d characters + unknown, but %s was trained on %d\n", prog, vocab_file, V - 1,
                params_file, lo.num_label - 1);
        return 1;
    }

    /* The network over one step, bound without gradients for --samples rows. */
    mx_sym *lstm = mx_lstm_unroll(&lo);
    if (!lstm) return app_die(prog, "network");
    const char *const *arg_names;
    int nall = mx_list_arguments(lstm, &arg_names);
    mx_grad_req *reqs = arg_names ? calloc((size_t)nall + 1, sizeof *reqs) : NULL; /* all MX_GRAD_NULL */
    char (*in_names)[64] = calloc((size_t)(2 + 2 * L), sizeof *in_names);
    const char **names = calloc((size_t)(2 + 2 * L), sizeof *names);
    mx_shape *shapes = calloc((size_t)(2 + 2 * L), sizeof *shapes);
    char *out = malloc((size_t)samples * (size_t)length);
    if (!reqs || !in_names || !names || !shapes || !out) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return 1;
    }
    snprintf(in_names[0], 64, "%s_data_1", NAME);
    snprintf(in_names[1], 64, "%s_label_1", NAME);
    shapes[0] = shapes[1] = mx_shape_make(1, (int64_t)samples);
    for (int i = 0; i < L; i++) {
        snprintf(in_names[2 + 2 * i], 64, "%s_l%d_init_c", NAME, i + 1);
        snprintf(in_names[3 + 2 * i], 64, "%s_l%d_init_h", NAME, i + 1);
        shapes[2 + 2 * i] = shapes[3 + 2 * i] = mx_shape_make(2, (int64_t)samples, (int64_t)H);
    }
    for (int i = 0; i < 2 + 2 * L; i++) names[i] = in_names[i];
    mx_exec *e = mx_simple_bind(lstm, (mx_ctx){MX_CPU, 0}, 2 + 2 * L, names, shapes, reqs);
    if (!e) return app_die(prog, "bind");
    if (load_args(e, &params, params_file) != MX_OK) return app_die(prog, "checkpoint");
    mx_nd *x = mx_exec_arg(e, mx_exec_arg_index(e, names[0]));
    mx_nd *state[2 * 64];
    for (int i = 0; i < 2 * L; i++) {
        state[i] = mx_exec_arg(e, mx_exec_arg_index(e, names[2 + i]));
        mx_nd_fill(state[i], 0.0f);
    }

    /* One step per character: feed the previous one, draw the next, carry the state. */
    mx_rng rng;
    mx_rng_seed(&rng, (uint64_t)seed);
    for (int j = 0; j < samples; j++) out[(size_t)j * length] = start[0];
    for (int pos = 1; pos < length; pos++) {
        float *xd = mx_nd_data(x);
        for (int j = 0; j < samples; j++)
            xd[j] = (float)mx_vocab_index(vocab, (unsigned char)out[(size_t)j * length + pos - 1]);
        if (mx_exec_forward(e, 0) != MX_OK) return app_die(prog, "forward");
        const float *p = mx_nd_data(mx_exec_output(e, 0));
        for (int j = 0; j < samples; j++) {
            int k = pos < nstart ? mx_vocab_index(vocab, (unsigned char)start[pos])
                                 : draw(p + (size_t)j * V, V - 1, temperature, &rng);
            out[(size_t)j * length + pos] = (char)mx_vocab_char(vocab, k);
        }
        for (int i = 0; i < 2 * L; i++) mx_nd_copy(state[i], mx_exec_output(e, 1 + i));
    }
    for (int j = 0; j < samples; j++) {
        printf("## Sample %d\n", j + 1);
        fwrite(out + (size_t)j * length, 1, (size_t)length, stdout);
        printf("\n\n");
    }
    mx_exec_free(e);
    mx_sym_free(lstm);
    mx_nd_list_free(&params);
    mx_vocab_free(vocab);
    free(reqs);
    free(in_names);
    free(names);
    free(shapes);
    free(out);
    return fflush(stdout) == 0 ? 0 : app_die(prog, "writing the samples");
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "train")) return train_main(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "sample")) return sample_main(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "--version")) {
        app_print_version(PROG);
        return 0;
    }
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: %s train|sample [options]\n\n"
               "The MXNet.jl char-LSTM tutorial: trains an LSTM language model on a text, then\n"
               "generates text from its checkpoints.\n\n"
               "commands:\n"
               "  train    train on a text, checkpointing every epoch (%s train --help)\n"
               "  sample   generate text from a checkpoint (%s sample --help)\n\n"
               "  --version  print the version and exit\n",
               PROG, PROG, PROG);
        return 0;
    }
    if (argc < 2) fprintf(stderr, "%s: missing command (expected train or sample; see --help)\n", PROG);
    else fprintf(stderr, "%s: unknown command '%s' (expected train or sample; see --help)\n", PROG, argv[1]);
    return 2;
}
