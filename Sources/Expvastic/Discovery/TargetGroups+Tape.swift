import ExpvasticBase
import ExpvasticCodecs

extension TargetGroups {
    /// The targets of a JSON target-group list read straight from the scanner's tape, or nil when
    /// the body is anything but the plain valid shape (not JSON, a member of the wrong type, a
    /// repeated `targets` or `labels` key, a label that is not a string): ``parse(json:origin:)``
    /// then reads it through ``JSONValue``, which gives every error its message. Why: building a
    /// ``JSONValue`` tree (two dictionaries per group) for a 10,000-group file cost about 15 ms of
    /// CPU per read.
    static func parsePlain(json body: [UInt8]) -> [DiscoveredTarget]? {
        // As in `parse(json:origin:)`: the scanner takes objects at the root.
        let wrapped = Array("{\"groups\":".utf8) + body + Array("}".utf8)
        let targetsKey = Array("targets".utf8)
        let labelsKey = Array("labels".utf8)
        var scanner = JSONScanner()
        var tape = JSONTape()
        return wrapped.withUnsafeBytes { source -> [DiscoveredTarget]? in
            do throws(JSONError) {
                try scanner.parse(source, into: &tape)
            } catch {
                return nil
            }
            return tape.arena.withUnsafeBytes { arena -> [DiscoveredTarget]? in
                let nodes = tape.nodes
                func bytes(_ node: JSONTape.Node) -> UnsafeRawBufferPointer {
                    let base = node.decoded ? arena : source
                    return UnsafeRawBufferPointer(rebasing: base[Int(node.start)..<Int(node.start + node.count)])
                }
                func text(_ node: JSONTape.Node) -> String { String(decoding: bytes(node), as: UTF8.self) }
                /// The index after the value at `index` and its descendants.
                func after(_ index: Int) -> Int {
                    let kind = nodes[index].kind
                    return kind == .object || kind == .array ? nodes[index].end : index + 1
                }
                // The root object holds `groups` alone (else the body had more than one value).
                guard nodes.count >= 3, nodes[0].kind == .object, nodes[0].count == 1, nodes[2].kind == .array else {
                    return nil
                }
                var targets: [DiscoveredTarget] = []
                var index = 3
                while index < nodes[2].end {
                    guard nodes[index].kind == .object else { return nil }
                    let groupEnd = nodes[index].end
                    var list = -1
                    var labelsAt = -1
                    var member = index + 1
                    while member < groupEnd {
                        let key = bytes(nodes[member])
                        if key.elementsEqual(targetsKey) {
                            guard list < 0 else { return nil }
                            list = member + 1
                        } else if key.elementsEqual(labelsKey) {
                            guard labelsAt < 0 else { return nil }
                            labelsAt = member + 1
                        }
                        member = after(member + 1)
                    }
                    guard list >= 0, nodes[list].kind == .array else { return nil }
                    var labels: [String: String] = [:]
                    if labelsAt >= 0 && nodes[labelsAt].kind != .null {
                        guard nodes[labelsAt].kind == .object else { return nil }
                        var pair = labelsAt + 1
                        while pair < nodes[labelsAt].end {
                            guard nodes[pair + 1].kind == .string else { return nil }
                            labels[text(nodes[pair])] = text(nodes[pair + 1])
                            pair += 2
                        }
                    }
                    for item in (list + 1)..<nodes[list].end {
                        guard nodes[item].kind == .string else { return nil }
                        targets.append(DiscoveredTarget(address: text(nodes[item]), labels: labels))
                    }
                    index = groupEnd
                }
                return targets
            }
        }
    }
}
