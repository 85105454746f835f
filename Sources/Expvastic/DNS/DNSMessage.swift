import ExpvasticBase

/// The part of the DNS wire format (RFC 1035, RFC 2782 for SRV, RFC 6891 for the EDNS size) that
/// discovery needs: one question out, the answer and additional records back.
package enum DNSMessage {
    package static let typeA: UInt16 = 1
    package static let typeAAAA: UInt16 = 28
    package static let typeSRV: UInt16 = 33
    package static let typeOPT: UInt16 = 41
    /// The UDP answer size we advertise (EDNS), so a few hundred SRV records fit without TCP.
    package static let udpPayloadSize: UInt16 = 4096

    /// One resource record we understand.
    package enum Record: Sendable, Equatable {
        case a(name: String, address: String, ttl: UInt32)
        case aaaa(name: String, address: String, ttl: UInt32)
        case srv(name: String, priority: UInt16, weight: UInt16, port: UInt16, target: String, ttl: UInt32)
    }

    package struct Response: Sendable, Equatable {
        package var id: UInt16
        /// 0 no error, 3 name does not exist, …
        package var responseCode: UInt8
        package var truncated: Bool
        package var answers: [Record]
        package var additional: [Record]
    }

    /// A recursive query for `name` of `type`, with an EDNS OPT record.
    package static func query(id: UInt16, name: String, type: UInt16) -> [UInt8] {
        var out: [UInt8] = []
        func u16(_ value: UInt16) { out += [UInt8(value >> 8), UInt8(value & 0xFF)] }
        u16(id)
        u16(0x0100)  // standard query, recursion desired
        u16(1)  // questions
        u16(0)
        u16(0)
        u16(1)  // additional: OPT
        for label in name.split(separator: ".") {
            let bytes = Array(label.utf8.prefix(63))
            out.append(UInt8(bytes.count))
            out += bytes
        }
        out.append(0)
        u16(type)
        u16(1)  // class IN
        out.append(0)  // OPT: root name
        u16(typeOPT)
        u16(udpPayloadSize)
        out += [0, 0, 0, 0]  // extended rcode, version, flags
        u16(0)  // no options
        return out
    }

    package struct MalformedError: Error {}

    package static func parse(_ bytes: [UInt8]) throws(MalformedError) -> Response {
        var reader = Reader(bytes: bytes)
        let id = try reader.u16()
        let flags = try reader.u16()
        let questions = try reader.u16()
        let answers = try reader.u16()
        let authority = try reader.u16()
        let additional = try reader.u16()
        for _ in 0..<questions {
            _ = try reader.name()
            reader.offset += 4
        }
        var response = Response(
            id: id, responseCode: UInt8(flags & 0x0F), truncated: flags & 0x0200 != 0, answers: [], additional: [])
        for _ in 0..<answers { if let record = try reader.record() { response.answers.append(record) } }
        for _ in 0..<authority { _ = try reader.record() }
        for _ in 0..<additional { if let record = try reader.record() { response.additional.append(record) } }
        return response
    }

    private struct Reader {
        package let bytes: [UInt8]
        package var offset = 0

        package mutating func u8() throws(MalformedError) -> UInt8 {
            guard offset < bytes.count else { throw MalformedError() }
            defer { offset += 1 }
            return bytes[offset]
        }

        package mutating func u16() throws(MalformedError) -> UInt16 {
            UInt16(try u8()) << 8 | UInt16(try u8())
        }

        package mutating func u32() throws(MalformedError) -> UInt32 {
            UInt32(try u16()) << 16 | UInt32(try u16())
        }

        /// A possibly compressed name at the current offset; moves past it.
        package mutating func name() throws(MalformedError) -> String {
            var labels: [String] = []
            var position = offset
            var jumped = false
            var jumps = 0
            while true {
                guard position < bytes.count else { throw MalformedError() }
                let length = Int(bytes[position])
                if length & 0xC0 == 0xC0 {
                    guard position + 1 < bytes.count, jumps < 64 else { throw MalformedError() }
                    let target = (length & 0x3F) << 8 | Int(bytes[position + 1])
                    if !jumped { offset = position + 2 }
                    jumped = true
                    jumps += 1
                    position = target
                    continue
                }
                position += 1
                if length == 0 { break }
                guard position + length <= bytes.count else { throw MalformedError() }
                labels.append(String(decoding: bytes[position..<position + length], as: UTF8.self))
                position += length
            }
            if !jumped { offset = position }
            return labels.joined(separator: ".")
        }

        /// One resource record; nil for types we do not use.
        package mutating func record() throws(MalformedError) -> Record? {
            let name = try name()
            let type = try u16()
            _ = try u16()
            let ttl = try u32()
            let length = Int(try u16())
            let start = offset
            guard start + length <= bytes.count else { throw MalformedError() }
            defer { offset = start + length }
            switch type {
            case DNSMessage.typeA where length == 4:
                let address = bytes[start..<start + 4].map(String.init).joined(separator: ".")
                return .a(name: name, address: address, ttl: ttl)
            case DNSMessage.typeAAAA where length == 16:
                var groups: [String] = []
                for index in stride(from: start, to: start + 16, by: 2) {
                    groups.append(String(UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]), radix: 16))
                }
                return .aaaa(name: name, address: groups.joined(separator: ":"), ttl: ttl)
            case DNSMessage.typeSRV where length >= 7:
                let priority = try u16()
                let weight = try u16()
                let port = try u16()
                let target = try self.name()
                return .srv(name: name, priority: priority, weight: weight, port: port, target: target, ttl: ttl)
            default:
                return nil
            }
        }
    }
}
