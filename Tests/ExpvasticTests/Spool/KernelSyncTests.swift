import Foundation
import Glibc
import Testing

@testable import Expvastic

/// `fsync` and `fdatasync` through Linux AIO, on real files.
@Suite struct KernelSyncTests {
    @Test func syncsAFileAndReportsEachResult() async throws {
        try await SpoolFixtures.withDirectory { directory in
            let sync = try #require(KernelSync(), "this kernel (Linux 4.18+) takes AIO fsyncs")
            let path = directory + "/file"
            let descriptor = open(path, O_WRONLY | O_CREAT, 0o644)
            #expect(descriptor >= 0)
            #expect(pwrite(descriptor, "hello", 5, 0) == 5)
            let requests = [
                KernelSync.Request(descriptor: descriptor, dataOnly: true),
                KernelSync.Request(descriptor: descriptor, dataOnly: false),
            ]
            let submitted = sync.submit(requests)
            #expect(submitted.submitted == 2 && submitted.errno == 0)
            // The kernel holds the file: closing it now does not cancel the syncs.
            close(descriptor)
            let results = try sync.reap(minimum: 2, maximum: 16, timeoutNanos: nil).get()
            #expect(results == [0, 0])
            #expect(try sync.reap(minimum: 0, maximum: 16).get() == [], "nothing left in flight")
        }
    }

    @Test func aDescriptorTheKernelCannotSyncIsRefusedWithItsErrno() throws {
        let sync = try #require(KernelSync())
        var pipeEnds: [Int32] = [0, 0]
        #expect(pipe(&pipeEnds) == 0)
        defer { for end in pipeEnds { close(end) } }
        // A pipe has no fsync: the submission fails as a whole (nothing went).
        let refused = sync.submit([KernelSync.Request(descriptor: pipeEnds[1], dataOnly: true)])
        #expect(refused.submitted == 0 && refused.errno == EINVAL)
        let notOpen = sync.submit([KernelSync.Request(descriptor: 1_000_000, dataOnly: true)])
        #expect(notOpen.submitted == 0 && notOpen.errno == EBADF)
    }
}
