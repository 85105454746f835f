import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// GC pause rings (SPEC §2.3): the raw 256-entry rings are replaced by the pauses that happened since
/// the previous poll.
///
/// For `memstats.PauseNs` / `memstats.PauseEnd` (with `memstats.NumGC` next to them):
/// - `memstats.gc.pause_count` (integer): true number of GCs since the previous poll (0 on the first
///   poll, see ``GCPauseWindow``);
/// - `memstats.gc.pause_total_ns` (integer): the growth of `PauseTotalNs` when it is present and
///   consistent (exact even when more than 256 GCs happened), else the sum of the available pauses;
/// - `memstats.gc.pauses_ns` and `memstats.gc.pause_ends` (integer arrays, oldest first): the new
///   pauses still in the ring (at most 256), omitted when there are none;
/// - `memstats.gc.pause_max_ns` (integer, over the available pauses) and `memstats.gc.pause_avg_ns`
///   (double, total / count), omitted when there are no new pauses.
///
/// For a `gc_types` path `P` (a numeric array): when its parent object has a `NumGC` the array is a
/// ring like `PauseNs` and `P.pauses_ns`, `P.pause_count`, `P.pause_total_ns` (sum of the available
/// pauses), `P.pause_max_ns`, `P.pause_avg_ns` describe the new pauses; without `NumGC` the whole array
/// is the pause list and the same fields describe all of it.
extension Flattener {
    package mutating func processRings(_ input: Input, _ encoder: inout DocumentEncoder) {
        guard !pendingRings.isEmpty else { return }
        var pauseNs: PendingRing?
        var pauseEnd: PendingRing?
        for ring in pendingRings {
            switch ring.role {
            case .pauseNs: pauseNs = ring
            case .pauseEnd: pauseEnd = ring
            case .customGC: processCustom(ring, input, &encoder)
            case .plain: break
            }
        }
        if let pauseNs {
            processMemstats(pauseNs, pauseEnd: pauseEnd, input, &encoder)
        } else if pauseEnd != nil {
            count(.gcRing)
        }
    }

    private mutating func processMemstats(
        _ pauseNs: PendingRing, pauseEnd: PendingRing?, _ input: Input, _ encoder: inout DocumentEncoder
    ) {
        guard let ring = Self.numbers(pauseNs.node, input), !ring.isEmpty,
            let numGC = Self.sibling(pauseNs.parent, "NumGC", input)
        else {
            count(.gcRing, pauseEnd == nil ? 1 : 2)
            return
        }
        let ends = pauseEnd.flatMap { Self.numbers($0.node, input) }
        if pauseEnd != nil, ends?.count != ring.count { count(.gcRing) }
        let pauseTotal = Self.sibling(pauseNs.parent, "PauseTotalNs", input)
        let previous = memstatsRing
        let window = GCPauseWindow(numGC: numGC, previous: previous?.numGC, ringSize: ring.count)
        var total: UInt64 = 0
        var maximum: UInt64 = 0
        if let range = window.gcNumbers {
            for gc in range {
                let pause = ring[GCPauseWindow.index(ofGC: gc, ringSize: ring.count)]
                total &+= pause
                maximum = max(maximum, pause)
            }
        }
        if let previous, let before = previous.pauseTotalNs, let now = pauseTotal, numGC >= previous.numGC,
            now >= before
        {
            total = now - before
        }
        emitInt("memstats.gc.pause_count", window.count, &encoder)
        emitInt("memstats.gc.pause_total_ns", total, &encoder)
        if let range = window.gcNumbers {
            emitArray("memstats.gc.pauses_ns", range, ring, &encoder)
            if let ends, ends.count == ring.count { emitArray("memstats.gc.pause_ends", range, ends, &encoder) }
            emitInt("memstats.gc.pause_max_ns", maximum, &encoder)
            emitDouble("memstats.gc.pause_avg_ns", Double(total) / Double(window.count), &encoder)
        }
        memstatsRing = RingState(numGC: numGC, pauseTotalNs: pauseTotal)
    }

