import ExpvasticBase

/// One key of a range answer, decoded from the gateway's base64.
public struct EtcdKeyValue: Sendable, Equatable {
    public var key: String
    public var value: [UInt8]
    /// The lease the key is attached to; 0 for none.
    public var lease: Int64
    /// The revision that created the key (0: it does not exist).
    public var createRevision: Int64
    public var modRevision: Int64

    public init(key: String, value: [UInt8], lease: Int64 = 0, createRevision: Int64 = 0, modRevision: Int64 = 0) {
        self.key = key
        self.value = value
        self.lease = lease
        self.createRevision = createRevision
        self.modRevision = modRevision
    }

    /// The value as UTF-8 text (invalid bytes replaced).
    public var text: String { String(decoding: value, as: UTF8.self) }
}

/// The keys under a prefix and the store revision they were read at.
public struct EtcdRange: Sendable, Equatable {
    public var keyValues: [EtcdKeyValue]
    public var revision: Int64

    public init(keyValues: [EtcdKeyValue], revision: Int64) {
        self.keyValues = keyValues
        self.revision = revision
    }
}

/// A granted lease: its id and the TTL etcd gave it (which may be longer than asked for).
public struct EtcdLease: Sendable, Equatable {
    public var id: Int64
    public var ttl: Duration

    public init(id: Int64, ttl: Duration) {
        self.id = id
        self.ttl = ttl
    }
}
