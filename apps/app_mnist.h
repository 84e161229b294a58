/* app_mnist.h — the MNIST-format data both MNIST apps use: the four IDX
 * files of a folder (raw or .gz), as the tutorial's get_mnist_providers. */
#ifndef MX_APP_MNIST_H
#define MX_APP_MNIST_H

#include "mx/mx.h"

#define APP_FASHION_DIR "/usr/share/datasets/fashion-mnist"

/* Shuffled training and ordered validation providers from dir; flat gives
 * (N, 784) batches, else (N, 1, 28, 28); part of parts: this MPI rank's
 * shard of both. 0, or an error is in mx_last_error. */
mx_status app_mnist_providers(const char *dir, int batch, int flat, uint64_t seed, long limit, int part, int parts,
                              mx_provider **train, mx_provider **eval);

/* The data folder for --dataset: "mnist" → dir, "fashion" → Debian's
 * Fashion-MNIST unless dir was given; NULL for an unknown name. */
const char *app_dataset_dir(const char *dataset, const char *dir, int dir_given);

#endif
