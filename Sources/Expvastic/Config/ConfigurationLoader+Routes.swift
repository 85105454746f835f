import ExpvasticBase
import ExpvasticCodecs

/// The `routes` section: each route connects readers to recorders by name (case-sensitive).
extension ConfigurationLoader {
    package static let routeKeys = ["readers", "recorders"]

    /// The routes that loaded, and every name any route mentions (also routes with errors), so that
    /// only components no route refers to are reported unused.
    package struct LoadedRoutes {
        package var routes: [RouteConfiguration] = []
        /// Reader names written in some route, defined or not.
        package var mentionedReaders = Set<String>()
        /// Recorder names written in some route, defined or not.
        package var mentionedRecorders = Set<String>()
        /// False when a route (or the whole section) could not be read, so what it names is unknown.
        package var isComplete = true

        /// Readers of `plan` that no route mentions; none when the routes could not all be read.
        package func unusedReaders(_ plan: Plan) -> [String] {
            isComplete ? plan.unusedReaders.filter { !mentionedReaders.contains($0) } : []
        }

        /// Recorders of `plan` that no route mentions; none when the routes could not all be read.
        package func unusedRecorders(_ plan: Plan) -> [String] {
            isComplete ? plan.unusedRecorders.filter { !mentionedRecorders.contains($0) } : []
        }
    }

    package mutating func routes(_ root: YAMLNode, readerNames: [String], recorderNames: [String]) -> LoadedRoutes {
        var loaded = LoadedRoutes()
        guard let node = root["routes"] else {
            report(
                .error, .missingSection, "routes", "missing section",
                hint: "add routes: {route1: {readers: [a_reader], recorders: [a_recorder]}}")
            loaded.isComplete = false
            return loaded
        }
        guard let entries = node.entries, !entries.isEmpty else {
            if node.isNull || node.entries != nil {
                report(
                    .error, .emptySection, "routes", "has no routes", hint: "connect at least one reader to a recorder",
                    line: node.mark.line)
            } else {
                report(
                    .error, .wrongType, "routes",
                    "must be a mapping of route names to readers and recorders, not \(node.kindDescription)",
                    line: node.mark.line)
                loaded.isComplete = false
            }
            return loaded
        }
        var seen = Set<String>()
        for entry in entries {
            if ConfigurationLoader.isEmptyName(entry.key) {
                report(
                    .error, .emptyName, "routes", "the route at line \(entry.keyMark.line) has an empty name",
                    hint: "give it a name such as route1", line: entry.keyMark.line)
                continue
            }
            guard seen.insert(entry.key).inserted else { continue }
            let path = "routes." + entry.key
            let route = entry.value
            guard route.entries != nil else {
                if route.isNull {
                    report(
                        .error, .emptyRoute, path, "route has no readers and no recorders",
                        hint: "set readers: [...] and recorders: [...]", line: entry.keyMark.line)
                } else {
                    report(
                        .error, .wrongType, path,
                        "expected a mapping with readers and recorders, got \(route.kindDescription)",
                        line: route.mark.line)
                    loaded.isComplete = false
                }
                continue
            }
            checkKeys(route, path: path, known: ConfigurationLoader.routeKeys)
            let readers = names(
                route["readers"], path: path + ".readers", noun: "reader", defined: readerNames,
                mentioned: &loaded.mentionedReaders, complete: &loaded.isComplete)
            let recorders = names(
                route["recorders"], path: path + ".recorders", noun: "recorder", defined: recorderNames,
                mentioned: &loaded.mentionedRecorders, complete: &loaded.isComplete)
            if let readers, let recorders {
                loaded.routes.append(RouteConfiguration(name: entry.key, readers: readers, recorders: recorders))
            }
        }
        return loaded
    }

    /// The names a route lists, de-duplicated; every one must be defined. Every name written is
    /// added to `mentioned`; `complete` becomes false when the list itself cannot be read.
    private mutating func names(
        _ node: YAMLNode?, path: String, noun: String, defined: [String], mentioned: inout Set<String>,
        complete: inout Bool
    ) -> [String]? {
        guard let list = stringList(node, path: path) else {
            if node != nil { complete = false }
            if node == nil {
                report(
                    .error, .emptyRoute, path, "route has no \(noun)s",
                    hint: "list at least one \(noun) name, e.g. \(noun)s: [\(defined.first ?? "name")]")
            }
            return nil
        }
        guard !list.isEmpty else {
            report(
                .error, .emptyRoute, path, "route has no \(noun)s",
                hint: "list at least one \(noun) name, e.g. \(noun)s: [\(defined.first ?? "name")]",
                line: node?.mark.line)
            return nil
        }
        mentioned.formUnion(list)
        // Sets, not the arrays: a route over 10,000 readers made this quadratic (4 s of `--check`).
        let known = Set(defined)
        var seen = Set<String>()
        var names: [String] = []
        var failed = false
        for name in list {
            if known.contains(name) {
                if seen.insert(name).inserted { names.append(name) }
                continue
            }
            failed = true
            let hint: String
            if let suggestion = Suggestion.closest(to: name, among: defined) {
                let caseNote = suggestion.lowercased() == name.lowercased() ? "; names are case-sensitive" : ""
                hint = "did you mean \(suggestion)?\(caseNote)"
            } else if defined.isEmpty {
                hint = "no \(noun)s are defined"
            } else {
                hint = "defined \(noun)s: \(defined.joined(separator: ", "))"
            }
            report(.error, .unknownReference, path, "unknown \(noun) \"\(name)\"", hint: hint, line: node?.mark.line)
        }
        return failed ? nil : names
    }
}
