import Foundation
import ParleyModel
import Testing

/// The MPS writer: every shared instance reads back identical, each feature is written the way
/// other readers expect, and what free MPS cannot hold is refused with a clear message.
@Suite struct MPSWriterTests {
    static let inf = Double.infinity

    static func roundTrip(_ program: LinearProgram) throws -> LinearProgram {
        let text = try MPSWriter().text(program)
        return try MPSReader().parse(text, file: "written.mps")
    }

    /// Every fixture: read, write, read again — names, bounds, matrix, objective and constant
    /// all identical (`LinearProgram` is `Equatable` over every field).
    @Test(arguments: Fixtures.files(endingIn: "mps"))
    func fixtureReadsBackIdentical(_ file: String) throws {
        let original = try MPSReader().read(path: Fixtures.path(file))
        let again = try Self.roundTrip(original)
        #expect(again == original)
        // Spelled out too, so a failure says which part differs.
        #expect(again.rowNames == original.rowNames)
        #expect(again.columnNames == original.columnNames)
        #expect(again.objectiveConstant == original.objectiveConstant)
        #expect(again.matrix == original.matrix)
        #expect(again.rowLower == original.rowLower && again.rowUpper == original.rowUpper)
        #expect(again.columnLower == original.columnLower && again.columnUpper == original.columnUpper)
    }

    /// One model with every feature: maximisation, a constant, each row kind (ranges on both
    /// sides, a free row), each bound kind, integers between markers, QUADOBJ, an empty column.
    static func everything() -> LinearProgram {
        LinearProgram(
            name: "ALL", sense: .maximize, objectiveName: "PROFIT",
            objective: [1, -2.5, 0, 0.1, 3, 0, 7],
            objectiveConstant: -12.75,
            quadratic: [
                QuadraticTerm(row: 0, column: 0, value: -2), QuadraticTerm(row: 0, column: 1, value: 0.5),
                QuadraticTerm(row: 1, column: 1, value: -1),
            ],
            matrix: SparseMatrix(
                rowCount: 6, columnCount: 7,
                triplets: [
                    (0, 0, 1), (1, 0, 1e-7), (2, 1, -3), (3, 1, 1), (4, 3, 2), (5, 4, 1), (5, 6, 1), (0, 3, 1.0 / 3.0),
                ]),
            columnLower: [0, -Self.inf, -Self.inf, 2.5, 1, 0, 0],
            columnUpper: [Self.inf, Self.inf, 4, Self.inf, 1, -1, 10],
            rowLower: [-Self.inf, 1, 0.1, -1e20, -Self.inf, 3],
            rowUpper: [4, Self.inf, 0.3, 17, Self.inf, 3],
            columnNames: ["X", "FREE", "MINUS", "LOWER", "FIXED", "NEGUP", "N"],
            rowNames: ["LE", "GE", "RANGE", "WIDE", "FREEROW", "EQ"],
            isInteger: [false, false, false, true, true, false, true])
    }

    @Test func everyFeatureReadsBackIdentical() throws {
        let program = Self.everything()
        #expect(try Self.roundTrip(program) == program)
    }

