import Foundation
import ParleyModel
import Testing

/// `chain.yaml`: what it reads into, that writing and loading give back the same contract to
/// the last bit (inline and with a companion MPS file), and the exact message for each kind of
/// bad contract.
@Suite struct ChainContractYAMLTests {
    typealias Term = ChainContract.Term
    static let inf = Double.infinity

    static let small = """
        chain: tiny
        sense: maximize
        objective_constant: -2.5
        coordinator: {name: hub, endpoint: "127.0.0.1:7400", identity: "parley:hub"}
        partners:
          - name: p01
            endpoint: "127.0.0.1:7401"
            interface: [X1, X2]
          - name: p02
            identity: "spiffe://chain/p02"
            interface: [Y]
        linking_rows:
          - name: CAP
            upper: 100
            terms: {p01.X1: 1, p02.Y: -0.1}
          - name: BAL
            sense: eq
            rhs: 0
            terms: {p01.X2: 1, p02.Y: -1}
          - name: RANGE
            lower: -1.5
            upper: .inf
            terms: {p01.X1: 2}
          - name: LOW
            sense: ge
            rhs: 3
            terms: {p02.Y: 1e-3}
        """

    static func parse(_ text: String) throws(ModelFileError) -> ChainContract {
        try ChainContract.parse(yaml: text, file: "chain.yaml")
    }

