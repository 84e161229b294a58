/** @file
 * version.h — what this build of mxrt is. */
#ifndef MX_VERSION_H
#define MX_VERSION_H

/** mxrt's release, "major.minor.patch" (mx_build_info adds the build features). */
#define MX_VERSION "0.1.0"

/** "mxrt 0.1.0 (sgemm avx512, hwloc, zlib)": version and build features. */
const char *mx_build_info(void);

#endif
