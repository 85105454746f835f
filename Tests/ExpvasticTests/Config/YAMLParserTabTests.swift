import Expvastic
import ExpvasticTestSupport
import Testing

/// A tab in indentation is named as such, with the line of the first one, instead of libyaml's
/// "found character that cannot start any token".
@Suite struct YAMLParserTabTests {
    func tabError(_ text: String) -> YAMLError? {
        do {
            _ = try YAMLParser.parse(text)
            return nil
        } catch {
            return error
        }
    }

    // libyaml says "a tab character that violates indentation" for the first case and "cannot start
    // any token" for the second; both are reported as a tab.
    @Test(arguments: [
        ("readers:\n  a:\n    type: self\n\tinterval: 1s\n", 4, 1),
        ("settings:\n\tlog_level: info\nreaders: {}\n", 2, 1),
        ("readers:\n  a:\n  \ttype: self\n", 3, 3),
        ("x:\n  -\ta\n", 2, 4),
        ("a:\n\t# a comment\n  b: 1\n", 2, 1),
        ("x: |\n  \tcode\ny: 1\n", 2, 3),
        ("a:\n  b: 1\n\tc: 2\n\td: 3\n", 3, 1),
        ("a:\n\t- x\n", 2, 1),
    ])
    func namesTheFirstTabInIndentation(text: String, line: Int, column: Int) throws {
        let error = try #require(tabError(text))
        #expect(error.code == .tabIndentation)
        #expect(error.message == "tabs are not allowed in YAML indentation; use spaces")
        #expect(error.mark == YAMLNode.Mark(line: line, column: column))
    }

    @Test func tabsElsewhereAreFineAndOtherErrorsKeepLibyamlsWords() throws {
        let root = try #require(try YAMLParser.parse("x:\t1\ny: [\n\t2, 3]\nz: \"a\tb\"\n").root)
        #expect(root["x"]?.scalar?.integer == 1)
        #expect(root["z"]?.scalar?.value == "a\tb")
        let other = try #require(tabError("a: \"tab\there\n  b: [unclosed\n"))
        #expect(other.code == .syntax)
    }

    @Test func theConfigurationErrorGivesTheLine() {
        let result = loadConfiguration("readers:\n  app:\n    type: self\n\tinterval: 1s\nrecorders: {}\n")
        #expect(result.configuration == nil)
        #expect(
            result.diagnostics.map(\.formatted) == [
                "error: YAML syntax error at line 4: tabs are not allowed in YAML indentation; use spaces"
            ])
        #expect(result.diagnostics.first?.line == 4)
    }
}
