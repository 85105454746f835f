import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// The Prometheus target-group list shared by `file_sd` files and HTTP SD answers:
/// `[{"targets": ["host:port", …], "labels": {"name": "value", …}}, …]` (JSON, or the same shape in
/// YAML). Every target of a group gets the group's labels. Anything else is invalid content: the
/// whole answer is rejected, so a half-written file never replaces a good set.
package enum TargetGroups {
    /// Parses JSON (`[…]` at the root). `origin` names the file or URL in messages.
    package static func parse(json body: [UInt8], origin: String) throws(DiscoveryError) -> [DiscoveredTarget] {
        if let targets = parsePlain(json: body) { return targets }
        return try parseTree(json: body, origin: origin)
    }

    /// ``parse(json:origin:)`` through a ``JSONValue`` tree: every shape and every error.
    static func parseTree(json body: [UInt8], origin: String) throws(DiscoveryError) -> [DiscoveredTarget] {
        // The JSON reader takes objects at the root; a target-group list is an array, so wrap it.
        let wrapped = Array("{\"groups\":".utf8) + body + Array("}".utf8)
        let value: JSONValue
        do {
            value = try JSONValue.parse(wrapped)
        } catch {
            throw invalid(origin, "is not valid JSON (\(error.message))")
        }
        guard case .object(let root) = value, case .array(let groups)? = root["groups"] else {
            throw invalid(origin, "is not a JSON list of target groups")
        }
        var targets: [DiscoveredTarget] = []
        for (index, group) in groups.enumerated() {
            guard case .object(let members) = group else { throw invalid(origin, "group \(index) is not an object") }
            guard case .array(let list)? = members["targets"] else {
                throw invalid(origin, "group \(index) has no \"targets\" list")
            }
            var labels: [String: String] = [:]
            switch members["labels"] {
            case nil, .null?: break
            case .object(let pairs)?:
                for (name, value) in pairs {
                    guard case .string(let text) = value else {
                        throw invalid(origin, "group \(index) label \(name) is not a string")
                    }
                    labels[name] = text
                }
            default: throw invalid(origin, "group \(index) \"labels\" is not an object")
            }
            for item in list {
                guard case .string(let address) = item else {
                    throw invalid(origin, "group \(index) has a target that is not a string")
                }
                targets.append(DiscoveredTarget(address: address, labels: labels))
            }
        }
        return targets
    }

    /// Parses YAML of the same shape.
    package static func parse(yaml body: [UInt8], origin: String) throws(DiscoveryError) -> [DiscoveredTarget] {
        let document: YAMLDocument
        do {
            document = try YAMLParser.parse(bytes: body)
        } catch {
            throw invalid(origin, "is not valid YAML (\(error))")
        }
        guard let root = document.root else { return [] }
        if root.isNull { return [] }
        guard let groups = root.items else { throw invalid(origin, "is not a YAML list of target groups") }
        var targets: [DiscoveredTarget] = []
        for (index, group) in groups.enumerated() {
            guard group.entries != nil else { throw invalid(origin, "group \(index) is not a mapping") }
            guard let list = group["targets"]?.items else {
                throw invalid(origin, "group \(index) has no \"targets\" list")
            }
            var labels: [String: String] = [:]
            if let labelsNode = group["labels"], !labelsNode.isNull {
                guard let entries = labelsNode.entries else {
                    throw invalid(origin, "group \(index) \"labels\" is not a mapping")
                }
                for entry in entries {
                    guard let scalar = entry.value.scalar else {
                        throw invalid(origin, "group \(index) label \(entry.key) is not a string")
                    }
                    labels[entry.key] = scalar.value
                }
            }
            for item in list {
                guard let scalar = item.scalar, !item.isNull else {
                    throw invalid(origin, "group \(index) has a target that is not a string")
                }
                targets.append(DiscoveredTarget(address: scalar.value, labels: labels))
            }
        }
        return targets
    }

    private static func invalid(_ origin: String, _ problem: String) -> DiscoveryError {
        DiscoveryError(
            code: "invalid_content",
            message: "\(origin) \(problem); the last good targets are kept (expected "
                + "[{\"targets\": [\"host:port\"], \"labels\": {…}}])")
    }
}
