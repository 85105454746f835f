import ExpvasticBase
import ExpvasticCodecs

/// How routes become engines: one engine per reader, with the de-duplicated union of the
/// recorders routed from it in first-seen order.
public struct Plan: Sendable, Equatable {
    public struct EnginePlan: Sendable, Equatable {
        public var reader: String
        public var recorders: [String]
        public init(reader: String, recorders: [String]) {
            self.reader = reader
            self.recorders = recorders
        }
    }

    /// In order of the readers' first appearance in the routes.
    public var engines: [EnginePlan]
    /// Readers that no route uses (validated, not run).
    public var unusedReaders: [String]
    /// Recorders that no route uses (validated, not run).
    public var unusedRecorders: [String]

    public init(configuration: Configuration) {
        var recordersByReader: [String: [String]] = [:]
        var readerOrder: [String] = []
        var usedRecorders = Set<String>()
        for route in configuration.routes {
            for reader in route.readers {
                if recordersByReader[reader] == nil {
                    recordersByReader[reader] = []
                    readerOrder.append(reader)
                }
                for recorder in route.recorders where !recordersByReader[reader]!.contains(recorder) {
                    recordersByReader[reader]!.append(recorder)
                }
            }
            if !route.readers.isEmpty { usedRecorders.formUnion(route.recorders) }
        }
        engines = readerOrder.map { EnginePlan(reader: $0, recorders: recordersByReader[$0]!) }
        unusedReaders = configuration.readers.map(\.name).filter { recordersByReader[$0] == nil }
        unusedRecorders = configuration.recorders.map(\.name).filter { !usedRecorders.contains($0) }
    }

    /// The lines `--check` prints: `app_0 -> elastic_1, elastic_2`.
    public var lines: [String] {
        engines.map { "\($0.reader) -> \($0.recorders.joined(separator: ", "))" }
    }
}
