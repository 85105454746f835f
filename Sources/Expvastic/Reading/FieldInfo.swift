import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// What a reader knows about one flattened field path, decided once when the path is first seen.
package struct FieldInfo {
    package enum Role: UInt8 {
        case plain
        /// `memstats.PauseNs`: a GC pause ring, never shipped raw.
        case pauseNs
        /// `memstats.PauseEnd`: a GC pause-end ring, never shipped raw.
        case pauseEnd
        /// A `gc_types` entry from the map file.
        case customGC
    }

    // 16 bytes a path instead of 32 (every reader keeps one per path): the unit instead of its
    // divisor, the wide fields first.

    /// The poll (``Flattener``'s counter) in which ``kind`` was set: within that first poll, nested
    /// fields beat a value at the same path (the encoder drops the value), as in every poll after.
    package var kindPoll: UInt32 = 0
    /// For an object: its slot in the flattener's member cache, -1 before it has one.
    package var members: Int32 = -1
    /// Set when `exclude` (or the `memstats.BySize` default) removes the field.
    package var drop: DropReason?
    /// An `include` glob matches the path or an ancestor (always true without `include`).
    package var included: Bool
    /// An `include` glob names this path or something beneath it: object and mixed arrays are expanded.
    package var expand: Bool
    /// `map_file` `memory_bytes` unit.
    package var unit: FieldMap.Unit?
    /// `map_file` conversion of string values.
    package var conversion: FieldMap.Conversion? = nil
    package var role: Role
    /// The field was a double once; integers there are now written as doubles (type stability).
    package var seenDouble: Bool = false
    /// The kind the path was first seen with; a value of another kind is dropped from then on.
    package var kind: FieldKind?

    package init(drop: DropReason?, included: Bool, expand: Bool, unit: FieldMap.Unit?, role: Role) {
        self.drop = drop
        self.included = included
        self.expand = expand
        self.unit = unit
        self.role = role
    }

    /// The unit's divisor; 0 when the field has no unit.
    @inline(__always)
    package var divisor: Double { unit?.divisor ?? 0 }
}
