/** @file
 * mpi.h — the MPI transport for distributed training (scons mpi=1, in
 * libmxrt_mpi.a, pkg-config mxrt-mpi): MPI_Allreduce, MPI_Bcast and
 * MPI_Abort behind mx/dist.h's table, rank-0 logging, and each rank's place
 * on its node for thread pinning. Not in mx/mx.h: only programs built
 * against the MPI library include it; the core library never includes
 * MPI's mpi.h. */
#ifndef MX_MPI_H
#define MX_MPI_H

#include "mx/error.h"

/** Starts MPI (thread level funneled: only the calling thread talks to
 * MPI), registers the transport and makes only rank 0 print INFO lines.
 * A second call does nothing. */
mx_status mx_mpi_init(int *argc, char ***argv);

/** 1 when this process was started by an MPI launcher (mpirun, srun) with
 * more than one rank, read from the launcher's environment before
 * mx_mpi_init; 0 otherwise. */
int mx_mpi_launched(void);

/** Ends MPI if mx_mpi_init started it (every rank must call it). */
void mx_mpi_finalize(void);

/** "rank 1/4 on node03 (local 1/2)" for start-up lines. */
const char *mx_mpi_describe(void);

#endif
