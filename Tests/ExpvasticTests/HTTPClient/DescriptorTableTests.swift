import Glibc
import Testing

@testable import Expvastic

/// The descriptor table is grown once, before the HTTP loop needs it (each growth of a
/// multi-threaded process's table waits for an RCU grace period).
@Suite struct DescriptorTableTests {
    @Test func reserveGrowsTheTableToTheAskedSizeAndKeepsNoDescriptor() throws {
        let before = try #require(DescriptorTable.size())
        var limit = rlimit()
        #expect(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)
        // Twice the table's size now (other suites' loops may have grown it), within the soft limit.
        let asked = min(before * 2, Int(clamping: limit.rlim_cur))
        let probe = open("/dev/null", O_RDONLY | O_CLOEXEC)
        #expect(probe >= 0)
        defer { close(probe) }
        #expect(DescriptorTable.reserve(asked, duplicating: probe))
        #expect(try #require(DescriptorTable.size()) >= asked)
        // The duplicate is closed again: the next descriptor is a low one.
        let next = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(next) }
        #expect(next >= 0 && next < asked - 1)
    }

    @Test func aDescriptorThatIsNotOpenIsRefused() {
        #expect(!DescriptorTable.reserve(64, duplicating: -1))
    }
}
