#ifndef EXPVASTIC_CASYNCIO_H
#define EXPVASTIC_CASYNCIO_H

#include <stdint.h>

/// Linux AIO (`io_setup`, `io_submit`, `io_getevents`, `io_destroy`) for `fsync` and `fdatasync`
/// only: the kernel runs each in one of its own workers, so the caller neither blocks nor wakes a
/// thread. Swift cannot call the variadic `syscall(2)`, hence these wrappers. Every function
/// returns a negative errno on failure.

/// Creates a context for up to `events` requests in flight; stores its handle in `*context`.
int expvastic_aio_setup(unsigned events, uint64_t *context);

/// Waits for the context's requests to finish and frees it.
int expvastic_aio_destroy(uint64_t context);

/// Submits one `fdatasync` (`data_only` non-zero) or `fsync` per descriptor, in one call; the
/// kernel holds its own reference to each file, so a descriptor may be closed once this returns.
/// Returns how many were submitted (the first ones; fewer than `count` when the kernel refused
/// one), or a negative errno when none was.
int expvastic_aio_submit_syncs(uint64_t context, const int *descriptors, const int *data_only, int count);

/// Reaps at least `minimum` and at most `maximum` finished requests into `results` (0 or a
/// negative errno each), waiting at most `timeout_nanos` (negative: as long as it takes; 0: not at all).
/// Returns how many were reaped, or a negative errno.
int expvastic_aio_reap(uint64_t context, int minimum, int maximum, int64_t *results, int64_t timeout_nanos);

#endif
