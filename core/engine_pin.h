/* engine_pin.h — private to the engine: where worker threads are pinned.
 * With hwloc (MX_HAVE_HWLOC) workers go one per physical core in the
 * topology's order; without it, sched_setaffinity pins worker i to the
 * i-th CPU of the process's allowed set. */
#ifndef MX_ENGINE_PIN_H
#define MX_ENGINE_PIN_H

typedef struct mx_pin mx_pin;

/* Prepares pinning for nthreads workers: worker i goes to core
 * first + i·stride (wrapping round the machine); bind 0 only describes. */
mx_pin *mx_pin_create(int nthreads, int bind, int first, int stride);

/* Pins the calling thread as worker tid (no-op when not binding). */
void mx_pin_thread(mx_pin *pin, int tid);

/* Human-readable placement ("pinned to cores 0,1 (hwloc)"). */
const char *mx_pin_describe(const mx_pin *pin);

/* Releases the pinning state. */
void mx_pin_free(mx_pin *pin);

/* Number of physical cores available to this process (at least 1). */
int mx_pin_count_cores(void);

#endif
