/* sym_dot.c — prints a checkpoint's network as Graphviz DOT (MXNet.jl's
 * mx.to_graphviz): sym_dot PREFIX-symbol.json [--shape data=100,784 ...]
 * [--title T] > net.dot ; then dot -Tsvg net.dot > net.svg */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mx/mx.h"

#include "app_args.h"

#define MAX_SHAPES 16

static int usage(int rc)
{
    fprintf(rc ? stderr : stdout,
            "usage: sym_dot SYMBOL.json [--shape NAME=D1,D2,...]... [--title TEXT]\n\n"
            "Writes the network in SYMBOL.json (an MXNet or mxrt checkpoint's -symbol.json) as\n"
            "Graphviz DOT on stdout; with --shape, edges carry the inferred shapes.\n\n"
            "  --shape NAME=D1,D2,...  an input's shape (repeatable)\n"
            "  --title TEXT            the graph's title\n"
            "  --help                  this text\n"
            "  --version               print the version and exit\n");
    return rc;
}

int main(int argc, char **argv)
{
    const char *path = NULL, *title = NULL;
    const char *names[MAX_SHAPES];
    char name_buf[MAX_SHAPES][128];
    mx_shape shapes[MAX_SHAPES];
    int n = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return usage(0);
        if (!strcmp(argv[i], "--version")) {
            app_print_version("sym_dot");
            return 0;
        }
        if (!strcmp(argv[i], "--title") && i + 1 < argc) { title = argv[++i]; continue; }
        if (!strcmp(argv[i], "--shape") && i + 1 < argc) {
            const char *spec = argv[++i], *eq = strchr(spec, '=');
            if (!eq || eq == spec || (size_t)(eq - spec) >= sizeof name_buf[0] || n == MAX_SHAPES ||
                mx_shape_parse(eq + 1, &shapes[n]) != 0) {
                fprintf(stderr, "sym_dot: --shape: bad value '%s' (expected NAME=D1,D2,...)\n", spec);
                return 2;
            }
            snprintf(name_buf[n], sizeof name_buf[n], "%.*s", (int)(eq - spec), spec);
            names[n] = name_buf[n];
            n++;
            continue;
        }
        if (argv[i][0] == '-' || path) {
            fprintf(stderr, "sym_dot: unexpected argument '%s' (see --help)\n", argv[i]);
            return 2;
        }
        path = argv[i];
    }
    if (!path) return usage(2);
    mx_sym *sym = mx_sym_load_json(path);
    if (!sym) {
        fprintf(stderr, "sym_dot: %s\n", mx_last_error());
        return 1;
    }
    mx_status st = mx_sym_to_graphviz(sym, stdout, title, n, names, shapes);
    mx_sym_free(sym);
    if (st != MX_OK) {
        fprintf(stderr, "sym_dot: %s\n", mx_last_error());
        return 1;
    }
    return 0;
}
