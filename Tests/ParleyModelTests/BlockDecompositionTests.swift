import Foundation
import ParleyModel
import Testing

/// GCG `.dec` files read against a model: which rows and columns land in which block, which rows
/// link the blocks, and the exact error for each kind of bad file.
@Suite struct BlockDecompositionTests {
    /// Rows (index): LINK1 0, A1 1, A2 2, B1 3, LINK2 4, B2 5.
    /// Columns (index): X1 0, X2 1, X3 2, X4 3, Z 4, W 5.
    static func model() throws(ModelFileError) -> LinearProgram {
        try MPSReader().parse(
            """
            NAME          TWOBLOCKS
            ROWS
             N  COST
             L  LINK1
             E  A1
             E  A2
             L  B1
             G  LINK2
             G  B2
            COLUMNS
                X1        COST    1   LINK1   1
                X1        A1      1
                X2        A1      1   A2      1
                X3        LINK1   1   B1      1
                X4        B2      1
                Z         LINK1   1   LINK2   1
                W         COST    1
            RHS
                RHS       LINK1   10  A1      1
                RHS       A2      2   B1      3
                RHS       LINK2   1   B2      1
            ENDATA
            """, file: "x.mps")
    }

    static func parse(_ dec: String) throws(ModelFileError) -> BlockDecomposition {
        try BlockDecomposition.parse(dec, file: "x.dec", for: model())
    }

    @Test func blocksLinkingRowsAndColumns() throws {
        let d = try Self.parse(
            """
            PRESOLVED
            0
            NBLOCKS
            2
            BLOCK 1
            A1
            A2
            BLOCK 2
            B2
            B1
            MASTERCONSS
            LINK2
            """)
        #expect(d.blockCount == 2)
        // Block rows keep file order; LINK1 is listed nowhere and LINK2 only in MASTERCONSS.
        #expect(d.blockRows == [[1, 2], [5, 3]])
        #expect(d.linkingRows == [0, 4])
        // X1 touches LINK1 and A1, so it belongs to block 1; X3 touches LINK1 and B1: block 2.
        #expect(d.blockColumns == [[0, 1], [2, 3]])
        // Z is only in linking rows and W in no row at all.
        #expect(d.linkingOnlyColumns == [4, 5])
    }

    @Test func commentsBlankLinesCRLFAndBlockconss() throws {
        let lines = [
            "\\ GCG comment", "# another", "NBLOCKS", "2", "", "BLOCKCONSS 2", "  B1  ", "B2", "BLOCK 1", "A2", "A1",
        ]
        let d = try Self.parse(lines.joined(separator: "\r\n") + "\r\n")
        #expect(d.blockRows == [[2, 1], [3, 5]])
        #expect(d.linkingRows == [0, 4])
        #expect(d.blockColumns == [[0, 1], [2, 3]])
    }

    @Test func partitionFromRowLists() throws {
        let d = try BlockDecomposition(program: Self.model(), blockRows: [[3, 5], [1]])
        #expect(d.blockColumns == [[2, 3], [0, 1]])
        #expect(d.linkingRows == [0, 2, 4])
        #expect(d.linkingOnlyColumns == [4, 5])
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var dec: String
        var expected: String
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(
            label: "unknown row",
            dec: "NBLOCKS\n2\nBLOCK 1\nA1\nA3\nBLOCK 2\nB1\n",
            expected: "x.dec:5: unknown row 'A3' (not in the model's ROWS)"),
        Case(
            label: "unknown row, CRLF line ends",
            dec: "NBLOCKS\r\n1\r\nBLOCK 1\r\nA9\r\n",
            expected: "x.dec:4: unknown row 'A9' (not in the model's ROWS)"),
        Case(
            label: "objective row listed",
            dec: "NBLOCKS\n1\nBLOCK 1\nA1\nCOST\n",
            expected: "x.dec:5: row 'COST' is the objective row, not a constraint"),
        Case(
            label: "row in two blocks",
            dec: "NBLOCKS\n2\nBLOCK 1\nA1\nA2\nBLOCK 2\nB1\nA1\n",
            expected: "x.dec:8: row 'A1' is in block 1 (line 4) and in block 2"),
        Case(
            label: "row in a block and in MASTERCONSS",
            dec: "NBLOCKS\n2\nMASTERCONSS\nLINK1\nB1\nBLOCK 1\nA1\nBLOCK 2\nB1\n",
            expected: "x.dec:9: row 'B1' is in MASTERCONSS (line 5) and in block 2"),
        Case(
            label: "missing NBLOCKS",
            dec: "BLOCK 1\nA1\nA2\n",
            expected: "x.dec: missing NBLOCKS"),
        Case(
            label: "block beyond NBLOCKS",
            dec: "NBLOCKS\n2\nBLOCK 1\nA1\nBLOCK 3\nB1\n",
            expected: "x.dec:5: block 3 is beyond NBLOCKS 2"),
        Case(
            label: "block beyond an NBLOCKS given later",
            dec: "BLOCK 1\nA1\nBLOCK 2\nB1\nBLOCK 3\nB2\nNBLOCKS\n2\n",
            expected: "x.dec:5: block 3 is beyond NBLOCKS 2"),
        Case(
            label: "missing block",
            dec: "NBLOCKS\n3\nBLOCK 1\nA1\nBLOCK 3\nB1\n",
            expected: "x.dec: NBLOCKS is 3 but block 2 is missing"),
        Case(
            label: "missing blocks",
            dec: "NBLOCKS\n3\nBLOCK 2\nA1\n",
            expected: "x.dec: NBLOCKS is 3 but blocks 1, 3 are missing"),
        Case(
            label: "block twice",
            dec: "NBLOCKS\n2\nBLOCK 1\nA1\nBLOCK 2\nB1\nBLOCK 1\nA2\n",
            expected: "x.dec:7: block 1 appears twice"),
        Case(
            label: "column spanning two blocks",
            dec: "NBLOCKS\n2\nBLOCK 1\nA1\nBLOCK 2\nA2\nB1\n",
            expected:
                "x.dec: column 'X2' appears in block 1 (row 'A1') and block 2 (row 'A2'): "
                + "the model is not block-angular for this decomposition"),
        Case(
            label: "bad NBLOCKS",
            dec: "NBLOCKS\ntwo\n",
            expected: "x.dec:2: NBLOCKS needs a positive whole number, found 'two'"),
        Case(
            label: "bad block number",
            dec: "NBLOCKS\n2\nBLOCK 0\nA1\n",
            expected: "x.dec:3: BLOCK needs a block number from 1, found 'BLOCK 0'"),
        Case(
            label: "presolved decomposition",
            dec: "PRESOLVED\n1\nNBLOCKS\n1\nBLOCK 1\nA1\n",
            expected: "x.dec:2: PRESOLVED 1: only decompositions of the original (unpresolved) model are supported"),
        Case(
            label: "row before any section",
            dec: "A1\nNBLOCKS\n1\n",
            expected: "x.dec:1: 'A1' outside any section"),
        Case(
            label: "BLOCKVARS",
            dec: "NBLOCKS\n1\nBLOCKVARS 1\nX1\n",
            expected:
                "x.dec:3: section BLOCKVARS is not supported: Parley assigns columns from the rows they appear in"),
    ]

