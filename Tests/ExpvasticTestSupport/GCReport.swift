/// What `/gc?n=N` of the Go program answers: the garbage collections it just forced, read from
/// `runtime.ReadMemStats` afterwards.
public struct GCReport: Decodable, Sendable, Equatable {
    /// `NumGC` before the forced collections.
    public var numGCBefore: UInt32
    /// `NumGC` after them (at least `numGCBefore + n`).
    public var numGC: UInt32
    /// `PauseNs` of the last `n` collections, oldest first.
    public var pausesNs: [UInt64]
    /// `PauseEnd` (Unix nanoseconds) of the last `n` collections, oldest first.
    public var pauseEnds: [UInt64]
    /// `LastGC` (Unix nanoseconds).
    public var lastGC: UInt64

    enum CodingKeys: String, CodingKey {
        case numGCBefore = "numgc_before"
        case numGC = "numgc"
        case pausesNs = "pauses_ns"
        case pauseEnds = "pause_ends"
        case lastGC = "last_gc"
    }
}
