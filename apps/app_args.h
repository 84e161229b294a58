/* app_args.h — strict command-line parsing shared by the apps: every
 * flag is --name value (or --name=value), unknown flags and bad values
 * are one-line errors naming the flag, and --help prints the table. */
#ifndef MX_APP_ARGS_H
#define MX_APP_ARGS_H

/* APP_PAIR takes two values (--resume PREFIX EPOCH) into const char *[2]. */
typedef enum app_arg_type { APP_INT, APP_FLOAT, APP_STRING, APP_FLAG, APP_PAIR } app_arg_type;

typedef struct app_arg {
    const char *name;  /* without the leading "--" */
    app_arg_type type;
    void *dest;        /* int*, float*, const char**, int* (flag) */
    double min, max;   /* accepted range for numbers */
    const char *help;
} app_arg;

/* Prints "PROG (mxrt) VERSION" and the build line (--version). */
void app_print_version(const char *prog);

/* Parses argv into the table; returns 0 to run, 1 if --help or --version was printed,
 * -1 after printing an error (exit 2). */
int app_parse_args(const char *prog, const char *summary, app_arg *args, int nargs, int argc, char **argv);

#endif
