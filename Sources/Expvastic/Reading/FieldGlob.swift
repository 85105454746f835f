import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// A field-path glob for `include`, `exclude` and `map_file` entries, matched against the dotted
/// path as written in the document.
///
/// A path is split at `.` into segments. In a pattern, `*` matches any run of characters within one
/// segment (`memstats.Heap*`), `**` as a whole segment matches zero or more segments
/// (`**.Alloc`, `per_route.**`); everything else is literal and case-sensitive.
package struct FieldGlob: Sendable, Equatable {
    private enum Segment: Equatable {
        case anySegments
        case pattern([UInt8])
    }

    /// The pattern as written.
    package let text: String
    private let segments: [Segment]
    /// True when the pattern contains no `*` (a plain path).
    package let isLiteral: Bool

    package init(_ text: String) {
        self.text = text
        self.segments = text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).map {
            $0.elementsEqual("**".utf8) ? .anySegments : .pattern(Array($0))
        }
        self.isLiteral = !text.contains("*")
    }

    /// The whole path matches.
    package func matches(_ path: [UInt8]) -> Bool {
        let parts = Self.split(path)
        return match(0, parts[...], path, beneath: false)
    }

    /// The path or one of its ancestors (`a` and `a.b` for `a.b.c`) matches.
    package func matchesSelfOrAncestor(_ path: [UInt8]) -> Bool {
        let parts = Self.split(path)
        for end in stride(from: parts.count, through: 1, by: -1) where match(0, parts[..<end], path, beneath: false) {
            return true
        }
        return false
    }

    /// The path itself or some path beneath it (`a.b.x…` for `a.b`) could match.
    package func mayMatchBeneath(_ path: [UInt8]) -> Bool {
        match(0, Self.split(path)[...], path, beneath: true)
    }

    private static func split(_ path: [UInt8]) -> [Range<Int>] {
        var parts: [Range<Int>] = []
        var start = 0
        for (index, byte) in path.enumerated() where byte == UInt8(ascii: ".") {
            parts.append(start..<index)
            start = index + 1
        }
        parts.append(start..<path.count)
        return parts
    }

    private func match(_ p: Int, _ parts: ArraySlice<Range<Int>>, _ path: [UInt8], beneath: Bool) -> Bool {
        if p == segments.count { return parts.isEmpty }
        guard let first = parts.first else {
            return beneath || segments[p...].allSatisfy { $0 == .anySegments }
        }
        switch segments[p] {
        case .anySegments:
            return match(p + 1, parts, path, beneath: beneath) || match(p, parts.dropFirst(), path, beneath: beneath)
        case .pattern(let pattern):
            return Self.wildcard(pattern[...], path[first]) && match(p + 1, parts.dropFirst(), path, beneath: beneath)
        }
    }

    /// `*` matches any run of bytes.
    private static func wildcard(_ pattern: ArraySlice<UInt8>, _ text: ArraySlice<UInt8>) -> Bool {
        guard let head = pattern.first else { return text.isEmpty }
        if head == UInt8(ascii: "*") {
            var rest = text
            while true {
                if wildcard(pattern.dropFirst(), rest) { return true }
                guard !rest.isEmpty else { return false }
                rest = rest.dropFirst()
            }
        }
        guard let first = text.first, first == head else { return false }
        return wildcard(pattern.dropFirst(), text.dropFirst())
    }
}
