import Testing

@testable import Expvastic

@Suite struct CRC32CTests {
    /// Bit-at-a-time reference, to check the sliced implementation at every length and alignment.
    private static func reference(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    @Test func knownVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        // RFC 3720 (iSCSI), appendix B.4.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }) == 0x113F_DB5C)
    }

    @Test func matchesTheReferenceAtEveryLengthAndOffset() {
        let data = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for start in 0..<9 {
            for end in stride(from: start, through: data.count, by: 5) {
                let slice = data[start..<end]
                #expect(CRC32C.checksum(slice) == Self.reference(Array(slice)), "bytes \(start)..<\(end)")
            }
        }
    }

    /// Both implementations, whichever `checksum` uses on this machine.
    @Test func theTableAndTheInstructionAgreeAtEveryLengthAndOffset() {
        let data = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
        for start in 0..<9 {
            for end in stride(from: start, through: data.count, by: 7) {
                let slice = Array(data[start..<end])
                let table = slice.withUnsafeBytes { CRC32C.tableChecksum($0, continuing: 0x1234_5678) }
                let either = slice.withUnsafeBytes { CRC32C.checksum($0, continuing: 0x1234_5678) }
                #expect(table == either, "bytes \(start)..<\(end)")
            }
        }
        #expect(Array("123456789".utf8).withUnsafeBytes { CRC32C.tableChecksum($0) } == 0xE306_9283)
    }

    @Test func continuesAcrossPieces() {
        let data = Array("the quick brown fox jumps over the lazy dog".utf8)
        for split in 0...data.count {
            let first = CRC32C.checksum(data[..<split])
            #expect(CRC32C.checksum(data[split...], continuing: first) == CRC32C.checksum(data))
        }
    }
}
