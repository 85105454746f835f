#if canImport(Glibc)
    import Glibc
#endif

/// This process's resident memory and CPU time, for `process.rss_bytes` and `process.cpu_seconds`.
public struct ProcessStats: Sendable, Equatable {
    /// Resident set size in bytes (`/proc/self/statm`, second field × page size).
    public var rssBytes: Int64
    /// User plus system CPU time in seconds (`getrusage(RUSAGE_SELF)`).
    public var cpuSeconds: Double

    public init(rssBytes: Int64, cpuSeconds: Double) {
        self.rssBytes = rssBytes
        self.cpuSeconds = cpuSeconds
    }

    /// Reads the current values; nil when `/proc` is not available.
    public static func current() -> ProcessStats? {
        guard let rss = residentBytes() else { return nil }
        var usage = rusage()
        guard getrusage(Int32(RUSAGE_SELF.rawValue), &usage) == 0 else { return nil }
        let cpu =
            Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
            + Double(usage.ru_stime.tv_usec) / 1e6
        return ProcessStats(rssBytes: rss, cpuSeconds: cpu)
    }

    private static func residentBytes() -> Int64? {
        let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let fields = buffer[0..<count].split(separator: UInt8(ascii: " "))
        guard fields.count >= 2, let pages = Int64(String(decoding: fields[1], as: UTF8.self)) else { return nil }
        return pages * Int64(sysconf(Int32(_SC_PAGESIZE)))
    }
}
