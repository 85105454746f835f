import Synchronization

/// Many child tasks of one task group, spread over nested groups ("shards") of at most `capacity`
/// live children each, so that a child ending costs the same with 10 children as with 10,000.
///
/// Why: Swift's runtime keeps a task group's children in a singly linked list and unlinks a child
/// that ends by walking that list from its first child. With 10,000 engines as children of the
/// shipper's group, replacing 1,000 of them spent about half of its CPU in
/// `swift::TaskGroup::removeChildTask` (perf, `discovery-load-10000`: 10 % replaced cost 470 ms
/// of CPU, 220 ms of it in that walk). Here every walk is at most `capacity` long; each step of it
/// is a cache miss, so the default is small (with 64, the walk was still 12 % of replacing all
/// 10,000 targets; a shard costs one task).
///
/// The owner of the task group (the only one that may add children to it) calls ``addTask(in:executorPreference:operation:)``;
/// a new shard becomes a child of that group when every shard is full. A shard runs until
/// ``finish()`` was called and its children ended, or until its group is cancelled (which
/// cancels its children too).
package struct TaskShards {
    /// One nested group: its children are added by its own task, from a stream.
    package final class Shard: Sendable {
        package struct Job: Sendable {
            package var executor: (any TaskExecutor)?
            /// The adding task's priority: the child runs as it would as the owner's direct child.
            package var priority: TaskPriority
            package var operation: @Sendable () async -> Void
        }

        private let jobs: AsyncStream<Job>
        private let sink: AsyncStream<Job>.Continuation
        private let liveCount = Atomic<Int>(0)

        package init() {
            (jobs, sink) = AsyncStream<Job>.makeStream()
        }

        /// Children added and not ended.
        package var live: Int { liveCount.load(ordering: .relaxed) }

        package func add(_ job: Job) {
            liveCount.add(1, ordering: .relaxed)
            sink.yield(job)
        }

        /// No more children; ``run()`` returns once the ones added have ended.
        package func finish() { sink.finish() }

        /// Adds every job as a child of its own group until ``finish()`` (or cancellation).
        package func run() async {
            await withDiscardingTaskGroup { group in
                for await job in jobs {
                    group.addTask(executorPreference: job.executor, priority: job.priority) {
                        await job.operation()
                        self.liveCount.subtract(1, ordering: .relaxed)
                    }
                }
            }
        }
    }

    /// The most live children a shard is given (a new shard is made when every one holds this many).
    package let capacity: Int
    private var shards: [Shard] = []
    /// The shard new children go to while it has room.
    private var current = 0

    package init(capacity: Int = 16) {
        precondition(capacity > 0, "a shard must hold at least one child")
        self.capacity = capacity
    }

    /// How many shards exist (each is one child of the owner's group).
    package var shardCount: Int { shards.count }

    /// Each shard's live children, in the order the shards were made.
    package var liveCounts: [Int] { shards.map(\.live) }

    /// Runs `operation` as a child of a shard with room, making a new shard (a child of `group`)
    /// when none has room.
    package mutating func addTask(
        in group: inout DiscardingTaskGroup, executorPreference executor: (any TaskExecutor)? = nil,
        operation: @escaping @Sendable () async -> Void
    ) {
        shard(in: &group).add(Shard.Job(executor: executor, priority: Task.currentPriority, operation: operation))
    }

    /// Lets every shard end once its children have ended.
    package func finish() {
        for shard in shards { shard.finish() }
    }

    private mutating func shard(in group: inout DiscardingTaskGroup) -> Shard {
        if current < shards.count, shards[current].live < capacity { return shards[current] }
        // Full: a shard at most half full again (children ended), else a new one; so a scan happens
        // at most once per `capacity / 2` children added.
        if let index = shards.firstIndex(where: { $0.live <= capacity / 2 }) {
            current = index
            return shards[index]
        }
        let shard = Shard()
        shards.append(shard)
        current = shards.count - 1
        // High priority: a shard only adds children, and a child should not wait behind the
        // cooperative pool's queue twice (once for its shard, once for itself) to start.
        group.addTask(priority: .high) { await shard.run() }
        return shard
    }
}
