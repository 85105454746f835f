import ExpvasticBase
import ExpvasticCodecs

/// An Elasticsearch index name, possibly with a date pattern expanded from the document's
/// `@timestamp` (UTC): `expvastic-%{+yyyy.MM.dd}`, `%{+yyyy.MM}` or `%{+yyyy}`.
public struct IndexName: Sendable, Equatable, CustomStringConvertible {
    private enum Part: Sendable, Equatable {
        case literal(String)
        case day, month, year
    }

    private let parts: [Part]
    /// The name as configured.
    public let pattern: String

    /// Parses and validates; the error says what is wrong and how to fix it.
    public init(_ pattern: String) throws(IndexNameError) {
        self.pattern = pattern
        var parts: [Part] = []
        var rest = Substring(pattern)
        while let open = rest.firstRange(of: "%{") {
            if open.lowerBound > rest.startIndex { parts.append(.literal(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                throw IndexNameError(pattern: pattern, reason: "has an unclosed %{ (use %{+yyyy.MM.dd})")
            }
            switch rest[open.upperBound..<close] {
            case "+yyyy.MM.dd": parts.append(.day)
            case "+yyyy.MM": parts.append(.month)
            case "+yyyy": parts.append(.year)
            case let other:
                throw IndexNameError(
                    pattern: pattern,
                    reason: "has unknown date pattern %{\(other)} (use %{+yyyy.MM.dd}, %{+yyyy.MM} or %{+yyyy})"
                )
            }
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { parts.append(.literal(String(rest))) }
        self.parts = parts
        let literal = parts.compactMap { part -> String? in
            if case .literal(let text) = part { return text }
            return nil
        }.joined()
        if let reason = IndexName.problem(
            pattern: pattern, literal: literal,
            startsWithLiteral: parts.first.map {
                if case .literal = $0 { return true } else { return false }
            } ?? true)
        {
            throw IndexNameError(pattern: pattern, reason: reason)
        }
    }

    private static func problem(pattern: String, literal: String, startsWithLiteral: Bool) -> String? {
        if pattern.isEmpty { return "is empty" }
        if literal != literal.lowercased() { return "must be lower case (try \"\(pattern.lowercased())\")" }
        if let bad = literal.first(where: { "\\/*?\"<>|, #:".contains($0) }) {
            return "must not contain \"\(bad)\""
        }
        if startsWithLiteral, let first = literal.first, "-_+".contains(first) {
            return "must not start with \"\(first)\""
        }
        if literal == "." || literal == ".." { return "must not be \".\" or \"..\"" }
        if pattern.utf8.count > 255 { return "is longer than 255 bytes" }
        return nil
    }

    /// True when the name depends on the timestamp.
    public var hasDatePattern: Bool { parts.contains { if case .literal = $0 { false } else { true } } }

    /// The index for a document with this `@timestamp` (Unix milliseconds, UTC).
    public func expand(millis: Int64) -> String {
        guard hasDatePattern else { return pattern }
        let (year, month, day) = RFC3339.date(millis: millis)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var out = ""
        for part in parts {
            switch part {
            case .literal(let text): out += text
            case .day: out += "\(year).\(two(month)).\(two(day))"
            case .month: out += "\(year).\(two(month))"
            case .year: out += "\(year)"
            }
        }
        return out
    }

    /// The wildcard pattern that matches every index this name can expand to (`expvastic-*`),
    /// used for the index template.
    public var templatePattern: String {
        guard hasDatePattern else { return pattern }
        var out = ""
        for part in parts {
            if case .literal(let text) = part { out += text } else if !out.hasSuffix("*") { out += "*" }
        }
        return out
    }

    public var description: String { pattern }
}

/// Why an `index_name` is not valid.
public struct IndexNameError: Error, Sendable, Equatable, CustomStringConvertible {
    public var pattern: String
    public var reason: String
    public var description: String { "index name \"\(pattern)\" \(reason)" }
}
