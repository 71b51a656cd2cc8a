// The body layout of each message, field by field, as `Docs/PROTOCOL.md` documents it. Keep the
// two in step: a partner implements a node from that document alone.

extension WireMessage {
    func writeBody(into writer: inout ByteWriter) {
        switch self {
        case .hello(let hello):
            writer.write(hello.protocolVersion)
            writer.write(hello.partyName)
            writer.write(hello.contractHash)
        case .welcome(let welcome):
            writer.write(welcome.partyName)
            writer.write(welcome.contractHash)
        case .pricingRequest(let request):
            writer.write(request.round)
            writer.write(request.iteration)
            writer.write(request.costWeight)
            writer.writeCount(request.prices.count)
            for vector in request.prices { writer.write(vector) }
        case .pricingResponse(let response):
            writer.writeCount(response.proposals.count)
            for proposal in response.proposals {
                writer.write(proposal.id)
                writer.write(proposal.isRay)
                writer.write(proposal.cost)
                writer.write(proposal.usage)
            }
            writer.writeCount(response.values.count)
            for value in response.values {
                if let value {
                    writer.write(UInt8(1))
                    writer.write(value)
                } else {
                    writer.write(UInt8(0))
                }
            }
            writer.writeCount(response.best.count)
            for id in response.best { writer.write(id) }
        case .admmRequest(let request):
            writer.write(request.round)
            writer.write(request.iteration)
            writer.write(request.rho)
            writer.write(request.shift)
            writer.writeCount(request.start.count)
            for term in request.start {
                writer.write(term.iteration)
                writer.write(term.weight)
            }
            writer.writeCount(request.products.count)
            for iteration in request.products { writer.write(iteration) }
        case .admmResponse(let response):
            writer.write(response.cost)
            writer.write(response.usageChange)
            writer.write(response.usage)
            writer.write(response.residualProducts)
        case .planInstruction(let instruction):
            writer.write(instruction.round)
            switch instruction.kind {
            case .weights(let weights):
                writer.write(UInt8(0))
                writer.writeCount(weights.count)
                // Sorted so that one instruction has exactly one encoding.
                for (id, weight) in weights.sorted(by: { $0.key < $1.key }) {
                    writer.write(id)
                    writer.write(weight)
                }
            case .lastIterate:
                writer.write(UInt8(1))
            }
            if let prices = instruction.prices {
                writer.write(UInt8(1))
                writer.write(prices)
            } else {
                writer.write(UInt8(0))
            }
            writer.write(UInt8(instruction.isFinal ? 1 : 0))
        case .planReceipt(let receipt):
            writer.write(receipt.cost)
            writer.write(receipt.usage)
        case .error(let error):
            writer.write(error.code)
            writer.write(error.text)
        case .abort(let reason):
            writer.write(reason)
        case .ping(let nonce), .pong(let nonce):
            writer.write(nonce)
        }
    }

