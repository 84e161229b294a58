/* app_dist.c — the apps' side of distributed training. Compiled in every
 * build; the MPI calls exist only with scons mpi=1 (MX_HAVE_MPI), so the
 * plain build answers --kvstore dist_sync with how to get it. */
#include "app_dist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mx/mx.h"
#include "mx/dist.h"
#ifdef MX_HAVE_MPI
#include "mx/mpi.h"
#include <mpi.h>
#endif

int app_dist_is_root(void) { return mx_dist_rank() == 0; }

void app_dist_abort(int status)
{
    mx_dist_abort(status ? status : 1);
}

#ifdef MX_HAVE_MPI
int app_dist_start(const char *prog, const char *kvstore, int threads, int *rank, int *nranks, int *nthreads,
                   int *pin_first)
{
    *rank = 0;
    *nranks = 1;
    *nthreads = threads;
    *pin_first = 0;
    int dist = !strcmp(kvstore, "dist_sync") || !strcmp(kvstore, "dist");
    if (!dist && strcmp(kvstore, "local") && strcmp(kvstore, "device")) {
        fprintf(stderr, "%s: --kvstore: bad value '%s' (expected local or dist_sync)\n", prog, kvstore);
        return 2;
    }
    if (!dist) {
        if (mx_mpi_launched())
            fprintf(stderr, "%s: warning: started as several MPI ranks with --kvstore %s: every rank trains "
                            "alone (use --kvstore dist_sync)\n", prog, kvstore);
        return 0;
    }
    if (mx_mpi_init(NULL, NULL) != MX_OK) {
        fprintf(stderr, "%s: --kvstore %s: %s\n", prog, kvstore, mx_last_error());
        return 1;
    }
    const mx_dist_ops *d = mx_dist_get();
    *rank = d->rank;
    *nranks = d->size;
    /* The node's cores split between its ranks: disjoint when this rank
     * sees them all; when the launcher already bound it (mpirun's default
     * --bind-to core) the rank pins within what it was given. */
    int cores = mx_engine_cores();
    int share = cores / d->local_size > 0 ? cores / d->local_size : 1;
    if (threads == 0) threads = cores >= d->local_size ? share : cores;
    *nthreads = threads;
    *pin_first = cores >= d->local_size * threads ? d->local_rank * threads : 0;
    if (cores < d->local_size * threads && cores >= d->local_size)
        fprintf(stderr, "%s: warning: rank %d: %d ranks x %d threads on %d cores: cores are shared\n", prog,
                d->rank, d->local_size, threads, cores);
    return 0;
}

void app_dist_report(const char *engine_description)
{
    const mx_dist_ops *d = mx_dist_get();
    if (!d) return;
    char line[512];
    snprintf(line, sizeof line, "%s: %s", mx_mpi_describe(), engine_description);
    char *all = d->rank == 0 ? malloc((size_t)d->size * sizeof line) : NULL;
    MPI_Gather(line, (int)sizeof line, MPI_CHAR, all, (int)sizeof line, MPI_CHAR, 0, MPI_COMM_WORLD);
    for (int r = 0; all && r < d->size; r++) mx_log_info("%s", all + (size_t)r * sizeof line);
    free(all);
}

void app_dist_finish(void) { mx_mpi_finalize(); }
#else
int app_dist_start(const char *prog, const char *kvstore, int threads, int *rank, int *nranks, int *nthreads,
                   int *pin_first)
{
    *rank = 0;
    *nranks = 1;
    *nthreads = threads;
    *pin_first = 0;
    if (!strcmp(kvstore, "local") || !strcmp(kvstore, "device")) return 0;
    if (!strcmp(kvstore, "dist_sync") || !strcmp(kvstore, "dist")) {
        fprintf(stderr, "%s: --kvstore %s: this build has no MPI (build with scons mpi=1, run under mpirun or "
                        "srun)\n", prog, kvstore);
        return 2;
    }
    fprintf(stderr, "%s: --kvstore: bad value '%s' (expected local or dist_sync)\n", prog, kvstore);
    return 2;
}

void app_dist_report(const char *engine_description) { (void)engine_description; }
void app_dist_finish(void) {}
#endif
