/** @file
 * log.h — MXNet.jl-style log lines ("INFO: == Epoch 001/020 ====="),
 * printed by rank 0 only (the hook MPI runs set), to stdout or a sink. */
#ifndef MX_LOG_H
#define MX_LOG_H

/** Receives each finished line (without newline) instead of stdout. */
typedef void (*mx_log_sink)(void *ctx, const char *level, const char *line);

/** Logs an INFO line (rank 0 only). */
void mx_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Logs a WARNING line to stderr (every rank, prefixed by the rank if > 0). */
void mx_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Sets this process's rank; only rank 0 prints INFO lines. */
void mx_log_set_rank(int rank);

/** The rank set with mx_log_set_rank (0 by default). */
int mx_log_rank(void);

/** Routes lines to sink (NULL restores stdout/stderr). */
void mx_log_set_sink(mx_log_sink sink, void *ctx);

/** Marks that a live progress line is on the terminal: log lines then
 * erase it first, so they never print over half a progress line. */
void mx_log_set_live_line(int active);

/** Silences INFO lines entirely (quiet runs and tests). */
void mx_log_set_quiet(int quiet);

#endif
