#ifndef EXPVASTIC_ALLOCATION_COUNTER_H
#define EXPVASTIC_ALLOCATION_COUNTER_H

/// Heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign) made by the
/// calling thread since it started. Linking this target into an executable replaces those
/// functions process-wide with counting wrappers around glibc's own.
unsigned long long expvastic_thread_allocations(void);

/// Bytes of heap in use by the whole process (glibc's `mallinfo2()`: `uordblks + hblkhd`, mmapped blocks included).
unsigned long long expvastic_heap_bytes_in_use(void);

#endif
