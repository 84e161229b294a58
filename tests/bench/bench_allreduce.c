/* bench_allreduce.c — a plain MPI_Allreduce (sum, in place, float) of the
 * sizes given, as the reference beside the allreduce fit runs: the median
 * time of REPS calls, each after a barrier so that only the reduction is
 * timed, and the bandwidth in the ring allreduce's terms (every rank sends
 * and receives 2(p-1)/p of the buffer).
 *
 *   mpirun -np 2 bench_allreduce FLOATS [FLOATS …]
 * prints one line per size: floats=N bytes=B median_us=T busbw_gbs=G */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    enum { REPS = 200 };
    double t[REPS];
    for (int a = 1; a < argc; a++) {
        long n = atol(argv[a]);
        if (n < 1) continue;
        float *buf = calloc((size_t)n, sizeof *buf);
        if (!buf) MPI_Abort(MPI_COMM_WORLD, 1);
        for (int w = 0; w < 10; w++) MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        for (int r = 0; r < REPS; r++) {
            MPI_Barrier(MPI_COMM_WORLD);
            double t0 = MPI_Wtime();
            MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            t[r] = MPI_Wtime() - t0;
        }
        qsort(t, REPS, sizeof *t, cmp);
        double med = t[REPS / 2], bytes = (double)n * sizeof(float);
        if (rank == 0)
            printf("floats=%ld bytes=%.0f median_us=%.2f busbw_gbs=%.3f\n", n, bytes, med * 1e6,
                   size > 1 ? 2.0 * (size - 1) / size * bytes / med / 1e9 : 0.0);
        free(buf);
    }
    MPI_Finalize();
    return 0;
}
