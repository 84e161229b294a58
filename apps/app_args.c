/* app_args.c — see app_args.h. */
#include "app_args.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mx/version.h"

static void usage(const char *prog, const char *summary, const app_arg *args, int nargs)
{
    printf("usage: %s [options]\n\n%s\n\noptions:\n", prog, summary);
    for (int i = 0; i < nargs; i++) {
        char def[64] = "";
        switch (args[i].type) {
        case APP_INT: snprintf(def, sizeof def, " (default %d)", *(int *)args[i].dest); break;
        case APP_FLOAT: snprintf(def, sizeof def, " (default %g)", (double)*(float *)args[i].dest); break;
        case APP_STRING:
            if (*(const char **)args[i].dest) snprintf(def, sizeof def, " (default %s)", *(const char **)args[i].dest);
            break;
        case APP_FLAG: case APP_PAIR: break;
        }
        char flag[48];
        snprintf(flag, sizeof flag, "--%s%s", args[i].name,
                 args[i].type == APP_FLAG ? "" : args[i].type == APP_PAIR ? " A B" : " V");
        printf("  %-22s %s%s\n", flag, args[i].help, def);
    }
    printf("  %-22s %s\n", "--help", "show this help and exit");
    printf("  %-22s %s\n", "--version", "print the version and exit");
}

void app_print_version(const char *prog)
{
    /* "NAME (PACKAGE) VERSION" first: the line help2man reads for the man pages */
    printf("%s (mxrt) %s\n%s\n", prog, mx_version(), mx_build_info());
}

static int set_value(const char *prog, app_arg *a, const char *v)
{
    char *end;
    errno = 0;
    if (a->type == APP_STRING) {
        if (!*v) { fprintf(stderr, "%s: --%s: empty value\n", prog, a->name); return -1; }
        *(const char **)a->dest = v;
        return 0;
    }
    double x = a->type == APP_INT ? (double)strtol(v, &end, 10) : strtod(v, &end);
    if (end == v || *end || errno || !isfinite(x) || x < a->min || x > a->max) {
        fprintf(stderr, "%s: --%s: bad value '%s' (expected %s in %g..%g)\n", prog, a->name, v,
                a->type == APP_INT ? "an integer" : "a number", a->min, a->max);
        return -1;
    }
    if (a->type == APP_INT) *(int *)a->dest = (int)x;
    else *(float *)a->dest = (float)x;
    return 0;
}

int app_parse_args(const char *prog, const char *summary, app_arg *args, int nargs, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
            usage(prog, summary, args, nargs);
            return 1;
        }
        if (!strcmp(s, "--version")) {
            app_print_version(prog);
            return 1;
        }
        if (strncmp(s, "--", 2) != 0) {
            fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", prog, s);
            return -1;
        }
        const char *name = s + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        app_arg *a = NULL;
        for (int k = 0; k < nargs && !a; k++)
            if (strlen(args[k].name) == len && !strncmp(args[k].name, name, len)) a = &args[k];
        if (!a) {
            fprintf(stderr, "%s: unknown option '%s' (see --help)\n", prog, s);
            return -1;
        }
        if (a->type == APP_FLAG) {
            if (eq) { fprintf(stderr, "%s: --%s takes no value\n", prog, a->name); return -1; }
            *(int *)a->dest = 1;
            continue;
        }
        if (a->type == APP_PAIR) {
            if (eq || i + 2 >= argc) {
                fprintf(stderr, "%s: --%s needs two values\n", prog, a->name);
                return -1;
            }
            ((const char **)a->dest)[0] = argv[++i];
            ((const char **)a->dest)[1] = argv[++i];
            continue;
        }
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!v) {
            fprintf(stderr, "%s: --%s needs a value\n", prog, a->name);
            return -1;
        }
        if (set_value(prog, a, v) != 0) return -1;
    }
    return 0;
}