    private mutating func processCustom(_ pending: PendingRing, _ input: Input, _ encoder: inout DocumentEncoder) {
        guard let list = Self.numbers(pending.node, input) else {
            count(.gcRing)
            return
        }
        let prefix = String(decoding: pending.path, as: UTF8.self)
        let range: ClosedRange<UInt64>?
        let newCount: UInt64
        let values = list
        if input.nodes[pending.parent].kind == .object, let numGC = Self.sibling(pending.parent, "NumGC", input),
            !list.isEmpty
        {
            let window = GCPauseWindow(numGC: numGC, previous: customRings[pending.path]?.numGC, ringSize: list.count)
            customRings[pending.path] = RingState(numGC: numGC, pauseTotalNs: nil)
            newCount = window.count
            range = window.gcNumbers
        } else {
            newCount = UInt64(list.count)
            range = list.isEmpty ? nil : 1...UInt64(list.count)
        }
        var total: UInt64 = 0
        var maximum: UInt64 = 0
        if let range {
            for gc in range {
                let pause = values[GCPauseWindow.index(ofGC: gc, ringSize: values.count)]
                total &+= pause
                maximum = max(maximum, pause)
            }
        }
        emitInt(prefix + ".pause_count", newCount, &encoder)
        emitInt(prefix + ".pause_total_ns", total, &encoder)
        if let range {
            emitArray(prefix + ".pauses_ns", range, values, &encoder)
            emitInt(prefix + ".pause_max_ns", maximum, &encoder)
            emitDouble(prefix + ".pause_avg_ns", Double(total) / Double(range.count), &encoder)
        }
    }

    // MARK: - Helpers

    /// A numeric array read in place: element `k` as UInt64 (negative integers read as 0).
    package struct Ring {
        package let nodes: UnsafeBufferPointer<JSONTape.Node>
        package let first: Int
        package let count: Int
        package var isEmpty: Bool { count == 0 }

        package subscript(_ k: Int) -> UInt64 {
            let node = nodes[first + k]
            return node.kind == .int && node.int < 0 ? 0 : node.payload
        }
    }

    /// The array at `array` as a ``Ring``, or nil when it holds anything but integers.
    private static func numbers(_ array: Int, _ input: Input) -> Ring? {
        let node = input.nodes[array]
        guard node.kind == .array else { return nil }
        for k in (array + 1)..<node.end {
            let kind = input.nodes[k].kind
            guard kind == .int || kind == .uint else { return nil }
        }
        return Ring(nodes: input.nodes, first: array + 1, count: node.end - array - 1)
    }

    /// The non-negative integer member `name` of the object at `object`.
    private static func sibling(_ object: Int, _ name: StaticString, _ input: Input) -> UInt64? {
        let parent = input.nodes[object]
        guard parent.kind == .object else { return nil }
        let wanted = name.rawBytes
        var k = object + 1
        while k < parent.end {
            let key = input.bytes(input.nodes[k])
            let value = input.nodes[k + 1]
            if key.count == wanted.count, memcmp(key.baseAddress!, wanted.baseAddress!, key.count) == 0 {
                switch value.kind {
                case .int: return value.int >= 0 ? value.payload : nil
                case .uint: return value.payload
                default: return nil
                }
            }
            k = input.next(after: k + 1)
        }
        return nil
    }

    /// Starts a derived field if `include`/`exclude` keep it.
    private mutating func beginDerived(_ name: String, _ encoder: inout DocumentEncoder) -> Bool {
        path.removeAll(keepingCapacity: true)
        path.append(contentsOf: name.utf8)
        let hash = path.withUnsafeBytes { PathTable.hash($0) }
        let index = lookup(hash: hash)
        let info = table[index]
        if let drop = info.drop {
            count(drop)
            return false
        }
        guard info.included else {
            count(.excluded)
            return false
        }
        path.withUnsafeBytes { encoder.beginField(escapedKey: $0, id: Int32(index)) }
        return true
    }

    private mutating func emitInt(_ name: String, _ value: UInt64, _ encoder: inout DocumentEncoder) {
        guard beginDerived(name, &encoder) else { return }
        JSONWriter.appendUInt(value, to: &encoder.out)
        encoder.endField()
    }

    private mutating func emitDouble(_ name: String, _ value: Double, _ encoder: inout DocumentEncoder) {
        guard beginDerived(name, &encoder) else { return }
        JSONWriter.appendDouble(value, to: &encoder.out)
        encoder.endField()
    }

    private mutating func emitArray(
        _ name: String, _ range: ClosedRange<UInt64>, _ ring: Ring, _ encoder: inout DocumentEncoder
    ) {
        guard beginDerived(name, &encoder) else { return }
        encoder.out.append(UInt8(ascii: "["))
        for gc in range {
            if gc != range.lowerBound { encoder.out.append(UInt8(ascii: ",")) }
            JSONWriter.appendUInt(ring[GCPauseWindow.index(ofGC: gc, ringSize: ring.count)], to: &encoder.out)
        }
        encoder.out.append(UInt8(ascii: "]"))
        encoder.endField()
    }
}
