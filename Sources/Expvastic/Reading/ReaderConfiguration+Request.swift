import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

extension ReaderConfiguration {
    /// The headers every poll sends: the configured `headers` sorted by name, plus `Accept:
    /// defaultAccept` unless the configuration sets its own.
    package func requestHeaders(defaultAccept: String) -> [(name: String, value: String)] {
        var headers = headers.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value.value) }
        if !headers.contains(where: { $0.name.lowercased() == "accept" }) {
            headers.append((name: "Accept", value: defaultAccept))
        }
        return headers
    }
}
