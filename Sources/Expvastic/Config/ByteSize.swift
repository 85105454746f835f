/// Sizes in bytes written as a plain integer (`1048576`) or with a unit: `512KB` (1000-based:
/// B, KB, MB, GB, TB) or `5MiB` (1024-based: KiB, MiB, GiB, TiB). Units are case-insensitive and may
/// follow a space; fractions such as `1.5GiB` are rounded down to whole bytes.
public enum ByteSize {
    private static let units: [String: Double] = [
        "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
        "kib": 1024, "mib": 1_048_576, "gib": 1_073_741_824, "tib": 1_099_511_627_776,
    ]

    /// Parses a size; the error says what is wrong and how to write it.
    public static func parse(_ text: String) -> Result<Int, ByteSizeError> {
        let trimmed = text.trimmingWhitespace()
        let numberEnd = trimmed.firstIndex { !($0.isASCII && ($0.isNumber || $0 == ".")) } ?? trimmed.endIndex
        let number = trimmed[..<numberEnd]
        let unit = trimmed[numberEnd...].trimmingWhitespace().lowercased()
        guard !number.isEmpty, let value = Double(number), value.isFinite else {
            return .failure(ByteSizeError(text: text, reason: "is not a size"))
        }
        guard let multiplier = unit.isEmpty ? 1 : units[unit] else {
            return .failure(ByteSizeError(text: text, reason: "has unknown unit \"\(unit)\""))
        }
        let bytes = (value * multiplier).rounded(.down)
        guard bytes < Double(Int.max) else { return .failure(ByteSizeError(text: text, reason: "is too large")) }
        return .success(Int(bytes))
    }

    /// `5MiB`, `1GiB`, `512KiB` when exact, otherwise the number of bytes.
    public static func format(_ bytes: Int) -> String {
        for (name, unit) in [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        where bytes >= unit && bytes % unit == 0 {
            return "\(bytes / unit)\(name)"
        }
        return "\(bytes)B"
    }
}

/// Why a text is not a size.
public struct ByteSizeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text as written.
    public var text: String
    /// `has unknown unit "parsecs"`.
    public var reason: String

    public init(text: String, reason: String) {
        self.text = text
        self.reason = reason
    }

    /// What to write instead.
    public var hint: String { "use bytes or a unit: 512KB, 5MiB, 1GiB" }

    /// `"5 parsecs" has unknown unit "parsecs" (use bytes or a unit: 512KB, 5MiB, 1GiB)`.
    public var description: String { "\"\(text)\" \(reason) (\(hint))" }
}
