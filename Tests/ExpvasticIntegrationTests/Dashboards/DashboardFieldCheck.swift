/// Checks the fields a dashboard reads against documents Expvastic really produced and the mapping an
/// index template gives them. Returns one line per problem, so a failing test lists every field.
struct DashboardFieldCheck {
    var uses: [KibanaSavedObjects.FieldUse]
    var documents: [DocumentFields]
    var mapping: IndexTemplateMapping
    /// Fields a user exports from their own program (such as `goroutines`): not required in the
    /// documents, but their mapping is checked for both integer and double values.
    var userExported: Set<String> = []

    /// Whether a mapped type serves what the visualization does with the field.
    static func serves(_ type: String, _ need: KibanaSavedObjects.Need) -> Bool {
        switch need {
        case .numeric: IndexTemplateMapping.numericTypes.contains(type)
        case .keyword: type == "keyword" || type == "constant_keyword"
        case .date: type == "date" || type == "date_nanos"
        case .searchable: type != "object" && type != "nested"
        }
    }

    /// Every problem: fields no document has, values of the wrong kind, mappings that cannot serve
    /// the aggregation, mapping conflicts.
    func problems() -> [String] {
        var problems: [String] = []
        var seen: Set<String> = []
        for use in uses where seen.insert("\(use.field)|\(use.need)").inserted {
            let carriers = documents.filter { $0.kinds[use.field] != nil }
            var kinds: [(DocumentFields.Kind, Set<String>)] = []
            if carriers.isEmpty {
                if userExported.contains(use.field) {
                    kinds = [(.integer, []), (.double, [])]
                } else {
                    problems.append("\(use): not in any of the \(documents.count) documents Expvastic produced")
                    continue
                }
            } else {
                for document in carriers {
                    guard let kind = document.kinds[use.field] else { continue }
                    if !kinds.contains(where: { $0.0 == kind }) { kinds.append((kind, document.names)) }
                }
            }
            for (kind, names) in kinds {
                if use.need == .numeric && !kind.isNumeric {
                    problems.append("\(use): the documents hold a \(kind), not a number")
                    continue
                }
                do {
                    let resolution = try mapping.resolve(use.field, kind: kind, document: names)
                    if !Self.serves(resolution.type, use.need) {
                        problems.append("\(use): a \(kind) value is mapped as \(resolution), which cannot serve it")
                    }
                } catch {
                    problems.append("\(use): \(error)")
                }
            }
        }
        return problems
    }

    /// Every field of every document that Elasticsearch would reject under the mapping (a field whose
    /// parent is a value elsewhere): such a document is never indexed, so no panel would show it.
    func documentProblems() -> [String] {
        var problems: Set<String> = []
        for document in documents {
            for (field, kind) in document.kinds where kind != .null {
                do {
                    _ = try mapping.resolve(field, kind: kind, document: document.names)
                } catch {
                    problems.insert("document of reader \(document.strings["reader"] ?? "?"): \(error)")
                }
            }
        }
        return problems.sorted()
    }
}
