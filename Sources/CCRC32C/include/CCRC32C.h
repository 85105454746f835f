#ifndef EXPVASTIC_CCRC32C_H
#define EXPVASTIC_CCRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Whether this CPU has a CRC-32C instruction (SSE 4.2 on x86-64, the CRC extension on arm64).
int expvastic_crc32c_hardware_available(void);

/// Updates the CRC-32C register `crc` (not inverted: the caller inverts before and after) with
/// `count` bytes, using the CPU's instruction. Call only when
/// `expvastic_crc32c_hardware_available()` is non-zero.
uint32_t expvastic_crc32c_hardware(uint32_t crc, const void *bytes, size_t count);

#endif
