/* predict_ref.c — the full runtime's answer for the fixed-buffer tests
 * (tests/test_infer.sh): loads a checkpoint with mx_model_load, predicts
 * an IDX image file with mx_model_predict (executor, engine, provider)
 * and prints each image's class, one per line, as mnist_infer
 * --predictions does.
 *   predict_ref PREFIX EPOCH IMAGES LABELS [LIMIT] */
#include <stdio.h>
#include <stdlib.h>

#include "mx/mx.h"

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: predict_ref PREFIX EPOCH IMAGES LABELS [LIMIT]\n");
        return 2;
    }
    mx_model *m = mx_model_load(argv[1], atoi(argv[2]), NULL, 0);
    mx_mnist_opts o = mx_mnist_defaults();
    o.image = argv[3];
    o.label = argv[4];
    o.batch_size = 100;
    o.limit = argc > 5 ? atol(argv[5]) : 0;
    mx_provider *p = m ? mx_mnist_provider(&o) : NULL;
    mx_nd *out = NULL;
    if (!p || mx_model_predict(m, p, &out) != MX_OK) {
        fprintf(stderr, "predict_ref: %s\n", mx_last_error());
        return 1;
    }
    mx_shape s = mx_nd_shape(out);
    size_t n = (size_t)s.dims[0], classes = mx_nd_size(out) / n;
    const float *y = mx_nd_data(out);
    for (size_t i = 0; i < n; i++) {
        size_t best = 0;
        for (size_t c = 1; c < classes; c++)
            if (y[i * classes + c] > y[i * classes + best]) best = c;
        printf("%zu\n", best);
    }
    mx_nd_free(out);
    mx_provider_free(p);
    mx_model_free(m);
    return 0;
}
