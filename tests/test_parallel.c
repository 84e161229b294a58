/* test_parallel.c — placeholder suite, filled in by the work on issue #4. */
#include "suites.h"

CU_ErrorCode mx_test_register_parallel(void)
{
    CU_add_suite("parallel", NULL, NULL);
    return CU_get_error();
}
