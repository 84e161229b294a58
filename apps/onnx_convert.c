/* onnx_convert.c — ONNX models in and out of mxrt (issue #17):
 *
 *   onnx_convert import MODEL.onnx PREFIX [--shape NAME=D1,D2,...]...
 *       writes PREFIX-symbol.json and PREFIX-0000.params, an MXNet-format
 *       checkpoint every mxrt path runs (predict, mnist_infer's fixed
 *       buffer, the GPU and cross builds).
 *
 *   onnx_convert export PREFIX EPOCH MODEL.onnx [--opset N] [--shape NAME=D1,D2,...]...
 *       writes a checkpoint (mxrt's or MXNet's) as ONNX; --shape gives
 *       each data input's shape (batch first).
 *
 * Errors name the file, the node, its op type and the opset; exit 1 on a
 * bad or unsupported model (3 when only unsupported), 2 on bad usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mx/mx.h"
#include "mx/onnx.h"

#include "app_args.h"

#define MAX_SHAPES 32

static const char *prog = "onnx_convert";

static void usage(FILE *f)
{
    fprintf(f,
            "usage: %s import MODEL.onnx PREFIX [--shape NAME=D1,D2,...]...\n"
            "       %s export PREFIX EPOCH MODEL.onnx [--opset N] [--shape NAME=D1,D2,...]...\n"
            "\n"
            "import: converts an ONNX model (opsets 9 to 17; PyTorch's torch.onnx.export) into an\n"
            "MXNet-format checkpoint: PREFIX-symbol.json and PREFIX-0000.params, run by predict,\n"
            "mnist_infer and every mxrt build. Shape arithmetic in the graph is folded for the input\n"
            "shapes, taken from the model or from --shape (needed where the model has a symbolic\n"
            "batch size).\n"
            "export: writes the checkpoint PREFIX-symbol.json + PREFIX-EPOCH.params (mxrt's or MXNet's)\n"
            "as an ONNX model; every data input needs its shape (--shape); loss heads export their\n"
            "forward pass (SoftmaxOutput: Softmax) and their labels are dropped.\n"
            "\n"
            "  --shape NAME=D1,D2,...  the shape of graph input NAME (repeatable, up to 32)\n"
            "  --opset N               export: the ONNX opset, 9 to 17 (default 13)\n"
            "  --help                  this text\n"
            "  --version               print the version and exit\n"
            "\n"
            "Examples: %s import resnet18.onnx models/resnet18 --shape data=1,3,224,224\n"
            "          predict models/resnet18 0 --shape data=1,3,224,224 --input images.f32 --top-k 5\n"
            "          %s export mnist-lenet 10 lenet.onnx --shape data=1,1,28,28\n",
            prog, prog, prog, prog);
}

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "%s: %s%s%s (see --help)\n", prog, msg, arg ? " " : "", arg ? arg : "");
    return 2;
}

static int fail(const char *what)
{
    fprintf(stderr, "%s: %s: %s\n", prog, what, mx_last_error());
    return mx_last_status() == MX_ENOTSUP ? 3 : 1;
}

static int parse_shape(const char *t, char *name, size_t cap, mx_shape *s)
{
    const char *eq = strchr(t, '=');
    if (!eq || eq == t || (size_t)(eq - t) >= cap) return usage_error("--shape: expected NAME=D1,D2,..., got", t);
    memcpy(name, t, (size_t)(eq - t));
    name[eq - t] = '\0';
    if (mx_shape_parse(eq + 1, s) != 0 || s->ndim < 1) return usage_error("--shape: bad dimensions in", t);
    for (int d = 0; d < s->ndim; d++)
        if (s->dims[d] < 1 || s->dims[d] > (1 << 30)) return usage_error("--shape: dimensions must be 1..2^30 in", t);
    return 0;
}

typedef struct cmdline {
    const char *pos[3];
    int npos, nshape, opset;
    char names[MAX_SHAPES][128];
    const char *name_ptr[MAX_SHAPES];
    mx_shape shapes[MAX_SHAPES];
} cmdline;

/* Positional arguments, --shape (repeatable) and, for export, --opset. */
static int parse_cmd(int argc, char **argv, int max_pos, int allow_opset, cmdline *c)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--shape") || !strncmp(a, "--shape=", 8)) {
            const char *v = a[7] == '=' ? a + 8 : i + 1 < argc ? argv[++i] : NULL;
            if (!v) return usage_error("--shape needs NAME=D1,D2,...", NULL);
            if (c->nshape == MAX_SHAPES) return usage_error("--shape: more than 32 inputs", NULL);
            int rc = parse_shape(v, c->names[c->nshape], sizeof c->names[c->nshape], &c->shapes[c->nshape]);
            if (rc) return rc;
            c->name_ptr[c->nshape] = c->names[c->nshape];
            c->nshape++;
        } else if (allow_opset && (!strcmp(a, "--opset") || !strncmp(a, "--opset=", 8))) {
            const char *v = a[7] == '=' ? a + 8 : i + 1 < argc ? argv[++i] : NULL;
            char *end;
            long n = v ? strtol(v, &end, 10) : 0;
            if (!v || *end || n < 9 || n > 17) return usage_error("--opset: expected 9 to 17, got", v ? v : "nothing");
            c->opset = (int)n;
        } else if (!strncmp(a, "--", 2)) {
            return usage_error("unknown flag", a);
        } else if (c->npos < max_pos) {
            c->pos[c->npos++] = a;
        } else {
            return usage_error("unexpected argument", a);
        }
    }
    return 0;
}

