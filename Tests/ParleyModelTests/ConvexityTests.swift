import ParleyModel
import Testing

/// Which quadratic objectives are convex for their sense. CLP stops at a local optimum of one
/// that is not, so the reader refuses those (`MPSReaderErrorTests` has the messages).
@Suite struct ConvexityTests {
    /// A program over `n` columns in [0, 4] with the given Q entries.
    func program(_ n: Int, sense: ObjectiveSense = .minimize, fixed: Set<Int> = [], _ q: [(Int, Int, Double)]) -> LinearProgram {
        LinearProgram(
            sense: sense, objective: Array(repeating: 1, count: n), quadratic: q.map { QuadraticTerm(row: $0.0, column: $0.1, value: $0.2) },
            matrix: SparseMatrix(rowCount: 0, columnStarts: Array(repeating: 0, count: n + 1), rowIndices: [], values: []),
            columnLower: (0..<n).map { fixed.contains($0) ? 2 : 0 }, columnUpper: (0..<n).map { fixed.contains($0) ? 2 : 4 },
            rowLower: [], rowUpper: [])
    }

    @Test func convexObjectivesPass() {
        #expect(program(2, []).nonConvexColumns() == nil)  // a linear program
        #expect(program(2, [(0, 0, 2), (1, 1, 0.5)]).nonConvexColumns() == nil)  // separable
        #expect(program(2, [(0, 0, 1), (0, 1, 1), (1, 1, 1)]).nonConvexColumns() == nil)  // singular, PSD
        #expect(program(3, [(0, 0, 2), (0, 1, -1), (1, 1, 2), (1, 2, -1), (2, 2, 2)]).nonConvexColumns() == nil)
        #expect(program(1, sense: .maximize, [(0, 0, -2)]).nonConvexColumns() == nil)  // concave, maximised
        // Curvature the wrong way on a fixed column changes nothing the solver can choose.
        #expect(program(2, fixed: [1], [(0, 0, 1), (1, 1, -5)]).nonConvexColumns() == nil)
    }

    @Test func nonConvexObjectivesNameTheirColumns() {
        #expect(program(2, [(0, 0, 2), (1, 1, -0.5)]).nonConvexColumns() == [1])
        #expect(program(1, sense: .maximize, [(0, 0, 2)]).nonConvexColumns() == [0])
        #expect(program(3, [(0, 0, 1), (1, 1, 1), (1, 2, 3), (2, 2, 1)]).nonConvexColumns() == [1, 2])
        // Rounding in a PSD matrix's entries is not mistaken for negative curvature…
        #expect(program(2, [(0, 0, 1), (0, 1, 1 + 1e-12), (1, 1, 1)]).nonConvexColumns() == nil)
        // …but a real negative eigenvalue is found, however small against the largest entry.
        #expect(program(2, [(0, 0, 1), (0, 1, 1 + 1e-6), (1, 1, 1)]).nonConvexColumns() == [0, 1])
    }
}
