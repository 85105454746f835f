/// Makes readers and recorders from their configuration. The shipper uses it at start-up and on
/// reload; tests pass fakes.
public struct ComponentFactory: Sendable {
    public var makeReader: @Sendable (ReaderConfiguration, Logger) throws -> any Reader
    public var makeRecorder: @Sendable (RecorderConfiguration, Logger) throws -> any Recorder

    public init(
        makeReader: @escaping @Sendable (ReaderConfiguration, Logger) throws -> any Reader,
        makeRecorder: @escaping @Sendable (RecorderConfiguration, Logger) throws -> any Recorder
    ) {
        self.makeReader = makeReader
        self.makeRecorder = makeRecorder
    }
}
