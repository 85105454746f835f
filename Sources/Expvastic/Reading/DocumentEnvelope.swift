/// The fields every document starts with, written by the reader, never taken from the payload.
public enum DocumentEnvelope {
    /// `@timestamp`, `type`, `reader`, `endpoint`: a payload field with one of these names, or nested
    /// under one, is dropped (`reserved`). They count against the index's field limit, so a reader's
    /// `max_fields` default is ``IndexTemplate/totalFieldsLimit`` minus their number.
    public static let fieldNames = ["@timestamp", "type", "reader", "endpoint"]
}
