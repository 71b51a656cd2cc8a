/// The first message from a node: who it is and which contract it signed.
public struct WireHello: Sendable, Equatable {
    /// The highest protocol version the sender speaks.
    public var protocolVersion: UInt8
    /// The sender's party name as the contract spells it.
    public var partyName: String
    /// The contract's SHA-256 content hash, lowercase hex; both ends must agree before any round.
    public var contractHash: String

    public init(protocolVersion: UInt8 = WireProtocol.version, partyName: String, contractHash: String) {
        self.protocolVersion = protocolVersion
        self.partyName = partyName
        self.contractHash = contractHash
    }
}
