/* mpi_dist.c — mx/dist.h's collectives over MPI_COMM_WORLD. Sums are
 * in place (MPI_IN_PLACE), so the fused gradient buffer is the only
 * memory a step needs. Errors return (MPI_ERRORS_RETURN) so they can name
 * the call; a peer that dies makes the launcher end the job. */
#include "mx/mpi.h"

#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mx/dist.h"
#include "mx/log.h"

static mx_dist_ops ops;
static int started;
static char where[MPI_MAX_PROCESSOR_NAME + 64];

/* MPI counts are ints: long buffers go in chunks. */
#define CHUNK ((size_t)1 << 30)

static mx_status mpi_fail(const char *call, int rc)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    return mx_set_error(MX_EIO, "%s on rank %d: %s", call, ops.rank, msg);
}

/* MPI_Allreduce (sum, in place), or with bcast MPI_Bcast from rank 0, of
 * n elements of type at buf, in chunks an int can count. */
static mx_status collective(void *buf, size_t n, MPI_Datatype type, size_t elem, int bcast)
{
    for (size_t at = 0; at < n; at += CHUNK) {
        int count = (int)(n - at < CHUNK ? n - at : CHUNK);
        void *p = (char *)buf + at * elem;
        int rc = bcast ? MPI_Bcast(p, count, type, 0, MPI_COMM_WORLD)
                       : MPI_Allreduce(MPI_IN_PLACE, p, count, type, MPI_SUM, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return mpi_fail(bcast ? "MPI_Bcast" : "MPI_Allreduce", rc);
    }
    return MX_OK;
}

static mx_status allreduce_f32(float *buf, size_t n) { return collective(buf, n, MPI_FLOAT, sizeof *buf, 0); }
static mx_status allreduce_f64(double *buf, size_t n) { return collective(buf, n, MPI_DOUBLE, sizeof *buf, 0); }
static mx_status bcast_f32(float *buf, size_t n) { return collective(buf, n, MPI_FLOAT, sizeof *buf, 1); }

/* Sums in flight (dist_sync's gradient buckets, started during backward). */
static MPI_Request slots[MX_DIST_SLOTS];
static int slots_used; /* slots[0 .. slots_used) may be active */

static mx_status iallreduce_f32(float *buf, size_t n, int slot)
{
    int rc = MPI_Iallreduce(MPI_IN_PLACE, buf, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &slots[slot]);
    if (rc != MPI_SUCCESS) return mpi_fail("MPI_Iallreduce", rc);
    if (slot >= slots_used) slots_used = slot + 1;
    return MX_OK;
}

static mx_status wait_slot(int slot)
{
    int rc = MPI_Wait(&slots[slot], MPI_STATUS_IGNORE);
    return rc == MPI_SUCCESS ? MX_OK : mpi_fail("MPI_Wait", rc);
}

/* Open MPI moves a non-blocking collective on only inside MPI calls. */
static void progress(void)
{
    int done = 0;
    if (slots_used) MPI_Testall(slots_used, slots, &done, MPI_STATUSES_IGNORE);
    if (done) slots_used = 0;
}

static void job_abort(int code)
{
    fflush(stdout);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code ? code : 1);
    exit(code ? code : 1); /* not reached */
}

int mx_mpi_launched(void)
{
    /* Open MPI's mpirun, and Slurm's srun (PMI/PMIx) with more than one task. */
    static const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "SLURM_NTASKS", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        if (v && atoi(v) > 1) return 1;
    }
    return 0;
}

mx_status mx_mpi_init(int *argc, char ***argv)
{
    if (started) return MX_OK;
    int provided = 0;
    int rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS) return mx_set_error(MX_EIO, "MPI_Init_thread failed (is this an MPI launch?)");
    started = 1;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &ops.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ops.size);
    /* The ranks sharing this node's memory: pin threads to disjoint cores. */
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, ops.rank, MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &ops.local_rank);
    MPI_Comm_size(node, &ops.local_size);
    MPI_Comm_free(&node);
    char host[MPI_MAX_PROCESSOR_NAME];
    int len = 0;
    MPI_Get_processor_name(host, &len);
    snprintf(where, sizeof where, "rank %d/%d on %s (local %d/%d)", ops.rank, ops.size, host, ops.local_rank,
             ops.local_size);
    ops.name = "mpi";
    ops.allreduce_f32 = allreduce_f32;
    ops.allreduce_f64 = allreduce_f64;
    ops.bcast_f32 = bcast_f32;
    ops.abort = job_abort;
    ops.iallreduce_f32 = iallreduce_f32;
    ops.wait = wait_slot;
    ops.progress = progress;
    for (int i = 0; i < MX_DIST_SLOTS; i++) slots[i] = MPI_REQUEST_NULL;
    mx_dist_register(&ops);
    mx_log_set_rank(ops.rank);
    return MX_OK;
}

void mx_mpi_finalize(void)
{
    if (!started) return;
    mx_dist_register(NULL);
    MPI_Finalize();
    started = 0;
}

const char *mx_mpi_describe(void) { return started ? where : "not started"; }
