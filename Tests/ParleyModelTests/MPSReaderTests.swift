import ParleyModel
import Testing

/// What the MPS reader makes of each MPS feature, checked value by value on small inline files.
@Suite struct MPSReaderTests {
    static let inf = Double.infinity

    static func parse(_ text: String, format: MPSReader.Format = .auto) throws -> LinearProgram {
        try MPSReader(format: format).parse(text, file: "x.mps")
    }

    /// N, L, G and E rows, a second N row, and an RHS on the objective row.
    static let rowsModel = """
        NAME          TINY
        ROWS
         N  COST
         L  LIM1
         G  LIM2
         E  MYEQN
         N  FREE2
        COLUMNS
            X1        COST         1.0   LIM1         1.0
            X1        LIM2         1.0   FREE2        9.0
            X2        COST         2.0   LIM1         1.0
            X2        MYEQN       -1.0
            X3        FREE2        5.0   MYEQN        3.0
        RHS
            RHS       LIM1         4.0   LIM2         1.0
            RHS       MYEQN        7.0   COST        -2.5
        ENDATA
        """

    @Test func rowTypesObjectiveAndDroppedFreeRow() throws {
        let p = try Self.parse(Self.rowsModel)
        #expect(p.name == "TINY")
        #expect(p.sense == .minimize)
        #expect(p.objectiveName == "COST")
        // The second N row is dropped together with its COLUMNS entries (X1: 9, X3: 5).
        #expect(p.rowNames == ["LIM1", "LIM2", "MYEQN"])
        #expect(p.columnNames == ["X1", "X2", "X3"])
        #expect(p.objective == [1, 2, 0])
        #expect(p.rowLower == [-Self.inf, 1, 7])
        #expect(p.rowUpper == [4, Self.inf, 7])
        #expect(p.columnLower == [0, 0, 0])
        #expect(p.columnUpper == [Self.inf, Self.inf, Self.inf])
        let matrix = SparseMatrix(
            rowCount: 3, columnStarts: [0, 2, 4, 5], rowIndices: [0, 1, 0, 2, 2], values: [1, 1, 1, -1, 3])
        #expect(p.matrix == matrix)
        #expect(p.isInteger == [false, false, false])
        #expect(p.quadratic.isEmpty)
    }

    @Test func objectiveRowRHSIsTheNegatedConstant() throws {
        let p = try Self.parse(Self.rowsModel)
        #expect(p.objectiveConstant == 2.5)
        #expect(p.objectiveValue([1, 1, 1]) == 2.5 + 1 + 2)
    }

    @Test func rangesFollowTheSignRules() throws {
        let p = try Self.parse(
            """
            NAME          RANGED
            ROWS
             N  COST
             E  EPOS
             E  ENEG
             E  EZERO
             L  LPOS
             L  LNEG
             G  GPOS
             G  GNEG
             E  PLAIN
            COLUMNS
                X         COST    1   EPOS    1
                X         ENEG    1   EZERO   1
                X         LPOS    1   LNEG    1
                X         GPOS    1   GNEG    1
                X         PLAIN   1
            RHS
                RHS       EPOS    10  ENEG    10
                RHS       EZERO   10  LPOS    10
                RHS       LNEG    10  GPOS    10
                RHS       GNEG    10  PLAIN   5
            RANGES
                RNG       EPOS    4   ENEG    -4
                RNG       EZERO   0   LPOS    3
                RNG       LNEG    -3  GPOS    3
                RNG       GNEG    -3
            ENDATA
            """)
        #expect(p.rowNames == ["EPOS", "ENEG", "EZERO", "LPOS", "LNEG", "GPOS", "GNEG", "PLAIN"])
        // E: R > 0 gives [rhs, rhs + R], R < 0 gives [rhs + R, rhs]. L: [rhs - |R|, rhs]. G: [rhs, rhs + |R|].
        #expect(p.rowLower == [10, 6, 10, 7, 7, 10, 10, 5])
        #expect(p.rowUpper == [14, 10, 10, 10, 10, 13, 13, 5])
    }

