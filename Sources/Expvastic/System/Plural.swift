/// `1 field`, `2 fields`: a count and its noun for messages people read.
package enum Plural {
    /// `number` followed by `noun`, with an `s` unless `number` is 1 (nouns here take a plain `s`).
    package static func count(_ number: Int, _ noun: String) -> String {
        "\(number) \(noun)\(number == 1 ? "" : "s")"
    }
}
