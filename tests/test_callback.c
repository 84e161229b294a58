/* test_callback.c — placeholder suite, filled in by the work on issue #4. */
#include "suites.h"

CU_ErrorCode mx_test_register_callback(void)
{
    CU_add_suite("callback", NULL, NULL);
    return CU_get_error();
}
