import ExpvasticTestSupport
import Testing

@testable import Expvastic

@Suite struct StatusQueryTests {
    static func targets(_ count: Int) -> [StatusSnapshot.Target] {
        (0..<count).map { index in
            let state: StatusSnapshot.Target.State = index % 10 == 0 ? .failing : index % 25 == 0 ? .backingOff : .up
            return StatusSnapshot.Target(
                job: "job-\(String(index + 100_000).dropFirst())",
                endpoint: "http://10.0.\(index / 256).\(index % 256):9000",
                labels: [(name: "zone", value: index % 2 == 0 ? "east" : "west")], state: state,
                lastPollWallNanos: Int64(index), lastPollNanos: UInt64((index * 7919) % 1000),
                lastError: state == .up ? nil : "error \(index)")
        }
    }

    @Test func parsesEveryParameterAndRejectsBadValuesWithAHint() throws {
        let request = MonitoringRoutesTests.request(
            "/?q=east+zone&state=backing_off&sort=last_poll&order=desc&page=3&per_page=50")
        #expect(
            try StatusQuery.parse(request).get()
                == StatusQuery(
                    text: "east zone", state: .backingOff, sort: .lastPoll, descending: true, page: 3, perPage: 50))
        #expect(try StatusQuery.parse(MonitoringRoutesTests.request("/")).get() == StatusQuery())
        let bad = [
            ("/?state=down", "state=down is not a target state; send one of unknown, up, failing, backing_off"),
            (
                "/?sort=color",
                "sort=color is not a column; send one of job, endpoint, state, last_poll, duration, error"
            ),
            ("/?order=up", "order=up must be asc or desc"),
            ("/?page=0", "page=0 must be a whole number from 1"),
            ("/?per_page=5000", "per_page=5000 must be a whole number from 1 to 1000"),
        ]
        for (target, message) in bad {
            guard case .failure(let error) = StatusQuery.parse(MonitoringRoutesTests.request(target)) else {
                Issue.record("\(target) was accepted")
                continue
            }
            #expect(error.message == message)
        }
    }

    @Test func filtersByTextAndStateThenPages() {
        let all = Self.targets(10_000)
        let failing = StatusQuery(state: .failing, perPage: 100).apply(to: all)
        #expect(failing.total == 10_000)
        #expect(failing.matching == 1000)
        #expect(failing.pageCount == 10)
        #expect(failing.rows.count == 100)
        #expect(failing.rows.allSatisfy { $0.state == .failing })
        let text = StatusQuery(text: "ERROR 99").apply(to: all)
        let expected = all.filter { $0.lastError?.contains("error 99") == true }.map(\.job)
        #expect(expected.count > 10)
        #expect(text.rows.map(\.job) == expected)
        let label = StatusQuery(text: "zone=west", state: .up).apply(to: all)
        #expect(label.matching == all.filter { $0.state == .up && $0.labels[0].value == "west" }.count)
        // Past the last page: the last page.
        let last = StatusQuery(page: 999, perPage: 300).apply(to: all)
        #expect(last.page == 34)
        #expect(last.rows.count == 10_000 - 33 * 300)
        #expect(last.rows.last?.job == "job-09999")
        let none = StatusQuery(text: "nothing like this").apply(to: all)
        #expect(none.rows.isEmpty && none.matching == 0 && none.pageCount == 1)
    }

    @Test(arguments: StatusQuery.Column.allCases)
    func sortsByEveryColumnBothWays(column: StatusQuery.Column) {
        let all = Self.targets(500).shuffled()
        let ascending = StatusQuery(sort: column, perPage: 1000).apply(to: all).rows
        let descending = StatusQuery(sort: column, descending: true, perPage: 1000).apply(to: all).rows
        #expect(ascending.count == 500)
        for (a, b) in zip(ascending, ascending.dropFirst()) { #expect(StatusQuery.compare(a, b, by: column) <= 0) }
        for (a, b) in zip(descending, descending.dropFirst()) { #expect(StatusQuery.compare(a, b, by: column) >= 0) }
    }

    @Test func queryStringKeepsTheFilterAndLeavesDefaultsOut() throws {
        let query = StatusQuery(text: "a b&c=<d>", state: .failing, sort: .duration, descending: true, page: 2)
        #expect(query.queryString() == "q=a%20b%26c%3D%3Cd%3E&state=failing&sort=duration&order=desc&page=2")
        #expect(query.queryString(sort: .job, descending: false, page: 1) == "q=a%20b%26c%3D%3Cd%3E&state=failing")
        #expect(StatusQuery().queryString() == "")
        // It reads back as the same query.
        let request = MonitoringRoutesTests.request("/?" + query.queryString())
        #expect(try StatusQuery.parse(request).get() == query)
    }
}
