import Testing

@testable import Expvastic

@Suite struct SuggestionTests {
    @Test(
        arguments: [
            ("debug_evel", ["log_level", "shutdown_timeout", "http"], "log_level"),
            ("intervall", ["interval", "timeout"], "interval"),
            ("tiemout", ["interval", "timeout"], "timeout"),
            ("Interval", ["interval", "timeout"], "interval"),
            ("firstapp", ["FirstApp", "Second"], "FirstApp"),
            ("indexname", ["index_name", "endpoint"], "index_name"),
            ("elastic", ["elasticsearch", "file"], "elasticsearch"),
        ] as [(String, [String], String)])
    func suggestsCloseNames(word: String, candidates: [String], expected: String) {
        #expect(Suggestion.closest(to: word, among: candidates) == expected)
    }

    @Test func staysQuietWhenNothingIsClose() {
        #expect(Suggestion.closest(to: "completely_different", among: ["interval", "timeout"]) == nil)
        #expect(Suggestion.closest(to: "x", among: []) == nil)
    }

    @Test func distanceCountsSwapsAsOne() {
        #expect(Suggestion.distance("timeout", "tiemout") == 1)
        #expect(Suggestion.distance("", "abc") == 3)
        #expect(Suggestion.distance("kitten", "sitting") == 3)
    }
}
