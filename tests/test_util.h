/* test_util.h — small helpers shared by the test suites. */
#ifndef MX_TEST_UTIL_H
#define MX_TEST_UTIL_H

#include <string.h>
#include <CUnit/CUnit.h>

#include "mx/mx.h"

/* Asserts the last error mentions needle. */
#define ASSERT_ERROR_HAS(needle)                                                   \
    do {                                                                           \
        if (!strstr(mx_last_error(), (needle)))                                    \
            fprintf(stderr, "\n  last error: '%s' lacks '%s'\n", mx_last_error(), (needle)); \
        CU_ASSERT_PTR_NOT_NULL(strstr(mx_last_error(), (needle)));                 \
    } while (0)

/* The tutorial's MLP (784-128-64-10), built fresh. */
mx_sym *mx_test_mlp(void);

/* The tutorial's LeNet (conv 5×5×20, tanh, max-pool, conv 5×5×50, tanh,
 * max-pool, flatten, FC 500, tanh, FC 10, softmax), built fresh. */
mx_sym *mx_test_lenet(void);

/* A small convolutional net using BatchNorm, LeakyReLU, Dropout, Reshape,
 * Concat and avg pooling, for tests that must touch every layer kind. */
mx_sym *mx_test_conv_layers(void);

/* mx_lstm_unroll's options ("ptb") with these sizes, no dropout, no
 * state outputs. */
mx_lstm_opts mx_test_lstm_opts(int layers, int steps, int hidden, int embed, int vocab);

/* Names and shapes of the inputs o's network is fed at batch B (data and
 * label per step, initial c and h per layer); returns their count. */
int mx_test_lstm_inputs(const mx_lstm_opts *o, int B, char names[][48], mx_shape *shapes);

/* The first limit MNIST test samples (t10k), flat, in order, at batch. */
mx_provider *mx_test_mnist_test_subset(long limit, int batch);

/* Fills an array with U(lo, hi) from a fixed seed. */
void mx_test_fill(mx_nd *a, float lo, float hi, unsigned seed);

/* The inputs of the LSTM o at batch B (as mx_test_lstm_inputs: names in
 * nm, pointed to by names) and a gradient request for each of net's
 * arguments (at most 64): none for characters and labels, state_req for
 * the initial states, write for the weights. Returns the input count. */
int mx_test_lstm_bind_inputs(const mx_sym *net, const mx_lstm_opts *o, int B, char nm[][48], const char **names,
                             mx_shape *shapes, mx_grad_req state_req, mx_grad_req *reqs);

/* The same deterministic values into the arguments of two executors of
 * one network, matched by name: integers in [0, vocab) for the LSTM's
 * character and label inputs (names with _data_ or _label_), U(-1, 1)
 * for the rest. */
void mx_test_same_args(mx_exec *a, mx_exec *b, int vocab);

/* max |a − b| / (floor + |a|) over two arrays of one size (NaN: infinity). */
double mx_test_rel_diff(const mx_nd *a, const mx_nd *b, double floor);

/* 1 if the MNIST files are in mx_test_data_dir(); else prints 'skipped: …'. */
int mx_test_have_mnist(const char *what);

/* Path of an MNIST file in the test data folder. */
const char *mx_test_mnist_path(const char *name, char *buf, size_t cap);

/* Fault injection (the allocator wrappers of tests/test_hotpath.c): the
 * n-th allocation call from now on fails with ENOMEM, once (n 0: none).
 * Returns -1 where the wrappers are off (sanitizer builds), else 0. */
int mx_test_fail_alloc(long n);

/* 1 if the allocation armed by mx_test_fail_alloc has failed. */
int mx_test_alloc_failed(void);

/* Starts counting allocation calls of this process; -1 where the
 * wrappers are off (sanitizer builds), else 0. */
int mx_test_count_allocs_begin(void);

/* Stops counting; the calls since begin (-1 where the wrappers are off). */
long mx_test_count_allocs_end(void);

/* Bytes allocated minus bytes freed (usable sizes) between the last
 * begin and end: 0 when the blocks taken were all given back, whatever
 * glibc keeps cached. */
long mx_test_counted_bytes(void);

#endif
