// Linux AIO for fsync and fdatasync (IOCB_CMD_FSYNC / IOCB_CMD_FDSYNC, Linux 4.18+): the
// write-ahead log's group commit hands its fsyncs to the kernel, which runs them in a kernel
// worker, instead of waking a thread of ours that blocks in fsync (see WriteAheadLog).
#include "CAsyncIO.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__linux__)
#include <linux/aio_abi.h>
#include <sys/syscall.h>

int expvastic_aio_setup(unsigned events, uint64_t *context) {
    aio_context_t handle = 0;
    if (syscall(SYS_io_setup, events, &handle) != 0) return -errno;
    *context = (uint64_t)handle;
    return 0;
}

int expvastic_aio_destroy(uint64_t context) {
    return syscall(SYS_io_destroy, (aio_context_t)context) == 0 ? 0 : -errno;
}

int expvastic_aio_submit_syncs(uint64_t context, const int *descriptors, const int *data_only, int count) {
    enum { batch = 16 };
    int submitted = 0;
    while (submitted < count) {
        struct iocb blocks[batch];
        struct iocb *pointers[batch];
        int n = count - submitted < batch ? count - submitted : batch;
        for (int i = 0; i < n; i++) {
            memset(&blocks[i], 0, sizeof blocks[i]);
            blocks[i].aio_fildes = (uint32_t)descriptors[submitted + i];
            blocks[i].aio_lio_opcode = data_only[submitted + i] ? IOCB_CMD_FDSYNC : IOCB_CMD_FSYNC;
            pointers[i] = &blocks[i];
        }
        long result;
        do {
            result = syscall(SYS_io_submit, (aio_context_t)context, (long)n, pointers);
        } while (result < 0 && errno == EINTR);
        if (result < 0) return submitted > 0 ? submitted : -errno;
        submitted += (int)result;
        if (result < n) break;
    }
    return submitted;
}

int expvastic_aio_reap(uint64_t context, int minimum, int maximum, int64_t *results, int64_t timeout_nanos) {
    enum { batch = 16 };
    struct io_event events[batch];
    if (maximum > batch) maximum = batch;
    if (minimum > maximum) minimum = maximum;
    struct timespec timeout = {(time_t)(timeout_nanos / 1000000000), (long)(timeout_nanos % 1000000000)};
    long result;
    do {
        result = syscall(
            SYS_io_getevents, (aio_context_t)context, (long)minimum, (long)maximum, events,
            timeout_nanos < 0 ? NULL : &timeout);
    } while (result < 0 && errno == EINTR);
    if (result < 0) return -errno;
    for (long i = 0; i < result; i++) results[i] = events[i].res;
    return (int)result;
}

#else

int expvastic_aio_setup(unsigned events, uint64_t *context) { (void)events; (void)context; return -ENOSYS; }
int expvastic_aio_destroy(uint64_t context) { (void)context; return -ENOSYS; }
int expvastic_aio_submit_syncs(uint64_t context, const int *descriptors, const int *data_only, int count) {
    (void)context; (void)descriptors; (void)data_only; (void)count;
    return -ENOSYS;
}
int expvastic_aio_reap(uint64_t context, int minimum, int maximum, int64_t *results, int64_t timeout_nanos) {
    (void)context; (void)minimum; (void)maximum; (void)results; (void)timeout_nanos;
    return -ENOSYS;
}

#endif
