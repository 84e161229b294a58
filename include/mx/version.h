/** @file
 * version.h — what this build of mxrt is. */
#ifndef MX_VERSION_H
#define MX_VERSION_H

/** mxrt's release, "major.minor.patch": the one place the version is set
 * (SConstruct reads it for the pkg-config files, the man pages and the
 * archive's name; CHANGELOG.md says what each release brought). */
#define MX_VERSION "0.2.0"

/** The release of the library linked in ("0.2.0"), which may differ from
 * the MX_VERSION of the headers a program was compiled with. */
const char *mx_version(void);

/** "mxrt 0.1.0 (sgemm avx512, hwloc, zlib)": version and build features. */
const char *mx_build_info(void);

#endif
