import ParleyTestSupport
import ParleyWire

/// Seeded random messages: any kind, random lengths, doubles drawn as raw bit patterns (so NaN
/// payloads and subnormals occur), strings with multi-byte characters.
enum RandomMessages {
    static func next(using g: inout SplitMix64) -> WireMessage {
        switch WireMessage.Kind.allCases.randomElement(using: &g)! {
        case .hello:
            return .hello(WireHello(protocolVersion: .random(in: 0...255, using: &g), partyName: string(&g), contractHash: string(&g)))
        case .welcome:
            return .welcome(WireWelcome(partyName: string(&g), contractHash: string(&g)))
        case .pricingRequest:
            return .pricingRequest(
                WirePricingRequest(
                    round: string(&g), iteration: int(&g),
                    prices: (0..<Int.random(in: 0...4, using: &g)).map { _ in doubles(&g) }, costWeight: double(&g)
                )
            )
        case .pricingResponse:
            let proposals = (0..<Int.random(in: 0...4, using: &g)).map { _ in
                WireProposal(id: int(&g), usage: doubles(&g), cost: double(&g), isRay: .random(using: &g))
            }
            let values: [Double?] = (0..<Int.random(in: 0...6, using: &g)).map { _ in Bool.random(using: &g) ? double(&g) : nil }
            return .pricingResponse(
                WirePricingResponse(proposals: proposals, values: values, best: (0..<values.count).map { _ in int(&g) })
            )
        case .admmRequest:
            return .admmRequest(
                WireADMMRequest(
                    round: string(&g), iteration: int(&g), shift: doubles(&g), rho: double(&g),
                    start: doubles(&g).map { WireADMMRequest.Weight(iteration: int(&g), weight: $0) }, products: doubles(&g).map { _ in int(&g) }))
        case .admmResponse:
            return .admmResponse(
                WireADMMResponse(usage: doubles(&g), cost: double(&g), usageChange: double(&g), residualProducts: doubles(&g)))
        case .planInstruction:
            let prices = Bool.random(using: &g) ? doubles(&g) : nil
            let isFinal = Bool.random(using: &g)
            if Bool.random(using: &g) {
                return .planInstruction(WirePlanInstruction(round: string(&g), kind: .lastIterate, prices: prices, isFinal: isFinal))
            }
            var weights: [Int: Double] = [:]
            for _ in 0..<Int.random(in: 0...6, using: &g) { weights[int(&g)] = double(&g) }
            return .planInstruction(WirePlanInstruction(round: string(&g), kind: .weights(weights), prices: prices, isFinal: isFinal))
        case .planReceipt:
            return .planReceipt(WirePlanReceipt(cost: double(&g), usage: doubles(&g)))
        case .error:
            return .error(WireErrorMessage(code: .random(in: 0...UInt16.max, using: &g), text: string(&g)))
        case .abort:
            return .abort(reason: string(&g))
        case .ping:
            return .ping(nonce: g.next())
        case .pong:
            return .pong(nonce: g.next())
        }
    }

    static func int(_ g: inout SplitMix64) -> Int { Int(truncatingIfNeeded: g.next()) }
    static func double(_ g: inout SplitMix64) -> Double { Double(bitPattern: g.next()) }
    static func doubles(_ g: inout SplitMix64) -> [Double] { (0..<Int.random(in: 0...12, using: &g)).map { _ in double(&g) } }

    static func string(_ g: inout SplitMix64) -> String {
        let alphabet: [Character] = ["a", "z", "0", "-", " ", "é", "€", "🏭", "\u{0}"]
        return String((0..<Int.random(in: 0...10, using: &g)).map { _ in alphabet.randomElement(using: &g)! })
    }
}
