import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import Glibc

/// A file descriptor with the few POSIX calls the spool needs; every failure becomes a
/// ``SpoolError`` that names the file and the operation.
package struct SpoolFile {
    package let descriptor: Int32
    package let path: String

    /// Opens `path` (`O_CLOEXEC` is added).
    package init(path: String, flags: Int32, mode: mode_t = 0o644) throws(SpoolError) {
        let descriptor = path.withCString { open($0, flags | O_CLOEXEC, mode) }
        guard descriptor >= 0 else { throw Self.error("open", path) }
        self.descriptor = descriptor
        self.path = path
    }

    /// Wraps a descriptor that is already open (a `dup` of another file's).
    package init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    package func close() {
        _ = Glibc.close(descriptor)
    }

    /// The file size.
    package func size() throws(SpoolError) -> Int {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw Self.error("stat", path) }
        return Int(info.st_size)
    }

    /// Up to `count` bytes from `offset`; fewer only at the end of the file.
    package func read(count: Int, at offset: Int) throws(SpoolError) -> [UInt8] {
        var failure: SpoolError? = nil
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var done = 0
            while done < count {
                let result = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset + done))
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = Self.error("read", path)
                    break
                }
                if result == 0 { break }
                done += result
            }
            initialized = done
        }
        if let failure { throw failure }
        return bytes
    }

    /// Writes all of `bytes` at `offset`.
    package func write(_ bytes: [UInt8], at offset: Int) throws(SpoolError) {
        let failure = bytes.withUnsafeBytes { buffer -> SpoolError? in
            do throws(SpoolError) { try write(buffer, at: offset) } catch { return error }
            return nil
        }
        if let failure { throw failure }
    }

    /// Writes all of `buffer` at `offset`.
    package func write(_ buffer: UnsafeRawBufferPointer, at offset: Int) throws(SpoolError) {
        try write(buffer, then: UnsafeRawBufferPointer(start: nil, count: 0), at: offset)
    }

    /// Writes all of `first` and then all of `second` at `offset`, in one `pwritev` when the file
    /// takes them at once (a regular file does).
    package func write(
        _ first: UnsafeRawBufferPointer, then second: UnsafeRawBufferPointer, at offset: Int
    ) throws(SpoolError) {
        let total = first.count + second.count
        var done = 0
        while done < total {
            // What is left of the two parts (either may be empty: a vector of no bytes is allowed).
            let head = UnsafeRawBufferPointer(rebasing: first[min(done, first.count)...])
            let tail = UnsafeRawBufferPointer(rebasing: second[max(0, done - first.count)...])
            var vectors = (
                iovec(iov_base: UnsafeMutableRawPointer(mutating: head.baseAddress), iov_len: head.count),
                iovec(iov_base: UnsafeMutableRawPointer(mutating: tail.baseAddress), iov_len: tail.count)
            )
            let result = withUnsafeMutableBytes(of: &vectors) { raw in
                pwritev(descriptor, raw.baseAddress!.assumingMemoryBound(to: iovec.self), 2, off_t(offset + done))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw Self.error("write", path)
            }
            done += result
        }
    }

    package func sync() throws(SpoolError) {
        guard fsync(descriptor) == 0 else { throw Self.error("fsync", path) }
    }

    /// `fdatasync`: the data, and the metadata reading it back needs (the size when it grew), not
    /// the times.
    package func syncData() throws(SpoolError) {
        guard fdatasync(descriptor) == 0 else { throw Self.error("fdatasync", path) }
    }

    package func truncate(to size: Int) throws(SpoolError) {
        guard ftruncate(descriptor, off_t(size)) == 0 else { throw Self.error("truncate", path) }
    }

    /// Makes creations and deletions in `directory` durable.
    package static func syncDirectory(_ directory: String) throws(SpoolError) {
        let file = try SpoolFile(path: directory, flags: O_RDONLY | O_DIRECTORY)
        defer { file.close() }
        try file.sync()
    }

    package static func remove(_ path: String) throws(SpoolError) {
        guard path.withCString({ unlink($0) }) == 0 || errno == ENOENT else { throw error("delete", path) }
    }

    /// The whole file, or nil when it does not exist.
    package static func contents(of path: String) throws(SpoolError) -> [UInt8]? {
        do {
            return try FileSystem.contents(of: path)
        } catch {
            if error.errno == ENOENT { return nil }
            throw Self.error(error.operation, error.path, errno: error.errno)
        }
    }

    /// The error for a failed call; by default reads `errno`, so call it right after the failure.
    package static func error(_ operation: String, _ path: String, errno code: Int32 = errno) -> SpoolError {
        let reason = String(cString: strerror(code))
        var hint = "check the permissions and free space of the spool directory"
        if code == ENOSPC || code == EDQUOT { hint = "free disk space or lower spool_max_bytes" }
        return SpoolError(
            code: code == ENOENT ? "spool_missing" : "spool_io",
            message: "spool: cannot \(operation) \(path): \(reason); \(hint)"
        )
    }
}
