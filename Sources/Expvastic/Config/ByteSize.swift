import ExpvasticBase
import ExpvasticCodecs

/// Sizes in bytes, the one rule for every size key (`max_bytes`, `bulk_max_bytes`, `spool_max_bytes`,
/// `max_body_bytes`, …): a plain integer (`1048576`) or a number and a unit, `512KB` (1000-based:
/// B, KB, MB, GB, TB) or `5MiB` (1024-based: KiB, MiB, GiB, TiB). Units are case-insensitive and may
/// follow a space (`10 MB` is 10,000,000 bytes); fractions such as `1.5GiB` are rounded down to whole
/// bytes. A bare `K`, `M`, `G` or `T` is rejected: it does not say which of the two it means.
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
            if ["k", "m", "g", "t"].contains(unit) {
                let upper = unit.uppercased()
                return .failure(
                    ByteSizeError(
                        text: text, reason: "has the ambiguous unit \"\(unit)\"",
                        hint: "write \(number)\(upper)B for ×1000 or \(number)\(upper)iB for ×1024"))
            }
            return .failure(ByteSizeError(text: text, reason: "has unknown unit \"\(unit)\""))
        }
        let bytes = (value * multiplier).rounded(.down)
        guard bytes < Double(Int.max) else { return .failure(ByteSizeError(text: text, reason: "is too large")) }
        return .success(Int(bytes))
    }

    /// The shortest exact way to write `bytes`: `5MiB`, `1GiB`, `10MB`, `512KB` (the largest unit, of
    /// either kind, that divides it; 1024-based on a tie), so `--check` shows a size the way it was
    /// most likely written; otherwise the number of bytes (`1500B`).
    public static func format(_ bytes: Int) -> String {
        let units = [
            ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10),
            ("TB", 1_000_000_000_000), ("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1000),
        ]
        var best = (count: bytes, name: "B")
        for (name, unit) in units where bytes >= unit && bytes % unit == 0 && bytes / unit < best.count {
            best = (bytes / unit, name)
        }
        return "\(best.count)\(best.name)"
    }
}

/// Why a text is not a size.
public struct ByteSizeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text as written.
    public var text: String
    /// `has unknown unit "parsecs"`.
    public var reason: String
    /// What to write instead.
    public var hint: String

    /// `hint` defaults to the general one: `use bytes or a unit: 512KB, 5MiB, 1GiB`.
    public init(text: String, reason: String, hint: String = "use bytes or a unit: 512KB, 5MiB, 1GiB") {
        self.text = text
        self.reason = reason
        self.hint = hint
    }

    /// `"5 parsecs" has unknown unit "parsecs" (use bytes or a unit: 512KB, 5MiB, 1GiB)`.
    public var description: String { "\"\(text)\" \(reason) (\(hint))" }
}