    /// Decodes one body; the reader must end exactly at the body's last byte.
    static func readBody(_ kind: Kind, from reader: inout ByteReader) throws(WireError) -> WireMessage {
        let message: WireMessage
        switch kind {
        case .hello:
            message = .hello(
                WireHello(
                    protocolVersion: try reader.readUInt8("hello.protocolVersion"),
                    partyName: try reader.readString("hello.partyName"),
                    contractHash: try reader.readString("hello.contractHash")
                )
            )
        case .welcome:
            message = .welcome(
                WireWelcome(
                    partyName: try reader.readString("welcome.partyName"),
                    contractHash: try reader.readString("welcome.contractHash")
                )
            )
        case .pricingRequest:
            let round = try reader.readString("pricingRequest.round")
            let iteration = try reader.readInt("pricingRequest.iteration")
            let costWeight = try reader.readDouble("pricingRequest.costWeight")
            let count = try reader.readCount("pricingRequest.prices", minimumElementSize: 4)
            var prices: [[Double]] = []
            prices.reserveCapacity(count)
            for _ in 0..<count { prices.append(try reader.readDoubles("pricingRequest.prices[]")) }
            message = .pricingRequest(
                WirePricingRequest(round: round, iteration: iteration, prices: prices, costWeight: costWeight)
            )
        case .pricingResponse:
            let proposalCount = try reader.readCount("pricingResponse.proposals", minimumElementSize: 21)
            var proposals: [WireProposal] = []
            proposals.reserveCapacity(proposalCount)
            for _ in 0..<proposalCount {
                let id = try reader.readInt("proposal.id")
                let isRay = try reader.readBool("proposal.isRay")
                let cost = try reader.readDouble("proposal.cost")
                let usage = try reader.readDoubles("proposal.usage")
                proposals.append(WireProposal(id: id, usage: usage, cost: cost, isRay: isRay))
            }
            let valueCount = try reader.readCount("pricingResponse.values", minimumElementSize: 1)
            var values: [Double?] = []
            values.reserveCapacity(valueCount)
            for _ in 0..<valueCount {
                let tag = try reader.readUInt8("pricingResponse.values[] tag")
                switch tag {
                case 0: values.append(nil)
                case 1: values.append(try reader.readDouble("pricingResponse.values[]"))
                default: throw .invalidTag(field: "pricingResponse.values[] tag", value: tag)
                }
            }
            let bestCount = try reader.readCount("pricingResponse.best", minimumElementSize: 8)
            var best: [Int] = []
            best.reserveCapacity(bestCount)
            for _ in 0..<bestCount { best.append(try reader.readInt("pricingResponse.best[]")) }
            message = .pricingResponse(WirePricingResponse(proposals: proposals, values: values, best: best))
        case .admmRequest:
            let round = try reader.readString("admmRequest.round")
            let iteration = try reader.readInt("admmRequest.iteration")
            let rho = try reader.readDouble("admmRequest.rho")
            let shift = try reader.readDoubles("admmRequest.shift")
            let startCount = try reader.readCount("admmRequest.start", minimumElementSize: 16)
            var start: [WireADMMRequest.Weight] = []
            start.reserveCapacity(startCount)
            for _ in 0..<startCount {
                let past = try reader.readInt("admmRequest.start[].iteration")
                start.append(WireADMMRequest.Weight(iteration: past, weight: try reader.readDouble("admmRequest.start[].weight")))
            }
            let productCount = try reader.readCount("admmRequest.products", minimumElementSize: 8)
            var products: [Int] = []
            products.reserveCapacity(productCount)
            for _ in 0..<productCount { products.append(try reader.readInt("admmRequest.products[]")) }
            message = .admmRequest(
                WireADMMRequest(round: round, iteration: iteration, shift: shift, rho: rho, start: start, products: products))
        case .admmResponse:
            let cost = try reader.readDouble("admmResponse.cost")
            let usageChange = try reader.readDouble("admmResponse.usageChange")
            let usage = try reader.readDoubles("admmResponse.usage")
            let residualProducts = try reader.readDoubles("admmResponse.residualProducts")
            message = .admmResponse(
                WireADMMResponse(usage: usage, cost: cost, usageChange: usageChange, residualProducts: residualProducts))
        case .planInstruction:
            let round = try reader.readString("planInstruction.round")
            let tag = try reader.readUInt8("planInstruction.kind")
            let kind: WirePlanInstruction.Kind
            switch tag {
            case 0:
                let count = try reader.readCount("planInstruction.weights", minimumElementSize: 16)
                var weights: [Int: Double] = [:]
                weights.reserveCapacity(count)
                for _ in 0..<count {
                    let id = try reader.readInt("planInstruction.weights[].id")
                    let weight = try reader.readDouble("planInstruction.weights[].weight")
                    guard weights.updateValue(weight, forKey: id) == nil else {
                        throw .duplicateID(field: "planInstruction.weights", id: id)
                    }
                }
                kind = .weights(weights)
            case 1:
                kind = .lastIterate
            default:
                throw .invalidTag(field: "planInstruction.kind", value: tag)
            }
            let priced = try reader.readUInt8("planInstruction.hasPrices")
            guard priced <= 1 else { throw .invalidTag(field: "planInstruction.hasPrices", value: priced) }
            let prices = priced == 1 ? try reader.readDoubles("planInstruction.prices") : nil
            let finality = try reader.readUInt8("planInstruction.final")
            guard finality <= 1 else { throw .invalidTag(field: "planInstruction.final", value: finality) }
            message = .planInstruction(WirePlanInstruction(round: round, kind: kind, prices: prices, isFinal: finality == 1))
        case .planReceipt:
            let cost = try reader.readDouble("planReceipt.cost")
            let usage = try reader.readDoubles("planReceipt.usage")
            message = .planReceipt(WirePlanReceipt(cost: cost, usage: usage))
        case .error:
            let code = try reader.readUInt16("error.code")
            let text = try reader.readString("error.text")
            message = .error(WireErrorMessage(code: code, text: text))
        case .abort:
            message = .abort(reason: try reader.readString("abort.reason"))
        case .ping:
            message = .ping(nonce: try reader.readUInt64("ping.nonce"))
        case .pong:
            message = .pong(nonce: try reader.readUInt64("pong.nonce"))
        }
        try reader.expectEnd()
        return message
    }
}
