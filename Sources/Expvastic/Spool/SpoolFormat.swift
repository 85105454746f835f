import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// The on-disk format of a file spool (version 1). All integers are little-endian.
///
/// A segment file `segment-<20-digit sequence>.spool` is a 16-byte header followed by records:
///
///     header  = "EXVSPOOL" (8 bytes) | version u32 (= 1) | flags u32 (= 0)
///     record  = length u32 | crc u32 | payload (length bytes)
///     crc     = CRC-32C over the 4 length bytes and the payload
///     payload = kind u8 (= 1) | varint n | id (n bytes, UTF-8) | timestamp i64 (Unix ms)
///               | varint m | reader (m bytes, UTF-8) | body (the rest)
///
/// The `cursor` file is `"EXVSCURS" | segment u64 | offset u64 | crc u32` (CRC-32C of the first 24
/// bytes), overwritten in place on every acknowledgement; an invalid one means "replay everything".
package enum SpoolFormat {
    package static let segmentMagic: [UInt8] = Array("EXVSPOOL".utf8)
    package static let cursorMagic: [UInt8] = Array("EXVSCURS".utf8)
    package static let version: UInt32 = 1
    /// Bytes of a segment header.
    package static let headerBytes = 16
    /// Bytes in front of each payload (length and checksum).
    package static let frameHeaderBytes = 8
    /// The largest payload accepted, on writing and on reading (a larger length field is corruption).
    package static let maxPayloadBytes = 64 << 20
    /// Bytes of the cursor file.
    package static let cursorBytes = 28
    package static let cursorFileName = "cursor"
    private static let payloadKind: UInt8 = 1
    /// Sequences at or above this are not ours (and would overflow when incremented).
    package static let maxSequence: UInt64 = 1 << 62

    // MARK: Segment files

    /// `segment-00000000000000000042.spool`
    package static func segmentFileName(_ sequence: UInt64) -> String {
        let digits = String(sequence)
        return "segment-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".spool"
    }

    /// The sequence of a segment file name, or nil when the name is not one of ours.
    package static func segmentSequence(fileName: String) -> UInt64? {
        guard fileName.hasPrefix("segment-"), fileName.hasSuffix(".spool") else { return nil }
        let digits = fileName.dropFirst("segment-".count).dropLast(".spool".count)
        guard digits.count == 20, digits.allSatisfy({ $0 >= "0" && $0 <= "9" }) else { return nil }
        guard let value = UInt64(digits), value < maxSequence else { return nil }
        return value
    }

    package static func segmentHeader() -> [UInt8] {
        var header = segmentMagic
        appendLittleEndian(version, to: &header)
        appendLittleEndian(UInt32(0), to: &header)
        return header
    }

    /// Why a segment header is not valid, or nil when it is.
    package static func headerProblem(_ header: [UInt8]) -> String? {
        guard header.count >= headerBytes else { return "header is \(header.count) bytes, expected \(headerBytes)" }
        guard Array(header[0..<8]) == segmentMagic else { return "not a spool segment (bad magic)" }
        let version = readLittleEndian(UInt32.self, header, at: 8)
        guard version == Self.version else { return "unsupported segment version \(version)" }
        return nil
    }

    // MARK: Records

    /// Bytes `document` takes on disk, frame included.
    package static func recordBytes(_ document: Document) -> Int {
        frameHeaderBytes + payloadBytes(document)
    }

    private static func payloadBytes(_ document: Document) -> Int {
        let id = document.id.utf8.count
        let reader = document.reader.utf8.count
        return 1 + varintBytes(id) + id + 8 + varintBytes(reader) + reader + document.body.count
    }

    /// Appends one framed record to `out`.
    package static func appendRecord(_ document: Document, to out: inout [UInt8]) throws(SpoolError) {
        let length = payloadBytes(document)
        guard length <= maxPayloadBytes else { throw tooLarge(document, length) }
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: frameHeaderBytes + length))
        let failure = out.withUnsafeMutableBytes { all -> SpoolError? in
            do throws(SpoolError) {
                try writeRecord(document, into: UnsafeMutableRawBufferPointer(rebasing: all[start...]))
            } catch {
                return error
            }
            return nil
        }
        if let failure { throw failure }
    }

    /// Writes one framed record into `out`, which must be exactly ``recordBytes(_:)`` long.
    package static func writeRecord(_ document: Document, into out: UnsafeMutableRawBufferPointer) throws(SpoolError) {
        let head = recordHeadBytes(document)
        precondition(out.count == head + document.body.count, "record buffer of \(out.count) bytes")
        try writeRecordHead(document, into: UnsafeMutableRawBufferPointer(rebasing: out[0..<head]))
        document.body.withUnsafeBytes { body in
            if let base = body.baseAddress { (out.baseAddress! + head).copyMemory(from: base, byteCount: body.count) }
        }
    }

    /// Bytes of `document`'s record before its body (the frame, the id, the time, the reader).
    package static func recordHeadBytes(_ document: Document) -> Int {
        recordBytes(document) - document.body.count
    }

    /// Writes the part of `document`'s record before its body into `out`, which must be exactly
    /// ``recordHeadBytes(_:)`` long; the body follows it as it is. The checksum covers the body
    /// too: the write-ahead log writes the head from its stack and the body from the document,
    /// without copying the body.
    package static func writeRecordHead(_ document: Document, into out: UnsafeMutableRawBufferPointer)
        throws(SpoolError)
    {
        let length = payloadBytes(document)
        guard length <= maxPayloadBytes else { throw tooLarge(document, length) }
        precondition(out.count == frameHeaderBytes + length - document.body.count, "record head of \(out.count) bytes")
        var index = frameHeaderBytes
        func put(_ bytes: UnsafeRawBufferPointer) {
            if let base = bytes.baseAddress, bytes.count > 0 {
                (out.baseAddress! + index).copyMemory(from: base, byteCount: bytes.count)
                index += bytes.count
            }
        }
        out.storeBytes(of: UInt32(length).littleEndian, toByteOffset: 0, as: UInt32.self)
        out[index] = payloadKind
        index += 1
        var id = document.id
        index += varint(id.utf8.count, into: out, at: index)
        id.withUTF8 { put(UnsafeRawBufferPointer($0)) }
        withUnsafeBytes(of: UInt64(bitPattern: document.timestampMillis).littleEndian) { put($0) }
        var reader = document.reader
        index += varint(reader.utf8.count, into: out, at: index)
        reader.withUTF8 { put(UnsafeRawBufferPointer($0)) }
        let lengthCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: out[0..<4]))
        let headCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: out[frameHeaderBytes...]), continuing: lengthCRC)
        let crc = CRC32C.checksum(document.body, continuing: headCRC)
        out.storeBytes(of: crc.littleEndian, toByteOffset: 4, as: UInt32.self)
    }

    /// Writes `value` as a varint at `index`; returns the bytes written.
    private static func varint(_ value: Int, into out: UnsafeMutableRawBufferPointer, at index: Int) -> Int {
        var value = UInt64(value)
        var count = 0
        while value >= 0x80 {
            out[index + count] = UInt8(truncatingIfNeeded: value) | 0x80
            count += 1
            value >>= 7
        }
        out[index + count] = UInt8(value)
        return count + 1
    }

    private static func tooLarge(_ document: Document, _ length: Int) -> SpoolError {
        SpoolError(
            code: "spool_record_too_large",
            message:
                "document \(document.id) of reader \(document.reader) needs \(length) bytes in the spool, more than "
                + "the \(maxPayloadBytes)-byte record limit; it cannot be spooled (check the reader's size limits)"
        )
    }

    /// What lies at some index of a read buffer.
    package enum Frame: Equatable {
        /// A checked record; the payload is `buffer[payload]`, the next record starts at `end`.
        case record(payload: Range<Int>, end: Int)
        /// The buffer holds only part of the record: `bytes` from the index are needed.
        case incomplete(bytes: Int)
        /// Not a valid record.
        case corrupt(String)
    }

    /// Reads the frame at `index` of `buffer` and checks its checksum.
    package static func frame(in buffer: [UInt8], at index: Int) -> Frame {
        let available = buffer.count - index
        guard available >= frameHeaderBytes else { return .incomplete(bytes: frameHeaderBytes) }
        let length = Int(readLittleEndian(UInt32.self, buffer, at: index))
        guard length > 0, length <= maxPayloadBytes else { return .corrupt("record length \(length) is out of range") }
        guard available >= frameHeaderBytes + length else { return .incomplete(bytes: frameHeaderBytes + length) }
        let stored = readLittleEndian(UInt32.self, buffer, at: index + 4)
        let computed = buffer.withUnsafeBytes { all in
            let lengthCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: all[index..<index + 4]))
            let payload = all[(index + frameHeaderBytes)..<(index + frameHeaderBytes + length)]
            return CRC32C.checksum(UnsafeRawBufferPointer(rebasing: payload), continuing: lengthCRC)
        }
        guard stored == computed else { return .corrupt("checksum mismatch") }
        return .record(
            payload: (index + frameHeaderBytes)..<(index + frameHeaderBytes + length),
            end: index + frameHeaderBytes + length)
    }

    /// Decodes a checked payload; nil when its structure is not a version-1 document.
    package static func document(from buffer: [UInt8], payload: Range<Int>) -> Document? {
        var index = payload.lowerBound
        let end = payload.upperBound
        guard index < end, buffer[index] == payloadKind else { return nil }
        index += 1
        guard let idLength = readVarint(buffer, at: &index, end: end), idLength <= end - index else { return nil }
        guard let id = String(validating: buffer[index..<index + idLength], as: UTF8.self) else { return nil }
        index += idLength
        guard end - index >= 8 else { return nil }
        let timestamp = Int64(bitPattern: readLittleEndian(UInt64.self, buffer, at: index))
        index += 8
        guard let readerLength = readVarint(buffer, at: &index, end: end), readerLength <= end - index else {
            return nil
        }
        guard let reader = String(validating: buffer[index..<index + readerLength], as: UTF8.self) else { return nil }
        index += readerLength
        return Document(id: id, timestampMillis: timestamp, reader: reader, body: Array(buffer[index..<end]))
    }

    // MARK: Cursor

    package static func cursorFile(_ position: SpoolPosition) -> [UInt8] {
        var bytes = cursorMagic
        appendLittleEndian(position.segment, to: &bytes)
        appendLittleEndian(UInt64(max(0, position.offset)), to: &bytes)
        appendLittleEndian(CRC32C.checksum(bytes), to: &bytes)
        return bytes
    }

    /// The position in a cursor file, or nil when the file is not a valid cursor.
    package static func position(fromCursorFile bytes: [UInt8]) -> SpoolPosition? {
        guard bytes.count == cursorBytes, Array(bytes[0..<8]) == cursorMagic else { return nil }
        guard readLittleEndian(UInt32.self, bytes, at: 24) == CRC32C.checksum(bytes[0..<24]) else { return nil }
        let segment = readLittleEndian(UInt64.self, bytes, at: 8)
        let offset = readLittleEndian(UInt64.self, bytes, at: 16)
        guard segment < maxSequence, offset < 1 << 48 else { return nil }
        return SpoolPosition(segment: segment, offset: Int(offset))
    }

    // MARK: Integers

    package static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        var value = value.littleEndian
        withUnsafeBytes(of: &value) { out.append(contentsOf: $0) }
    }

    package static func readLittleEndian<T: FixedWidthInteger>(_: T.Type, _ buffer: [UInt8], at index: Int) -> T {
        buffer.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: index, as: T.self)) }
    }

    private static func varintBytes(_ value: Int) -> Int {
        var value = UInt64(value)
        var count = 1
        while value >= 0x80 {
            value >>= 7
            count += 1
        }
        return count
    }

    private static func readVarint(_ buffer: [UInt8], at index: inout Int, end: Int) -> Int? {
        var value = 0
        var shift = 0
        while index < end, shift < 35 {
            let byte = buffer[index]
            index += 1
            value |= Int(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }
}
