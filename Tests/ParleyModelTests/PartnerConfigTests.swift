import Foundation
import ParleyModel
import Testing

/// A partner's private directory: `partner.yaml` and its model, joined to the contract.
@Suite struct PartnerConfigTests {
    @Test func writeThenLoad() throws {
        let directory = try TemporaryDirectory()
        let config = PartnerConfig(name: "p01", model: "models/private model.mps")
        try config.write(to: directory.file("partner.yaml"))
        #expect(try PartnerConfig.load(path: directory.file("partner.yaml")) == config)
        #expect(config.modelPath(relativeTo: directory.file("partner.yaml")) == directory.file("models/private model.mps"))
        #expect(PartnerConfig(name: "a", model: "/abs/m.mps").modelPath(relativeTo: "x/partner.yaml") == "/abs/m.mps")
        #expect(PartnerConfig(name: "a").modelPath(relativeTo: "partner.yaml") == "model.mps")
    }

    @Test(arguments: [
        ("name: p01\n", "partner.yaml:1: missing key 'model'"),
        ("name: p01\nmodel: m.mps\ncost: 3\n", "partner.yaml:3: cost: unknown key (expected name, model)"),
        ("name: p.01\nmodel: m.mps\n", "partner.yaml:1: name: 'p.01' must be non-empty, without '.' or spaces"),
        ("name: p01\nmodel: [a, b]\n", "partner.yaml:2: model: must be a string"),
        ("", "partner.yaml: the file is empty: it needs name and model"),
    ])
    func rejects(_ text: String, _ expected: String) {
        #expect {
            _ = try PartnerConfig.parse(yaml: text, file: "partner.yaml")
        } throws: { error in
            (error as? ModelFileError)?.description == expected
        }
    }

    /// A split of ship04l written out: each partner directory loads back into the same private
    /// model and the same linking coefficients the splitter made.
    @Test func loadsEachPartnerOfAWrittenSplit() throws {
        let program = try MPSReader().read(path: Fixtures.path("blocks/ship04l.mps"))
        let decomposition = try BlockDecomposition.read(path: Fixtures.path("blocks/ship04l.dec"), for: program)
        let split = try ChainSplitter(chainName: "ship04l").split(program, decomposition)
        let directory = try TemporaryDirectory()
        let files = try split.write(to: directory.path, inlineLimit: 10)
        #expect(files.linkingRows == directory.file("linking.mps"))
        #expect(files.partnerDirectories == (1...4).map { directory.file("partners/p0\($0)") })
        let contract = try ChainContract.load(path: files.contract)
        #expect(contract.contentHash == split.contract.contentHash)
        for (k, partnerDirectory) in files.partnerDirectories.enumerated() {
            let loaded = try PartnerProblem.load(
                contract: contract, partnerDirectory: partnerDirectory, expected: contract.partners[k].name)
            let expected = try PartnerProblem(
                contract: split.contract, partner: split.contract.partners[k].name, program: split.programs[k])
            #expect(loaded.name == expected.name)
            #expect(loaded.program == expected.program)
            #expect(loaded.linkingRows == expected.linkingRows)
            #expect(loaded.linking == expected.linking)
        }
        // p01's directory holding p02's partner.yaml (copied over by hand): refused, not loaded twice.
        try PartnerConfig(name: "p02").write(to: "\(files.partnerDirectories[0])/partner.yaml")
        do {
            _ = try PartnerProblem.load(contract: contract, partnerDirectory: files.partnerDirectories[0], expected: "p01")
            Issue.record("p02's partner.yaml in p01's directory was loaded")
        } catch {
            #expect(
                error.description
                    == "\(files.partnerDirectories[0])/partner.yaml: it names partner 'p02', but it is in the directory of partner 'p01'")
        }
    }

    @Test func errorsNameTheFileAtFault() throws {
        let directory = try TemporaryDirectory()
        let contract = try ChainContract.parse(
            yaml: "chain: c\npartners: [{name: a, interface: [x, y]}]\nlinking_rows: [{name: r, upper: 1, terms: {a.y: 1}}]\n",
            file: "chain.yaml")
        let partner = directory.file("a")
        try AtomicFile.createDirectory(partner)
        func failure() -> String? {
            do {
                _ = try PartnerProblem.load(contract: contract, partnerDirectory: partner)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(failure() == "\(partner)/partner.yaml: cannot read file: No such file or directory")
        try PartnerConfig(name: "b").write(to: "\(partner)/partner.yaml")
        #expect(failure() == "\(partner)/partner.yaml: partner 'b' is not in chain 'c' (its partners: a)")
        try PartnerConfig(name: "a").write(to: "\(partner)/partner.yaml")
        #expect(failure() == "\(partner)/model.mps: cannot read file: No such file or directory")
        try AtomicFile.write("NAME\nROWS\n N OBJ\nCOLUMNS\n    x OBJ 1\nENDATA\n", to: "\(partner)/model.mps")
        #expect(failure() == "\(partner)/model.mps: interface variable 'y' of partner 'a' is not a column of its model")
    }
}
