/* engine_pin.c — thread placement with hwloc, or with sched_setaffinity
 * when the build has no hwloc (embedded targets). */
#define _GNU_SOURCE
#include "engine_pin.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef MX_HAVE_HWLOC
#include <hwloc.h>
#endif

struct mx_pin {
    int nthreads;
    int bind;
    int *cpu;          /* CPU (OS index) of each worker, -1 = unpinned */
#ifdef MX_HAVE_HWLOC
    hwloc_topology_t topo; /* the process's (topo_open), not owned */
    hwloc_cpuset_t *sets;
#endif
    char describe[200];
};

#ifndef MX_HAVE_HWLOC
#include <pthread.h>

/* The CPUs the process may run on, read once, before any worker is
 * pinned: sched_getaffinity reports the calling thread's mask, and the
 * caller is often a pinned worker itself (one engine's thread 0 creating
 * the next context's engine), which then saw only its own CPU and put
 * every context on it. */
static int process_cpus[CPU_SETSIZE];
static int process_ncpus;
static pthread_once_t process_once = PTHREAD_ONCE_INIT;

static void read_process_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        for (int i = 0; i < c && i < CPU_SETSIZE; i++) process_cpus[process_ncpus++] = i;
        return;
    }
    for (int i = 0; i < CPU_SETSIZE; i++)
        if (CPU_ISSET(i, &set)) process_cpus[process_ncpus++] = i;
}

static int allowed_cpus(int *list, int max)
{
    pthread_once(&process_once, read_process_cpus);
    int n = process_ncpus < max ? process_ncpus : max;
    memcpy(list, process_cpus, (size_t)n * sizeof *list);
    return n;
}
#endif

const char *mx_pin_describe(const mx_pin *p) { return p ? p->describe : "unpinned"; }

static void describe_cpus(mx_pin *p, const char *how)
{
    char *d = p->describe;
    size_t cap = sizeof p->describe, len;
    if (!p->bind) { snprintf(d, cap, "unpinned (MX_BIND=none)"); return; }
    len = (size_t)snprintf(d, cap, "pinned to cpu%s ", p->nthreads > 1 ? "s" : "");
    for (int i = 0; i < p->nthreads && len < cap - 16; i++)
        len += (size_t)snprintf(d + len, cap - len, "%s%d", i ? "," : "", p->cpu[i]);
    snprintf(d + len, cap - len, " (%s)", how);
}

#ifdef MX_HAVE_HWLOC
#include <pthread.h>

static int topo_load(hwloc_topology_t *t)
{
    if (hwloc_topology_init(t) != 0) return -1;
    hwloc_topology_set_io_types_filter(*t, HWLOC_TYPE_FILTER_KEEP_NONE);
    if (hwloc_topology_load(*t) != 0) { hwloc_topology_destroy(*t); return -1; }
    return 0;
}

/* The topology, loaded once per process and only read after (hwloc's
 * queries and set_cpubind are safe on a shared topology): every engine —
 * the default one, one per FeedForward context — used to load its own,
 * thousands of allocations each time, and hwloc's loader does not survive
 * one of them failing (found by the faults suite). Restricted to the CPUs
 * the launcher gave the process (mpirun --bind-to, srun's task/affinity,
 * taskset), read before any worker is pinned: hwloc shows the whole
 * machine, and pinning onto a core outside the binding would put two
 * ranks on one core. Stays loaded until the process ends. */
static hwloc_topology_t shared_topo;
static int shared_ok;
static pthread_once_t shared_once = PTHREAD_ONCE_INIT;

static void load_shared(void)
{
    /* Debian's hwloc dlopen()s plugins (libxml, OpenCL, GL) that drag the
     * shared libc into a static binary; CPU topology needs none of them. */
    setenv("HWLOC_PLUGINS_PATH", "/dev/null", 1);
    hwloc_topology_t t;
    if (topo_load(&t) != 0) return;
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    int restrict_to = set && hwloc_get_cpubind(t, set, HWLOC_CPUBIND_PROCESS) == 0 && !hwloc_bitmap_iszero(set) &&
                      !hwloc_bitmap_isincluded(hwloc_topology_get_topology_cpuset(t), set);
    /* Only the launcher's CPUs exist for the pools. */
    if (restrict_to && hwloc_topology_restrict(t, set, 0) != 0) {
        hwloc_topology_destroy(t); /* left unusable: load it whole */
        if (topo_load(&t) != 0) { hwloc_bitmap_free(set); return; }
    }
    hwloc_bitmap_free(set);
    shared_topo = t;
    shared_ok = 1;
}

