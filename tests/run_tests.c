/* run_tests.c — the CUnit runner: registers every suite of suites.h and
 * runs them all, or only those named on the command line. Exit status is
 * non-zero when any assertion failed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <CUnit/Basic.h>

#include "suites.h"

static char tmp_dir[256];

const char *mx_test_data_dir(void)
{
    const char *d = getenv("MX_TEST_DATA");
    return d && *d ? d : "data/mnist";
}

const char *mx_test_tmp_dir(void) { return tmp_dir; }

/* Tests that skipped checks, in order, once each, with the first reason. */
#define MAX_SKIPPED 64
static const void *skipped_test[MAX_SKIPPED];
static char skipped[MAX_SKIPPED][400];
static int nskipped;

void mx_test_skip(const char *fmt, ...)
{
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    printf("\n    skipped: %s ", why);
    CU_pTest t = CU_get_current_test();
    CU_pSuite s = CU_get_current_suite();
    for (int i = 0; i < nskipped; i++)
        if (skipped_test[i] == t) return;
    if (nskipped == MAX_SKIPPED) return;
    skipped_test[nskipped] = t;
    snprintf(skipped[nskipped++], sizeof skipped[0], "%.60s: %.130s (%s)", s ? s->pName : "?",
             t ? t->pName : "?", why);
}

typedef struct suite_entry {
    const char *name;
    CU_ErrorCode (*reg)(void);
} suite_entry;

#define MX_SUITE_ENTRY(name) {#name, mx_test_register_##name},
static const suite_entry all_suites[] = {MX_SUITES(MX_SUITE_ENTRY)};
#undef MX_SUITE_ENTRY

static int wanted(const char *name, int argc, char **argv)
{
    if (argc < 2) return 1;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], name)) return 1;
    return 0;
}

int main(int argc, char **argv)
{
    snprintf(tmp_dir, sizeof tmp_dir, "%s/mxrt-test-%d",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
    mkdir(tmp_dir, 0700);
    if (CU_initialize_registry() != CUE_SUCCESS) return 2;
    size_t n = sizeof all_suites / sizeof all_suites[0];
    for (int i = 1; i < argc; i++) {
        int known = 0;
        for (size_t j = 0; j < n; j++) known |= !strcmp(argv[i], all_suites[j].name);
        if (!known) {
            fprintf(stderr, "run_tests: unknown suite '%s'\n", argv[i]);
            return 2;
        }
    }
    for (size_t j = 0; j < n; j++) {
        if (!wanted(all_suites[j].name, argc, argv)) continue;
        if (all_suites[j].reg() != CUE_SUCCESS) {
            fprintf(stderr, "run_tests: cannot register suite %s: %s\n", all_suites[j].name,
                    CU_get_error_msg());
            return 2;
        }
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    /* failed checks (CU_ASSERTs, suite set-ups) and the tests they failed */
    unsigned checks = CU_get_number_of_failures(), tests_failed = CU_get_number_of_tests_failed();
    unsigned run = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    if (system(cmd) != 0) fprintf(stderr, "run_tests: could not remove %s\n", tmp_dir);
    for (int i = 0; i < nskipped; i++) printf("%sskipped checks in %s\n", i ? "" : "\n", skipped[i]);
    printf("\nrun_tests: %u tests run, %u failed (%u failed checks), %d with skipped checks (not passed in full)\n",
           run, tests_failed, checks, nskipped);
    return checks || tests_failed ? 1 : 0;
}
