import ExpvasticBase
import Synchronization

/// What a cluster taught about one field path of a reader's documents when it refused a document
/// because of that field (see ``FieldPins``).
public enum FieldPin: Sendable, Equatable {
    /// The cluster maps the path as this kind: later values of another kind are dropped
    /// (`type_conflict`), and so is anything nested under a path the cluster maps as a value.
    case kind(FieldKind)
    /// The cluster cannot take the path at all (a `date`, `ip`, … mapping, a strict mapping, an
    /// object mapping that cannot merge): the path and everything under it are dropped
    /// (`cluster_refused`).
    case refused
}

/// Field paths that a cluster refused, per reader (the document's `reader`): Elasticsearch
/// recorders write them after taking the field out of a rejected document, and the reader applies
/// them before its next poll, so the same field is not sent (and refused) again. Shared by the
/// readers and recorders of one process; bounded by ``maxPaths``. Pins live as long as the process
/// (a reader removed by a reload and added again writes to the same indices, whose mappings have not
/// changed); a restart forgets them, and the first refusal teaches them again.
public final class FieldPins: Sendable {
    /// At most this many pinned paths in all (the reader's own path table holds at most 65,536): a
    /// cluster that refuses ever new fields cannot grow this without bound. Past it, new pins are
    /// not kept (the recorder still removes the field from each document the cluster refuses).
    public static let maxPaths = 65_536

    private struct State {
        package var generation: UInt64 = 0
        package var count = 0
        package var byReader: [String: [String: FieldPin]] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Bumped by every new pin: a reader compares it with the one it applied last.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Pins `path` of `reader`'s documents; true when it was not pinned that way before (so the
    /// caller logs it once).
    @discardableResult
    public func pin(_ path: String, as pin: FieldPin, reader: String) -> Bool {
        state.withLock { state in
            let previous = state.byReader[reader]?[path]
            if previous == pin { return false }
            if previous == nil {
                guard state.count < Self.maxPaths else { return false }
                state.count += 1
            }
            state.byReader[reader, default: [:]][path] = pin
            state.generation &+= 1
            return true
        }
    }

    /// The pins of `reader`'s documents.
    public func pins(reader: String) -> [String: FieldPin] {
        state.withLock { $0.byReader[reader] ?? [:] }
    }
}
