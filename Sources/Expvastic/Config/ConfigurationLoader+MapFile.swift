import ExpvasticBase
import ExpvasticCodecs

/// A reader's `map_file` (SPEC §2.4): `memory_bytes: {FieldPath: b|kb|mb|gb}` and
/// `gc_types: [FieldPath, …]`, merged over ``FieldMap/defaults``. A missing or invalid file is an
/// error, never a silent fallback.
extension ConfigurationLoader {
    package static let mapFileKeys = ["memory_bytes", "gc_types", "conversions"]

    package mutating func loadMapFile(_ file: String, path: String) -> FieldMap? {
        let resolved = resolvedPath(file)
        guard FileSystem.kind(of: resolved) == .file else {
            report(
                .error, .mapFile, path, "map file \"\(resolved)\" not found",
                hint: "paths are relative to the configuration file's directory")
            return nil
        }
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.contents(of: resolved)
        } catch {
            report(.error, .mapFile, path, "map file \"\(resolved)\" cannot be read: \(error.reason)")
            return nil
        }
        let document: YAMLDocument
        do {
            document = try YAMLParser.parse(bytes: bytes)
        } catch {
            report(.error, .mapFile, path, "map file \"\(resolved)\": YAML syntax error at \(error)")
            return nil
        }
        let errorsBefore = errorCount
        for duplicate in document.duplicateKeys {
            report(
                .error, .mapFile, path,
                "map file \"\(resolved)\": duplicate key \(duplicate.path) (line \(duplicate.mark.line); first at line \(duplicate.firstMark.line))"
            )
        }
        guard let root = document.root, !root.isNull else {
            report(
                .error, .mapFile, path, "map file \"\(resolved)\" is empty",
                hint: "write memory_bytes: {…} and/or gc_types: […], or remove map_file")
            return nil
        }
        guard root.entries != nil else {
            report(
                .error, .mapFile, path, "map file \"\(resolved)\" must be a mapping with memory_bytes and gc_types")
            return nil
        }
        for entry in root.entries ?? [] where !ConfigurationLoader.mapFileKeys.contains(entry.key) {
            let suggestion = Suggestion.closest(to: entry.key, among: ConfigurationLoader.mapFileKeys)
            report(
                .warning, .unknownKey, path,
                "map file \"\(resolved)\" line \(entry.keyMark.line): unknown key \(entry.key)"
                    + (suggestion.map { "; did you mean \($0)?" } ?? ""))
        }
        var map = FieldMap()
        if let memory = root["memory_bytes"], !memory.isNull {
            if let entries = memory.entries {
                for entry in entries {
                    let unit = entry.value.scalar.flatMap { FieldMap.Unit(rawValue: $0.value.lowercased()) }
                    guard let unit else {
                        report(
                            .error, .mapFile, path,
                            "map file \"\(resolved)\" line \(entry.keyMark.line): memory_bytes.\(entry.key) has unit "
                                + "\(entry.value.scalar.map { "\"\($0.value)\"" } ?? entry.value.kindDescription)",
                            hint: "use b, kb, mb or gb")
                        continue
                    }
                    map.memoryBytes[entry.key] = unit
                }
            } else {
                report(
                    .error, .mapFile, path,
                    "map file \"\(resolved)\": memory_bytes must be a mapping of field paths to units, not \(memory.kindDescription)"
                )
            }
        }
        if let gc = root["gc_types"], !gc.isNull {
            let items = gc.items ?? (gc.scalar != nil ? [gc] : nil)
            if let scalar = gc.scalar, let hint = ConfigurationLoader.commaSeparatedList(scalar.value) {
                report(
                    .error, .mapFile, path,
                    "map file \"\(resolved)\": gc_types \"\(scalar.value)\" is one string, not a list",
                    hint: hint)
            } else if let items, items.allSatisfy({ $0.scalar != nil && !$0.isNull }) {
                map.gcTypes = items.compactMap { $0.scalar?.value }
            } else {
                report(
                    .error, .mapFile, path,
                    "map file \"\(resolved)\": gc_types must be a list of field paths, not \(gc.kindDescription)")
            }
        }
        if let conversions = root["conversions"], !conversions.isNull {
            if let entries = conversions.entries {
                for entry in entries {
                    let conversion = entry.value.scalar.flatMap { FieldMap.Conversion(rawValue: $0.value.lowercased()) }
                    guard let conversion else {
                        report(
                            .error, .mapFile, path,
                            "map file \"\(resolved)\" line \(entry.keyMark.line): conversions.\(entry.key) is "
                                + "\(entry.value.scalar.map { "\"\($0.value)\"" } ?? entry.value.kindDescription)",
                            hint: "use duration (Go durations to seconds) or rfc3339 (times to UTC dates)")
                        continue
                    }
                    map.conversions[entry.key] = conversion
                }
            } else {
                report(
                    .error, .mapFile, path,
                    "map file \"\(resolved)\": conversions must be a mapping of field paths to duration or rfc3339, "
                        + "not \(conversions.kindDescription)")
            }
        }
        guard errorCount == errorsBefore else { return nil }
        return map.merged(over: .defaults)
    }
}

extension FieldMap {
    /// This map's entries over `base`: units from this map win; GC paths are the union, base first.
    public func merged(over base: FieldMap) -> FieldMap {
        var result = base
        result.memoryBytes.merge(memoryBytes) { _, mine in mine }
        result.conversions.merge(conversions) { _, mine in mine }
        for path in gcTypes where !result.gcTypes.contains(path) { result.gcTypes.append(path) }
        return result
    }
}
