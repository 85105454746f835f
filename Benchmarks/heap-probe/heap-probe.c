// heap-probe: preloaded into `expvasyml` (LD_PRELOAD), writes glibc's view of the heap every 2 s:
// VmRSS, bytes in use (mallinfo2 uordblks), free in the arenas (fordblks), arena size and bytes in
// large mmapped blocks (hblkhd). Only the process named expvasyml writes; the benchmark and the
// fixture server inherit the variable and stay silent. HEAP_PROBE_OUT names the output file
// (default /tmp/heap-probe.txt); HEAP_PROBE_TRIM_AT=<seconds> calls malloc_trim(0) once then.
//
//   cc -O2 -shared -fPIC -o /tmp/heap-probe.so Benchmarks/heap-probe/heap-probe.c -lpthread
//   LD_PRELOAD=/tmp/heap-probe.so .build/release/ExpvasticBenchmarks e2e-10000
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long resident_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    long kb = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmRSS:", 6)) kb = atol(line + 6);
    }
    fclose(f);
    return kb;
}

static void *probe(void *unused) {
    (void)unused;
    const char *trim = getenv("HEAP_PROBE_TRIM_AT");
    const char *path = getenv("HEAP_PROBE_OUT");
    int trim_at = trim ? atoi(trim) : -1;
    FILE *out = fopen(path ? path : "/tmp/heap-probe.txt", "a");
    if (!out) return NULL;
    for (int t = 0;; t += 2) {
        struct mallinfo2 m = mallinfo2();
        fprintf(out, "t=%d rss_kb=%ld in_use_kb=%zu free_kb=%zu arena_kb=%zu mmapped_kb=%zu\n", t, resident_kb(),
                m.uordblks / 1024, m.fordblks / 1024, m.arena / 1024, m.hblkhd / 1024);
        fflush(out);
        if (t == trim_at) {
            malloc_trim(0);
            fprintf(out, "malloc_trim\n");
        }
        sleep(2);
    }
    return NULL;
}

__attribute__((constructor)) static void start(void) {
    char name[64] = {0};
    FILE *f = fopen("/proc/self/comm", "r");
    if (!f) return;
    if (!fgets(name, sizeof name, f)) name[0] = 0;
    fclose(f);
    if (strncmp(name, "expvasyml", 9)) return;
    pthread_t thread;
    pthread_create(&thread, NULL, probe, NULL);
}
