import ExpvasticBase

/// The two exposition formats a `/metrics` endpoint may answer with.
public enum PrometheusFormat: Sendable, Equatable {
    /// The classic text format 0.0.4 (`text/plain; version=0.0.4`): timestamps in milliseconds.
    case text
    /// OpenMetrics 1.0 (`application/openmetrics-text; version=1.0.0`): timestamps in seconds,
    /// `# UNIT`, `# EOF`, info and stateset families, exemplars.
    case openMetrics

    /// The `Accept` header Prometheus itself sends: OpenMetrics 1.0.0 preferred, then text 0.0.4,
    /// then anything. (The reader also asks for gzip, as Prometheus does, and inflates it.)
    public static let acceptHeader =
        "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,"
        + "text/plain;version=0.0.4;q=0.3,*/*;q=0.2"

    /// The format a response's `Content-Type` announces; nil when it names neither (a target that
    /// sends no or a generic content type is then read as text 0.0.4, unless the body ends with
    /// `# EOF`).
    public init?(contentType: String?) {
        guard let contentType else { return nil }
        let media = contentType.split(separator: ";", maxSplits: 1).first.map {
            $0.trimmingASCIIWhitespace().lowercased()
        }
        switch media {
        case "application/openmetrics-text": self = .openMetrics
        case "text/plain": self = .text
        default: return nil
        }
    }

    /// The format of `body` received with `contentType`: the content type when it names a format,
    /// otherwise OpenMetrics when the body ends with `# EOF`, otherwise text.
    public static func detect(contentType: String?, body: UnsafeRawBufferPointer) -> PrometheusFormat {
        if let format = PrometheusFormat(contentType: contentType) { return format }
        var end = body.count
        while end > 0, body[end - 1] == 0x0A || body[end - 1] == 0x0D || body[end - 1] == 0x20 { end -= 1 }
        let eof = Array("# EOF".utf8)
        guard end >= eof.count else { return .text }
        for (offset, byte) in eof.enumerated() where body[end - eof.count + offset] != byte { return .text }
        return .openMetrics
    }
}

extension Substring {
    fileprivate func trimmingASCIIWhitespace() -> Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