    @Test(arguments: cases)
    func reportsFileLineAndMessage(_ c: Case) {
        do {
            let d = try Self.parse(c.dec)
            Issue.record("read without error: \(d.blockCount) blocks")
        } catch {
            #expect(error.description == c.expected)
        }
    }

    @Test func missingFile() throws {
        let model = try Self.model()
        let expected = ModelFileError(
            file: "/nonexistent/x.dec", line: nil, message: "cannot read file: No such file or directory")
        #expect(throws: expected) {
            try BlockDecomposition.read(path: "/nonexistent/x.dec", for: model)
        }
    }

    // MARK: Real instances

    /// The block count and linking rows of a `.dec` file, worked out here without the reader:
    /// NBLOCKS is the line after `NBLOCKS`; the linking rows are the model's rows that no
    /// BLOCK section lists.
    static func expectedShape(dec text: String, rowNames: [String]) -> (blocks: Int?, linking: [String]) {
        var blocks: Int?
        var inBlocks: Set<String> = []
        var section = ""
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let keyword = line.split(separator: " ").first.map(String.init) ?? ""
            if ["PRESOLVED", "NBLOCKS", "BLOCK", "MASTERCONSS"].contains(keyword) {
                section = keyword
            } else if section == "NBLOCKS" {
                blocks = Int(line)
            } else if section == "BLOCK" {
                inBlocks.insert(line)
            }
        }
        return (blocks, rowNames.filter { !inBlocks.contains($0) })
    }

    static let decFiles = Fixtures.files(endingIn: "dec")

    @Test func everyDecFileIsFound() {
        #expect(Self.decFiles.count == 8)
    }

    @Test(arguments: decFiles)
    func realDecompositionReads(_ dec: String) throws {
        let program = try MPSReader().read(path: Fixtures.path(dec.replacing(".dec", with: ".mps")))
        let d = try BlockDecomposition.read(path: Fixtures.path(dec), for: program)
        let text = try String(contentsOfFile: Fixtures.path(dec), encoding: .utf8)
        let expected = Self.expectedShape(dec: text, rowNames: program.rowNames)
        #expect(expected.blocks != nil)
        #expect(d.blockCount == expected.blocks)
        #expect(d.linkingRows.count == expected.linking.count)
        #expect(d.linkingRows.map { program.rowNames[$0] } == expected.linking)
        // Every row and every column is placed exactly once.
        #expect((d.blockRows.joined() + d.linkingRows).sorted() == Array(0..<program.rowCount))
        #expect((d.blockColumns.joined() + d.linkingOnlyColumns).sorted() == Array(0..<program.columnCount))
    }

    @Test(arguments: [("blocks/pds-02", 11, 181), ("blocks/ken-07", 49, 25), ("blocks/ship04l", 4, 58)])
    func knownBlockCounts(_ name: String, blocks: Int, linking: Int) throws {
        let program = try MPSReader().read(path: Fixtures.path(name + ".mps"))
        let d = try BlockDecomposition.read(path: Fixtures.path(name + ".dec"), for: program)
        #expect(d.blockCount == blocks)
        #expect(d.linkingRows.count == linking)
    }

    /// The instance README says ship04l's 4 blocks are "coupled by 16 rows": that counts only the
    /// linking rows with nonzeros. 42 of its 58 unlisted rows are empty in the MPS file.
    @Test func ship04lHasSixteenNonemptyLinkingRows() throws {
        let program = try MPSReader().read(path: Fixtures.path("blocks/ship04l.mps"))
        let d = try BlockDecomposition.read(path: Fixtures.path("blocks/ship04l.dec"), for: program)
        let used = Set(program.matrix.rowIndices)
        #expect(d.linkingRows.filter(used.contains).count == 16)
    }
}
