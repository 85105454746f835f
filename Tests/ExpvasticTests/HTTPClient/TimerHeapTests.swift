import Testing

@testable import Expvastic
@testable import ExpvasticCodecs

@Suite struct TimerHeapTests {
    @Test func popsInDeadlineOrderOnlyWhenDue() {
        var heap = TimerHeap()
        let deadlines: [UInt64] = [50, 10, 40, 10, 30, 20, 60, 5]
        for (id, deadline) in deadlines.enumerated() { heap.push(deadline: deadline, id: UInt64(id)) }
        #expect(heap.earliest == 5)
        #expect(heap.popDue(now: 4) == nil)
        var popped: [UInt64] = []
        while let entry = heap.popDue(now: 45) { popped.append(entry.deadline) }
        #expect(popped == [5, 10, 10, 20, 30, 40])
        #expect(heap.count == 2)
        #expect(heap.earliest == 50)
    }

    @Test func randomisedAgainstSorting() {
        var generator = SystemRandomNumberGenerator()
        var heap = TimerHeap()
        var expected: [UInt64] = []
        for id in 0..<500 {
            let deadline = UInt64.random(in: 0...1000, using: &generator)
            heap.push(deadline: deadline, id: UInt64(id))
            expected.append(deadline)
        }
        var popped: [UInt64] = []
        while let entry = heap.popDue(now: .max) { popped.append(entry.deadline) }
        #expect(popped == expected.sorted())
        #expect(heap.isEmpty)
    }
}

extension TimerHeapTests {
    @Test func popFirstIgnoresTheDeadline() {
        var heap = TimerHeap()
        heap.push(deadline: 100, id: 1)
        heap.push(deadline: 50, id: 2)
        #expect(heap.first == TimerHeap.Entry(deadline: 50, id: 2))
        #expect(heap.popFirst()?.id == 2)
        #expect(heap.popFirst()?.id == 1)
        #expect(heap.popFirst() == nil)
    }
}
