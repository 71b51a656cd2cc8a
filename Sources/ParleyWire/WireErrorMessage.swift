/// An error reported to the peer: a numeric code a program can act on and text for a person.
///
/// The request it answers failed; the connection stays usable (unlike `abort`).
public struct WireErrorMessage: Sendable, Equatable {
    public var code: UInt16
    public var text: String

    public init(code: UInt16, text: String) {
        self.code = code
        self.text = text
    }
}

extension WireErrorMessage {
    // Codes 1–5 mirror `PartnerError.Kind`; 100 and up are protocol-level.
    public static let infeasible: UInt16 = 1
    public static let unbounded: UInt16 = 2
    public static let solverFailure: UInt16 = 3
    public static let badRequest: UInt16 = 4
    public static let unknownProposal: UInt16 = 5
    public static let malformedFrame: UInt16 = 100
    public static let contractMismatch: UInt16 = 101
    public static let unexpectedMessage: UInt16 = 102
    /// The node is already serving a coordinator connection (one round at a time).
    public static let busy: UInt16 = 103
}
