import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An append-only file that rotates by size: when the next record would make `path` larger than
/// `maxBytes`, `path` becomes `path.1`, `path.1` becomes `path.2`, … and `path.<maxFiles>` is
/// deleted. A record is never split across files. Parent directories are created.
///
/// Not thread-safe: one task owns it.
final class RotatingFile {
    let path: String
    let maxBytes: Int
    let maxFiles: Int
    private var descriptor: Int32 = -1
    /// Bytes in `path`, including what is buffered.
    private(set) var size = 0
    private var buffer: [UInt8] = []

    init(path: String, maxBytes: Int, maxFiles: Int) {
        self.path = path
        self.maxBytes = max(1, maxBytes)
        self.maxFiles = max(0, maxFiles)
    }

    deinit {
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    /// Buffers one record (for example an action line and its document), rotating first if the
    /// record would not fit. Call ``flush()`` to write the buffer.
    func append(_ record: [UInt8]) throws(RecorderError) {
        try openIfNeeded()
        if size > 0 && size + record.count > maxBytes {
            try flush()
            try rotate()
        }
        buffer.append(contentsOf: record)
        size += record.count
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Writes the buffer to the file.
    func flush() throws(RecorderError) {
        guard !buffer.isEmpty else { return }
        try openIfNeeded()
        var offset = 0
        let failure: Int32? = buffer.withUnsafeBytes { raw -> Int32? in
            while offset < raw.count {
                let written = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
        if let failure {
            // Keep what was not written, so a later flush can try again.
            buffer.removeFirst(offset)
            throw RecorderError(
                code: "file_unwritable",
                message: "cannot write \(path): \(String(cString: strerror(failure))); check free space and permissions"
            )
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes the buffer and waits until the data is on disk.
    func sync() throws(RecorderError) {
        try flush()
        guard descriptor >= 0 else { return }
        if fsync(descriptor) != 0 {
            throw RecorderError(
                code: "file_unwritable", message: "cannot fsync \(path): \(String(cString: strerror(errno)))")
        }
    }

    func close() {
        try? flush()
        if descriptor >= 0 {
            Glibc.close(descriptor)
            descriptor = -1
        }
    }

    private func openIfNeeded() throws(RecorderError) {
        guard descriptor < 0 else { return }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw RecorderError(
                    code: "file_unwritable",
                    message: "cannot create directory \(directory): \(error.localizedDescription); check permissions")
            }
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw RecorderError(
                code: "file_unwritable",
                message: "cannot open \(path): \(String(cString: strerror(errno))); check the path and permissions")
        }
        var info = stat()
        let existing = fstat(fd, &info) == 0 ? Int(info.st_size) : 0
        descriptor = fd
        size = existing + buffer.count
    }

    private func rotate() throws(RecorderError) {
        if descriptor >= 0 {
            fsync(descriptor)
            Glibc.close(descriptor)
            descriptor = -1
        }
        if maxFiles == 0 {
            unlink(path)
        } else {
            unlink("\(path).\(maxFiles)")
            var index = maxFiles - 1
            while index >= 1 {
                rename("\(path).\(index)", "\(path).\(index + 1)")
                index -= 1
            }
            if rename(path, "\(path).1") != 0 && errno != ENOENT {
                throw RecorderError(
                    code: "file_unwritable", message: "cannot rotate \(path): \(String(cString: strerror(errno)))")
            }
        }
        size = 0
        try openIfNeeded()
    }
}
