import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

/// Narrows what a ``Shipper`` runs to a share of the desired targets (a pool member's share; see
/// `PoolMember`). The shipper asks ``select(_:)`` with every new desired state and again each time
/// ``changes`` yields; it runs only the targets returned, and always every recorder.
public protocol TargetFilter: Sendable {
    /// The targets of `desired` this process runs now.
    func select(_ desired: [TargetID]) -> Set<TargetID>
    /// Yields when ``select(_:)`` may answer differently for the same targets (the share changed).
    var changes: AsyncStream<Void> { get }
}