/* The process's topology, or NULL when hwloc could not load it. */
static hwloc_topology_t topo_open(void)
{
    pthread_once(&shared_once, load_shared);
    return shared_ok ? shared_topo : NULL;
}

mx_pin *mx_pin_create(int nthreads, int bind, int first, int stride)
{
    mx_pin *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->nthreads = nthreads;
    p->bind = bind;
    p->cpu = calloc((size_t)nthreads, sizeof *p->cpu);
    p->sets = calloc((size_t)nthreads, sizeof *p->sets);
    if (!p->cpu || !p->sets || !(p->topo = topo_open())) {
        free(p->cpu); free(p->sets); free(p);
        return NULL;
    }
    int ncores = hwloc_get_nbobjs_by_type(p->topo, HWLOC_OBJ_CORE);
    int npus = hwloc_get_nbobjs_by_type(p->topo, HWLOC_OBJ_PU);
    for (int i = 0; i < nthreads; i++) {
        /* One worker per core while there are cores; more threads than
         * cores wrap round onto the PUs so nothing is left unpinned. */
        int slot = first + i * stride;
        hwloc_obj_t obj = ncores > 0 ? hwloc_get_obj_by_type(p->topo, HWLOC_OBJ_CORE, slot % ncores)
                                     : hwloc_get_obj_by_type(p->topo, HWLOC_OBJ_PU, slot % (npus > 0 ? npus : 1));
        p->cpu[i] = -1;
        if (!obj) continue;
        if (!(p->sets[i] = hwloc_bitmap_dup(obj->cpuset))) continue; /* out of memory: unpinned */
        hwloc_bitmap_singlify(p->sets[i]);
        p->cpu[i] = hwloc_bitmap_first(p->sets[i]);
    }
    describe_cpus(p, "hwloc");
    return p;
}

void mx_pin_thread(mx_pin *p, int tid)
{
    if (!p || !p->bind || tid >= p->nthreads || !p->sets[tid]) return;
    /* One CPU: set directly, no allocation (hwloc's Linux backend
     * allocates a CPU set per call and does not check it). */
    if (p->cpu[tid] >= 0 && p->cpu[tid] < CPU_SETSIZE) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(p->cpu[tid], &set);
        sched_setaffinity(0, sizeof set, &set);
        return;
    }
    hwloc_set_cpubind(p->topo, p->sets[tid], HWLOC_CPUBIND_THREAD);
}

void mx_pin_free(mx_pin *p)
{
    if (!p) return;
    for (int i = 0; i < p->nthreads; i++)
        if (p->sets[i]) hwloc_bitmap_free(p->sets[i]);
    free(p->sets);
    free(p->cpu);
    free(p);
}

int mx_pin_count_cores(void)
{
    hwloc_topology_t t = topo_open();
    int n = t ? hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE) : 1;
    return n > 0 ? n : 1;
}
#else
mx_pin *mx_pin_create(int nthreads, int bind, int first, int stride)
{
    mx_pin *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->nthreads = nthreads;
    p->bind = bind;
    p->cpu = calloc((size_t)nthreads, sizeof *p->cpu);
    if (!p->cpu) {
        free(p);
        return NULL;
    }
    int list[CPU_SETSIZE];
    int n = allowed_cpus(list, CPU_SETSIZE);
    for (int i = 0; i < nthreads; i++) p->cpu[i] = n > 0 ? list[(first + i * stride) % n] : -1;
    describe_cpus(p, "sched_setaffinity");
    return p;
}

void mx_pin_thread(mx_pin *p, int tid)
{
    if (!p || !p->bind || tid >= p->nthreads || p->cpu[tid] < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(p->cpu[tid], &set);
    sched_setaffinity(0, sizeof set, &set);
}

void mx_pin_free(mx_pin *p)
{
    if (!p) return;
    free(p->cpu);
    free(p);
}

int mx_pin_count_cores(void)
{
    int list[CPU_SETSIZE];
    int n = allowed_cpus(list, CPU_SETSIZE);
    return n > 0 ? n : 1;
}
#endif
