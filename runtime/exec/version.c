/* version.c — the build description apps print at start-up. */
#include "mx/version.h"

#include <stdio.h>

#include "kernels/cpu/sgemm.h"

const char *mx_version(void)
{
    return MX_VERSION;
}

const char *mx_build_info(void)
{
    static char info[160];
    snprintf(info, sizeof info, "mxrt %s (sgemm %s, %s)", MX_VERSION, mx_sgemm_kernel_name(),
#ifdef MX_HAVE_HWLOC
             "hwloc"
#else
             "no hwloc"
#endif
    );
    return info;
}
