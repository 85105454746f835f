extension Array where Element == UInt8 {
    /// Appends raw bytes as a typed buffer, which `append(contentsOf:)` copies with `memcpy`;
    /// with an `UnsafeRawBufferPointer` it takes the generic sequence path (callgrind, the appends
    /// of a `prometheus-node` scrape: 285 K → 258 K instructions). Hot loops that append many
    /// small runs should write through a pointer instead (the Prometheus parser's arena, or
    /// ``appendWriting(maxCount:_:)``).
    @inlinable @inline(__always)
    public mutating func append(bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        append(contentsOf: UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: bytes.count))
    }

    /// Appends what `write` stores through a pointer to at least `maxCount` free bytes; `write`
    /// returns how many it stored (at most `maxCount`). One capacity check for a whole run of small
    /// writes: each `append` checks uniqueness and capacity on its own (callgrind, a 5,300-field
    /// body: about 20 instructions per `append(_:)` and 70 per short `append(contentsOf:)`).
    @inlinable @inline(__always)
    public mutating func appendWriting(maxCount: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Int) {
        append(addingCapacity: maxCount) { span in
            span.withUnsafeMutableBufferPointer { buffer, initialized in
                let written = write(buffer.baseAddress!)
                precondition(written <= maxCount, "wrote past the reserved bytes")
                initialized = written
            }
        }
    }
}

extension UnsafeMutablePointer where Pointee == UInt8 {
    /// Stores `bytes` at `offset`; returns the offset past them.
    @inlinable @inline(__always)
    public func store(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int {
        if let base = bytes.baseAddress, bytes.count > 0 {
            UnsafeMutableRawPointer(self + offset).copyMemory(from: base, byteCount: bytes.count)
        }
        return offset + bytes.count
    }
}
