/// One message of the Parley wire protocol.
///
/// The payload types mirror the field sets of the decomposition layer's `Partner` types
/// (`PricingRequest`, `PricingResponse`, …) one to one, so the network adapter maps them field by
/// field; this module stays free of any dependency so a node or a tool can link it alone.
public enum WireMessage: Sendable, Equatable {
    case hello(WireHello)
    case welcome(WireWelcome)
    case pricingRequest(WirePricingRequest)
    case pricingResponse(WirePricingResponse)
    case admmRequest(WireADMMRequest)
    case admmResponse(WireADMMResponse)
    case planInstruction(WirePlanInstruction)
    case planReceipt(WirePlanReceipt)
    case error(WireErrorMessage)
    case abort(reason: String)
    case ping(nonce: UInt64)
    case pong(nonce: UInt64)

    /// The message type byte (byte 5 of a frame).
    public enum Kind: UInt8, Sendable, CaseIterable {
        case hello = 1
        case welcome = 2
        case pricingRequest = 3
        case pricingResponse = 4
        case admmRequest = 5
        case admmResponse = 6
        case planInstruction = 7
        case planReceipt = 8
        case error = 9
        case abort = 10
        case ping = 11
        case pong = 12
    }

    public var kind: Kind {
        switch self {
        case .hello: .hello
        case .welcome: .welcome
        case .pricingRequest: .pricingRequest
        case .pricingResponse: .pricingResponse
        case .admmRequest: .admmRequest
        case .admmResponse: .admmResponse
        case .planInstruction: .planInstruction
        case .planReceipt: .planReceipt
        case .error: .error
        case .abort: .abort
        case .ping: .ping
        case .pong: .pong
        }
    }
}
