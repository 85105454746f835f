#if canImport(Glibc)
    import Glibc
#endif

/// Standard output or standard error, written with `write(2)` and no buffering, so a line is out
/// before the next one (or the process's exit) follows.
public enum StandardStream: Sendable {
    case output
    case error

    /// Writes all of `text`; gives up silently when the stream is closed (there is nowhere left
    /// to report that).
    public func write(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    /// Writes all of `bytes`, like ``write(_:)-(String)``.
    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    private func write(_ buffer: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < buffer.count {
            let written = Glibc.write(self == .output ? 1 : 2, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            offset += written
        }
    }
}
