/* test_conv.c — placeholder suite, filled in by the work on issue #3. */
#include "suites.h"

CU_ErrorCode mx_test_register_conv(void)
{
    CU_add_suite("conv", NULL, NULL);
    return CU_get_error();
}
