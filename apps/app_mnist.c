/* app_mnist.c — see app_mnist.h. */
#include "app_mnist.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The IDX file under dir, raw or gzipped, whichever exists. */
static const char *data_file(const char *dir, const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", dir, name);
    if (access(buf, R_OK) == 0) return buf;
    snprintf(buf, cap, "%s/%s.gz", dir, name);
    if (access(buf, R_OK) == 0) return buf;
    snprintf(buf, cap, "%s/%s", dir, name); /* let the loader name the missing file */
    return buf;
}

mx_status app_mnist_providers(const char *dir, int batch, int flat, uint64_t seed, long limit, int part, int parts,
                              mx_provider **train, mx_provider **eval)
{
    char img[1024], lab[1024], vimg[1024], vlab[1024];
    mx_mnist_opts tr = mx_mnist_defaults();
    tr.batch_size = batch;
    tr.flat = flat;
    tr.shuffle = 1;
    tr.seed = seed;
    tr.limit = limit;
    tr.part_index = part;
    tr.num_parts = parts;
    tr.image = data_file(dir, "train-images-idx3-ubyte", img, sizeof img);
    tr.label = data_file(dir, "train-labels-idx1-ubyte", lab, sizeof lab);
    *train = mx_mnist_provider(&tr);
    if (!*train) return MX_EFORMAT;
    mx_mnist_opts va = tr;
    va.shuffle = 0;
    va.limit = 0;
    va.image = data_file(dir, "t10k-images-idx3-ubyte", vimg, sizeof vimg);
    va.label = data_file(dir, "t10k-labels-idx1-ubyte", vlab, sizeof vlab);
    *eval = mx_mnist_provider(&va);
    if (!*eval) {
        mx_provider_free(*train);
        *train = NULL;
        return MX_EFORMAT;
    }
    return MX_OK;
}

const char *app_dataset_dir(const char *dataset, const char *dir, int dir_given)
{
    if (!strcmp(dataset, "mnist")) return dir;
    if (!strcmp(dataset, "fashion")) return dir_given ? dir : APP_FASHION_DIR;
    return NULL;
}
