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
    hwloc_topology_t topo;
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

/* The CPUs the launcher gave this process (mpirun --bind-to, srun's
 * task/affinity, taskset), read once before any worker is pinned: hwloc's
 * topology shows the whole machine, and pinning onto a core outside the
 * binding would put two ranks on one core. NULL: the whole machine. */
static hwloc_bitmap_t process_set;
static pthread_once_t process_once = PTHREAD_ONCE_INIT;

static void read_process_set(void)
{
    hwloc_topology_t t;
    if (topo_load(&t) != 0) return;
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (set && hwloc_get_cpubind(t, set, HWLOC_CPUBIND_PROCESS) == 0 && !hwloc_bitmap_iszero(set) &&
        !hwloc_bitmap_isincluded(hwloc_topology_get_topology_cpuset(t), set))
        process_set = set;
    else
        hwloc_bitmap_free(set);
    hwloc_topology_destroy(t);
}

/* Debian's hwloc dlopen()s plugins (libxml, OpenCL, GL) that drag the
 * shared libc into a static binary; CPU topology needs none of them. */
static int topo_open(hwloc_topology_t *t)
{
    setenv("HWLOC_PLUGINS_PATH", "/dev/null", 1);
    pthread_once(&process_once, read_process_set);
    if (topo_load(t) != 0) return -1;
    /* Only the launcher's CPUs exist for the pool. */
    if (process_set && hwloc_topology_restrict(*t, process_set, 0) != 0) {
        hwloc_topology_destroy(*t);
        return topo_load(t);
    }
    return 0;
}

mx_pin *mx_pin_create(int nthreads, int bind, int first, int stride)
{
    mx_pin *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->nthreads = nthreads;
    p->bind = bind;
    p->cpu = calloc((size_t)nthreads, sizeof *p->cpu);
    p->sets = calloc((size_t)nthreads, sizeof *p->sets);
    if (!p->cpu || !p->sets || topo_open(&p->topo) != 0) {
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
        p->sets[i] = hwloc_bitmap_dup(obj->cpuset);
        hwloc_bitmap_singlify(p->sets[i]);
        p->cpu[i] = hwloc_bitmap_first(p->sets[i]);
    }
    describe_cpus(p, "hwloc");
    return p;
}

void mx_pin_thread(mx_pin *p, int tid)
{
    if (!p || !p->bind || tid >= p->nthreads || !p->sets[tid]) return;
    hwloc_set_cpubind(p->topo, p->sets[tid], HWLOC_CPUBIND_THREAD);
}

void mx_pin_free(mx_pin *p)
{
    if (!p) return;
    for (int i = 0; i < p->nthreads; i++)
        if (p->sets[i]) hwloc_bitmap_free(p->sets[i]);
    hwloc_topology_destroy(p->topo);
    free(p->sets);
    free(p->cpu);
    free(p);
}

int mx_pin_count_cores(void)
{
    hwloc_topology_t t;
    int n = 1;
    if (topo_open(&t) == 0) {
        n = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE);
        hwloc_topology_destroy(t);
    }
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
