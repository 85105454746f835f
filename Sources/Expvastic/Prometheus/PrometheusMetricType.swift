/// The type a `# TYPE` line declares for a metric family (text 0.0.4 and OpenMetrics 1.0).
public enum PrometheusMetricType: UInt8, Sendable, CaseIterable {
    /// No `# TYPE` line, `untyped` (0.0.4) or `unknown` (OpenMetrics).
    case untyped
    case counter
    case gauge
    case histogram
    /// OpenMetrics `gaugehistogram` (`_bucket`, `_gcount`, `_gsum`).
    case gaugeHistogram
    case summary
    /// OpenMetrics `info` (`<name>_info{…} 1`).
    case info
    /// OpenMetrics `stateset` (`<name>{<name>="state"} 0|1`).
    case stateset

    /// The spelling in a `# TYPE` line and in documents and templates (`gaugehistogram` for
    /// ``gaugeHistogram``).
    public var label: String {
        switch self {
        case .untyped: "untyped"
        case .counter: "counter"
        case .gauge: "gauge"
        case .histogram: "histogram"
        case .gaugeHistogram: "gaugehistogram"
        case .summary: "summary"
        case .info: "info"
        case .stateset: "stateset"
        }
    }

    /// The type a `# TYPE` line names (`unknown` is OpenMetrics' `untyped`); nil for anything else.
    init?(typeName: UnsafeRawBufferPointer) {
        let text = String(decoding: typeName, as: UTF8.self)
        switch text {
        case "untyped", "unknown": self = .untyped
        case "counter": self = .counter
        case "gauge": self = .gauge
        case "histogram": self = .histogram
        case "gaugehistogram": self = .gaugeHistogram
        case "summary": self = .summary
        case "info": self = .info
        case "stateset": self = .stateset
        default: return nil
        }
    }

    /// The suffixes a sample of a family of this type may add to the family name.
    var sampleSuffixes: [[UInt8]] { Self.suffixes[Int(rawValue)] }

    private static let suffixes: [[[UInt8]]] = allCases.map { type in
        let words: [String] =
            switch type {
            case .counter: ["_total", "_created"]
            case .histogram: ["_bucket", "_sum", "_count", "_created"]
            case .gaugeHistogram: ["_bucket", "_gsum", "_gcount"]
            case .summary: ["_sum", "_count", "_created"]
            case .info: ["_info"]
            case .untyped, .gauge, .stateset: []
            }
        return words.map { Array($0.utf8) }
    }
}
