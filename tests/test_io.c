/* test_io.c — providers: batching, padding, shuffling, MNIST, errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu/cpu_kernels.h"
#include "suites.h"
#include "test_util.h"

/* 10 samples of 3 features (value = 10·sample + feature) and labels = sample. */
static mx_provider *ten_samples(int batch, int shuffle, uint64_t seed, mx_nd **x, mx_nd **y)
{
    float xv[30], yv[10];
    for (int i = 0; i < 10; i++) {
        yv[i] = (float)i;
        for (int f = 0; f < 3; f++) xv[i * 3 + f] = (float)(10 * i + f);
    }
    *x = mx_nd_from(mx_shape_make(2, 10, 3), xv);
    *y = mx_nd_from(mx_shape_make(1, 10), yv);
    const char *dn[] = {"data"}, *ln[] = {"softmax_label"};
    mx_array_provider_opts o = {batch, shuffle, -1.0f, -2.0f, seed};
    return mx_array_provider(1, dn, x, 1, ln, y, &o);
}

static void test_io_array_provider_pads_last_batch(void)
{
    mx_nd *x, *y;
    mx_provider *p = ten_samples(4, 0, 0, &x, &y);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    mx_io_desc d = mx_provider_data_desc(p, 0);
    mx_shape want = mx_shape_make(2, 4, 3);
    CU_ASSERT(mx_shape_equal(&d.shape, &want));
    CU_ASSERT_STRING_EQUAL(mx_provider_label_desc(p, 0).name, "softmax_label");
    float data[12], label[4];
    mx_batch b = {{data}, {label}, 0};
    int counts[4] = {0}, n = 0;
    mx_provider_reset(p);
    while (mx_provider_next(p, &b) > 0 && n < 4) counts[n++] = b.count;
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_EQUAL(counts[0], 4);
    CU_ASSERT_EQUAL(counts[2], 2);
    /* last batch: samples 8, 9 then padding */
    CU_ASSERT_EQUAL(data[0], 80.0f);
    CU_ASSERT_EQUAL(data[5], 92.0f);
    CU_ASSERT_EQUAL(data[6], -1.0f);
    CU_ASSERT_EQUAL(data[11], -1.0f);
    CU_ASSERT_EQUAL(label[1], 9.0f);
    CU_ASSERT_EQUAL(label[2], -2.0f);
    /* a new epoch starts over */
    mx_provider_reset(p);
    CU_ASSERT_EQUAL(mx_provider_next(p, &b), 1);
    CU_ASSERT_EQUAL(data[0], 0.0f);
    mx_provider_free(p);
    mx_nd_free(x); mx_nd_free(y);
}

static void epoch_order(mx_provider *p, int *order)
{
    float data[9], label[3];
    mx_batch b = {{data}, {label}, 0};
    int k = 0;
    mx_provider_reset(p);
    while (mx_provider_next(p, &b) > 0)
        for (int i = 0; i < b.count; i++) {
            CU_ASSERT_EQUAL(data[i * 3 + 1], 10 * label[i] + 1); /* rows stay with labels */
            order[k++] = (int)label[i];
        }
    CU_ASSERT_EQUAL(k, 10);
}

static void test_io_shuffled_epoch_covers_every_sample_once(void)
{
    mx_nd *x, *y;
    mx_provider *p = ten_samples(3, 1, 42, &x, &y);
    int e1[10], e2[10], seen[10] = {0};
    epoch_order(p, e1);
    epoch_order(p, e2);
    for (int i = 0; i < 10; i++) seen[e1[i]]++;
    for (int i = 0; i < 10; i++) CU_ASSERT_EQUAL(seen[i], 1);
    CU_ASSERT(memcmp(e1, e2, sizeof e1) != 0); /* reshuffled */
    int identity = 1;
    for (int i = 0; i < 10; i++) identity &= e1[i] == i;
    CU_ASSERT_FALSE(identity);
    /* same seed, same orders */
    mx_nd *x2, *y2;
    mx_provider *q = ten_samples(3, 1, 42, &x2, &y2);
    int f1[10];
    epoch_order(q, f1);
    CU_ASSERT(memcmp(e1, f1, sizeof e1) == 0);
    mx_provider_free(p); mx_provider_free(q);
    mx_nd_free(x); mx_nd_free(y); mx_nd_free(x2); mx_nd_free(y2);
}

static void test_io_array_provider_rejects_bad_input(void)
{
    mx_nd *x = mx_nd_zeros(mx_shape_make(2, 10, 3)), *y = mx_nd_zeros(mx_shape_make(1, 9));
    const char *dn[] = {"data"}, *ln[] = {"label"};
    mx_array_provider_opts o = {4, 0, 0, 0, 0};
    CU_ASSERT_PTR_NULL(mx_array_provider(1, dn, &x, 1, ln, &y, &o));
    ASSERT_ERROR_HAS("'label' has 9 samples");
    o.batch_size = 0;
    CU_ASSERT_PTR_NULL(mx_array_provider(1, dn, &x, 0, NULL, NULL, &o));
    ASSERT_ERROR_HAS("batch_size");
    mx_nd_free(x); mx_nd_free(y);
}

