import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

/// Makes readers and recorders from their configuration. The shipper uses it at start-up and on
/// reload; tests pass fakes.
public struct ComponentFactory: Sendable {
    public var makeReader: @Sendable (ReaderConfiguration, Logger) throws -> any Reader
    public var makeRecorder: @Sendable (RecorderConfiguration, Logger) throws -> any Recorder
    /// Makes the fetcher of one discovery source of a job; default: static lists only (the
    /// standard factory knows every source).
    public var makeTargetFetcher: @Sendable (TargetSourceConfiguration, Logger) -> any TargetFetcher
    /// Where engines run and sleep: the HTTP client's loop thread in the standard factory (a poll
    /// then wakes one thread twice: the tick and the response); nil runs them on the global pool
    /// with the shipper's clock.
    public var pollExecutor: (any TaskExecutor & SleepHost)?

    public init(
        makeReader: @escaping @Sendable (ReaderConfiguration, Logger) throws -> any Reader,
        makeRecorder: @escaping @Sendable (RecorderConfiguration, Logger) throws -> any Recorder,
        makeTargetFetcher: @escaping @Sendable (TargetSourceConfiguration, Logger) -> any TargetFetcher = {
            source, _ in
            guard case .static(let addresses) = source else { return StaticTargetFetcher(addresses: []) }
            return StaticTargetFetcher(addresses: addresses)
        },
        pollExecutor: (any TaskExecutor & SleepHost)? = nil
    ) {
        self.pollExecutor = pollExecutor
        self.makeReader = makeReader
        self.makeRecorder = makeRecorder
        self.makeTargetFetcher = makeTargetFetcher
    }
}
