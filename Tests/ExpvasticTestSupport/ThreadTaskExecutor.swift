import Dispatch
import Foundation
import Synchronization

/// A task executor over a fixed set of dedicated threads sharing one queue, for
/// ``Blocking/onBackgroundThreads(_:)``.
///
/// Fixed on purpose: forty parameterized cases that compute, each on a thread of its own, would
/// leave the cooperative pool's two threads a fortieth of the CPU each — the stall moved, not
/// removed. Two background threads take at most the CPU of two runnable threads, whatever the
/// number of tests queued behind them. (No lower priority: threads libdispatch creates from a
/// thread inherit its nice value, and could become slow pool workers.)
final class ThreadTaskExecutor: TaskExecutor, Sendable {
    /// The shared background executor: two threads, as many as the machines the tests run on have
    /// cores.
    static let background = ThreadTaskExecutor(threads: 2, name: "test.background")

    private let jobs = Mutex<[UnownedJob]>([])
    private let available = DispatchSemaphore(value: 0)

    init(threads: Int, name: String) {
        for index in 0..<threads {
            let thread = Thread { [self] in loop() }
            thread.name = "\(name).\(index)"
            thread.start()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.append(job) }
        available.signal()
    }

    private func loop() {
        while true {
            available.wait()
            guard let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
