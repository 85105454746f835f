import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

extension Array {
    /// Reallocates the storage to hold just the elements when it has spare capacity (arrays grow
    /// by doubling; state that a reader keeps for its lifetime gives the rest back once it is built).
    package mutating func shrinkToFit() {
        guard capacity > count else { return }
        self = withUnsafeBufferPointer { Array($0) }
    }
}
