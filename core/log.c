/* log.c — formatting and routing of log lines; rank-aware for MPI. */
#include "mx/log.h"

#include <stdarg.h>
#include <stdio.h>

static int log_rank;
static int log_quiet;
static int log_live_line;
static mx_log_sink log_sink;
static void *log_sink_ctx;

void mx_log_set_rank(int rank) { log_rank = rank; }
int mx_log_rank(void) { return log_rank; }
void mx_log_set_quiet(int quiet) { log_quiet = quiet; }
void mx_log_set_live_line(int active) { log_live_line = active; }

void mx_log_set_sink(mx_log_sink sink, void *ctx)
{
    log_sink = sink;
    log_sink_ctx = ctx;
}

static void emit(const char *level, FILE *stream, const char *fmt, va_list ap)
{
    char line[1024];
    vsnprintf(line, sizeof line, fmt, ap);
    if (log_sink) {
        log_sink(log_sink_ctx, level, line);
        return;
    }
    if (log_live_line) {
        fputs("\r\033[K", stdout);
        fflush(stdout);
        log_live_line = 0;
    }
    if (log_rank > 0) fprintf(stream, "[rank %d] %s: %s\n", log_rank, level, line);
    else fprintf(stream, "%s: %s\n", level, line);
    fflush(stream);
}

void mx_log_info(const char *fmt, ...)
{
    if (log_rank != 0 || log_quiet) return;
    va_list ap;
    va_start(ap, fmt);
    emit("INFO", stdout, fmt, ap);
    va_end(ap);
}

void mx_log_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("WARNING", stderr, fmt, ap);
    va_end(ap);
}
