import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

/// Seeded, bounded property tests: random valid expositions round-trip, random mutations never
/// crash, hang or break the limits.
@Suite struct PrometheusParserPropertyTests {
    /// Renders random valid expositions and remembers what they say.
    struct Generator {
        var random: SplitMix64

        mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }

        mutating func name(_ first: String = "abcdefghijklmnopqrstuvwxyzABCXYZ_:") -> String {
            let rest = Array("abcdefghijklmnopqrstuvwxyz0123456789_")
            let firsts = Array(first)
            return String(firsts[int(0...firsts.count - 1)])
                + String((0..<int(0...8)).map { _ in rest[int(0...rest.count - 1)] })
        }

        mutating func labelValue() -> String {
            let pieces = ["a", "b", "0.5", "+Inf", "\\", "\"", "\n", "é", "日本", "💥", " ", "{", "}", ",", "=", "#"]
            return (0..<int(0...6)).map { _ in pieces[int(0...pieces.count - 1)] }.joined()
        }

        mutating func value() -> Double {
            switch int(0...9) {
            case 0: return .nan
            case 1: return int(0...1) == 0 ? .infinity : -.infinity
            case 2: return Double(int(-1000...1000))
            case 3: return Double(bitPattern: random.next() & 0x7FEF_FFFF_FFFF_FFFF) * (int(0...1) == 0 ? 1 : -1)
            default: return Double.random(in: -1e9...1e9, using: &random)
            }
        }

        static func render(_ value: Double) -> String {
            if value.isNaN { return "NaN" }
            if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
            return "\(value)"
        }

        static func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n")
        }

        /// One exposition and its samples.
        mutating func exposition(_ format: PrometheusFormat) -> (body: String, samples: [ParsedSample]) {
            var body = ""
            var samples: [ParsedSample] = []
            let space = format == .text ? [" ", "  ", "\t"] : [" "]
            for family in 0..<int(1...12) {
                let base = name() + "_\(family)"
                let types = ["counter", "gauge", "histogram", "summary", "untyped"]
                let type = types[int(0...types.count - 1)]
                if int(0...1) == 0 { body += "# HELP \(base) some help \\ text\n" }
                body += "# TYPE \(base) \(format == .openMetrics && type == "untyped" ? "unknown" : type)\n"
                for _ in 0..<int(0...6) {
                    let suffix: String
                    switch type {
                    case "counter": suffix = format == .openMetrics ? "_total" : ["", "_total"][int(0...1)]
                    case "histogram": suffix = ["_bucket", "_sum", "_count"][int(0...2)]
                    case "summary": suffix = ["", "_sum", "_count"][int(0...2)]
                    default: suffix = ""
                    }
                    var labels: [(String, String)] = []
                    var used = Set<String>()
                    for _ in 0..<int(0...4) {
                        let label = name("abcxyz_")
                        if used.insert(label).inserted { labels.append((label, labelValue())) }
                    }
                    let value = value()
                    var line = base + suffix
                    if !labels.isEmpty || int(0...3) == 0 {
                        line += "{" + labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",")
                        if !labels.isEmpty, int(0...3) == 0 { line += "," }
                        line += "}"
                    }
                    line += space[int(0...space.count - 1)] + Self.render(value)
                    var timestamp: Int64?
                    if int(0...3) == 0 {
                        let millis = Int64(int(0...2_000_000_000)) * 1000 + Int64(int(0...999))
                        timestamp = millis
                        line += " " + (format == .text ? String(millis) : String(format: "%.3f", Double(millis) / 1000))
                    }
                    if format == .openMetrics, int(0...5) == 0 { line += " # {trace_id=\"abc\"} 0.5" }
                    body += line + "\n"
                    samples.append(
                        ParsedSample(
                            name: base + suffix, labels: labels.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" },
                            value: value, timestamp: timestamp))
                }
                if format == .text, int(0...4) == 0 { body += "\n# just a comment\n" }
            }
            if format == .openMetrics { body += "# EOF\n" }
            return (body, samples)
        }
    }

    @Test(arguments: [PrometheusFormat.text, .openMetrics])
    func randomValidExpositionsRoundTrip(format: PrometheusFormat) {
        var generator = Generator(random: SplitMix64(seed: format == .text ? 0xC0FFEE : 0xBEEF))
        for round in 0..<300 {
            let (body, expected) = generator.exposition(format)
            let scrape = PrometheusParser.parse(Array(body.utf8), format: format)
            let samples = ParsedSample.all(scrape)
            guard scrape.linesRejected == 0, samples == expected else {
                let rejection = String(describing: scrape.firstRejection)
                let message = "round \(round): rejected \(scrape.linesRejected) \(rejection)\nbody:\n\(body)"
                Issue.record("\(message)\ngot:\n\(samples)\nexpected:\n\(expected)")
                return
            }
        }
    }

    @Test func randomMutationsNeverCrashHangOrBreakTheLimits() throws {
        var generator = Generator(random: SplitMix64(seed: 0xDEAD_BEEF))
        let limits = PrometheusParser.Limits(maxSeries: 20, maxLabels: 3, maxLabelValueBytes: 8)
        let deadline = ContinuousClock.now + .seconds(60)
        var totalSamples = 0
        for round in 0..<1000 {
            let format: PrometheusFormat = round % 2 == 0 ? .text : .openMetrics
            var bytes = Array(generator.exposition(format).body.utf8)
            for _ in 0..<generator.int(1...8) {
                guard !bytes.isEmpty else { break }
                let at = generator.int(0...bytes.count - 1)
                switch generator.int(0...5) {
                case 0: bytes[at] = UInt8(truncatingIfNeeded: generator.random.next())
                case 1: bytes.removeSubrange(at..<min(bytes.count, at + generator.int(1...40)))
                case 2: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + generator.int(1...40))], at: at)
                case 3: bytes.removeLast(bytes.count - at)
                case 4:
                    bytes.insert(
                        contentsOf: [0x22, 0x5C, 0x7B, 0x7D, 0x0A, 0xFF, 0xC3, 0x20, 0x23][generator.int(0...8)...],
                        at: at)
                default: bytes[at] = [0x22, 0x5C, 0x7B, 0x7D, 0x0A, 0x2C, 0x3D, 0x20, 0x23, 0x65][generator.int(0...9)]
                }
            }
            let scrape = PrometheusParser.parse(bytes, format: format, limits: limits)
            let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).count
            #expect(scrape.samples.count <= limits.maxSeries)
            #expect(scrape.linesAccepted + scrape.linesRejected <= lines)
            #expect(scrape.text.count <= bytes.count)
            for sample in scrape.samples {
                #expect(sample.labelCount <= Int32(limits.maxLabels))
                for label in scrape.labels(of: sample) {
                    #expect(label.value.utf8.count <= limits.maxLabelValueBytes)
                }
                let start = Int(sample.labelStart)
                for k in start..<(start + Int(sample.labelCount)) {
                    let value = Array(scrape.text[Int(scrape.labels[k].value.start)..<Int(scrape.labels[k].value.end)])
                    #expect(String(validating: value, as: UTF8.self) != nil)
                }
            }
            totalSamples += scrape.samples.count
            if ContinuousClock.now > deadline {
                Issue.record("1000 mutated bodies took more than 60 s (stopped at round \(round))")
                break
            }
        }
        #expect(totalSamples > 300, "mutations left too few samples to exercise the parser")
    }
}
