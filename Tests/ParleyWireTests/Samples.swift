import ParleyWire

/// Messages of every kind, including the awkward values: NaN payloads, signed zero, infinities,
/// empty strings and vectors, non-ASCII names and extreme integers.
enum Samples {
    static let quietNaNWithPayload = Double(bitPattern: 0x7FF8_0000_DEAD_BEEF)
    static let signalingNaN = Double(bitPattern: 0x7FF0_0000_0000_0001)
    static let negativeNaN = Double(bitPattern: 0xFFF8_0000_0000_0042)
    static let awkward: [Double] = [
        0, -0.0, 1, -1, .infinity, -.infinity, .nan, quietNaNWithPayload, signalingNaN, negativeNaN,
        .leastNonzeroMagnitude, .greatestFiniteMagnitude, -.leastNormalMagnitude, 1e-300, 3.141592653589793,
    ]

    static let all: [WireMessage] = [
        .hello(WireHello(partyName: "mill", contractHash: String(repeating: "ab", count: 32))),
        .hello(WireHello(protocolVersion: 255, partyName: "", contractHash: "")),
        .welcome(WireWelcome(partyName: "coordinator — Zürich 🏭", contractHash: "00ff")),
        .welcome(WireWelcome(partyName: "", contractHash: "")),
        .pricingRequest(WirePricingRequest(round: "r1", iteration: 7, prices: [[1.5, -2.25], []], costWeight: 1)),
        .pricingRequest(WirePricingRequest(round: "", iteration: .min, prices: [], costWeight: -0.0)),
        .pricingRequest(WirePricingRequest(round: "nan", iteration: .max, prices: [awkward, awkward.reversed()], costWeight: .nan)),
        .pricingResponse(
            WirePricingResponse(
                proposals: [
                    WireProposal(id: 0, usage: [1, 2, 3], cost: 4.5, isRay: false),
                    WireProposal(id: -3, usage: [], cost: -.infinity, isRay: true),
                    WireProposal(id: .max, usage: awkward, cost: quietNaNWithPayload, isRay: false),
                ],
                values: [nil, 1.25, -0.0, nil, signalingNaN],
                best: [0, -3, .max, .min, 42]
            )
        ),
        .pricingResponse(WirePricingResponse(proposals: [], values: [], best: [])),
        .admmRequest(WireADMMRequest(round: "a", iteration: 12, shift: [0.5, -0.5], rho: 10)),
        .admmRequest(WireADMMRequest(round: "", iteration: 0, shift: [], rho: negativeNaN)),
        .admmRequest(
            WireADMMRequest(
                round: "b", iteration: 7, shift: [1], rho: 2, start: [.init(iteration: 5, weight: -0.25), .init(iteration: 6, weight: 1.25)],
                products: [4, 5, 6, 7])),
        .admmResponse(WireADMMResponse(usage: awkward, cost: 99, usageChange: 1e-12)),
        .admmResponse(WireADMMResponse(usage: [3], cost: 1, usageChange: 0, residualProducts: [0.5, -0, .greatestFiniteMagnitude])),
        .admmResponse(WireADMMResponse(usage: [], cost: -0.0, usageChange: .infinity)),
        .planInstruction(WirePlanInstruction(round: "r1", kind: .weights([3: 0.25, -1: 0.75, 9: quietNaNWithPayload]))),
        .planInstruction(WirePlanInstruction(round: "r1", kind: .weights([:]))),
        .planInstruction(WirePlanInstruction(round: "admm", kind: .lastIterate)),
        .planInstruction(WirePlanInstruction(round: "r1", kind: .weights([4: 1]), prices: [-2.5, 0, -0.0])),
        .planInstruction(WirePlanInstruction(round: "admm", kind: .lastIterate, prices: [])),
        .planInstruction(WirePlanInstruction(round: "r1", kind: .weights([4: 0.5, 5: 0.5]), isFinal: false)),
        .planReceipt(WirePlanReceipt(cost: 123.5, usage: [1, -0.0, .nan])),
        .planReceipt(WirePlanReceipt(cost: 0, usage: [])),
        .error(WireErrorMessage(code: WireErrorMessage.infeasible, text: "pricing problem infeasible")),
        .error(WireErrorMessage(code: .max, text: "")),
        .abort(reason: "operator stopped the round"),
        .abort(reason: ""),
        .ping(nonce: 0),
        .ping(nonce: .max),
        .pong(nonce: 0x0123_4567_89AB_CDEF),
    ]
}
