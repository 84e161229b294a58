/* test_pool.c — placeholder suite, filled in by the work on issue #3. */
#include "suites.h"

CU_ErrorCode mx_test_register_pool(void)
{
    CU_add_suite("pool", NULL, NULL);
    return CU_get_error();
}
