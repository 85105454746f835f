import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A task executor with one dedicated thread, for ``Blocking/onOwnThread(_:)``: jobs run on it in
/// order, one at a time. After ``shutdown()`` the thread ends once its queue is empty; a job that
/// arrives later still runs, on a thread started for it.
///
/// The thread runs at nice 10: the tests it carries compute or wait on the disk, and forty of them
/// start at once; at normal priority they would crowd the CPU away from the cooperative pool and
/// the I/O threads whose latency other tests measure. They still get their share when the CPU is
/// otherwise idle.
final class ThreadTaskExecutor: TaskExecutor, Sendable {
    private struct State {
        var jobs: [UnownedJob] = []
        var shutDown = false
        var threadEnded = false
    }

    private let state = Mutex(State())
    private let available = DispatchSemaphore(value: 0)

    init(name: String) {
        let thread = Thread { [self] in
            Self.lowerPriority()
            loop()
        }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let queued = state.withLock { state -> Bool in
            if state.threadEnded { return false }
            state.jobs.append(job)
            return true
        }
        if queued {
            available.signal()
        } else {
            Thread { [self] in
                Self.lowerPriority()
                job.runSynchronously(on: asUnownedTaskExecutor())
            }.start()
        }
    }

    /// Lets the thread end once its queue is empty. Returns at once.
    func shutdown() {
        state.withLock { $0.shutDown = true }
        available.signal()
    }

    /// Nice 10 for the calling thread (on Linux the nice value is per thread).
    private static func lowerPriority() {
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
    }

    private func loop() {
        while true {
            available.wait()
            let job = state.withLock { state -> UnownedJob? in
                if !state.jobs.isEmpty { return state.jobs.removeFirst() }
                if state.shutDown { state.threadEnded = true }
                return nil
            }
            if let job {
                job.runSynchronously(on: asUnownedTaskExecutor())
            } else if state.withLock({ $0.threadEnded }) {
                return
            }
        }
    }
}
