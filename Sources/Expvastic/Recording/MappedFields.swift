import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// The field paths an index maps, read from `GET /<index>/_mapping`: every property, objects
/// included, as a dotted path (`memstats`, `memstats.Alloc`). Used when a document is refused
/// because the index reached its field limit: the document's fields that are not mapped yet are the
/// ones the index has no room for.
package enum MappedFields {
    /// The paths of every index in the answer (an alias or a data stream may name several); nil when
    /// the body is not a mapping answer.
    package static func parse(_ body: [UInt8]) -> Set<String>? {
        guard let indices = (try? JSONValue.parse(body))?.object else { return nil }
        var paths: Set<String> = []
        for (_, index) in indices {
            guard var mappings = index["mappings"]?.object else { return nil }
            // Elasticsearch 6.8 nests the properties under the type name (`_doc`).
            if mappings["properties"] == nil, mappings.count == 1, let typed = mappings.values.first?.object {
                mappings = typed
            }
            collect(mappings["properties"], prefix: "", into: &paths)
        }
        return paths
    }

    private static func collect(_ properties: JSONValue?, prefix: String, into paths: inout Set<String>) {
        guard let properties = properties?.object else { return }
        for (name, property) in properties {
            let path = prefix.isEmpty ? name : prefix + "." + name
            paths.insert(path)
            collect(property["properties"], prefix: path, into: &paths)
        }
    }
}
