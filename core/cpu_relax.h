/* cpu_relax.h — private to core: the pause a spinning thread makes between
 * polls (x86's PAUSE: a sibling hyperthread gets the core, and leaving the
 * loop costs no memory-order flush); nothing elsewhere. */
#ifndef MX_CORE_CPU_RELAX_H
#define MX_CORE_CPU_RELAX_H

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

#endif