    /// The exact text, so the conventions in the type's documentation are pinned.
    @Test func writesTheDocumentedText() throws {
        let text = try MPSWriter().text(Self.everything())
        #expect(
            text == """
                NAME ALL
                OBJSENSE
                  MAX
                ROWS
                  N PROFIT
                  L LE
                  G GE
                  G RANGE
                  L WIDE
                  L FREEROW
                  E EQ
                COLUMNS
                  X PROFIT 1
                  X LE 1
                  X GE 1e-07
                  FREE PROFIT -2.5
                  FREE RANGE -3
                  FREE WIDE 1
                  MINUS PROFIT 0
                  MARKER0 'MARKER' 'INTORG'
                  LOWER PROFIT 0.1
                  LOWER LE 0.3333333333333333
                  LOWER FREEROW 2
                  FIXED PROFIT 3
                  FIXED EQ 1
                  MARKER1 'MARKER' 'INTEND'
                  NEGUP PROFIT 0
                  MARKER2 'MARKER' 'INTORG'
                  N PROFIT 7
                  N EQ 1
                  MARKER3 'MARKER' 'INTEND'
                RHS
                  RHS PROFIT 12.75
                  RHS LE 4
                  RHS GE 1
                  RHS RANGE 0.1
                  RHS WIDE 17
                  RHS FREEROW 1e+30
                  RHS EQ 3
                RANGES
                  RNG RANGE 0.19999999999999998
                  RNG WIDE 1e+20
                BOUNDS
                  FR BND FREE
                  MI BND MINUS
                  UP BND MINUS 4
                  LO BND LOWER 2.5
                  PL BND LOWER
                  FX BND FIXED 1
                  LO BND NEGUP 0
                  UP BND NEGUP -1
                  UP BND N 10
                QUADOBJ
                  X X -2
                  X FREE 0.5
                  FREE FREE -1
                ENDATA

                """)
    }

    /// `0.1 + (0.3 - 0.1)` is not `0.3` in binary: the range width is nudged until the reader's
    /// sum gives the far bound back exactly, from whichever bound keeps the width's ulp fine.
    @Test(arguments: [(0.1, 0.3), (-0.3, 0.7), (1e-300, 1e29), (-1e10, 1.1), (-7.3, -0.7), (1 / 3.0, 2 / 3.0)])
    func rangesAreExact(_ bounds: (Double, Double)) throws {
        let (lower, upper) = bounds
        let program = LinearProgram(
            objective: [1], matrix: SparseMatrix(rowCount: 1, columnCount: 1, triplets: [(0, 0, 1)]),
            columnLower: [0], columnUpper: [Self.inf], rowLower: [lower], rowUpper: [upper])
        let again = try Self.roundTrip(program)
        #expect(again.rowLower == [lower])
        #expect(again.rowUpper == [upper])
    }

    /// Names with a space (forplan has 'DEDO3 1R') go on fixed-column lines, values still in full
    /// precision past column 36, and read back in the reader's automatic mode.
    @Test func namesWithSpacesUseFixedColumns() throws {
        var program = Self.one(column: "MY X", row: "R 1")
        program.rowLower = [1.0 / 3.0]
        program.rowUpper = [1.0 / 3.0]
        program.columnUpper = [-2.0 / 3.0]
        program.columnLower = [-.infinity]
        let text = try MPSWriter().text(program)
        #expect(
            text == """
                NAME \("")
                ROWS
                  N obj
                 E  R 1
                COLUMNS
                    MY X      obj       1
                    MY X      R 1       1
                RHS
                    RHS       R 1       0.3333333333333333
                BOUNDS
                 MI BND       MY X
                 UP BND       MY X      -0.6666666666666666
                ENDATA

                """)
        #expect(try MPSReader().parse(text, file: "x.mps") == program)
    }

    @Test func shortestRoundTripNumbers() {
        #expect(MPSWriter.number(1) == "1")
        #expect(MPSWriter.number(-0.0) == "-0")
        #expect(MPSWriter.number(0.1) == "0.1")
        #expect(MPSWriter.number(1e15) == "1000000000000000")
        #expect(MPSWriter.number(9_007_199_254_740_992) == "9007199254740992")
        #expect(MPSWriter.number(1e16) == "1e+16")
        #expect(MPSWriter.number(123456789012345) == "123456789012345")
        #expect(MPSWriter.number(2.1000000000000001) == "2.1")
        #expect(MPSWriter.number(.pi) == "3.141592653589793")
        for x in [0.1, .leastNormalMagnitude / 3, .pi, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, 123.456e-7] {
            #expect(Double(MPSWriter.number(x)) == x)
        }
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        var label: String
        var program: LinearProgram
        var expected: String
        var testDescription: String { label }
    }

    static func one(
        column: String = "X", row: String = "R", columnBounds: (Double, Double) = (0, .infinity),
        rowBounds: (Double, Double) = (-.infinity, 1)
    ) -> LinearProgram {
        LinearProgram(
            objective: [1], matrix: SparseMatrix(rowCount: 1, columnCount: 1, triplets: [(0, 0, 1)]),
            columnLower: [columnBounds.0], columnUpper: [columnBounds.1], rowLower: [rowBounds.0],
            rowUpper: [rowBounds.1], columnNames: [column], rowNames: [row])
    }

    static let refusals: [Refusal] = [
        Refusal(
            label: "space in a long column name", program: one(column: "MY COLUMN"),
            expected: "out.mps: column name 'MY COLUMN' has white space that MPS cannot hold (a name with spaces "
                + "must fit fixed-format columns: at most 8 characters, spaces only inside)"),
        Refusal(
            label: "tab in a name", program: one(row: "A\tB"),
            expected: "out.mps: row name 'A\tB' has white space that MPS cannot hold (a name with spaces "
                + "must fit fixed-format columns: at most 8 characters, spaces only inside)"),
        Refusal(
            label: "long name beside a name with a space", program: one(column: "LONGCOLUMN", row: "MY ROW"),
            expected: "out.mps: name 'LONGCOLUMN' is longer than 8 characters and shares a line with a name with "
                + "a space, which must be written in fixed-format columns"),
        Refusal(
            label: "empty row name", program: one(row: ""),
            expected: "out.mps: a row has an empty name, which MPS cannot hold"),
        Refusal(
            label: "row named like the objective", program: one(row: "obj"),
            expected: "out.mps: row name 'obj' is used twice"),
        Refusal(
            label: "finite bound read as infinite", program: one(columnBounds: (0, 1e30)),
            expected: "out.mps: a bound of column 'X' is 1e+30, which MPS reads as infinite (|value| ≥ 1e+30)"),
        Refusal(
            label: "range read as infinite", program: one(rowBounds: (-8e29, 8e29)),
            expected: "out.mps: row 'R' has bounds [-8e+29, 8e+29] that no RHS and RANGES value give back exactly"),
        // -0.3 + w rounds to a multiple of 2⁻⁵⁴, which 0.1 is not; 0.1 - w rounds ties to even
        // and skips -0.3: no (rhs, range) pair reads back as exactly these bounds.
        Refusal(
            label: "range no sum reproduces", program: one(rowBounds: (-0.3, 0.1)),
            expected: "out.mps: row 'R' has bounds [-0.3, 0.1] that no RHS and RANGES value give back exactly"),
        Refusal(
            label: "row lower bound +inf", program: one(rowBounds: (.infinity, .infinity)),
            expected: "out.mps: row 'R' has bounds [inf, inf], which MPS cannot hold"),
    ]

    @Test(arguments: refusals)
    func refuses(_ refusal: Refusal) {
        #expect {
            _ = try MPSWriter().text(refusal.program, file: "out.mps")
        } throws: { error in
            (error as? ModelFileError)?.description == refusal.expected
        }
    }

    /// Written through `AtomicFile`: the file is complete, readable, and no temporary is left.
    @Test func writesAtomicallyToDisk() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/model.mps"
        try MPSWriter().write(Self.everything(), to: path)
        try MPSWriter().write(Self.one(), to: path)
        #expect(try MPSReader().read(path: path) == Self.one())
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["model.mps"])
    }
}
