import ExpvasticBase

#if canImport(Glibc)
    import Glibc
#endif

/// The process's table of open descriptors, grown once before the HTTP loop needs it.
///
/// The kernel grows the table by doubling (64, 128, 256, …), and in a process of more than one
/// thread every growth waits for an RCU grace period (`expand_files` → `synchronize_rcu`). On the
/// benchmark VM a `socket()` that crossed 256 blocked the loop thread for it (`perf`: the loop in
/// `D` state under `__sys_socket`), and `e2e-10000`, whose pool holds about 230–250 descriptors,
/// saw single polls start 70–200 ms late when that happened inside the measured minute. The table
/// never shrinks, so growing it when the loop is created moves that wait before the first poll.
package enum DescriptorTable {
    /// The table size the HTTP loop reserves (or the soft `RLIMIT_NOFILE`, when lower): 4,096
    /// descriptors, about 36 KB of kernel memory.
    package static let reservedForTheLoop = 4096

    /// Grows the table to hold descriptors below `count` (at most the soft `RLIMIT_NOFILE`) by
    /// taking a duplicate of `descriptor` at `count - 1` or above and closing it. Returns false when
    /// the kernel refused (the table then grows later, when needed, as before).
    @discardableResult
    package static func reserve(_ count: Int, duplicating descriptor: Int32) -> Bool {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return false }
        let highest = min(count, Int(clamping: limit.rlim_cur)) - 1
        guard highest > 0 else { return false }
        let duplicate = fcntl(descriptor, F_DUPFD_CLOEXEC, Int32(clamping: highest))
        guard duplicate >= 0 else { return false }
        close(duplicate)
        return true
    }

    /// `FDSize` of `/proc/self/status`: how many descriptors the table holds now (nil where there
    /// is no such file).
    package static func size() -> Int? {
        guard let status = try? FileSystem.contents(of: "/proc/self/status") else { return nil }
        for line in String(decoding: status, as: UTF8.self).split(separator: "\n")
        where line.hasPrefix("FDSize:") {
            return Int(String(line.dropFirst("FDSize:".count).filter { $0 != " " && $0 != "\t" }))
        }
        return nil
    }
}
