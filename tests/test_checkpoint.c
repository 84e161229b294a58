/* test_checkpoint.c — placeholder suite, filled in by the work on issue #4. */
#include "suites.h"

CU_ErrorCode mx_test_register_checkpoint(void)
{
    CU_add_suite("checkpoint", NULL, NULL);
    return CU_get_error();
}
