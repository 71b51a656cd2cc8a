import Foundation
import ParleyModel
import Testing

/// The contract hash: its canonical text, an independent SHA-256 of it, stability across file
/// forms, and a change for every change that matters.
@Suite struct ChainContractHashTests {
    typealias Term = ChainContract.Term

    static func tiny() -> ChainContract {
        ChainContract(
            chain: "tiny", sense: .maximize,
            coordinator: .init(name: "hub", endpoint: "127.0.0.1:7400"),
            partners: [
                .init(name: "a", interface: ["x", "y\"q"]),
                .init(name: "b", endpoint: "10.0.0.2:7401", identity: "parley:bee", interface: ["z", "w\\v"]),
            ],
            linkingRows: [
                // Terms deliberately out of canonical order: b before a, y before x.
                .init(
                    name: "CAP", lower: -.infinity, upper: 100,
                    terms: [
                        Term(partner: "b", variable: "z", coefficient: -0.1),
                        Term(partner: "a", variable: "y\"q", coefficient: 2),
                        Term(partner: "a", variable: "x", coefficient: 1.0 / 3.0),
                    ]),
                .init(name: "EQ", lower: -0.0, upper: 0, terms: [Term(partner: "a", variable: "x", coefficient: 1e-20)]),
            ],
            objectiveConstant: 1e16)
    }

    /// The format documented on ``ChainContract/canonicalText``, spelled out by hand.
    static let tinyCanonical = """
        parley-chain-contract 1
        chain "tiny"
        sense maximize
        objective_constant 1e+16
        coordinator "hub" "127.0.0.1:7400" "parley:hub"
        partner "a" "" "parley:a"
        interface "x"
        interface "y\\"q"
        partner "b" "10.0.0.2:7401" "parley:bee"
        interface "z"
        interface "w\\\\v"
        linking_row "CAP" -inf 100.0
        term "a" "x" 0.3333333333333333
        term "a" "y\\"q" 2.0
        term "b" "z" -0.1
        linking_row "EQ" 0.0 0.0
        term "a" "x" 1e-20

        """

    /// SHA-256 by the system's own tool, not by the code under test.
    static func sha256sum(_ text: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }

    @Test func canonicalTextIsTheDocumentedFormat() {
        #expect(Self.tiny().canonicalText == Self.tinyCanonical)
    }

    @Test func hashIsSHA256OfTheCanonicalText() throws {
        let expected = try Self.sha256sum(Self.tinyCanonical)
        #expect(expected.count == 64)
        #expect(Self.tiny().contentHash == expected)
    }

    /// Inline and companion forms of the same contract, written and loaded, hash alike; so do
    /// `sense: le`/`rhs:` and `upper:`, and any order of a row's terms.
    @Test func stableAcrossFileForms() throws {
        let directory = try TemporaryDirectory()
        let contract = Self.tiny()
        try contract.write(to: directory.file("inline.yaml"))
        try contract.write(to: directory.file("companion.yaml"), linkingRowsFile: "rows.mps")
        let inline = try ChainContract.load(path: directory.file("inline.yaml"))
        let companion = try ChainContract.load(path: directory.file("companion.yaml"))
        #expect(inline.contentHash == contract.contentHash)
        #expect(companion.contentHash == contract.contentHash)
        #expect(inline == contract)  // inline keeps the term order as written
        #expect(companion.linkingRows[0].terms.map(\.partner) == ["a", "a", "b"])  // canonical order

        let le = try ChainContract.parse(
            yaml: "chain: c\npartners: [{name: a, interface: [x, y]}]\nlinking_rows: [{name: r, sense: le, rhs: 4, terms: {a.y: 2, a.x: 1}}]\n",
            file: "le.yaml")
        let upper = try ChainContract.parse(
            yaml: "chain: c\npartners: [{name: a, interface: [x, y]}]\nlinking_rows: [{name: r, upper: 4, terms: {a.x: 1, a.y: 2}}]\n",
            file: "upper.yaml")
        #expect(le.contentHash == upper.contentHash)
    }

    /// Every field that matters changes the hash, and no two of these changes collide.
    @Test func changesWithEveryField() {
        let base = Self.tiny()
        var variants: [(String, ChainContract)] = []
        func variant(_ label: String, _ change: (inout ChainContract) -> Void) {
            var c = base
            change(&c)
            variants.append((label, c))
        }
        variant("chain") { $0.chain = "tiny2" }
        variant("sense") { $0.sense = .minimize }
        variant("constant") { $0.objectiveConstant = 1e16 + 2 }
        variant("coordinator name") { $0.coordinator.name = "hub2" }
        variant("coordinator endpoint") { $0.coordinator.endpoint = "127.0.0.1:7401" }
        variant("partner identity") { $0.partners[1].identity = "parley:b" }
        variant("partner endpoint") { $0.partners[0].endpoint = "h:1" }
        variant("partner name") { $0.partners[1].name = "c" }
        variant("partner order") { $0.partners.swapAt(0, 1) }
        variant("partner added") { $0.partners.append(.init(name: "d")) }
        variant("interface variable added") { $0.partners[1].interface.append("w") }
        variant("interface order") { $0.partners[0].interface.swapAt(0, 1) }
        variant("coefficient by one ulp") { $0.linkingRows[0].terms[2].coefficient = (1.0 / 3.0).nextUp }
        variant("coefficient sign") { $0.linkingRows[0].terms[0].coefficient = 0.1 }
        variant("upper bound") { $0.linkingRows[0].upper = 101 }
        variant("lower bound") { $0.linkingRows[0].lower = -1e30 }
        variant("row name") { $0.linkingRows[1].name = "EQ2" }
        variant("row order") { $0.linkingRows.swapAt(0, 1) }
        variant("term moved to another variable") { $0.linkingRows[1].terms[0].variable = "y\"q" }
        variant("row removed") { $0.linkingRows.removeLast() }
        let hashes = [base.contentHash] + variants.map(\.1.contentHash)
        #expect(Set(hashes).count == hashes.count, "some change left the hash as it was")
        for (label, c) in variants {
            #expect(c.contentHash != base.contentHash, "\(label)")
        }
    }

    @Test func hashIsLowercaseHex() {
        let hash = Self.tiny().contentHash
        #expect(hash.count == 64)
        #expect(hash.allSatisfy { "0123456789abcdef".contains($0) })
    }
}
