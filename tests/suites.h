/* suites.h — every CUnit suite of the unit-test runner. Each
 * tests/test_<module>.c defines one register function that adds its suite
 * (CU_add_suite + CU_add_test) and returns CUE_SUCCESS or CUnit's error. */
#ifndef MX_TESTS_SUITES_H
#define MX_TESTS_SUITES_H

#include <CUnit/CUnit.h>

/* Path of the MNIST data folder for tests that need real data (MX_TEST_DATA). */
const char *mx_test_data_dir(void);

/* Scratch directory for files a test writes (created by the runner). */
const char *mx_test_tmp_dir(void);

/* Prints "skipped: <why>" and records the running test as having skipped
 * checks: the runner lists such tests at the end and counts them apart
 * from the ones that passed in full. */
void mx_test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define MX_SUITES(X) \
    X(arena)         \
    X(engine)        \
    X(sgemm)         \
    X(vmath)         \
    X(ndarray)       \
    X(ndqueue)       \
    X(symbol)        \
    X(executor)      \
    X(schedule)      \
    X(gradcheck)     \
    X(conv)          \
    X(deconv)        \
    X(pool)          \
    X(seq_ops)       \
    X(lstm)          \
    X(fuse)          \
    X(fuse_fc)       \
    X(layers)        \
    X(optimizer)     \
    X(training)      \
    X(metric)        \
    X(idx)           \
    X(ndfile)        \
    X(symjson)       \
    X(mxcompat)      \
    X(symapi)        \
    X(mathops)       \
    X(bcastops)      \
    X(layoutops)     \
    X(normops)       \
    X(rnnop)         \
    X(io)            \
    X(csv)           \
    X(vocab)         \
    X(model)         \
    X(kvstore)       \
    X(callback)      \
    X(checkpoint)    \
    X(parallel)      \
    X(dist)          \
    X(dist_stop)     \
    X(gpu_paths)     \
    X(hotpath)       \
    X(faults)        \
    X(fixed)         \
    X(gpu)

#define MX_DECLARE_SUITE(name) CU_ErrorCode mx_test_register_##name(void);
MX_SUITES(MX_DECLARE_SUITE)
#undef MX_DECLARE_SUITE

#endif
