/* test_kvstore.c — placeholder suite, filled in by the work on issue #4. */
#include "suites.h"

CU_ErrorCode mx_test_register_kvstore(void)
{
    CU_add_suite("kvstore", NULL, NULL);
    return CU_get_error();
}