static mx_mnist_opts test_mnist(char *img, char *lab, size_t cap)
{
    mx_mnist_opts o = mx_mnist_defaults();
    o.image = mx_test_mnist_path("t10k-images-idx3-ubyte", img, cap);
    o.label = mx_test_mnist_path("t10k-labels-idx1-ubyte", lab, cap);
    o.batch_size = 100;
    return o;
}

static void test_io_mnist_provider_reads_scaled_batches(void)
{
    if (!mx_test_have_mnist("mnist provider")) return;
    char img[512], lab[512];
    mx_mnist_opts o = test_mnist(img, lab, sizeof img);
    mx_provider *p = mx_mnist_provider(&o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    mx_shape want = mx_shape_make(4, 100, 1, 28, 28);
    mx_io_desc d = mx_provider_data_desc(p, 0);
    CU_ASSERT(mx_shape_equal(&d.shape, &want));
    CU_ASSERT_STRING_EQUAL(d.name, "data");
    CU_ASSERT_EQUAL(mx_provider_num_samples(p), 10000);
    float *data = malloc(100 * 784 * sizeof(float)), label[100];
    mx_batch b = {{data}, {label}, 0};
    int batches = 0;
    float lo = 1, hi = 0;
    mx_provider_reset(p);
    while (mx_provider_next(p, &b) > 0) {
        batches++;
        for (int i = 0; i < 100 * 784; i++) {
            lo = data[i] < lo ? data[i] : lo;
            hi = data[i] > hi ? data[i] : hi;
        }
        for (int i = 0; i < 100; i++) CU_ASSERT(label[i] >= 0 && label[i] <= 9 && label[i] == (int)label[i]);
    }
    CU_ASSERT_EQUAL(batches, 100);
    CU_ASSERT_EQUAL(lo, 0.0f);
    CU_ASSERT_EQUAL(hi, 1.0f);
    mx_provider_free(p);
    /* sharding: two parts of 10000 split 5000/5000, flat shape */
    o.flat = 1;
    o.num_parts = 2;
    o.part_index = 1;
    p = mx_mnist_provider(&o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(mx_provider_num_samples(p), 5000);
    want = mx_shape_make(2, 100, 784);
    d = mx_provider_data_desc(p, 0);
    CU_ASSERT(mx_shape_equal(&d.shape, &want));
    mx_provider_free(p);
    free(data);
}

static void test_io_mnist_provider_names_missing_and_bad_files(void)
{
    mx_mnist_opts o = mx_mnist_defaults();
    char missing[512];
    snprintf(missing, sizeof missing, "%s/nope-images", mx_test_tmp_dir());
    o.image = missing;
    o.label = missing;
    CU_ASSERT_PTR_NULL(mx_mnist_provider(&o));
    ASSERT_ERROR_HAS(missing);
    /* images and labels of different counts */
    if (!mx_test_have_mnist("mnist count mismatch")) return;
    char img[512], lab[512];
    o = test_mnist(img, lab, sizeof img);
    char train_lab[512];
    o.label = mx_test_mnist_path("train-labels-idx1-ubyte", train_lab, sizeof train_lab);
    CU_ASSERT_PTR_NULL(mx_mnist_provider(&o));
    ASSERT_ERROR_HAS("60000 labels for 10000 images");
    o = test_mnist(img, lab, sizeof img);
    o.part_index = 2;
    o.num_parts = 2;
    CU_ASSERT_PTR_NULL(mx_mnist_provider(&o));
    ASSERT_ERROR_HAS("part_index");
    o = test_mnist(img, lab, sizeof img);
    o.label = o.image; /* an image file where labels are expected */
    CU_ASSERT_PTR_NULL(mx_mnist_provider(&o));
    ASSERT_ERROR_HAS("1 dimension");
}

static void test_io_byte_conversion_at_every_alignment_and_length(void)
{
    unsigned char src[300];
    _Alignas(64) float dst[320];
    for (int i = 0; i < 300; i++) src[i] = (unsigned char)(i * 37 + 11);
    int bad = 0;
    for (int off = 0; off < 17; off++) {
        for (int n = 0; n < 280; n += (n < 40 ? 1 : 13)) {
            for (int i = 0; i < 320; i++) dst[i] = -7.0f;
            mx_cpu_u8_to_f32(dst + off, src + 3, (size_t)n, 1.0f / 255.0f);
            for (int i = 0; i < 320; i++) {
                float want = i >= off && i < off + n ? (float)src[3 + i - off] * (1.0f / 255.0f) : -7.0f;
                bad += dst[i] != want;
            }
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
}

CU_ErrorCode mx_test_register_io(void)
{
    CU_pSuite s = CU_add_suite("io", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "array provider pads last batch", test_io_array_provider_pads_last_batch);
    CU_add_test(s, "byte conversion at every alignment and length", test_io_byte_conversion_at_every_alignment_and_length);
    CU_add_test(s, "shuffled epoch covers every sample once", test_io_shuffled_epoch_covers_every_sample_once);
    CU_add_test(s, "array provider rejects bad input", test_io_array_provider_rejects_bad_input);
    CU_add_test(s, "MNIST provider reads scaled batches", test_io_mnist_provider_reads_scaled_batches);
    CU_add_test(s, "MNIST provider names missing and bad files", test_io_mnist_provider_names_missing_and_bad_files);
    return CU_get_error();
}
