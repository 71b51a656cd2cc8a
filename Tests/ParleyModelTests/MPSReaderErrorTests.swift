import ParleyModel
import Testing

/// Malformed MPS files and the exact one-line error each one gives: `file:line: message`, or
/// `file: message` when the problem is with the file as a whole.
@Suite struct MPSReaderErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var text: String
        var expected: String
        var format = MPSReader.Format.auto
        var testDescription: String { label }
    }

    /// Lines 1–5 of many cases: a case written `rowsHead + …` starts its own text at line 6.
    static let rowsHead = """
        NAME          BAD
        ROWS
         N  COST
         L  R1
        COLUMNS

        """

    /// Lines 1–6 of most cases: a case written `head + …` starts its own text at line 7.
    static let head = rowsHead + "    X1        COST    1   R1      1\n"

    static let cases: [Case] = [
        Case(
            label: "unknown row in COLUMNS",
            text: head + """
                    X2        NOPE    1
                ENDATA
                """,
            expected: "x.mps:7: unknown row 'NOPE' in COLUMNS"),
        Case(
            label: "duplicate entry on two lines",
            text: """
                NAME          BAD
                ROWS
                 N  COST
                 L  R1
                 G  R2
                COLUMNS
                    X1        COST    1   R1      1
                    X1        R2      1   R1      2
                ENDATA
                """,
            expected: "x.mps:8: duplicate entry for column 'X1' in row 'R1' (first at line 7)"),
        Case(
            label: "duplicate objective entry on two lines",
            text: head + """
                    X1        COST    2
                ENDATA
                """,
            expected: "x.mps:7: duplicate entry for column 'X1' in row 'COST' (first at line 6)"),
        Case(
            label: "duplicate entry on one line",
            text: rowsHead + """
                    X1        R1      1   R1      2
                ENDATA
                """,
            expected: "x.mps:6: duplicate entry for column 'X1' in row 'R1'"),
        Case(
            label: "bad number",
            text: rowsHead + """
                    X1        COST    1   R1      1.0.0
                ENDATA
                """,
            expected: "x.mps:6: bad number '1.0.0' for coefficient of column 'X1' in row 'R1'"),
        Case(
            label: "NaN coefficient",
            text: rowsHead + """
                    X1        COST    NaN R1      1
                ENDATA
                """,
            expected: "x.mps:6: coefficient of column 'X1' in row 'COST' is 'NaN', which is not a finite number"),
        Case(
            label: "Inf in RHS",
            text: head + """
                RHS
                    RHS       R1      inf
                ENDATA
                """,
            expected:
                "x.mps:8: RHS value of row 'R1' is 'inf', which is not a finite number (write 1e+30 for infinity)"),
        Case(
            label: "Infinity as a bound",
            text: head + """
                BOUNDS
                 UP BND       X1      Infinity
                ENDATA
                """,
            expected:
                "x.mps:8: UP bound of column 'X1' is 'Infinity', which is not a finite number "
                + "(write 1e+30 for infinity)"),
        Case(
            label: "NaN as a bound",
            text: head + """
                BOUNDS
                 LO BND       X1      nan
                ENDATA
                """,
            expected: "x.mps:8: LO bound of column 'X1' is 'nan', which is not a finite number"),
        Case(
            label: "negative Inf in RANGES",
            text: head + """
                RANGES
                    RNG       R1      -inf
                ENDATA
                """,
            expected:
                "x.mps:8: RANGES value of row 'R1' is '-inf', which is not a finite number (write 1e+30 for infinity)"),
        Case(
            label: "number too large for a Double",
            text: rowsHead + """
                    X1        COST    1   R1      1e999
                ENDATA
                """,
            expected: "x.mps:6: coefficient of column 'X1' in row 'R1' is '1e999', which is not a finite number"),
        Case(
            label: "missing ROWS before ENDATA",
            text: """
                NAME          BAD
                ENDATA
                """,
            expected: "x.mps:2: missing ROWS section before ENDATA"),
        Case(
            label: "COLUMNS before ROWS",
            text: """
                NAME          BAD
                COLUMNS
                    X1        COST    1
                ENDATA
                """,
            expected: "x.mps:2: section COLUMNS before ROWS"),
        Case(
            label: "missing ROWS in a truncated file",
            text: """
                NAME          BAD
                * nothing else
                """,
            expected: "x.mps: missing ROWS section"),
        Case(label: "empty file", text: "", expected: "x.mps: missing ROWS section"),
        Case(
            label: "missing COLUMNS before ENDATA",
            text: """
                NAME          BAD
                ROWS
                 N  COST
                 L  R1
                ENDATA
                """,
            expected: "x.mps:5: missing COLUMNS section before ENDATA"),
        Case(
            label: "RHS before COLUMNS",
            text: """
                NAME          BAD
                ROWS
                 N  COST
                 L  R1
                RHS
                    RHS       R1      1
                ENDATA
                """,
            expected: "x.mps:5: section RHS before COLUMNS"),
        Case(
            label: "missing ENDATA",
            text: head + """
                RHS
                    RHS       R1      4
                """,
            expected: "x.mps: missing ENDATA: the file ends after line 8 (truncated?)"),
        Case(
            label: "unknown section",
            text: """
                NAME          BAD
                ROWS
                 N  COST
                 L  R1
                COLUMN
                    X1        COST    1   R1      1
                ENDATA
                """,
            expected: "x.mps:5: unknown section 'COLUMN'"),
        Case(
            label: "section twice",
            text: """
                NAME          BAD
                ROWS
                 N  COST
                ROWS
                 L  R1
                ENDATA
                """,
            expected: "x.mps:4: section ROWS appears twice"),
        Case(
            label: "sections out of order",
            text: head + """
                BOUNDS
                 UP BND       X1      4
                RHS
                    RHS       R1      4
                ENDATA
                """,
            expected: "x.mps:9: section RHS must come before BOUNDS"),
        Case(
            label: "unknown row type",
            text: """
                NAME          BAD
                ROWS
                 N  COST
                 X  R1
                ENDATA
                """,
            expected: "x.mps:4: unknown row type 'X' (expected N, L, G or E)"),
        Case(
            label: "duplicate row",
            text: """
                NAME          BAD
                ROWS
                 N  COST
                 L  R1
                 G  R2
                 E  R1
                ENDATA
                """,
            expected: "x.mps:6: duplicate row 'R1' (first at line 4)"),
        Case(
            // One space after the type: fixed columns would read the name from column 5 on,
            // 'APACITY', a new row; the model was read with an extra empty row (or, for a
            // duplicate before the last ROWS line, failed later at a wrong line).
            label: "duplicate last row, single spaces",
            text: """
                NAME BAD
                ROWS
                 N COST
                 G CAPACITY
                 L CAPACITY
                COLUMNS
                 X COST 1 CAPACITY 1
                RHS
                 RHS CAPACITY 3
                ENDATA
                """,
            expected: "x.mps:5: duplicate row 'CAPACITY' (first at line 4)"),
        Case(
            label: "constraint row named like the objective",
            text: """
                NAME          BAD
                ROWS
                 N  COST
                 L  COST
                ENDATA
                """,
            expected: "x.mps:4: duplicate row 'COST' (first at line 3)"),
        Case(
            label: "no N row",
            text: """
                NAME          BAD
                ROWS
                 L  R1
                COLUMNS
                    X1        R1      1
                ENDATA
                """,
            expected: "x.mps: no objective row: ROWS has no N row"),
        Case(
            label: "wrong field count in COLUMNS",
            text: rowsHead + """
                    X1        COST    1   R1
                ENDATA
                """,
            expected:
                "x.mps:6: COLUMNS line needs a column and one or two (row, value) pairs, found 4 fields"),
        Case(
            label: "unknown MARKER",
            text: rowsHead + """
                    MARKER                 'MARKER'                 'INTBEGIN'
                ENDATA
                """,
            expected: "x.mps:6: unknown MARKER type 'INTBEGIN' (expected 'INTORG' or 'INTEND')"),
        Case(
            label: "data line outside any section",
            text: """
                NAME          BAD
                    X1        COST    1
                ROWS
                 N  COST
                ENDATA
                """,
            expected: "x.mps:2: data line outside any section"),
        Case(
            label: "unknown row in RHS",
            text: head + """
                RHS
                    RHS       R9      4
                ENDATA
                """,
            expected: "x.mps:8: unknown row 'R9' in RHS"),
        Case(
            label: "duplicate RHS",
            text: head + """
                RHS
                    RHS       R1      4
                    RHS       R1      5
                ENDATA
                """,
            expected: "x.mps:9: duplicate RHS for row 'R1' (first at line 8)"),
        Case(
            label: "RANGES on the objective row",
            text: head + """
                RHS
                    RHS       R1      4
                RANGES
                    RNG       COST    2
                ENDATA
                """,
            expected: "x.mps:10: RANGES entry for the objective row 'COST'"),
        Case(
            label: "duplicate RANGES",
            text: head + """
                RANGES
                    RNG       R1      2
                    RNG       R1      3
                ENDATA
                """,
            expected: "x.mps:9: duplicate RANGES entry for row 'R1' (first at line 8)"),
        Case(
            label: "unknown bound type",
            text: head + """
                BOUNDS
                 XX BND       X1      4
                ENDATA
                """,
            expected: "x.mps:8: unknown bound type 'XX' (expected UP, LO, FX, FR, MI, PL, BV, LI or UI)"),
        Case(
            label: "SC bound",
            text: head + """
                BOUNDS
                 SC BND       X1      4
                ENDATA
                """,
            expected: "x.mps:8: semi-continuous bound (SC) on column 'X1' is not supported"),
        Case(
            label: "SC bound without a value",
            text: head + """
                BOUNDS
                 SC BND       X1
                ENDATA
                """,
            expected: "x.mps:8: semi-continuous bound (SC) on column 'X1' is not supported"),
        Case(
            label: "unknown column in BOUNDS",
            text: head + """
                BOUNDS
                 UP BND       X9      4
                ENDATA
                """,
            expected: "x.mps:8: unknown column 'X9' in BOUNDS"),
        Case(
            label: "bound without its value",
            text: head + """
                BOUNDS
                 UP X1
                ENDATA
                """,
            expected: "x.mps:8: BOUNDS line of type UP has 2 fields"),
        Case(
            label: "unknown objective sense",
            text: """
                NAME          BAD
                OBJSENSE
                    MAXIMUM
                ROWS
                 N  COST
                ENDATA
                """,
            expected: "x.mps:3: unknown objective sense 'MAXIMUM' (expected MAX or MIN)"),
        Case(
            label: "QUADOBJ pair given twice",
            text: head + """
                    X2        R1      1
                QUADOBJ
                    X1        X2      1
                    X2        X1      1
                ENDATA
                """,
            expected:
                "x.mps:10: duplicate QUADOBJ entry for ('X2', 'X1') (first at line 9); "
                + "QUADOBJ lists each off-diagonal pair once"),
        Case(
            label: "QUADOBJ that is concave when minimising",
            text: head + """
                    X2        R1      1
                QUADOBJ
                    X1        X1      2
                    X2        X2      -0.5
                ENDATA
                """,
            expected:
                "x.mps:10: the quadratic objective is not convex: minimising needs Q positive semidefinite, and its entry "
                + "for 'X2' is -0.5 (CLP would stop at a local optimum, not the optimum)"),
        Case(
            label: "QUADOBJ coupling that makes it indefinite",
            text: head + """
                    X2        R1      1
                QUADOBJ
                    X1        X1      1
                    X1        X2      3
                    X2        X2      1
                ENDATA
                """,
            expected:
                "x.mps:9: the quadratic objective is not convex: minimising needs Q positive semidefinite, and it is not, "
                + "on the coupled columns 'X1', 'X2' (CLP would stop at a local optimum, not the optimum)"),
        Case(
            label: "QUADOBJ that is convex when maximising",
            text: """
                NAME          BAD
                OBJSENSE
                    MAX
                ROWS
                 N  COST
                 L  R1
                COLUMNS
                    X1        COST    1   R1      1
                QUADOBJ
                    X1        X1      2
                ENDATA
                """,
            expected:
                "x.mps:10: the quadratic objective is not convex: maximising needs Q negative semidefinite, and its entry "
                + "for 'X1' is 2.0 (CLP would stop at a local optimum, not the optimum)"),
        Case(
            label: "unknown column in QMATRIX",
            text: head + """
                QMATRIX
                    X1        X3      1
                ENDATA
                """,
            expected: "x.mps:8: unknown column 'X3' in QMATRIX"),
        Case(
            label: "free format rejects a name with a space",
            text: """
                NAME          BAD
                ROWS
                 N  COST
                 L  MY ROW
                ENDATA
                """,
            expected: "x.mps:4: ROWS line needs a type and a name, found 3 fields",
            format: .free),
    ]

    @Test(arguments: cases)
    func reportsFileLineAndMessage(_ c: Case) {
        do {
            let program = try MPSReader(format: c.format).parse(c.text, file: "x.mps")
            Issue.record("read without error: \(program.rowCount) rows, \(program.columnCount) columns")
        } catch {
            #expect(error.description == c.expected)
        }
    }

    /// Line numbers count CRLF line ends once.
    @Test func lineNumbersWithCRLF() {
        let text = "NAME          BAD\r\nROWS\r\n N  COST\r\n L  R1\r\nCOLUMNS\r\n    X1  R2  1\r\nENDATA\r\n"
        #expect(throws: ModelFileError(file: "x.mps", line: 6, message: "unknown row 'R2' in COLUMNS")) {
            try MPSReader().parse(text, file: "x.mps")
        }
    }

    @Test func fileNameIsTheOneGiven() {
        #expect(throws: ModelFileError(file: "models/a b.mps", line: 1, message: "unknown section 'ROW'")) {
            try MPSReader().parse("ROW\n", file: "models/a b.mps")
        }
    }
}
