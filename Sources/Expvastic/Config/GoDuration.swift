import ExpvasticBase
import ExpvasticCodecs

/// Durations written the way Go's `time.ParseDuration` reads them: `250ms`, `3s`, `1m30s`, `1h`,
/// `1.5s`, `100us` (or `µs`), `10ns`. A bare number has no unit and is rejected.
public enum GoDuration {
    private static let units: [(name: String, nanos: Int64)] = [
        ("ns", 1), ("us", 1_000), ("µs", 1_000), ("μs", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000),
        ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ]

    /// Parses a Go duration; the error says what is wrong and suggests a fix.
    public static func parse(_ text: String) -> Result<Duration, GoDurationError> {
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty else {
            return .failure(
                GoDurationError(text: text, reason: "is empty", hint: "use Go syntax such as 250ms, 3s or 1m30s"))
        }
        var rest = Substring(trimmed)
        var negative = false
        if let first = rest.first, first == "-" || first == "+" {
            negative = first == "-"
            rest = rest.dropFirst()
        }
        if !rest.isEmpty, rest.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) {
            return .failure(GoDurationError(text: text, reason: "has no unit", hint: "try \(trimmed)s"))
        }
        var total: Int64 = 0
        var sawComponent = false
        while !rest.isEmpty {
            let numberEnd = rest.firstIndex { !($0.isASCII && ($0.isNumber || $0 == ".")) } ?? rest.endIndex
            let number = rest[..<numberEnd]
            let unitEnd = rest[numberEnd...].firstIndex { $0.isASCII && ($0.isNumber || $0 == ".") } ?? rest.endIndex
            let unit = String(rest[numberEnd..<unitEnd])
            guard let value = parseNumber(number) else {
                return .failure(
                    GoDurationError(
                        text: text, reason: "is not a duration", hint: "use Go syntax such as 250ms, 3s or 1m30s"))
            }
            guard !unit.isEmpty else {
                return .failure(
                    GoDurationError(text: text, reason: "has a number without a unit", hint: "try \(trimmed)s"))
            }
            guard let multiplier = units.first(where: { $0.name == unit })?.nanos else {
                return .failure(
                    GoDurationError(
                        text: text, reason: "has unknown unit \"\(unit)\"", hint: "use ns, us, ms, s, m or h"))
            }
            let whole = value.whole.multipliedReportingOverflow(by: multiplier)
            let fraction = Int64((value.fraction * Double(multiplier)).rounded())
            let (sum, overflow) = total.addingReportingOverflow(whole.partialValue)
            let (withFraction, overflow2) = sum.addingReportingOverflow(fraction)
            if whole.overflow || overflow || overflow2 {
                return .failure(GoDurationError(text: text, reason: "is too long", hint: "use at most about 2562047h"))
            }
            total = withFraction
            sawComponent = true
            rest = rest[unitEnd...]
        }
        guard sawComponent else {
            return .failure(
                GoDurationError(
                    text: text, reason: "is not a duration", hint: "use Go syntax such as 250ms, 3s or 1m30s"))
        }
        return .success(.nanoseconds(negative ? -total : total))
    }

    /// `digits[.digits]` → whole part and fraction in [0, 1).
    private static func parseNumber(_ text: Substring) -> (whole: Int64, fraction: Double)? {
        guard !text.isEmpty, text != "." else { return nil }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].contains("."), parts.count < 2 || !parts[1].contains(".") else {
            return nil
        }
        let whole = parts[0].isEmpty ? 0 : Int64(parts[0])
        guard let whole else { return nil }
        var fraction = 0.0
        if parts.count == 2, !parts[1].isEmpty {
            guard let digits = Double("0." + parts[1]) else { return nil }
            fraction = digits
        }
        return (whole, fraction)
    }

    /// The shortest Go-style spelling: `500ms`, `10s`, `1m30s`, `1h`, `1.5s`.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        var nanos = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if nanos.overflow { return "\(seconds)s" }
        nanos.partialValue += attoseconds / 1_000_000_000
        var value = nanos.partialValue
        if value == 0 { return "0s" }
        var out = ""
        if value < 0 {
            out = "-"
            value = -value
        }
        if value < 1_000_000_000 {
            for (name, unit) in [("ms", Int64(1_000_000)), ("us", 1_000), ("ns", 1)] where value >= unit {
                return out + decimal(value, unit: unit) + name
            }
        }
        let hours = value / 3_600_000_000_000
        value -= hours * 3_600_000_000_000
        let minutes = value / 60_000_000_000
        value -= minutes * 60_000_000_000
        if hours > 0 { out += "\(hours)h" }
        if minutes > 0 { out += "\(minutes)m" }
        if value > 0 { out += decimal(value, unit: 1_000_000_000) + "s" }
        return out
    }

    private static func decimal(_ value: Int64, unit: Int64) -> String {
        let whole = value / unit
        var fraction = value % unit
        guard fraction > 0 else { return "\(whole)" }
        var digits = String(unit).count - 1
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        let text = String(fraction)
        return "\(whole)." + String(repeating: "0", count: digits - text.count) + text
    }
}

/// Why a text is not a Go duration.
public struct GoDurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text as written.
    public var text: String
    /// `has no unit`.
    public var reason: String
    /// `try 2s`.
    public var hint: String

    public init(text: String, reason: String, hint: String) {
        self.text = text
        self.reason = reason
        self.hint = hint
    }

    /// `"2" has no unit (try 2s)`.
    public var description: String { "\"\(text)\" \(reason) (\(hint))" }
}

extension StringProtocol {
    package func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
