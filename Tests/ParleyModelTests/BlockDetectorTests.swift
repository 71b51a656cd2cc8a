import ParleyModel
import Testing

/// Block detection without `.dec` files or row names, checked against the published
/// decompositions of every block instance.
@Suite struct BlockDetectorTests {
    static let blockInstances = Fixtures.optima.filter { $0.decomposition != nil }

    static func nonEmptyLinkingRows(_ d: BlockDecomposition, _ program: LinearProgram) -> Set<Int> {
        let rows = program.matrix.transposed()
        return Set(d.linkingRows.filter { !rows.column($0).rows.isEmpty })
    }

    /// Same number of blocks and the same non-empty linking rows as the `.dec` file. (Empty rows
    /// belong to no block in either; ship04l's `.dec` leaves 42 of them out of its blocks.)
    @Test(arguments: blockInstances)
    func matchesThePublishedDecomposition(_ instance: Fixtures.Instance) throws {
        let program = try MPSReader().read(path: Fixtures.path(instance.file))
        let published = try BlockDecomposition.read(path: Fixtures.path(instance.decomposition!), for: program)
        let detected = BlockDetector.detect(program)
        #expect(detected.blockCount == published.blockCount)
        #expect(Self.nonEmptyLinkingRows(detected, program) == Self.nonEmptyLinkingRows(published, program))
        #expect(Set(detected.blockRows.map { Set($0) }) == Set(published.blockRows.map { Set($0) }))
    }

    /// What each instance's linking rows turn out to be, in the detector's words.
    @Test func rulesThatFindEachStructure() throws {
        func rule(_ name: String) throws -> String {
            let program = try MPSReader().read(path: Fixtures.path("blocks/\(name).mps"))
            return BlockDetector.candidates(program).first?.rule ?? "none"
        }
        let rules = try ["pds-02", "ken-07", "ship04l", "chem", "fxm2_6"].map(rule)
        // ship04l: all inequalities, of which the 32 ≤ rows with ±1 coefficients lie within one
        // block each and are moved back into it.
        #expect(
            rules == [
                "≤ rows", "rows with at least 50 nonzeros", "≤ rows + ≥ rows", "copy rows (a·x - a·y = 0)",
                "copy rows (a·x - a·y = 0)",
            ])
    }

    /// Two blocks of two rows each coupled by one dense row; an empty row is in neither.
    @Test func smallModel() throws {
        let program = try MPSReader().parse(
            """
            NAME SMALL
            ROWS
             N OBJ
             E A1
             E EMPTY
             E A2
             L LINK
             E B1
             E B2
            COLUMNS
             X1 A1 1 A2 2
             X1 LINK 3
             X2 A1 1
             X3 A2 1 LINK 1
             Y1 B1 1 B2 1
             Y2 B1 1 LINK 1
             Y3 B2 1
             Z LINK 1
            RHS
             RHS LINK 9
            ENDATA
            """, file: "small.mps")
        let d = BlockDetector.detect(program)
        #expect(d.blockRows == [[0, 2], [4, 5]])
        #expect(d.linkingRows == [1, 3])  // EMPTY (no block) and LINK
        #expect(d.blockColumns == [[0, 1, 2], [3, 4, 5]])
        #expect(d.linkingOnlyColumns == [6])
    }

    /// A model that falls apart on its own needs no linking row; one with no structure gives
    /// one block of every non-empty row.
    @Test func withoutLinkingRowsAndWithoutStructure() throws {
        let apart = try MPSReader().parse(
            "NAME\nROWS\n N OBJ\n E A\n E B\nCOLUMNS\n X A 1\n Y B 1\nRHS\n RHS A 1 B 1\nENDATA\n", file: "apart.mps")
        #expect(BlockDetector.detect(apart).blockRows == [[0], [1]])
        #expect(BlockDetector.detect(apart).linkingRows.isEmpty)
        let one = try MPSReader().parse(
            "NAME\nROWS\n N OBJ\n E A\n E B\nCOLUMNS\n X A 1 B 1\n Y B 1\nRHS\n RHS A 1 B 1\nENDATA\n", file: "one.mps")
        #expect(BlockDetector.detect(one).blockRows == [[0, 1]])
    }

    @Test func scoreFavoursBalanceAndFewLinkingNonzeros() {
        #expect(BlockDetector.score(linkingNonzeros: 0, totalNonzeros: 10, blockSizes: [3, 3]) == 1)
        #expect(BlockDetector.score(linkingNonzeros: 5, totalNonzeros: 10, blockSizes: [3, 3]) == 0.5)
        // Sizes 1 and 3: effective count 16/10 of 2 blocks.
        #expect(BlockDetector.score(linkingNonzeros: 0, totalNonzeros: 10, blockSizes: [1, 3]) == 0.8)
        #expect(BlockDetector.score(linkingNonzeros: 0, totalNonzeros: 10, blockSizes: [6]) == 0)
    }
}