static int cmd_import(int argc, char **argv)
{
    cmdline c;
    int rc = parse_cmd(argc, argv, 2, 0, &c);
    if (rc) return rc;
    if (c.npos < 2) return usage_error("import needs MODEL.onnx and PREFIX", NULL);
    mx_sym *sym;
    mx_nd_list params;
    if (mx_onnx_import(c.pos[0], c.nshape, c.name_ptr, c.shapes, &sym, &params) != MX_OK) return fail("import");
    size_t values = 0;
    for (int i = 0; i < params.n; i++) values += mx_nd_size(params.arrays[i]);
    char path[4200];
    snprintf(path, sizeof path, "%s-symbol.json", c.pos[1]);
    if (mx_sym_save_json(sym, path) != MX_OK) rc = fail("write");
    if (!rc) {
        snprintf(path, sizeof path, "%s-0000.params", c.pos[1]);
        if (mx_nd_save(path, params.n, (const char *const *)params.names, params.arrays) != MX_OK) rc = fail("write");
    }
    if (!rc) {
        const char *outs[16];
        int nout = mx_list_outputs(sym, outs, 16);
        printf("%s: %s -> %s-symbol.json, %s-0000.params: %d parameters (%zu values), output%s", prog, c.pos[0],
               c.pos[1], c.pos[1], params.n, values, nout > 1 ? "s" : "");
        for (int i = 0; i < nout && i < 16; i++) printf(" %s", outs[i]);
        printf("\n");
    }
    mx_sym_free(sym);
    mx_nd_list_free(&params);
    return rc;
}

static int cmd_export(int argc, char **argv)
{
    cmdline c;
    int rc = parse_cmd(argc, argv, 3, 1, &c);
    if (rc) return rc;
    if (c.npos < 3) return usage_error("export needs PREFIX, EPOCH and MODEL.onnx", NULL);
    char *end;
    long epoch = strtol(c.pos[1], &end, 10);
    if (*end || epoch < 0 || epoch > 9999) return usage_error("EPOCH must be 0..9999, got", c.pos[1]);
    if (mx_onnx_export_file(c.pos[0], (int)epoch, c.nshape, c.name_ptr, c.shapes, c.opset, c.pos[2]) != MX_OK)
        return fail("export");
    printf("%s: %s-symbol.json + %s-%04ld.params -> %s (opset %d)\n", prog, c.pos[0], c.pos[0], epoch, c.pos[2],
           c.opset ? c.opset : 13);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        app_print_version(prog);
        return 0;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
    if (!strcmp(argv[1], "import")) return cmd_import(argc - 2, argv + 2);
    if (!strcmp(argv[1], "export")) return cmd_export(argc - 2, argv + 2);
    return usage_error("unknown command (expected import or export):", argv[1]);
}
