/* app_dist.h — --kvstore for the apps: local, or dist_sync over MPI ranks
 * (builds with scons mpi=1). Starts MPI, gives each rank its share of
 * the node's cores, reports every rank's placement on rank 0, and makes a
 * failing rank end the whole job. */
#ifndef MX_APP_DIST_H
#define MX_APP_DIST_H

/* Starts the transport for kvstore ("local" does nothing beyond a warning
 * when launched as several MPI ranks) and sets *rank and *nranks for the
 * data shards. threads is the --threads/MX_NUM_THREADS value (0 = the
 * rank's share of the cores), *pin_first the first core of this rank's
 * share. Returns 0, or the exit status after printing an error. */
int app_dist_start(const char *prog, const char *kvstore, int threads, int *rank, int *nranks, int *nthreads,
                   int *pin_first);

/* Logs every rank's placement (rank, host, threads, cores) on rank 0, in rank order. */
void app_dist_report(const char *engine_description);

/* 1 on the rank that prints results and writes files (rank 0, or no MPI). */
int app_dist_is_root(void);

/* Ends the whole job with status when running distributed (after the
 * error was printed); returns otherwise. */
void app_dist_abort(int status);

/* Ends MPI on a normal exit (every rank). */
void app_dist_finish(void);

#endif