    @Test func everyBoundType() throws {
        let p = try Self.parse(
            """
            NAME          BOUNDED
            ROWS
             N  COST
             L  R1
            COLUMNS
                UPCOL     R1      1
                LOCOL     R1      1
                FXCOL     R1      1
                FRCOL     R1      1
                MICOL     R1      1
                PLCOL     R1      1
                BVCOL     R1      1
                LICOL     R1      1
                UICOL     R1      1
                NEGUP     R1      1
                LOTHENUP  R1      1
                UPTHENLO  R1      1
                HUGE      R1      1
            RHS
                RHS       R1      100
            BOUNDS
             UP BND       UPCOL   4
             LO BND       LOCOL   -3
             FX BND       FXCOL   2.5
             FR BND       FRCOL
             UP BND       MICOL   5
             MI BND       MICOL
             UP BND       PLCOL   3
             PL BND       PLCOL
             BV BND       BVCOL
             LI BND       LICOL   2
             UI BND       UICOL   7
             UP BND       NEGUP   -5
             LO BND       LOTHENUP -10
             UP BND       LOTHENUP -5
             UP BND       UPTHENLO -5
             LO BND       UPTHENLO -8
             LO BND       HUGE    -1e30
             UP BND       HUGE    1e31
            ENDATA
            """)
        #expect(
            p.columnNames == [
                "UPCOL", "LOCOL", "FXCOL", "FRCOL", "MICOL", "PLCOL", "BVCOL", "LICOL", "UICOL", "NEGUP", "LOTHENUP",
                "UPTHENLO", "HUGE",
            ])
        let inf = Self.inf
        #expect(p.columnLower == [0, -3, 2.5, -inf, -inf, 0, 0, 2, 0, -inf, -10, -8, -inf])
        #expect(p.columnUpper == [4, inf, 2.5, inf, 5, inf, 1, inf, 7, -5, -5, -5, inf])
        // BV, LI and UI make a column integer; the other types do not.
        #expect(p.isInteger == [false, false, false, false, false, false, true, true, true, false, false, false, false])
    }

    @Test func boundsWithoutSetName() throws {
        let p = try Self.parse(
            """
            NAME
            ROWS
             N  COST
             L  R1
            COLUMNS
                A         R1      1
                B         R1      1
                C         R1      1
            BOUNDS
             UP A         4
             FR B
             BV C
            ENDATA
            """)
        #expect(p.columnLower == [0, -Self.inf, 0])
        #expect(p.columnUpper == [4, Self.inf, 1])
        #expect(p.isInteger == [false, false, true])
    }

    static let senseBody = """
        ROWS
         N  COST
         L  R1
        COLUMNS
            X         COST    3   R1      1
        RHS
            RHS       R1      2
        ENDATA
        """

    @Test func objectiveSenseOnItsOwnLine() throws {
        let p = try Self.parse("NAME          S\nOBJSENSE\n    MAX\n" + Self.senseBody)
        #expect(p.sense == .maximize)
        #expect(p.objective == [3])
        #expect(p.rowUpper == [2])
    }

    @Test func objectiveSenseOnTheHeaderLine() throws {
        let p = try Self.parse("NAME          S\nOBJSENSE MAX\n" + Self.senseBody)
        #expect(p.sense == .maximize)
        #expect(p.objective == [3])
        #expect(p.rowUpper == [2])
    }

    @Test func minimizeWithoutObjectiveSense() throws {
        #expect(try Self.parse("NAME          S\n" + Self.senseBody).sense == .minimize)
        #expect(try Self.parse("NAME          S\nOBJSENSE\n    MIN\n" + Self.senseBody).sense == .minimize)
    }

    @Test func integerMarkers() throws {
        let p = try Self.parse(
            """
            NAME          INTS
            ROWS
             N  COST
             L  R1
            COLUMNS
                X1        COST    1   R1      1
                MARKER                 'MARKER'                 'INTORG'
                X2        COST    1   R1      1
                X3        R1      1
                MARKER                 'MARKER'                 'INTEND'
                X4        R1      1
            RHS
                RHS       R1      10
            ENDATA
            """)
        #expect(p.columnNames == ["X1", "X2", "X3", "X4"])
        #expect(p.isInteger == [false, true, true, false])
        #expect(p.hasIntegers)
        // Markers are not columns and do not change bounds.
        #expect(p.columnLower == [0, 0, 0, 0])
        #expect(p.columnUpper == [Self.inf, Self.inf, Self.inf, Self.inf])
    }

    static let quadraticBody = """
        NAME          QP
        ROWS
         N  COST
         G  R1
        COLUMNS
            X1        COST    -1  R1      1
            X2        COST    -2  R1      1
            X3        R1      1
        RHS
            RHS       R1      1
        """

    static let expectedTerms = [
        QuadraticTerm(row: 0, column: 0, value: 2),
        QuadraticTerm(row: 0, column: 1, value: 1),
        QuadraticTerm(row: 1, column: 1, value: 4),
        QuadraticTerm(row: 1, column: 2, value: -0.5),
        QuadraticTerm(row: 2, column: 2, value: 1),
    ]

    @Test func quadobjListsTheUpperTriangleOnce() throws {
        // The (X3, X2) entry is given in lower-triangle order; it is stored as (X2, X3).
        let p = try Self.parse(
            Self.quadraticBody + """

                QUADOBJ
                    X1        X1      2
                    X1        X2      1
                    X2        X2      4
                    X3        X2      -0.5
                    X3        X3      1
                ENDATA
                """)
        #expect(p.quadratic == Self.expectedTerms)
        #expect(p.isQuadratic)
        // ½ xᵀQx at x = (1, 1, 1): ½ (2 + 4 + 1) + 1 - 0.5, plus the linear part -3.
        #expect(p.objectiveValue([1, 1, 1]) == 3.5 + 1 - 0.5 - 3)
    }

    @Test func qmatrixListsTheFullMatrixAndGivesTheSameTerms() throws {
        let p = try Self.parse(
            Self.quadraticBody + """

                QMATRIX
                    X1        X1      2
                    X1        X2      1
                    X2        X1      1
                    X2        X2      4
                    X2        X3      -0.5
                    X3        X2      -0.5
                    X3        X3      1
                ENDATA
                """)
        #expect(p.quadratic == Self.expectedTerms)
    }

    /// Fixed columns: field 1 at 2–3, 2 at 5–12, 3 at 15–22, 4 at 25–36, 5 at 40–47, 6 at 50–61.
    static let fixedModel = """
        NAME          MY MODEL
        ROWS
         N  COST
         L  MY ROW
         G  ROW2
        COLUMNS
            X ONE     COST               1.0   MY ROW             2.0
            X ONE     ROW2               1.0
            X2        COST              -1.0   MY ROW             1.0
        RHS
            RHS 1     MY ROW             6.0   ROW2               1.0
        BOUNDS
         UP BND 1     X ONE              4.0
         MI BND 1     X2
        ENDATA
        """

    @Test func fixedFormatNamesWithSpaces() throws {
        let p = try Self.parse(Self.fixedModel, format: .fixed)
        #expect(p.name == "MY MODEL")
        #expect(p.rowNames == ["MY ROW", "ROW2"])
        #expect(p.columnNames == ["X ONE", "X2"])
        #expect(p.objective == [1, -1])
        #expect(p.rowLower == [-Self.inf, 1])
        #expect(p.rowUpper == [6, Self.inf])
        #expect(p.columnLower == [0, -Self.inf])
        #expect(p.columnUpper == [4, Self.inf])
        let matrix = SparseMatrix(rowCount: 2, columnStarts: [0, 2, 3], rowIndices: [0, 1, 0], values: [2, 1, 1])
        #expect(p.matrix == matrix)
    }

    @Test func autoFallsBackToFixedColumnsForNamesWithSpaces() throws {
        #expect(try Self.parse(Self.fixedModel, format: .auto) == Self.parse(Self.fixedModel, format: .fixed))
        // Split on white space alone, " L  MY ROW" has three fields.
        let expected = ModelFileError(
            file: "x.mps", line: 4, message: "ROWS line needs a type and a name, found 3 fields")
        #expect(throws: expected) {
            try Self.parse(Self.fixedModel, format: .free)
        }
    }

    /// Once a line has needed fixed columns, auto format tries them first on later lines; a
    /// line written off the columns (free layout) must still read, and a line that reads
    /// neither way must still get the free-format message and its own line number.
    @Test func autoReadsLinesOffTheColumnsAfterAFixedOne() throws {
        let columnsLine = "    X2        COST              -1.0   MY ROW             1.0"
        let mixed = Self.fixedModel.replacingOccurrences(of: columnsLine, with: " X2 COST -1.0 ROW2 1.0")
        #expect(mixed != Self.fixedModel)
        let p = try Self.parse(mixed, format: .auto)
        #expect(p.columnNames == ["X ONE", "X2"])
        #expect(p.objective == [1, -1])
        #expect(p.matrix == SparseMatrix(rowCount: 2, columnStarts: [0, 2, 3], rowIndices: [0, 1, 1], values: [2, 1, 1]))
        #expect(p.rowUpper == [6, Self.inf])
        #expect(p.columnUpper == [4, Self.inf])
        let broken = mixed.replacingOccurrences(of: " X2 COST -1.0 ROW2 1.0", with: " X2 COST -1.0 ROW3 1.0")
        #expect(throws: ModelFileError(file: "x.mps", line: 9, message: "unknown row 'ROW3' in COLUMNS")) {
            try Self.parse(broken, format: .auto)
        }
    }

    @Test func freeFormatRHSWithoutSetName() throws {
        let p = try Self.parse(
            """
            NAME
            ROWS
             N obj
             L c1
             G c2
             E c3
            COLUMNS
             x obj 1 c1 1
             x c2 1 c3 1
            RHS
             c1 4 c2 1
             c3 7
             obj 3
            ENDATA
            """, format: .free)
        #expect(p.rowLower == [-Self.inf, 1, 7])
        #expect(p.rowUpper == [4, Self.inf, 7])
        #expect(p.objectiveConstant == -3)
    }

    static func crlf(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n")
    }

    @Test func crlfLineEndingsReadLikeLF() throws {
        let crlf = Self.crlf(Self.rowsModel)
        #expect(crlf.utf8.contains(0x0D))
        let p = try Self.parse(crlf)
        #expect(p == (try Self.parse(Self.rowsModel)))
        #expect(p.rowNames == ["LIM1", "LIM2", "MYEQN"])
        #expect(try Self.parse(Self.crlf(Self.fixedModel), format: .fixed).rowNames == ["MY ROW", "ROW2"])
    }

    @Test func commentsAndBlankLinesAreSkipped() throws {
        // Before every line: a blank line and a comment repeating it, which would be a duplicate
        // row or entry if it were read.
        let lines = Self.rowsModel.split(separator: "\n")
        let commented = lines.flatMap { ["", "*\($0)", String($0)] } + ["* after ENDATA"]
        let p = try Self.parse(commented.joined(separator: "\n"))
        #expect(p == (try Self.parse(Self.rowsModel)))
        #expect(p.rowNames == ["LIM1", "LIM2", "MYEQN"])
    }

    @Test func readsFromDisk() throws {
        let p = try MPSReader().read(path: Fixtures.path("netlib/afiro.mps"))
        #expect(p.name == "AFIRO")
        #expect(p.rowCount == 27)
        let expected = ModelFileError(
            file: "/nonexistent/x.mps", line: nil, message: "cannot read file: No such file or directory")
        #expect(throws: expected) {
            try MPSReader().read(path: "/nonexistent/x.mps")
        }
    }
}
