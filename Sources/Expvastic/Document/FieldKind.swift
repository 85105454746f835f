import ExpvasticBase

/// The kind a field path carries in Elasticsearch's mapping; it never changes for a reader. Readers
/// fix it on first sight; a cluster that refused a field pins it (``FieldPins``).
public enum FieldKind: UInt8, Sendable {
    case number, string, boolean, numberArray, stringArray, booleanArray
    /// Other fields are nested under the path (`hosts` when `hosts.db1` exists).
    case object
}
