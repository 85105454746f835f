import Dispatch
import ExpvasticBase
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The loop as a task executor and a sleep host: pollers run on the loop thread between its
/// `epoll_wait`s, and their sleeps are one more deadline of that wait.
///
/// A job enqueued from the loop thread (a continuation the loop resumed, a task the loop's job
/// started) costs no `eventfd` write: the loop looks at its inbox before it waits again. Work on
/// the loop must not block (file I/O goes to a ``BlockingExecutor``); parsing a body there delays
/// other requests' I/O by as long as it takes.
///
/// After the loop thread has ended (``SocketHTTPTransport/shutdown()``), jobs run on Dispatch's
/// global queue and sleeps fall back to the caller's clock, so a task outliving its transport
/// still runs.
extension EventLoop: TaskExecutor, SleepHost {
    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let (accepted, wake) = inbox.withLock { inbox -> (Bool, Bool) in
            if inbox.finished { return (false, false) }
            inbox.jobs.append(job)
            return (true, needsWake(&inbox))
        }
        if wake { self.wake() }
        if !accepted { runElsewhere(job) }
    }

    package func sleep(untilMonotonic deadline: UInt64, slack: UInt64) async throws -> Bool {
        let id = ids.wrappingAdd(1, ordering: .relaxed).oldValue
        let hosted = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Bool, any Error>) in
                switch add(id: id, deadline: deadline, slack: slack, waiter: .task(continuation)) {
                case nil: continuation.resume(returning: false)
                case false?: continuation.resume(throwing: CancellationError())
                case true?: break
                }
            }
        } onCancel: {
            let waiter = sleepers.withLock { $0.cancel(id: id) }
            waiter?.resume(throwing: CancellationError())
        }
        sleepers.withLock { $0.forget(id: id) }
        return hosted
    }

    package func schedule(
        atMonotonic deadline: UInt64, slack: UInt64, _ action: @escaping @Sendable () -> Void
    ) -> UInt64? {
        let id = ids.wrappingAdd(1, ordering: .relaxed).oldValue
        // A new id was not cancelled: false means closed too.
        return add(id: id, deadline: deadline, slack: slack, waiter: .call(action)) == true ? id : nil
    }

    /// Adds a sleeper: nil when the loop has stopped, false when it was cancelled before it got
    /// here. From another thread it wakes the loop when the loop waits past its end.
    private func add(id: UInt64, deadline: UInt64, slack: UInt64, waiter: SleepWaiter) -> Bool? {
        let onLoop = isLoopThread
        let added = sleepers.withLock { sleepers -> (added: Bool, wake: Bool)? in
            if sleepers.isClosed { return nil }
            let added = sleepers.add(id: id, deadline: deadline, slack: slack, waiter: waiter)
            return (added, added && !onLoop && sleepers.wakeNeeded(deadline: deadline, slack: slack))
        }
        if added?.wake == true { wake() }
        return added?.added
    }

    package func cancelScheduled(_ id: UInt64) {
        _ = sleepers.withLock { $0.remove(id: id) }
    }

    /// Ends every sleep that is due (their tasks' jobs come back to this loop) and makes the calls
    /// that are due. `due` is the loop's buffer, empty before and after: no array per wake-up.
    package func endDueSleeps(_ due: inout [SleepWaiter], now: UInt64) {
        sleepers.withLock { $0.takeDue(now: now, into: &due) }
        for waiter in due { waiter.resume() }
        due.removeAll(keepingCapacity: true)
    }

    /// The loop thread is ending: later jobs run on Dispatch's global queue, queued ones too, and
    /// sleepers still waiting are ended (calls made) at their deadline by a plain timer.
    package func finishExecutor() {
        let jobs = inbox.withLock { inbox -> [UnownedJob] in
            inbox.finished = true
            defer { inbox.jobs = [] }
            return inbox.jobs
        }
        for job in jobs { runElsewhere(job) }
        let left = sleepers.withLock { $0.close() }
        for (deadline, waiter) in left {
            DispatchQueue.global().asyncAfter(deadline: DispatchTime(uptimeNanoseconds: deadline)) {
                waiter.resume()
            }
        }
    }

    private func runElsewhere(_ job: UnownedJob) {
        let executor = asUnownedTaskExecutor()
        DispatchQueue.global().async { job.runSynchronously(on: executor) }
    }
}
