import Testing

@testable import Expvastic

@Suite struct BackoffTests {
    @Test func doublesUpToTheCapWithTheUpperJitterBound() {
        let upper: (ClosedRange<Double>) -> Double = { $0.upperBound }
        let delays = (1...8).map { backoff(attempt: $0, base: .milliseconds(100), cap: .seconds(5), random: upper) }
        #expect(
            delays == [
                .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600),
                .milliseconds(3200), .seconds(5), .seconds(5),
            ])
    }

    @Test func jitterHalvesAtMostAndIsAskedForHalfToOne() {
        let lower: (ClosedRange<Double>) -> Double = { range in
            #expect(range == 0.5...1.0)
            return range.lowerBound
        }
        #expect(backoff(attempt: 3, base: .milliseconds(100), cap: .seconds(5), random: lower) == .milliseconds(200))
        #expect(backoff(attempt: 50, base: .milliseconds(100), cap: .seconds(5), random: lower) == .milliseconds(2500))
    }

    @Test func outOfRangeRandomIsClampedAndAttemptZeroIsTheFirst() {
        #expect(backoff(attempt: 0, base: .seconds(1), cap: .seconds(60), random: { _ in 7 }) == .seconds(1))
        #expect(backoff(attempt: 1, base: .seconds(1), cap: .seconds(60), random: { _ in -3 }) == .milliseconds(500))
        #expect(backoff(attempt: .max, base: .seconds(1), cap: .seconds(60), random: { $0.upperBound }) == .seconds(60))
    }
}
