internal import CZlib
import ExpvasticBase

/// gzip (RFC 1952) with the system's zlib (`libz.so.1`, Debian `zlib1g`; headers in `zlib1g-dev`):
/// bulk request bodies are sent with `Content-Encoding: gzip` (`compression: gzip`).
///
/// Level 1 by default: bulk NDJSON of expvar documents is repetitive (the same keys in every
/// document), so the fastest level already removes most of it.
public enum Gzip {
    /// A zlib failure (out of memory, or corrupt input when decompressing).
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        /// ``decompress(_:limit:)`` stopped because the output would pass its limit (not corrupt input).
        public var isOverLimit = false
    }

    /// `bytes` as one gzip member at `level` (1 fastest … 9 smallest).
    public static func compress(_ bytes: [UInt8], level: Int32 = 1) throws(Failure) -> [UInt8] {
        try GzipDeflater(level: level).compress(bytes)
    }

    /// The bytes of a gzip stream; at most `limit` of them: inflating stops, with a failure whose
    /// ``Failure/isOverLimit`` is true, as soon as the output would pass it, so memory stays within
    /// about `limit` plus one 64 KiB chunk whatever the input inflates to.
    public static func decompress(_ bytes: [UInt8], limit: Int = 64 << 20) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        let status = inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw Failure(description: "zlib inflateInit2 failed (\(status))") }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        // Text compresses 5-10x; starting there saves most of the regrowth copies.
        output.reserveCapacity(min(limit, bytes.count * 8) + 1)
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var finished = false
        try bytes.withUnsafeBufferPointer { (input) throws(Failure) in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = UInt32(input.count)
            while !finished {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (status, out.count - Int(stream.avail_out))
                }
                if output.count + produced > limit {
                    throw Failure(description: "gzip body larger than \(limit) bytes", isOverLimit: true)
                }
                output += chunk[..<produced]
                switch status {
                case Z_STREAM_END: finished = true
                case Z_OK:
                    if stream.avail_in == 0 && produced == 0 { throw Failure(description: "gzip body truncated") }
                case Z_BUF_ERROR: throw Failure(description: "gzip body truncated")
                default: throw Failure(description: "gzip body is corrupt (zlib \(status))")
                }
            }
        }
        return output
    }
}

/// A gzip compressor that keeps zlib's state (about 256 KiB at every level) from one body to the
/// next: ``compress(_:)`` resets it instead of allocating and zero-filling it again, which cost
/// about 30 page faults and two `brk` calls per bulk request when each body had its own.
/// One caller at a time (keep it behind a lock).
public struct GzipDeflater: ~Copyable {
    /// zlib keeps a pointer back to its `z_stream`, so the stream lives at one address.
    private let stream: UnsafeMutablePointer<z_stream>

    /// A compressor at `level` (1 fastest … 9 smallest).
    public init(level: Int32 = 1) throws(Gzip.Failure) {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // 15 window bits + 16: write a gzip header and trailer instead of zlib's.
        let status = deflateInit2_(
            stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
            Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deallocate()
            throw Gzip.Failure(description: "zlib deflateInit2 failed (\(status))")
        }
        self.stream = stream
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// `bytes` as one gzip member.
    public func compress(_ bytes: [UInt8]) throws(Gzip.Failure) -> [UInt8] {
        // Ready for the next member, whatever this call did (zlib's reset keeps its memory).
        defer { deflateReset(stream) }
        // Not zero-filled first (zlib writes every byte it reports).
        var result = Z_OK
        let bound = [UInt8](unsafeUninitializedCapacity: Int(deflateBound(stream, UInt(bytes.count)))) {
            out, initialized in
            bytes.withUnsafeBufferPointer { input in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.pointee.avail_in = UInt32(input.count)
                stream.pointee.next_out = out.baseAddress
                stream.pointee.avail_out = UInt32(out.count)
                result = deflate(stream, Z_FINISH)
            }
            initialized = result == Z_STREAM_END ? Int(stream.pointee.total_out) : 0
        }
        // deflateBound guarantees room for everything in one call.
        guard result == Z_STREAM_END else { throw Gzip.Failure(description: "zlib deflate failed (\(result))") }
        // The bound is about the size of the input, the output a few percent of it: a copy of the
        // right size, rather than holding the bound's buffer while the request is in flight.
        return bound.withUnsafeBufferPointer { Array($0) }
    }
}
