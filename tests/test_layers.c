/* test_layers.c — placeholder suite, filled in by the work on issue #3. */
#include "suites.h"

CU_ErrorCode mx_test_register_layers(void)
{
    CU_add_suite("layers", NULL, NULL);
    return CU_get_error();
}
