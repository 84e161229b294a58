/* hwloc_udev_stubs.c — Debian's libhwloc.a calls five libudev functions
 * only to give OS devices (disks, NICs) friendly names, and libudev has no
 * static archive. These stand-ins report "no udev", so hwloc falls back to
 * sysfs and a fully static binary links; CPU topology is unaffected. */
#ifdef MX_HWLOC_UDEV_STUBS
#include <stddef.h>

struct udev;
struct udev_device;

struct udev *udev_new(void);
struct udev *udev_unref(struct udev *u);
struct udev_device *udev_device_new_from_subsystem_sysname(struct udev *u, const char *subsystem,
                                                           const char *sysname);
struct udev_device *udev_device_unref(struct udev_device *d);
const char *udev_device_get_property_value(struct udev_device *d, const char *key);

struct udev *udev_new(void) { return NULL; }
struct udev *udev_unref(struct udev *u) { (void)u; return NULL; }
struct udev_device *udev_device_new_from_subsystem_sysname(struct udev *u, const char *subsystem,
                                                           const char *sysname)
{
    (void)u; (void)subsystem; (void)sysname;
    return NULL;
}
struct udev_device *udev_device_unref(struct udev_device *d) { (void)d; return NULL; }
const char *udev_device_get_property_value(struct udev_device *d, const char *key)
{
    (void)d; (void)key;
    return NULL;
}
#else
/* Built without hwloc, or linking libudev dynamically: nothing here. */
typedef int mx_hwloc_udev_stubs_unused;
#endif
