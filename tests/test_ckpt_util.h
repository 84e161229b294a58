/* test_ckpt_util.h — checkpoint helpers shared by the checkpoint and
 * faults suites (defined in tests/test_checkpoint.c, but the first). */
#ifndef MX_TESTS_CKPT_UTIL_H
#define MX_TESTS_CKPT_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <CUnit/CUnit.h>

#include "mx/mx.h"

/* Adds the resume, kill and failed-save tests (test_checkpoint_resume.c)
 * to the checkpoint suite. */
void mx_test_add_checkpoint_resume_tests(CU_pSuite s);

/* MNIST training (train 1) or test set, limited, seeded, maybe shuffled. */
mx_provider *mx_test_ckpt_mnist(int train, long limit, uint64_t seed, int shuffle);

/* Fits m with a fresh optimizer parsed from spec; prefix (NULL: none):
 * mx_do_checkpoint every freq epochs. */
mx_status mx_test_ckpt_fit(mx_model *m, const char *spec, mx_provider *p, int n_epoch, const char *prefix, int freq);

/* The tutorial MLP trained n_epoch on 40 random 784-pixel samples. */
mx_model *mx_test_ckpt_random_mlp(uint64_t seed, const char *spec, int n_epoch);

/* The whole file (malloc'd, *len its size), NULL if unreadable. */
unsigned char *mx_test_ckpt_read(const char *path, size_t *len);

/* 1 if the file holds exactly bytes[0, len). */
int mx_test_ckpt_same_file(const char *path, const unsigned char *bytes, size_t len);

/* Temporary files (names with ".tmp.") left in dir. */
int mx_test_ckpt_count_tmp(const char *dir);

/* A fresh folder under the runner's scratch directory, in buf. */
const char *mx_test_ckpt_dir(const char *name, char *buf, size_t cap);

#endif
