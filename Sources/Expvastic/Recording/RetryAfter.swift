import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// The `Retry-After` header of a 429 or 503 answer: delay-seconds (`2`) or an HTTP date
/// (`Sun, 06 Nov 1994 08:49:37 GMT`, also the obsolete RFC 850 and asctime forms).
public enum RetryAfter {
    /// The delay the header asks for, measured from `nowWallMillis` (Unix milliseconds); nil when the
    /// header is missing or unreadable. A date in the past is zero.
    public static func parse(_ value: String?, nowWallMillis: Int64) -> Duration? {
        guard let text = value?.trimmingSpaces, !text.isEmpty else { return nil }
        if text.allSatisfy({ $0.isASCII && $0.isNumber }) {
            guard let seconds = Int64(text) else { return .seconds(Int64.max / 1_000_000_000_000) }
            return .seconds(seconds)
        }
        guard let millis = httpDateMillis(text) else { return nil }
        return .milliseconds(max(0, millis - nowWallMillis))
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// Unix milliseconds of an HTTP date in any of the three forms RFC 9110 allows.
    package static func httpDateMillis(_ text: String) -> Int64? {
        // Tokenise on spaces, commas, dashes and colons:
        // IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" → [Sun, 06, Nov, 1994, 08, 49, 37, GMT]
        // RFC 850     "Sunday, 06-Nov-94 08:49:37 GMT" → [Sunday, 06, Nov, 94, 08, 49, 37, GMT]
        // asctime     "Sun Nov  6 08:49:37 1994" → [Sun, Nov, 6, 08, 49, 37, 1994]
        let tokens = text.split { $0 == " " || $0 == "," || $0 == "-" || $0 == ":" }.map(String.init)
        var day: Int64?
        var month: Int64?
        var year: Int64?
        var clock: [Int64] = []
        if tokens.count == 8, tokens[7].uppercased() == "GMT" {
            day = Int64(tokens[1])
            month = monthNumber(tokens[2])
            year = Int64(tokens[3])
            clock = tokens[4...6].compactMap { Int64($0) }
            if let y = year, tokens[3].count == 2 { year = y < 70 ? 2000 + y : 1900 + y }
        } else if tokens.count == 7 {
            month = monthNumber(tokens[1])
            day = Int64(tokens[2])
            clock = tokens[3...5].compactMap { Int64($0) }
            year = Int64(tokens[6])
        }
        guard let day, let month, let year, clock.count == 3, (1...31).contains(day), clock[0] < 24,
            clock[1] < 60, clock[2] < 61
        else { return nil }
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let iso = "\(year)-\(two(month))-\(two(day))T\(two(clock[0])):\(two(clock[1])):\(two(clock[2]))Z"
        return RFC3339.parse(iso)
    }

    private static func monthNumber(_ token: String) -> Int64? {
        months.firstIndex(of: token.lowercased()).map { Int64($0 + 1) }
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var view = Substring(self)
        while let first = view.first, first == " " || first == "\t" { view.removeFirst() }
        while let last = view.last, last == " " || last == "\t" { view.removeLast() }
        return String(view)
    }
}
