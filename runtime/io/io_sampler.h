/* io_sampler.h — private: the sample order shared by providers: a
 * permutation made once, reshuffled in place each epoch, walked in
 * batches. No allocation after creation. */
#ifndef MX_RUNTIME_IO_SAMPLER_H
#define MX_RUNTIME_IO_SAMPLER_H

#include "mx/error.h"
#include "mx/random.h"

typedef struct mx_sampler {
    long n;       /* samples per epoch */
    long *perm;   /* sample order of this epoch */
    long cursor;  /* next position in perm */
    int shuffle;
    uint64_t seed;
    long epochs;  /* resets so far: epoch e's order depends on (seed, e) only */
} mx_sampler;

/* Identity order over n samples; shuffle reorders at every reset. */
mx_status mx_sampler_init(mx_sampler *s, long n, int shuffle, uint64_t seed);

/* Starts an epoch. */
void mx_sampler_reset(mx_sampler *s);

/* Declares that epochs epochs have already been run (resumed training):
 * the next reset gives epoch epochs + 1's order. */
void mx_sampler_set_epoch(mx_sampler *s, long epochs);

/* Next batch: *idx points at up to batch indices; returns how many (0 at end). */
int mx_sampler_take(mx_sampler *s, int batch, const long **idx);

/* Sharded: the next global batch of batch·parts positions of the epoch's
 * order, of which this part takes slice part: *idx points at its *got
 * samples (0..batch; fewer, or none, only in the last global batch).
 * Returns 0 at the end of the epoch. Every part gets the same number of
 * batches, and N parts at batch B together see exactly the batches one
 * reader at batch N·B sees. */
int mx_sampler_take_part(mx_sampler *s, int batch, int part, int parts, const long **idx, int *got);

/* Samples part takes per epoch with mx_sampler_take_part. */
long mx_sampler_part_samples(const mx_sampler *s, int batch, int part, int parts);

/* Frees the permutation. */
void mx_sampler_free(mx_sampler *s);

#endif
