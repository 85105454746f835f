import Expvastic
import Testing

@Suite struct YAMLParserTests {
    @Test func blockMappingKeepsKeyOrderAndPositions() throws {
        let document = try YAMLParser.parse(
            """
            zeta: 1
            alpha:
              beta: two   # a comment
            """)
        let root = try #require(document.root)
        #expect(root.entries?.map(\.key) == ["zeta", "alpha"])
        #expect(root.entries?[1].keyMark == YAMLNode.Mark(line: 2, column: 1))
        let beta = try #require(root["alpha"]?["beta"])
        #expect(beta.scalar?.value == "two")
        #expect(beta.mark == YAMLNode.Mark(line: 3, column: 9))
    }

    @Test func flowCollections() throws {
        let root = try #require(try YAMLParser.parse("a: [x, y, {k: v}]\nb: {c: 1, d: [2, 3]}").root)
        let items = try #require(root["a"]?.items)
        #expect(items.count == 3)
        #expect(items[0].scalar?.value == "x")
        #expect(items[2]["k"]?.scalar?.value == "v")
        #expect(root["b"]?["c"]?.scalar?.integer == 1)
        #expect(root["b"]?["d"]?.items?.compactMap { $0.scalar?.integer } == [2, 3])
    }

    @Test func scalarStylesAndTagsDecideTypes() throws {
        let root = try #require(
            try YAMLParser.parse(
                """
                plain: 10
                quoted: "10"
                single: '10'
                tagged: !!str 10
                forced: !!int "12"
                yes_bool: true
                quoted_bool: "true"
                nothing:
                tilde: ~
                empty_string: ""
                """
            ).root)
        #expect(root["plain"]?.scalar?.integer == 10)
        #expect(root["quoted"]?.scalar?.integer == nil)
        #expect(root["quoted"]?.scalar?.style == .doubleQuoted)
        #expect(root["single"]?.scalar?.style == .singleQuoted)
        #expect(root["tagged"]?.scalar?.integer == nil)
        #expect(root["tagged"]?.scalar?.tag == "tag:yaml.org,2002:str")
        #expect(root["forced"]?.scalar?.integer == 12)
        #expect(root["yes_bool"]?.scalar?.bool == true)
        #expect(root["quoted_bool"]?.scalar?.bool == nil)
        #expect(root["nothing"]?.isNull == true)
        #expect(root["tilde"]?.isNull == true)
        #expect(root["empty_string"]?.isNull == false)
        #expect(root["empty_string"]?.scalar?.value == "")
    }

    @Test func multiLineScalars() throws {
        let root = try #require(
            try YAMLParser.parse(
                """
                literal: |
                  line one
                  line two
                folded: >
                  folded
                  text
                plain: a long
                  plain scalar
                quoted: "first \\
                  second"
                """
            ).root)
        #expect(root["literal"]?.scalar?.value == "line one\nline two\n")
        #expect(root["literal"]?.scalar?.style == .literal)
        #expect(root["folded"]?.scalar?.value == "folded text\n")
        #expect(root["folded"]?.scalar?.style == .folded)
        #expect(root["plain"]?.scalar?.value == "a long plain scalar")
        #expect(root["quoted"]?.scalar?.value == "first second")
    }

    @Test func anchorsAliasesAndMergeKeys() throws {
        let root = try #require(
            try YAMLParser.parse(
                """
                defaults: &defaults
                  interval: 1s
                  timeout: 500ms
                names: &names [a, b]
                reader:
                  <<: *defaults
                  timeout: 2s
                copy: *names
                """
            ).root)
        let reader = try #require(root["reader"])
        #expect(reader.entries?.map(\.key) == ["timeout", "interval"])
        #expect(reader["timeout"]?.scalar?.value == "2s")
        #expect(reader["interval"]?.scalar?.value == "1s")
        #expect(root["copy"]?.items?.compactMap { $0.scalar?.value } == ["a", "b"])
    }

    @Test func unknownAliasIsAnError() {
        #expect(throws: YAMLError.self) { try YAMLParser.parse("a: *missing") }
        do {
            _ = try YAMLParser.parse("a: 1\nb: *missing\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .unknownAnchor || error.code == .syntax)
            #expect(error.mark?.line == 2)
        }
    }

    @Test func duplicateKeysAreReportedWithLinesAndPath() throws {
        let document = try YAMLParser.parse(
            """
            readers:
              app:
                interval: 1s
                timeout: 2s
                interval: 3s
            """)
        #expect(document.duplicateKeys.count == 1)
        let duplicate = try #require(document.duplicateKeys.first)
        #expect(duplicate.path == "readers.app.interval")
        #expect(duplicate.mark.line == 5)
        #expect(duplicate.firstMark.line == 3)
        #expect(duplicate.error.code == .duplicateKey)
        #expect(duplicate.error.description.hasPrefix("line 5, column 5: duplicate key \"interval\""))
        // The tree keeps both, first one first.
        #expect(document.root?["readers"]?["app"]?["interval"]?.scalar?.value == "1s")
    }

    @Test(arguments: [
        ("a: b: c\n", 1, 5),
        ("a:\n  - x\n  y: z\n", 3, 3),
        ("a: \"unterminated\nb: c\n", 3, 1),
        ("a: [1, 2\n", 2, 1),
    ])
    func syntaxErrorsCarryOneBasedLineAndColumn(text: String, line: Int, column: Int) {
        do {
            _ = try YAMLParser.parse(text)
            Issue.record("expected a syntax error for \(text.debugDescription)")
        } catch {
            #expect(error.code == .syntax)
            #expect(error.mark == YAMLNode.Mark(line: line, column: column), "\(error)")
            #expect(error.description.hasPrefix("line \(line), column \(column): "))
        }
    }

    @Test func emptyAndCommentOnlyDocumentsHaveNoRoot() throws {
        #expect(try YAMLParser.parse("").root == nil)
        #expect(try YAMLParser.parse("# only a comment\n").root == nil)
    }

    @Test func secondDocumentIsRejected() {
        do {
            _ = try YAMLParser.parse("a: 1\n---\nb: 2\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .multipleDocuments)
            #expect(error.mark?.line == 2)
        }
    }

    @Test func complexKeysAreRejected() {
        #expect(throws: YAMLError.self) { try YAMLParser.parse("? [a, b]\n: c\n") }
    }

    @Test func billionLaughsIsBounded() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            let previous = "*a\(level - 1)"
            let items = Array(repeating: previous, count: 10).joined(separator: ", ")
            text += "a\(level): &a\(level) [\(items)]\n"
        }
        do {
            _ = try YAMLParser.parse(text)
            Issue.record("expected the expansion limit to trigger")
        } catch {
            #expect(error.code == .tooLarge)
        }
    }

    @Test func deepNestingIsBounded() throws {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: YAMLError.self) { try YAMLParser.parse(deep) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(try YAMLParser.parse(fine).root?.items?.count == 1)
    }

    @Test func invalidUTF8IsASyntaxError() {
        #expect(throws: YAMLError.self) { try YAMLParser.parse(bytes: Array("a: ".utf8) + [0xFF, 0xFE, 0x0A]) }
    }
}