    @Test func readsEveryField() throws {
        let c = try Self.parse(Self.small)
        #expect(c.chain == "tiny")
        #expect(c.sense == .maximize)
        #expect(c.objectiveConstant == -2.5)
        #expect(c.coordinator == .init(name: "hub", endpoint: "127.0.0.1:7400", identity: "parley:hub"))
        #expect(
            c.partners == [
                .init(name: "p01", endpoint: "127.0.0.1:7401", identity: "parley:p01", interface: ["X1", "X2"]),
                .init(name: "p02", endpoint: "", identity: "spiffe://chain/p02", interface: ["Y"]),
            ])
        #expect(
            c.linkingRows == [
                .init(name: "CAP", lower: -Self.inf, upper: 100, terms: [.init(partner: "p01", variable: "X1", coefficient: 1), .init(partner: "p02", variable: "Y", coefficient: -0.1)]),
                .init(name: "BAL", lower: 0, upper: 0, terms: [.init(partner: "p01", variable: "X2", coefficient: 1), .init(partner: "p02", variable: "Y", coefficient: -1)]),
                .init(name: "RANGE", lower: -1.5, upper: Self.inf, terms: [.init(partner: "p01", variable: "X1", coefficient: 2)]),
                .init(name: "LOW", lower: 3, upper: Self.inf, terms: [.init(partner: "p02", variable: "Y", coefficient: 0.001)]),
            ])
    }

    /// Defaults: minimise, constant 0, coordinator `coordinator`, identities `parley:<name>`.
    @Test func defaults() throws {
        let c = try Self.parse(
            """
            chain: c
            partners: [{name: a, interface: [x]}, {name: b}]
            linking_rows: [{name: r, lower: 1, terms: {a.x: 1}}]
            """)
        #expect(c.sense == .minimize)
        #expect(c.objectiveConstant == 0)
        #expect(c.coordinator == .init(name: "coordinator", endpoint: "", identity: "parley:coordinator"))
        #expect(c.partners.map(\.identity) == ["parley:a", "parley:b"])
        #expect(c.partners[1].interface.isEmpty)
    }

    /// Values that decimal text rounds, tiny and huge magnitudes and infinities all come back
    /// bit for bit.
    static func awkward() -> ChainContract {
        let values: [Double] = [0.1, 1.0 / 3.0, -2.0 / 3.0, 1e-300, .leastNonzeroMagnitude, 1.7976931348623157e308, 123456.789e-12, 1e16, -0.0]
        let rows = values.enumerated().map { k, v in
            ChainContract.LinkingRow(
                name: "R\(k)", lower: k % 3 == 0 ? -.infinity : v, upper: k % 3 == 1 ? .infinity : (k % 3 == 0 ? v : v + 1),
                terms: [Term(partner: "a", variable: "x y", coefficient: v == 0 ? 1 : v), Term(partner: "b", variable: "true", coefficient: 1 / (v + 3))])
        }
        return ChainContract(
            chain: "odd: names", sense: .minimize,
            coordinator: .init(name: "co\"ord", endpoint: "[::1]:7400"),
            partners: [.init(name: "a", interface: ["x y"]), .init(name: "b", endpoint: "host:1", interface: ["true"])],
            linkingRows: rows, objectiveConstant: 0.30000000000000004)
    }

    @Test func writeThenLoadIsIdentical() throws {
        let directory = try TemporaryDirectory()
        let contract = Self.awkward()
        try contract.write(to: directory.file("chain.yaml"))
        let loaded = try ChainContract.load(path: directory.file("chain.yaml"))
        #expect(loaded == contract)
        for (a, b) in zip(loaded.linkingRows, contract.linkingRows) {
            #expect(a.lower.bitPattern == b.lower.bitPattern || a.lower == b.lower)
            #expect(a.terms.map(\.coefficient) == b.terms.map(\.coefficient))
        }
    }

    /// The companion form: rows in an MPS file beside the YAML. It reads back to the same rows,
    /// each row's terms in canonical (partner, interface) order, so the hash is the same.
    @Test func companionFileRoundTrip() throws {
        let directory = try TemporaryDirectory()
        let contract = try Self.parse(Self.small)
        try contract.write(to: directory.file("chain.yaml"), linkingRowsFile: "linking.mps")
        let yaml = try String(contentsOfFile: directory.file("chain.yaml"), encoding: .utf8)
        #expect(yaml.contains("linking_rows_file: linking.mps\n"))
        #expect(!yaml.contains("CAP"))
        let loaded = try ChainContract.load(path: directory.file("chain.yaml"))
        #expect(loaded == contract)
        #expect(loaded.contentHash == contract.contentHash)
        let mps = try MPSReader().read(path: directory.file("linking.mps"))
        #expect(mps.columnNames == ["p01.X1", "p01.X2", "p02.Y"])
        #expect(mps.rowNames == ["CAP", "BAL", "RANGE", "LOW"])
    }

    /// A real split: pds-02's 181 linking rows over 11 partners, inline and in a companion file.
    @Test func splitContractRoundTrips() throws {
        let program = try MPSReader().read(path: Fixtures.path("blocks/pds-02.mps"))
        let decomposition = try BlockDecomposition.read(path: Fixtures.path("blocks/pds-02.dec"), for: program)
        let contract = try ChainSplitter(chainName: "pds-02").split(program, decomposition).contract
        let directory = try TemporaryDirectory()
        try contract.write(to: directory.file("inline.yaml"))
        try contract.write(to: directory.file("companion.yaml"), linkingRowsFile: "linking.mps")
        let inline = try ChainContract.load(path: directory.file("inline.yaml"))
        let companion = try ChainContract.load(path: directory.file("companion.yaml"))
        #expect(inline == contract)
        #expect(companion.linkingRows.count == 181)
        #expect(companion.contentHash == contract.contentHash)
        #expect(inline.contentHash == contract.contentHash)
    }

    /// The documented example loads, and its two spellings of bounds mean what they say.
    @Test func documentedExampleLoads() throws {
        let path = Fixtures.instances.appendingPathComponent("../../../Deploy/examples/chain.yaml").standardizedFileURL.path
        let c = try ChainContract.load(path: path)
        #expect(c.chain == "two-firm")
        #expect(c.partners.map(\.identity) == ["parley:firmA", "parley:firmB"])
        #expect(c.linkingRows.map(\.upper) == [0, 100])
        #expect(c.linkingRows.map(\.lower) == [-Self.inf, -Self.inf])
    }

    // MARK: Bad contracts

    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var text: String
        var expected: String
        var testDescription: String { label }
    }

    /// Lines 1–6 of most cases; a case's own text starts at line 7.
    static let head = """
        chain: c
        partners:
          - {name: p01, interface: [X1, X2]}
          - {name: p02, interface: [Y]}
          - {name: p03, interface: [Z]}
        linking_rows:

        """

    static let cases: [Case] = [
        Case(
            label: "YAML syntax", text: "chain: c\npartners: [a, b\nlinking_rows: []\n",
            expected: "chain.yaml:3: YAML: did not find expected ',' or ']'"),
        Case(
            label: "duplicate key", text: "chain: c\nchain: d\npartners: []\n",
            expected: "chain.yaml:2: duplicate key 'chain' in a mapping"),
        Case(
            // The line of the second appearance, not of the mapping; a key of the same name
            // deeper in (identity under coordinator) is another mapping's.
            label: "duplicate nested key",
            text: "chain: c\nsense: minimize\ncoordinator:\n  name: a\n  identity: parley:a\n  name: b\npartners: []\n",
            expected: "chain.yaml:6: duplicate key 'name' in a mapping"),
        Case(label: "empty file", text: "\n", expected: "chain.yaml: the file is empty: a contract needs at least chain and partners"),
        Case(
            label: "not a mapping", text: "- chain\n",
            expected: "chain.yaml:1: must be a mapping with keys chain, partners, ..."),
        Case(
            label: "missing chain", text: "partners: [{name: a}]\nlinking_rows: []\n",
            expected: "chain.yaml:1: missing key 'chain'"),
        Case(
            label: "misspelt key", text: "chain: c\npartner: [{name: a}]\n",
            expected: "chain.yaml:2: partner: unknown key (expected chain, sense, objective_constant, coordinator, "
                + "partners, linking_rows, linking_rows_file)"),
        Case(
            label: "bad sense", text: "chain: c\nsense: minimise\npartners: [{name: a}]\nlinking_rows: []\n",
            expected: "chain.yaml:2: sense: 'minimise' must be minimize or maximize"),
        Case(
            label: "interface entry not a string",
            text: "chain: c\npartners:\n  - {name: a}\n  - {name: b}\n  - name: d\n    interface:\n      - {x: 1}\nlinking_rows: []\n",
            expected: "chain.yaml:7: partners[2].interface[0]: must be a string"),
        Case(
            label: "interface variable twice", text: "chain: c\npartners:\n  - {name: a, interface: [x, y, x]}\nlinking_rows: []\n",
            expected: "chain.yaml:3: partners[0].interface[2]: 'x' is listed twice"),
        Case(
            label: "partner name with a dot", text: "chain: c\npartners:\n  - name: a.b\nlinking_rows: []\n",
            expected: "chain.yaml:3: partners[0].name: 'a.b' must be non-empty, without '.' or spaces"),
        Case(
            label: "partner twice", text: "chain: c\npartners:\n  - name: a\n  - name: a\nlinking_rows: []\n",
            expected: "chain.yaml:4: partners[1]: partner 'a' is already listed as partners[0]"),
        Case(
            label: "no partners", text: "chain: c\npartners: []\nlinking_rows: []\n",
            expected: "chain.yaml:2: partners: the chain has no partners"),
        Case(
            label: "no linking rows key", text: "chain: c\npartners: [{name: a}]\n",
            expected: "chain.yaml: missing key 'linking_rows' (or 'linking_rows_file' naming an MPS file)"),
        Case(
            label: "rows both inline and in a file", text: "chain: c\npartners: [{name: a}]\nlinking_rows: []\nlinking_rows_file: l.mps\n",
            expected: "chain.yaml:4: give linking_rows or linking_rows_file, not both"),
        Case(
            label: "unknown partner", text: head + "  - {name: A, upper: 1, terms: {p01.X1: 1}}\n  - name: CAP1\n    upper: 5\n    terms: {p01.X2: 1, p99.X1: 2}\n",
            expected: "chain.yaml:10: linking_rows[1] 'CAP1': unknown partner 'p99'"),
        Case(
            label: "not an interface variable", text: head + "  - {name: CAP, upper: 1, terms: {p01.X9: 1}}\n",
            expected: "chain.yaml:7: linking_rows[0] 'CAP': 'p01.X9' is not an interface variable of 'p01'"),
        Case(
            label: "term without a partner", text: head + "  - {name: CAP, upper: 1, terms: {X1: 1}}\n",
            expected: "chain.yaml:7: linking_rows[0] 'CAP': term 'X1' must be written partner.variable"),
        Case(
            label: "coefficient not a number", text: head + "  - name: CAP\n    upper: 1\n    terms:\n      p01.X1: one\n",
            expected: "chain.yaml:10: linking_rows[0] 'CAP'.terms.p01.X1: 'one' is not a number"),
        Case(
            label: "bounds crossed", text: head + "  - {name: CAP, lower: 5, upper: 1, terms: {p01.X1: 1}}\n",
            expected: "chain.yaml:7: linking_rows[0] 'CAP': lower 5 is above upper 1"),
        Case(
            label: "both bound forms", text: head + "  - {name: CAP, upper: 1, sense: le, rhs: 1, terms: {p01.X1: 1}}\n",
            expected: "chain.yaml:7: linking_rows[0] 'CAP': give lower/upper or sense with rhs, not both"),
        Case(
            label: "no bounds", text: head + "  - {name: CAP, terms: {p01.X1: 1}}\n",
            expected: "chain.yaml:7: linking_rows[0] 'CAP': needs bounds: lower and/or upper, or sense (le, ge, eq) with rhs"),
        Case(
            label: "bad row sense", text: head + "  - {name: CAP, sense: lt, rhs: 1, terms: {p01.X1: 1}}\n",
            expected: "chain.yaml:7: linking_rows[0] 'CAP'.sense: 'lt' must be le, ge or eq"),
        Case(
            label: "sense without rhs", text: head + "  - {name: CAP, sense: le, terms: {p01.X1: 1}}\n",
            expected: "chain.yaml:7: linking_rows[0] 'CAP': sense needs an rhs"),
        Case(
            label: "row name twice", text: head + "  - {name: CAP, upper: 1, terms: {p01.X1: 1}}\n  - {name: CAP, upper: 2, terms: {p02.Y: 1}}\n",
            expected: "chain.yaml:8: linking_rows[1] 'CAP': name already used by linking_rows[0]"),
        Case(
            label: "row without terms", text: head + "  - {name: CAP, upper: 1, terms: {}}\n",
            expected: "chain.yaml:7: linking_rows[0] 'CAP': has no terms"),
        Case(
            label: "unknown row key", text: head + "  - {name: CAP, upper: 1, terms: {p01.X1: 1}, weight: 2}\n",
            expected: "chain.yaml:7: linking_rows[0].weight: unknown key (expected name, lower, upper, sense, rhs, terms)"),
        Case(
            label: "duplicate term", text: head + "  - {name: CAP, upper: 1, terms: {p01.X1: 1, p01.X1: 2}}\n",
            expected: "chain.yaml:7: duplicate key 'p01.X1' in a mapping"),
    ]

    @Test(arguments: cases)
    func rejects(_ c: Case) {
        #expect {
            _ = try Self.parse(c.text)
        } throws: { error in
            let message = (error as? ModelFileError)?.description ?? "\(error)"
            if message != c.expected { Issue.record("got: \(message)") }
            return message == c.expected
        }
    }

    /// A companion file names its own path in messages.
    @Test func badCompanionFile() throws {
        let directory = try TemporaryDirectory()
        let yaml = "chain: c\npartners: [{name: a, interface: [x]}]\nlinking_rows_file: rows.mps\n"
        try AtomicFile.write(yaml, to: directory.file("chain.yaml"))
        #expect {
            _ = try ChainContract.load(path: directory.file("chain.yaml"))
        } throws: { error in
            (error as? ModelFileError)?.description == "\(directory.path)/rows.mps: cannot read file: No such file or directory"
        }
        try AtomicFile.write(
            "NAME\nROWS\n N OBJ\n L R1\nCOLUMNS\n    x R1 1\nRHS\n    RHS R1 4\nENDATA\n", to: directory.file("rows.mps"))
        #expect {
            _ = try ChainContract.load(path: directory.file("chain.yaml"))
        } throws: { error in
            (error as? ModelFileError)?.description == "\(directory.path)/rows.mps: column 'x' is not named partner.variable"
        }
        try AtomicFile.write(
            "NAME\nROWS\n N OBJ\n L R1\nCOLUMNS\n    b.x R1 1\nRHS\n    RHS R1 4\nENDATA\n", to: directory.file("rows.mps"))
        #expect {
            _ = try ChainContract.load(path: directory.file("chain.yaml"))
        } throws: { error in
            (error as? ModelFileError)?.description == "\(directory.path)/rows.mps: column 'b.x' names unknown partner 'b'"
        }
        try AtomicFile.write(
            "NAME\nROWS\n N OBJ\n L R1\nCOLUMNS\n    a.x R1 1\nRHS\n    RHS R1 4\nENDATA\n", to: directory.file("rows.mps"))
        let c = try ChainContract.load(path: directory.file("chain.yaml"))
        #expect(c.linkingRows == [.init(name: "R1", lower: -Self.inf, upper: 4, terms: [.init(partner: "a", variable: "x", coefficient: 1)])])
    }
}
