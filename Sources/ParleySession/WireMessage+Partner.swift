import ParleyDecomposition
import ParleyWire

// The decomposition's partner messages and the wire's payloads carry the same fields (PROTOCOL.md
// section 4); these conversions are the only place the two meet.

extension WirePricingRequest {
    public init(_ request: PricingRequest) {
        self.init(round: request.round, iteration: request.iteration, prices: request.prices, costWeight: request.costWeight)
    }

    public var partnerRequest: PricingRequest {
        PricingRequest(round: round, iteration: iteration, prices: prices, costWeight: costWeight)
    }
}

extension WirePricingResponse {
    public init(_ response: PricingResponse) {
        self.init(
            proposals: response.proposals.map { WireProposal(id: $0.id, usage: $0.usage, cost: $0.cost, isRay: $0.isRay) },
            values: response.values, best: response.best)
    }

    public var partnerResponse: PricingResponse {
        PricingResponse(
            proposals: proposals.map { Proposal(id: $0.id, usage: $0.usage, cost: $0.cost, isRay: $0.isRay) },
            values: values, best: best)
    }
}

extension WireADMMRequest {
    public init(_ request: ADMMRequest) {
        self.init(
            round: request.round, iteration: request.iteration, shift: request.shift, rho: request.rho,
            start: request.start.map { Weight(iteration: $0.iteration, weight: $0.weight) }, products: request.products)
    }

    public var partnerRequest: ADMMRequest {
        ADMMRequest(
            round: round, iteration: iteration, shift: shift, rho: rho,
            start: start.map { ADMMRequest.Weight(iteration: $0.iteration, weight: $0.weight) }, products: products)
    }
}

extension WireADMMResponse {
    public init(_ response: ADMMResponse) {
        self.init(
            usage: response.usage, cost: response.cost, usageChange: response.usageChange, residualProducts: response.residualProducts)
    }

    public var partnerResponse: ADMMResponse {
        ADMMResponse(usage: usage, cost: cost, usageChange: usageChange, residualProducts: residualProducts)
    }
}

extension WirePlanInstruction {
    public init(_ instruction: PlanInstruction) {
        switch instruction.kind {
        case .weights(let weights):
            self.init(round: instruction.round, kind: .weights(weights), prices: instruction.prices, isFinal: instruction.isFinal)
        case .lastIterate:
            self.init(round: instruction.round, kind: .lastIterate, prices: instruction.prices, isFinal: instruction.isFinal)
        }
    }

    public var partnerInstruction: PlanInstruction {
        switch kind {
        case .weights(let weights): PlanInstruction(round: round, kind: .weights(weights), prices: prices, isFinal: isFinal)
        case .lastIterate: PlanInstruction(round: round, kind: .lastIterate, prices: prices, isFinal: isFinal)
        }
    }
}

extension WirePlanReceipt {
    public init(_ receipt: PlanReceipt) {
        self.init(cost: receipt.cost, usage: receipt.usage)
    }

    public var partnerReceipt: PlanReceipt { PlanReceipt(cost: cost, usage: usage) }
}

extension WireErrorMessage {
    /// The wire form of a partner's failure; the partner's name is implied by the connection.
    public init(_ error: PartnerError) {
        let code: UInt16 =
            switch error.kind {
            case .infeasible: Self.infeasible
            case .unbounded: Self.unbounded
            case .solverFailure, .unreachable: Self.solverFailure
            case .badRequest: Self.badRequest
            case .unknownProposal: Self.unknownProposal
            }
        self.init(code: code, text: error.message)
    }

    /// The failure as the decomposition reports it, attributed to `partner`.
    public func partnerError(partner: String) -> PartnerError {
        let kind: PartnerError.Kind =
            switch code {
            case Self.infeasible: .infeasible
            case Self.unbounded: .unbounded
            case Self.badRequest, Self.malformedFrame, Self.contractMismatch, Self.unexpectedMessage: .badRequest
            case Self.unknownProposal: .unknownProposal
            default: .solverFailure
            }
        return PartnerError(partner: partner, kind: kind, message: text)
    }
}
