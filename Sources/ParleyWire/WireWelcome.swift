/// The coordinator's answer to a ``WireHello``: its own name and the contract hash it holds.
public struct WireWelcome: Sendable, Equatable {
    public var partyName: String
    /// The contract's SHA-256 content hash, lowercase hex.
    public var contractHash: String

    public init(partyName: String, contractHash: String) {
        self.partyName = partyName
        self.contractHash = contractHash
    }
}
