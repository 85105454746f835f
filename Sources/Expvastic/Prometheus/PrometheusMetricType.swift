import ExpvasticBase

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
    /// Compared as bytes: a body has one `# TYPE` line per family, hundreds per scrape.
    package init?(typeName: UnsafeRawBufferPointer) {
        func equals(_ word: StaticString) -> Bool {
            guard typeName.count == word.utf8CodeUnitCount else { return false }
            for k in 0..<typeName.count where typeName[k] != word.utf8Start[k] { return false }
            return true
        }
        if equals("counter") {
            self = .counter
        } else if equals("gauge") {
            self = .gauge
        } else if equals("histogram") {
            self = .histogram
        } else if equals("summary") {
            self = .summary
        } else if equals("untyped") || equals("unknown") {
            self = .untyped
        } else if equals("gaugehistogram") {
            self = .gaugeHistogram
        } else if equals("info") {
            self = .info
        } else if equals("stateset") {
            self = .stateset
        } else {
            return nil
        }
    }

    /// The suffixes a sample of a family of this type may add to the family name.
    package var sampleSuffixes: [[UInt8]] { Self.suffixes[Int(rawValue)] }

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
