import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// Turns a parsed `/debug/vars` body into document fields (SPEC §2.2–2.4). One per reader: it
/// remembers what it has seen (type stability, previous `NumGC`) between polls.
///
/// Rules, in the order they apply:
/// - Nested objects flatten to dotted paths (`memstats.HeapAlloc`); keys are escaped as in the
///   output. A name Elasticsearch refuses (an empty or whitespace-only level as in `a..b`, `" "`,
///   `.a`; a root metadata name such as `_id` or `_source.n`; over 1,024 bytes) is dropped
///   (`invalid_key`), see ``FieldName``.
/// - A path keeps the kind it was first seen with (``FieldKind``: number, string, boolean, numeric,
///   string or boolean array, object): a value of another kind is dropped (`type_conflict`); a value
///   where fields were nested, or fields nested under an earlier value, is dropped (`conflict`);
///   within the first document that has both, the nested fields win. The rest of the document ships.
/// - A payload path equal to an envelope field (`type`, `reader`, …) or beneath one is dropped
///   (`reserved`); the envelope always wins.
/// - `null` → dropped (`null`); `+Inf`/`-Inf`/`NaN` → dropped (`non_finite`).
/// - Integers stay integers; an unsigned value above `Int64.max` is written as a double and counted
///   in `fields_converted{reason="uint_overflow"}`. Doubles are doubles. Once a path has carried a
///   double, later integers there are written as doubles too (Go writes a Float that is 0 as `0`).
/// - Arrays of numbers, of strings or of booleans are kept as arrays (a number array with any double
///   is written all as doubles). Empty arrays are kept as `[]`.
/// - Arrays holding objects or arrays (`object_array`) or mixing kinds or `null` (`mixed_array`) are
///   dropped — unless an `include` glob matches the array's path or something beneath it (for
///   example `memstats.BySize.**` or `items.*.name`), in which case elements are flattened under their
///   index: `memstats.BySize.3.Size`. `memstats.BySize` is dropped by default (`bysize`).
/// - `exclude` globs drop the matched path and everything beneath it (`excluded`); a non-empty
///   `include` keeps only fields whose path or an ancestor's path it matches. Exclude wins.
/// - `map_file` `memory_bytes`: a matching numeric field is divided by the unit and written as a double.
/// - GC rings (`memstats.PauseNs`/`PauseEnd` and `gc_types` entries) are never shipped raw; see
///   ``GCPauseWindow`` and `Flattener+GC.swift` for the fields derived from them. Derived fields obey
///   `include`/`exclude` under their own names.
package struct Flattener {
    package struct Options: Sendable {
        package var include: [FieldGlob]
        package var exclude: [FieldGlob]
        /// Most specific first: plain paths, then longer patterns.
        package var units: [(glob: FieldGlob, unit: FieldMap.Unit)]
        package var gcTypes: [FieldGlob]
        package var conversions: [(glob: FieldGlob, conversion: FieldMap.Conversion)]
        package var split: Split?

        /// ``SplitConfiguration`` as the walk uses it.
        package struct Split: Sendable {
            package var container: FieldGlob
            package var root: Bool
            package var idField: [UInt8]?
            package var require: [[UInt8]]
        }

        package init(configuration: ReaderConfiguration) {
            split = configuration.split.map {
                Split(
                    container: FieldGlob($0.membersOf), root: $0.membersOf.isEmpty,
                    idField: $0.idField.map { Array($0.utf8) }, require: $0.require.map { Array($0.utf8) })
            }
            include = configuration.include.map(FieldGlob.init)
            exclude = configuration.exclude.map(FieldGlob.init)
            units = configuration.fieldMap.memoryBytes.map { (FieldGlob($0.key), $0.value) }.sorted {
                if $0.glob.isLiteral != $1.glob.isLiteral { return $0.glob.isLiteral }
                if $0.glob.text.count != $1.glob.text.count { return $0.glob.text.count > $1.glob.text.count }
                return $0.glob.text < $1.glob.text
            }
            gcTypes = configuration.fieldMap.gcTypes.map(FieldGlob.init)
            // Plain paths before patterns, as for units.
            conversions = configuration.fieldMap.conversions.map { (FieldGlob($0.key), $0.value) }.sorted {
                if $0.glob.isLiteral != $1.glob.isLiteral { return $0.glob.isLiteral }
                return $0.glob.text < $1.glob.text
            }
        }
    }

    /// Read-only view of one parse for the walk.
    package struct Input {
        package let nodes: UnsafeBufferPointer<JSONTape.Node>
        package let source: UnsafeRawBufferPointer
        package let arena: UnsafeRawBufferPointer

        @inline(__always)
        package func bytes(_ node: JSONTape.Node) -> UnsafeRawBufferPointer {
            let base = node.decoded ? arena : source
            return UnsafeRawBufferPointer(rebasing: base[Int(node.start)..<Int(node.start + node.count)])
        }

        /// Index of the node after `index` and its descendants.
        @inline(__always)
        package func next(after index: Int) -> Int {
            let node = nodes[index]
            return node.kind == .object || node.kind == .array ? node.end : index + 1
        }
    }

    package struct PendingRing {
        package var node: Int
        package var parent: Int
        package var role: FieldInfo.Role
        /// Only for `gc_types` entries.
        package var path: [UInt8]
    }

    package struct RingState {
        package var numGC: UInt64
        package var pauseTotalNs: UInt64?
    }

    package let options: Options
    package var table = PathTable()
    /// The current path, escaped as in the output.
    package var path: [UInt8] = []
    /// Per poll: fields dropped by ``DropReason`` raw value (empty before the first poll).
    private(set) package var dropped: [Int] = []
    /// Per poll: unsigned values above `Int64.max` written as doubles.
    private(set) package var uintConverted = 0
    package var pendingRings: [PendingRing] = []
    package var memstatsRing: RingState?
    package var customRings: [[UInt8]: RingState] = [:]
    /// One member that `split` turned into its own document: its object node and entity key.
    package struct Entity {
        package var node: Int
        package var key: String
    }

    /// Per poll: the members `split` set aside, in payload order; see ``flattenEntity(_:_:source:into:)``.
    private(set) package var entities: [Entity] = []
    /// True while an entity's fields are walked (its members are never split again).
    private var inEntity = false
    /// Counts calls of ``flatten(_:source:into:)``; see ``FieldInfo/kindPoll``.
    private(set) package var poll: UInt32 = 0
    /// Per object seen before (slot 0: the root; the others from ``FieldInfo/members``): the path-table
    /// index of the member at each position last time, -1 for none. A member whose key matches the
    /// end of that path needs no hashing and no table probe: Go writes a map's members in the same
    /// order every time (sorted by `encoding/json`, or in map order only at the top level). Valid
    /// for the table's ``PathTable/epoch`` in ``membersEpoch``.
    private var members: [[Int32]] = Flattener.rootOnly
    /// `[[]]`, one shared array: a reader copies it on its first poll, not when it is made.
    private static let rootOnly: [[Int32]] = [[]]
    private var membersEpoch: UInt64 = 0
    /// ``PathTable/count`` when ``compact()`` last ran.
    private var compactedCount = 0

    /// The arrays a poll works in and leaves behind (its path, rings, entities and drop counts),
    /// which need not stay with the reader between polls: see ``swapBuffers(_:)``.
    package struct Buffers {
        fileprivate var path: [UInt8] = []
        fileprivate var pendingRings: [PendingRing] = []
        fileprivate var entities: [Entity] = []
        fileprivate var dropped: [Int] = []

        package init() {}
    }

    package init(options: Options) {
        self.options = options
    }

    /// Exchanges this flattener's per-poll arrays with `buffers`: a reader swaps in a pool's
    /// (``ParseScratchPool``) before a poll and back after it, so that its own stay empty between
    /// polls (with 10,000 readers, their grown capacities were ~0.7 KB a reader).
    package mutating func swapBuffers(_ buffers: inout Buffers) {
        swap(&path, &buffers.path)
        swap(&pendingRings, &buffers.pendingRings)
        swap(&entities, &buffers.entities)
        swap(&dropped, &buffers.dropped)
    }

    /// Gives back the spare capacity of what the flattener keeps between polls (the path table and
    /// the member cache) when the poll met new paths; see ``PathTable/compact()``.
    package mutating func compact() {
        guard table.count != compactedCount else { return }
        compactedCount = table.count
        table.compact()
        for slot in members.indices { members[slot].shrinkToFit() }
        members.shrinkToFit()
    }

    /// Writes the fields of `tape` (whose root is an object) into `encoder`.
    package mutating func flatten(_ tape: JSONTape, source: UnsafeRawBufferPointer, into encoder: inout DocumentEncoder)
    {
        if dropped.count == DropReason.allCases.count {
            for index in dropped.indices { dropped[index] = 0 }
        } else {
            dropped = Array(repeating: 0, count: DropReason.allCases.count)
        }
        uintConverted = 0
        poll &+= 1
        entities.removeAll(keepingCapacity: true)
        pendingRings.removeAll(keepingCapacity: true)
        path.removeAll(keepingCapacity: true)
        // Field ids are path-table indices; they keep their paths until the table starts over.
        encoder.keyEpoch = table.epoch
        if membersEpoch != table.epoch {
            members = [[]]
            membersEpoch = table.epoch
        }
        tape.arena.withUnsafeBytes { arena in
            let input = Input(nodes: tape.nodes, source: source, arena: arena)
            walkObject(0, hash: PathTable.hash(UnsafeRawBufferPointer(start: nil, count: 0)), slot: 0, input, &encoder)
            processRings(input, &encoder)
        }
    }

    /// Writes the fields of a member set aside by `split` into `encoder`, under paths relative to the
    /// member (the same names for every entity); counts into the same poll's drops.
    package mutating func flattenEntity(
        _ entity: Entity, _ tape: JSONTape, source: UnsafeRawBufferPointer, into encoder: inout DocumentEncoder
    ) {
        path.removeAll(keepingCapacity: true)
        encoder.keyEpoch = table.epoch
        inEntity = true
        defer {
            inEntity = false
            // GC rings are a process's, never an entity's.
            pendingRings.removeAll(keepingCapacity: true)
        }
        tape.arena.withUnsafeBytes { arena in
            let input = Input(nodes: tape.nodes, source: source, arena: arena)
            walkObject(
                entity.node, hash: PathTable.hash(UnsafeRawBufferPointer(start: nil, count: 0)), slot: -1, input,
                &encoder)
        }
    }

    /// Whether the container at the current path is the one `split` names.
    @inline(__always)
    private func splits(_ split: Options.Split) -> Bool {
        !inEntity && (split.root ? path.isEmpty : !path.isEmpty && split.container.matches(path))
    }

    /// The entity key of member `value` (an object), or nil when it does not qualify: it lacks a
    /// `require`d field, or the `id_field` (when set) is missing or not a scalar.
    private func entityKey(_ value: Int, memberKey: String, _ split: Options.Split, _ input: Input) -> String? {
        guard input.nodes[value].kind == .object else { return nil }
        var found = Array(repeating: false, count: split.require.count)
        var id: String?
        let end = input.nodes[value].end
        var k = value + 1
        while k < end {
            let key = input.bytes(input.nodes[k])
            for (index, required) in split.require.enumerated() where !found[index] && key.elementsEqual(required) {
                found[index] = true
            }
            if let idField = split.idField, key.elementsEqual(idField) {
                let node = input.nodes[k + 1]
                switch node.kind {
                case .string: id = String(decoding: input.bytes(node), as: UTF8.self)
                case .int: id = String(node.int)
                case .uint: id = String(node.payload)
                case .double: id = String(node.double)
                default: break
                }
            }
            k = input.next(after: k + 1)
        }
        guard found.allSatisfy({ $0 }) else { return nil }
        if split.idField != nil { return id }
        return memberKey
    }

    /// Applies what a cluster taught about paths it refused (``FieldPins``), before a poll: a pinned
    /// kind replaces the kind first seen (other kinds are dropped from now on as `type_conflict`, and
    /// under a path pinned as a value nothing can be mapped); a refused path is dropped with all that
    /// is beneath it (`cluster_refused`).
    package mutating func apply(_ pins: [String: FieldPin]) {
        for (name, pin) in pins {
            var escaped: [UInt8] = []
            var copy = name
            copy.withUTF8 { JSONWriter.appendEscaped(UnsafeRawBufferPointer($0), to: &escaped) }
            let hash = escaped.withUnsafeBytes { PathTable.hash($0) }
            let index =
                escaped.withUnsafeBytes { table.find(hash: hash, path: $0) }
                ?? escaped.withUnsafeBytes { table.insert(hash: hash, path: $0, info: makeInfo(escaped)) }
            let nestedRefused: Bool
            switch pin {
            case .kind(let kind):
                table[index].kind = kind
                // Decided before the coming poll, so nested fields do not win over it there.
                table[index].kindPoll = poll
                nestedRefused = kind != .object
            case .refused:
                if table[index].drop == nil { table[index].drop = .clusterRefused }
                nestedRefused = true
            }
            guard nestedRefused else { continue }
            for nested in table.indices(beneath: escaped) where table[nested].drop == nil {
                table[nested].drop = .clusterRefused
            }
        }
    }

    package mutating func count(_ reason: DropReason, _ amount: Int = 1) {
        if dropped.isEmpty { dropped = Array(repeating: 0, count: DropReason.allCases.count) }
        dropped[reason.rawValue] += amount
    }

    // MARK: - Walk

    /// `slot` indexes ``members`` for this object, -1 for none.
    private mutating func walkObject(
        _ object: Int, hash: UInt64, slot: Int, _ input: Input, _ encoder: inout DocumentEncoder
    ) {
        let end = input.nodes[object].end
        let mark = path.count
        let split = options.split.flatMap { splits($0) ? $0 : nil }
        var k = object + 1
        var position = -1
        while k < end {
            position += 1
            let keyNode = input.nodes[k]
            let value = k + 1
            let valueKind = input.nodes[value].kind
            let isContainer = valueKind == .object || valueKind == .array
            let next = isContainer ? input.nodes[value].end : value + 1
            defer { k = next }
            let key = input.bytes(keyNode)
            if let split,
                let entity = entityKey(value, memberKey: String(decoding: key, as: UTF8.self), split, input)
            {
                entities.append(Entity(node: value, key: entity))
                continue
            }
            guard let first = key.first, first != UInt8(ascii: "."), key.last != UInt8(ascii: ".") else {
                count(.invalidKey)
                continue
            }
            var h = hash
            if mark > 0 { h = (h ^ UInt64(UInt8(ascii: "."))) &* 0x100_0000_01b3 }
            // The member at this position last time, when it is this key.
            var known: Int32 = -1
            if slot >= 0, membersEpoch == table.epoch, !keyNode.decoded, position < members[slot].count {
                let candidate = members[slot][position]
                if candidate >= 0,
                    table.path(Int(candidate), count: mark + (mark > 0 ? 1 : 0) + key.count, endsWith: key)
                {
                    known = candidate
                }
            }
            if !keyNode.decoded, !isContainer {
                // A scalar under a plain key (most fields): looked up and written as prefix + "." + key,
                // without copying the key into `path` first.
                let used = leaf(value, hash: h, key: key, known: known, input, &encoder)
                if used != known, used >= 0 { remember(member: used, at: position, slot: slot) }
                continue
            }
            if mark > 0 { path.append(UInt8(ascii: ".")) }
            if keyNode.decoded {
                let start = path.count
                JSONWriter.appendEscaped(key, to: &path)
                h = path.withUnsafeBytes { PathTable.hash(UnsafeRawBufferPointer(rebasing: $0[start...]), from: h) }
            } else {
                path.append(bytes: key)
                h = PathTable.hash(key, from: h)
            }
            if valueKind == .object {
                var index = Int(known)
                if index < 0 {
                    index = path.withUnsafeBytes { table.find(hash: h, path: $0) } ?? -1
                    if index >= 0 { remember(member: Int32(index), at: position, slot: slot) }
                }
                walkObject(value, hash: h, slot: index >= 0 ? membersSlot(of: index) : -1, input, &encoder)
            } else {
                walkValue(value, parent: object, hash: h, input, &encoder)
            }
            path.removeLast(path.count - mark)
        }
    }

    /// Records `index` as the member at `position` of the object at `slot` (see ``members``).
    private mutating func remember(member index: Int32, at position: Int, slot: Int) {
        guard slot >= 0, membersEpoch == table.epoch else { return }
        if position >= members[slot].count {
            members[slot].append(contentsOf: repeatElement(-1, count: position + 1 - members[slot].count))
        }
        members[slot][position] = index
    }

    /// The ``members`` slot of the object at path-table `index`, made on first use.
    private mutating func membersSlot(of index: Int) -> Int {
        guard membersEpoch == table.epoch else { return -1 }
        let slot = Int(table[index].members)
        if slot >= 0 { return slot }
        members.append([])
        table[index].members = Int32(members.count - 1)
        return members.count - 1
    }

    @inline(__always)
    private mutating func walkValue(
        _ value: Int, parent: Int, hash: UInt64, _ input: Input, _ encoder: inout DocumentEncoder
    ) {
        switch input.nodes[value].kind {
        case .object: walkObject(value, hash: hash, slot: -1, input, &encoder)
        case .array: walkArray(value, parent: parent, hash: hash, input, &encoder)
        default:
            _ = leaf(value, hash: hash, key: UnsafeRawBufferPointer(start: nil, count: 0), known: -1, input, &encoder)
        }
    }

    /// The info for the current path, created on first sight.
    @inline(__always)
    package mutating func lookup(hash: UInt64) -> Int {
        if let found = path.withUnsafeBytes({ table.find(hash: hash, path: $0) }) { return found }
        let current = path
        var info = makeInfo(current)
        if info.drop == nil, !markAncestorsAsObjects(current) { info.drop = .conflict }
        return current.withUnsafeBytes { table.insert(hash: hash, path: $0, info: info) }
    }

    /// Records that every dotted prefix of a new `path` is an object. Returns false (and marks
    /// nothing) when a prefix was a value in an earlier poll: that prefix keeps its kind, so `path`
    /// cannot be mapped and is dropped for good. A prefix first seen as a value in this same poll
    /// becomes an object (the encoder drops the value), so nested fields win on the first poll as on
    /// every later one. Runs once per new path, never on the per-poll hot path.
    private mutating func markAncestorsAsObjects(_ path: [UInt8]) -> Bool {
        let dots = path.indices.filter { path[$0] == UInt8(ascii: ".") }
        if dots.isEmpty { return true }
        var ancestors: [(hash: UInt64, end: Int)] = []
        ancestors.reserveCapacity(dots.count)
        for end in dots where end > 0 {
            let hash = path.withUnsafeBytes { PathTable.hash(UnsafeRawBufferPointer(rebasing: $0[..<end])) }
            if let found = path.withUnsafeBytes({
                table.find(hash: hash, path: UnsafeRawBufferPointer(rebasing: $0[..<end]))
            }) {
                let info = table[found]
                if let kind = info.kind, kind != .object, info.kindPoll != poll { return false }
                // Nothing can be mapped beneath a path the cluster refused.
                if info.drop == .clusterRefused { return false }
            }
            ancestors.append((hash, end))
        }
        for (hash, end) in ancestors {
            let prefix = Array(path[..<end])
            let index =
                prefix.withUnsafeBytes { table.find(hash: hash, path: $0) }
                ?? prefix.withUnsafeBytes { table.insert(hash: hash, path: $0, info: makeInfo(prefix)) }
            if table[index].kind != .object {
                table[index].kind = .object
                table[index].kindPoll = poll
            }
        }
        return true
    }

    /// Whether a value of `kind` may go out at the path of `index` (first sight fixes the kind);
    /// counts the drop when not.
    @inline(__always)
    private mutating func admit(_ kind: FieldKind, at index: Int) -> Bool {
        let current = table[index].kind
        if current == kind { return true }
        if current == nil {
            table[index].kind = kind
            table[index].kindPoll = poll
            return true
        }
        count(current == .object ? .conflict : .typeConflict)
        return false
    }

    private func makeInfo(_ path: [UInt8]) -> FieldInfo {
        let excluded = options.exclude.contains { $0.matchesSelfOrAncestor(path) }
        let included = options.include.isEmpty || options.include.contains { $0.matchesSelfOrAncestor(path) }
        let expand = options.include.contains { $0.mayMatchBeneath(path) }
        var drop: DropReason?
        if !FieldName.isValid(path) {
            drop = .invalidKey
        } else if Self.isReserved(path) {
            drop = .reserved
        } else if excluded {
            drop = .excluded
        } else if !expand, path.elementsEqual("memstats.BySize".utf8) {
            drop = .bySize
        }
        let unit = options.units.first { $0.glob.matches(path) }?.unit
        var role = FieldInfo.Role.plain
        if path.elementsEqual("memstats.PauseNs".utf8) {
            role = .pauseNs
        } else if path.elementsEqual("memstats.PauseEnd".utf8) {
            role = .pauseEnd
        } else if options.gcTypes.contains(where: { $0.matches(path) }) {
            role = .customGC
        }
        var info = FieldInfo(drop: drop, included: included, expand: expand, unit: unit, role: role)
        info.conversion = options.conversions.first { $0.glob.matches(path) }?.conversion
        return info
    }

    /// The envelope's field names; payload fields may not take them or nest under them.
    package static let envelopeKeys: [[UInt8]] = Document.envelopeFieldNames.map { Array($0.utf8) }

    package static func isReserved(_ path: [UInt8]) -> Bool {
        envelopeKeys.contains { key in
            path.count >= key.count && path.starts(with: key)
                && (path.count == key.count || path[key.count] == UInt8(ascii: "."))
        }
    }

    /// Appends `.` (unless `path` is empty) and `key` (unless empty) to `path`.
    private mutating func extendPath(_ key: UnsafeRawBufferPointer) {
        guard !key.isEmpty else { return }
        if !path.isEmpty { path.append(UInt8(ascii: ".")) }
        path.append(bytes: key)
    }

    /// A scalar at `path` + `.` + `key` (`key` is empty when `path` is already the field's). `hash` is
    /// the hash of `path` followed by the separator, or of the whole path when `key` is empty; `known`
    /// the path's table index when the caller knows it, else -1. Returns the index looked up (-1 when
    /// the value was dropped before).
    @discardableResult
    private mutating func leaf(
        _ value: Int, hash: UInt64, key: UnsafeRawBufferPointer, known: Int32, _ input: Input,
        _ encoder: inout DocumentEncoder
    ) -> Int32 {
        let node = input.nodes[value]
        switch node.kind {
        case .null:
            count(.null)
            return -1
        case .nonFinite:
            count(.nonFinite)
            return -1
        default: break
        }
        let index: Int
        if known >= 0 {
            index = Int(known)
        } else {
            let full = key.isEmpty ? hash : PathTable.hash(key, from: hash)
            if !key.isEmpty, let found = path.withUnsafeBytes({ table.find(hash: full, prefix: $0, key: key) }) {
                index = found
            } else {
                let mark = path.count
                extendPath(key)
                index = lookup(hash: full)
                path.removeLast(path.count - mark)
            }
        }
        let info = table[index]
        if let drop = info.drop {
            count(drop)
            return Int32(index)
        }
        guard info.included else {
            count(.excluded)
            return Int32(index)
        }
        if node.kind == .string, let conversion = info.conversion {
            let mark = path.count
            extendPath(key)
            convert(node, conversion, at: index, input, &encoder)
            path.removeLast(path.count - mark)
            return Int32(index)
        }
        let kind: FieldKind = node.kind == .bool ? .boolean : node.kind == .string ? .string : .number
        guard admit(kind, at: index) else { return Int32(index) }
        path.withUnsafeBytes { encoder.beginField(prefix: $0, key: key, id: Int32(index)) }
        switch node.kind {
        case .bool:
            encoder.out.append(contentsOf: node.payload != 0 ? "true".utf8 : "false".utf8)
        case .string:
            writeString(node, input, &encoder.out)
        case .int:
            if info.divisor != 0 {
                JSONWriter.appendDouble(Double(node.int) / info.divisor, to: &encoder.out)
            } else if info.seenDouble {
                JSONWriter.appendDouble(Double(node.int), to: &encoder.out)
            } else {
                JSONWriter.appendInt(node.int, to: &encoder.out)
            }
        case .uint:
            if info.divisor == 0 { uintConverted += 1 }
            JSONWriter.appendDouble(Double(node.payload) / (info.divisor == 0 ? 1 : info.divisor), to: &encoder.out)
        case .double:
            if !info.seenDouble { table[index].seenDouble = true }
            JSONWriter.appendDouble(node.double / (info.divisor == 0 ? 1 : info.divisor), to: &encoder.out)
        default:
            preconditionFailure("containers are walked, null and non-finite values dropped above")
        }
        encoder.endField()

        return Int32(index)
    }

    /// A `map_file` conversion of a string value: a Go duration to seconds (a number), an RFC 3339
    /// time to UTC with milliseconds (a string Elasticsearch reads as a date).
    private mutating func convert(
        _ node: JSONTape.Node, _ conversion: FieldMap.Conversion, at index: Int, _ input: Input,
        _ encoder: inout DocumentEncoder
    ) {
        let text = String(decoding: input.bytes(node), as: UTF8.self)
        switch conversion {
        case .duration:
            guard case .success(let duration) = GoDuration.parse(text) else {
                count(.conversionFailed)
                return
            }
            guard admit(.number, at: index) else { return }
            let (seconds, attoseconds) = duration.components
            path.withUnsafeBytes { encoder.beginField(escapedKey: $0, id: Int32(index)) }
            JSONWriter.appendDouble(Double(seconds) + Double(attoseconds) / 1e18, to: &encoder.out)
            encoder.endField()
        case .rfc3339:
            guard let millis = RFC3339.parse(text) else {
                count(.conversionFailed)
                return
            }
            guard admit(.string, at: index) else { return }
            path.withUnsafeBytes { encoder.beginField(escapedKey: $0, id: Int32(index)) }
            RFC3339.appendQuoted(millis: millis, to: &encoder.out)
            encoder.endField()
        }
    }

    @inline(__always)
    private func writeString(_ node: JSONTape.Node, _ input: Input, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if node.decoded {
            JSONWriter.appendEscaped(input.bytes(node), to: &out)
        } else {
            // Raw source strings contain no escapes, quotes or control bytes: already valid output.
            out.append(contentsOf: input.bytes(node))
        }
        out.append(UInt8(ascii: "\""))
    }

    // MARK: - Arrays

    private static func bit(_ kind: JSONTape.Kind) -> UInt16 { 1 << UInt16(kind.rawValue) }
    private static let containerBits = bit(.object) | bit(.array)
    private static let numberBits = bit(.int) | bit(.uint) | bit(.double)

    private mutating func walkArray(
        _ array: Int, parent: Int, hash: UInt64, _ input: Input, _ encoder: inout DocumentEncoder
    ) {
        if let split = options.split, !split.root, splits(split) {
            var position = 0
            var k = array + 1
            while k < input.nodes[array].end {
                if let key = entityKey(k, memberKey: String(position), split, input) {
                    entities.append(Entity(node: k, key: key))
                } else {
                    count(.objectArray)
                }
                k = input.next(after: k)
                position += 1
            }
            return
        }
        let index = lookup(hash: hash)
        let info = table[index]
        if info.role != .plain {
            pendingRings.append(
                PendingRing(node: array, parent: parent, role: info.role, path: info.role == .customGC ? path : []))
            return
        }
        let end = input.nodes[array].end
        var mask: UInt16 = 0
        var k = array + 1
        while k < end {
            let node = input.nodes[k]
            mask |= Self.bit(node.kind)
            if node.kind == .object || node.kind == .array { break }
            k += 1
        }
        let hasNumbers = mask & Self.numberBits != 0
        let categories =
            (hasNumbers ? 1 : 0) + (mask & Self.bit(.string) != 0 ? 1 : 0) + (mask & Self.bit(.bool) != 0 ? 1 : 0)
            + (mask & Self.bit(.nonFinite) != 0 && !hasNumbers ? 1 : 0)
        let isObjectArray = mask & Self.containerBits != 0
        let isMixed = !isObjectArray && (categories > 1 || mask & Self.bit(.null) != 0)
        if let drop = info.drop {
            count(drop)
            return
        }
        if isObjectArray || isMixed {
            if info.expand {
                expand(array, hash: hash, input, &encoder)
            } else {
                count(!info.included ? .excluded : isObjectArray ? .objectArray : .mixedArray)
            }
            return
        }
        guard info.included else {
            count(.excluded)
            return
        }
        if mask & Self.bit(.nonFinite) != 0 {
            count(.nonFinite)
            return
        }
        // An empty array carries no kind: Elasticsearch accepts `[]` for any field.
        if mask != 0 {
            let kind: FieldKind =
                hasNumbers ? .numberArray : mask & Self.bit(.string) != 0 ? .stringArray : .booleanArray
            guard admit(kind, at: index) else { return }
        }
        path.withUnsafeBytes { encoder.beginField(escapedKey: $0, id: Int32(index)) }
        encoder.out.append(UInt8(ascii: "["))
        let asDouble = mask & (Self.bit(.double) | Self.bit(.uint)) != 0 || info.seenDouble || info.divisor != 0
        if mask & Self.bit(.double) != 0, !info.seenDouble { table[index].seenDouble = true }
        if mask & Self.bit(.uint) != 0, info.divisor == 0 { uintConverted += 1 }
        let divisor = info.divisor == 0 ? 1 : info.divisor
        for k in (array + 1)..<end {
            if k > array + 1 { encoder.out.append(UInt8(ascii: ",")) }
            let node = input.nodes[k]
            switch node.kind {
            case .int:
                if asDouble {
                    JSONWriter.appendDouble(Double(node.int) / divisor, to: &encoder.out)
                } else {
                    JSONWriter.appendInt(node.int, to: &encoder.out)
                }
            case .uint: JSONWriter.appendDouble(Double(node.payload) / divisor, to: &encoder.out)
            case .double: JSONWriter.appendDouble(node.double / divisor, to: &encoder.out)
            case .string: writeString(node, input, &encoder.out)
            case .bool: encoder.out.append(contentsOf: node.payload != 0 ? "true".utf8 : "false".utf8)
            default: preconditionFailure("only homogeneous scalar arrays reach here")
            }
        }
        encoder.out.append(UInt8(ascii: "]"))
        encoder.endField()
    }

    /// Flattens each element under its index (`path.0`, `path.0.field`).
    private mutating func expand(_ array: Int, hash: UInt64, _ input: Input, _ encoder: inout DocumentEncoder) {
        let end = input.nodes[array].end
        let mark = path.count
        var k = array + 1
        var position: UInt64 = 0
        while k < end {
            path.append(UInt8(ascii: "."))
            JSONWriter.appendUInt(position, to: &path)
            let h = path.withUnsafeBytes { PathTable.hash(UnsafeRawBufferPointer(rebasing: $0[mark...]), from: hash) }
            walkValue(k, parent: array, hash: h, input, &encoder)
            path.removeLast(path.count - mark)
            k = input.next(after: k)
            position += 1
        }
    }
}
