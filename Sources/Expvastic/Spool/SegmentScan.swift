import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// Records read from one segment file, starting at a record boundary: the documents (when asked
/// for), how many, where reading stopped, and the first bad record if there is one.
package struct SegmentScan {
    /// A record that is torn or corrupt; nothing after it in the segment is read.
    package struct Failure: Equatable {
        package var offset: Int
        package var reason: String
    }

    private static let chunkBytes = 1 << 20

    private(set) package var documents: [Document] = []
    private(set) package var records = 0
    /// The end of the last good record read (the start when none).
    private(set) package var end: Int
    private(set) package var failure: Failure?
    /// Records that end at or before `mark`, and the end of the last of them.
    private(set) package var markedRecords = 0
    private(set) package var markedOffset: Int

    /// Reads from `start` up to `limit` (exclusive), at most `maxRecords` records; every record is
    /// checksummed and decoded, and kept when `keepDocuments` is set.
    package init(
        file: SpoolFile,
        from start: Int,
        to limit: Int,
        maxRecords: Int = .max,
        keepDocuments: Bool,
        mark: Int? = nil
    ) throws(SpoolError) {
        end = start
        markedOffset = start
        var buffer: [UInt8] = []
        var bufferStart = start
        while records < maxRecords && end < limit {
            switch SpoolFormat.frame(in: buffer, at: end - bufferStart) {
            case .record(let payload, let frameEnd):
                guard let document = SpoolFormat.document(from: buffer, payload: payload) else {
                    failure = Failure(offset: end, reason: "record passes its checksum but is not a document")
                    return
                }
                if keepDocuments { documents.append(document) }
                records += 1
                end = bufferStart + frameEnd
                if let mark, end <= mark {
                    markedRecords = records
                    markedOffset = end
                }
            case .incomplete(let needed):
                guard needed <= limit - end else {
                    let reason =
                        needed == SpoolFormat.frameHeaderBytes
                        ? "torn record header: \(limit - end) of \(needed) bytes"
                        : "torn record: \(limit - end) of \(needed) bytes"
                    failure = Failure(offset: end, reason: reason)
                    return
                }
                buffer = try file.read(count: min(limit - end, max(Self.chunkBytes, needed)), at: end)
                bufferStart = end
                guard buffer.count >= needed else {
                    failure = Failure(offset: end, reason: "segment ends early: \(buffer.count) of \(needed) bytes")
                    return
                }
            case .corrupt(let reason):
                failure = Failure(offset: end, reason: reason)
                return
            }
        }
    }
}
