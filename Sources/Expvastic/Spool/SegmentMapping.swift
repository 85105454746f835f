import Glibc

/// The write-ahead log's current segment, mapped into memory (`MAP_SHARED`): a record copied into
/// the mapping is in the file's page cache pages at once, so it survives a `kill -9` exactly as a
/// `pwrite` would (the kernel writes the pages back whatever becomes of the process), with no
/// system call per record. `fsync` of the file writes them to disk like any other dirty page.
///
/// The file is preallocated with `posix_fallocate` in steps of ``growthBytes`` ahead of the
/// records: a store into a mapped page whose disk block cannot be allocated would end the process
/// with `SIGBUS`, while a preallocation that fails is an ordinary error (the log then refuses the
/// record, as it does when a `pwrite` fails). The preallocated tail reads as zeros, and a zero
/// record length is where readers stop (see ``SpoolFormat/writeRecord(_:into:)``); the writer's
/// file is cut back to its records when the log closes it, and a segment left by a killed process
/// is cut back when the spool adopts it. At most ``windowBytes`` of the file are mapped at a time.
struct SegmentMapping {
    /// Bytes of the file mapped at a time.
    static let windowBytes = 1 << 20
    /// Bytes preallocated at a time.
    static let growthBytes = 256 << 10
    private static let pageBytes = max(4096, Int(sysconf(Int32(_SC_PAGESIZE))))

    private let file: SpoolFile
    /// The segment never grows past this (`segmentBytes`), unless one record is larger.
    private let maxBytes: Int
    /// The file's size: records end before it, the rest is preallocated zeros.
    private(set) var allocatedBytes: Int
    private var window: UnsafeMutableRawBufferPointer?
    /// The file offset the window starts at.
    private var windowStart = 0

    /// For `file`, opened for reading and writing, whose records end at `bytes` (its size), and
    /// that never takes more than `maxBytes` of records.
    init(file: SpoolFile, bytes: Int, maxBytes: Int) {
        self.file = file
        self.maxBytes = maxBytes
        allocatedBytes = bytes
    }

    /// Lets `fill` write `count` bytes at `offset` of the file, straight into its pages; grows the
    /// preallocation and moves the window first when needed.
    mutating func write(
        count: Int, at offset: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void
    ) throws(SpoolError) {
        precondition(offset >= 0 && count > 0)
        let end = offset + count
        if end > allocatedBytes {
            let target = max(end, min(Self.roundUp(end, to: Self.growthBytes), maxBytes))
            let status = posix_fallocate(file.descriptor, off_t(allocatedBytes), off_t(target - allocatedBytes))
            guard status == 0 else { throw SpoolFile.error("preallocate", file.path, errno: status) }
            allocatedBytes = target
        }
        if let window, offset >= windowStart, end <= windowStart + window.count {
            fill(UnsafeMutableRawBufferPointer(start: window.baseAddress! + (offset - windowStart), count: count))
            return
        }
        unmap()
        let start = offset / Self.pageBytes * Self.pageBytes
        let length = Self.roundUp(max(Self.windowBytes, end - start), to: Self.pageBytes)
        let address = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, file.descriptor, off_t(start))
        guard let address, address != MAP_FAILED else { throw SpoolFile.error("map", file.path) }
        window = UnsafeMutableRawBufferPointer(start: address, count: length)
        windowStart = start
        fill(UnsafeMutableRawBufferPointer(start: address + (offset - start), count: count))
    }

    /// Unmaps the window (the pages stay in the page cache, dirty until written back).
    mutating func unmap() {
        guard let window else { return }
        munmap(window.baseAddress, window.count)
        self.window = nil
    }

    private static func roundUp(_ value: Int, to step: Int) -> Int {
        (value + step - 1) / step * step
    }
}
