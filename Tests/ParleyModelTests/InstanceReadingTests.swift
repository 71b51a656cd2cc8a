import ParleyModel
import Testing

/// Every shared MPS instance reads, with the size `optima.csv` lists for it.
///
/// In `optima.csv`, `rows` counts constraint rows (the objective N row not counted), which is
/// ``LinearProgram/rowCount``, and `nonzeros` counts the constraint-matrix entries written in the
/// file, objective coefficients not counted. The reader keeps explicit zeros out of the matrix, so
/// for the two files that write some, ``SparseMatrix/nonzeroCount`` is lower by exactly that many.
@Suite struct InstanceReadingTests {
    /// Constraint entries written as 0 in the file (counted with `awk` over the COLUMNS section):
    /// standgub has `Z.....99 'ENDX' 0.`, env_aggr forty `S0_… S0_CO2LIM… 0` entries.
    static let explicitZeros = ["standgub": 1, "env_aggr": 40]

    @Test func everyMPSFileHasALineInOptimaCSV() {
        #expect(Fixtures.files(endingIn: "mps").count == 39)
        #expect(Fixtures.files(endingIn: "mps") == Fixtures.optima.map(\.file).sorted())
    }

    @Test(arguments: Fixtures.optima)
    func readsWithListedSize(_ instance: Fixtures.Instance) throws {
        let program = try MPSReader().read(path: Fixtures.path(instance.file))
        #expect(program.rowCount == instance.rows)
        #expect(program.columnCount == instance.columns)
        #expect(program.matrix.nonzeroCount + Self.explicitZeros[instance.name, default: 0] == instance.nonzeros)
        #expect(!program.matrix.values.contains(0))
        #expect(program.objective.contains { $0 != 0 })
    }

    /// The one explicit zero in standgub is read (no error, the column exists) but not stored.
    @Test func explicitZeroIsNotStored() throws {
        let program = try MPSReader().read(path: Fixtures.path("netlib/standgub.mps"))
        let row = try #require(program.rowNames.firstIndex(of: "'ENDX'"))
        let column = try #require(program.columnNames.firstIndex(of: "Z.....99"))
        #expect(!program.matrix.column(column).rows.contains(row))
    }
}
