import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An append-only file that rotates by size: when the next record would make `path` larger than
/// `maxBytes`, `path` becomes `path.1`, `path.1` becomes `path.2`, … and `path.<maxFiles>` is
/// deleted. A record is never split across files. Parent directories are created.
///
/// Calls are serialized by a mutex and block on disk I/O (`write`, `fsync`, `rename`): the
/// recorders call them through their ``BlockingExecutor``, never on the cooperative pool.
package final class RotatingFile: Sendable {
    package let path: String
    package let maxBytes: Int
    package let maxFiles: Int
    private let state = Mutex(State())

    private struct State {
        package var descriptor: Int32 = -1
        /// Bytes in `path`, including what is buffered.
        package var size = 0
        package var buffer: [UInt8] = []
    }

    package init(path: String, maxBytes: Int, maxFiles: Int) {
        self.path = path
        self.maxBytes = max(1, maxBytes)
        self.maxFiles = max(0, maxFiles)
    }

    deinit {
        state.withLock { state in
            if state.descriptor >= 0 { Glibc.close(state.descriptor) }
        }
    }

    /// Bytes in `path`, including what is buffered.
    package var size: Int { state.withLock { $0.size } }

    /// Buffers one record (for example an action line and its document), rotating first if the
    /// record would not fit. Call ``flush()`` to write the buffer.
    package func append(_ record: [UInt8]) throws(RecorderError) {
        try state.withLock { state throws(RecorderError) in
            try openIfNeeded(&state)
            if state.size > 0 && state.size + record.count > maxBytes {
                try flush(&state)
                try rotate(&state)
            }
            state.buffer.append(contentsOf: record)
            state.size += record.count
            if state.buffer.count >= 1 << 20 { try flush(&state) }
        }
    }

    /// Writes the buffer to the file.
    package func flush() throws(RecorderError) {
        try state.withLock { state throws(RecorderError) in try flush(&state) }
    }

    /// Writes the buffer and waits until the data is on disk.
    package func sync() throws(RecorderError) {
        try state.withLock { state throws(RecorderError) in
            try flush(&state)
            guard state.descriptor >= 0 else { return }
            if fsync(state.descriptor) != 0 {
                throw RecorderError(
                    code: "file_unwritable", message: "cannot fsync \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    package func close() {
        state.withLock { state in
            try? flush(&state)
            if state.descriptor >= 0 {
                Glibc.close(state.descriptor)
                state.descriptor = -1
            }
        }
    }

    private func flush(_ state: inout State) throws(RecorderError) {
        guard !state.buffer.isEmpty else { return }
        try openIfNeeded(&state)
        let descriptor = state.descriptor
        var offset = 0
        let failure: Int32? = state.buffer.withUnsafeBytes { raw -> Int32? in
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
            state.buffer.removeFirst(offset)
            throw RecorderError(
                code: "file_unwritable",
                message: "cannot write \(path): \(String(cString: strerror(failure))); check free space and permissions"
            )
        }
        state.buffer.removeAll(keepingCapacity: true)
    }

    private func openIfNeeded(_ state: inout State) throws(RecorderError) {
        guard state.descriptor < 0 else { return }
        let directory = FileSystem.parentDirectory(of: path)
        if !directory.isEmpty {
            do {
                try FileSystem.createDirectories(directory)
            } catch {
                throw RecorderError(
                    code: "file_unwritable",
                    message: "\(error); check permissions")
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
        state.descriptor = fd
        state.size = existing + state.buffer.count
    }

    private func rotate(_ state: inout State) throws(RecorderError) {
        if state.descriptor >= 0 {
            fsync(state.descriptor)
            Glibc.close(state.descriptor)
            state.descriptor = -1
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
        state.size = 0
        try openIfNeeded(&state)
    }
}
