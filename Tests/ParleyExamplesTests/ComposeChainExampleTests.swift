import Foundation
import ParleyModel
import ParleySolver
import Testing

/// `Deploy/compose`'s three-firm chain, loaded from the files its nodes mount, joined into one
/// model and solved centrally: the optimum its README derives by hand, to 1e-6.
@Suite struct ComposeChainExampleTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Deploy/compose").standardizedFileURL.path

    static func load() throws -> (ChainContract, [PartnerProblem]) {
        let contract = try ChainContract.load(path: "\(directory)/chain.yaml")
        let partners = try contract.partners.map { party in
            try PartnerProblem.load(contract: contract, partnerDirectory: "\(directory)/partners/\(party.name)")
        }
        return (contract, partners)
    }

    /// README: every quantity is 4, the chain earns 35; the prices are TRUCKS 1.5, PARTS 7.5,
    /// PRODUCTS 12 (and A's, B's and C's private rows 6, 7.5, 10.5, 12).
    @Test func centralOptimumIsTheHandDerivedOne() throws {
        let (contract, partners) = try Self.load()
        let program = try contract.centralProgram(partners)
        #expect(program.sense == .maximize)
        let result = try ClpSolver(program: program).solve()
        #expect(result.status == .optimal)
        #expect(abs(result.objective - 35) <= 1e-6)
        for name in ["firmA.xA", "firmA.outA", "firmB.inB", "firmB.xB", "firmB.outB", "firmC.inC", "firmC.sC"] {
            let x = result.primal[program.columnNames.firstIndex(of: name)!]
            #expect(abs(x - 4) <= 1e-6, "\(name)")
        }
        let prices = [
            "TRUCKS": 1.5, "PARTS": 7.5, "PRODUCTS": 12,
            "firmA.SHIP": 6, "firmB.INPUT": 7.5, "firmB.OUTPUT": 10.5, "firmC.SALES": 12,
        ]
        for (row, price) in prices {
            let dual = result.rowDuals[program.rowNames.firstIndex(of: row)!]
            #expect(abs(dual - price) <= 1e-6, "\(row)")
        }
    }

    /// Each firm's own profit at the joint plan, as the README's table gives it, and the
    /// endpoints are the compose service names the certificates must carry.
    @Test func partnerFilesReadAsDescribed() throws {
        let (contract, partners) = try Self.load()
        #expect(contract.partners.map(\.endpoint) == ["firmA:7401", "firmB:7401", "firmC:7401"])
        #expect(contract.linkingRows.map(\.name) == ["PARTS", "PRODUCTS", "TRUCKS"])
        let a = partners[0].program, b = partners[1].program, c = partners[2].program
        #expect(a.columnNames == ["xA", "outA"] && b.columnNames == ["inB", "xB", "outB"] && c.columnNames == ["inC", "sC"])
        #expect(a.objectiveValue([4, 4]) == -16)
        #expect(b.objectiveValue([4, 4, 4]) == -13)
        #expect(c.objectiveValue([4, 4]) == 64)
    }
}
