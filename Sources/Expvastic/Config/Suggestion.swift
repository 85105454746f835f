import ExpvasticBase
import ExpvasticCodecs

/// "Did you mean …?" for misspelt keys, types and names.
package enum Suggestion {
    /// The candidate closest to `word`, if one is close enough to be a likely typo: same letters in
    /// another case, a small edit distance, one a prefix of the other (`elastic`), or one `_`-separated part almost equal (`debug_evel` →
    /// `log_level`). Ties go to the earlier candidate.
    package static func closest(to word: String, among candidates: [String]) -> String? {
        guard !word.isEmpty else { return nil }
        if let sameLetters = candidates.first(where: { $0.lowercased() == word.lowercased() }) { return sameLetters }
        let lowered = word.lowercased()
        let limit = max(2, lowered.count / 3)
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = Suggestion.distance(lowered, candidate.lowercased())
            if distance <= limit, distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        if let best { return best.candidate }
        if lowered.count >= 3,
            let prefixed = candidates.first(where: {
                $0.lowercased().hasPrefix(lowered) || lowered.hasPrefix($0.lowercased())
            })
        {
            return prefixed
        }
        let parts = lowered.split(whereSeparator: { $0 == "_" || $0 == "-" }).map(String.init).filter { $0.count >= 4 }
        for candidate in candidates {
            let candidateParts = candidate.lowercased().split(separator: "_").map(String.init)
            if parts.contains(where: { part in candidateParts.contains { distance(part, $0) <= 1 } }) {
                return candidate
            }
        }
        return nil
    }

    /// Damerau–Levenshtein distance (optimal string alignment): insertions, deletions,
    /// substitutions and swaps of neighbours cost 1.
    package static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previous2[j - 2] + 1)
                }
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
