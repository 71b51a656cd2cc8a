/// The chain as one monolithic model, for a centralized reference solve: what the negotiated
/// plan must match. Only someone who holds every partner's private model can build it — a test,
/// a demo, or a company checking a split before handing the parts out.
extension ChainContract {
    /// Joins the partners' models (in contract order) and the linking rows into one program:
    /// columns named `partner.variable`, each partner's private rows named `partner.row`, then
    /// the linking rows under their own names. The objective is the sum of the partners'
    /// objectives, each turned to the chain's sense, plus the contract's constant.
    public func centralProgram(_ problems: [PartnerProblem]) throws(ModelFileError) -> LinearProgram {
        func fail(_ message: String) -> ModelFileError { ModelFileError(file: chain, line: nil, message: message) }
        guard problems.map(\.name) == partners.map(\.name) else {
            throw fail(
                "the partner models are for \(problems.map(\.name).joined(separator: ", ")), "
                    + "not the contract's \(partners.map(\.name).joined(separator: ", "))")
        }
        var objective: [Double] = []
        var quadratic: [QuadraticTerm] = []
        var constant = objectiveConstant
        var columnLower: [Double] = []
        var columnUpper: [Double] = []
        var columnNames: [String] = []
        var isInteger: [Bool] = []
        var rowLower: [Double] = []
        var rowUpper: [Double] = []
        var rowNames: [String] = []
        var triplets: [(row: Int, column: Int, value: Double)] = []
        var columnOffset: [String: Int] = [:]
        var columnIndex: [String: [String: Int]] = [:]
        for problem in problems {
            let p = problem.program
            let sign = p.sense == sense ? 1.0 : -1.0
            let (columns, rows) = (columnNames.count, rowNames.count)
            columnOffset[problem.name] = columns
            columnIndex[problem.name] = p.columnIndexByName()
            objective += p.objective.map { sign * $0 }
            quadratic += p.quadratic.map { QuadraticTerm(row: $0.row + columns, column: $0.column + columns, value: sign * $0.value) }
            constant += sign * p.objectiveConstant
            columnLower += p.columnLower
            columnUpper += p.columnUpper
            columnNames += p.columnNames.map { "\(problem.name).\($0)" }
            isInteger += p.isInteger
            rowLower += p.rowLower
            rowUpper += p.rowUpper
            rowNames += p.rowNames.map { "\(problem.name).\($0)" }
            for j in 0..<p.columnCount {
                let (r, v) = p.matrix.column(j)
                for (i, value) in zip(r, v) { triplets.append((rows + i, columns + j, value)) }
            }
        }
        for row in linkingRows {
            let i = rowNames.count
            for t in row.terms {
                guard let offset = columnOffset[t.partner], let j = columnIndex[t.partner]?[t.variable] else {
                    throw fail("linking row '\(row.name)' names '\(t.partner).\(t.variable)', which no partner model has")
                }
                triplets.append((i, offset + j, t.coefficient))
            }
            rowLower.append(row.lower)
            rowUpper.append(row.upper)
            rowNames.append(row.name)
        }
        return LinearProgram(
            name: chain, sense: sense, objectiveName: "CHAIN", objective: objective, objectiveConstant: constant,
            quadratic: quadratic,
            matrix: SparseMatrix(rowCount: rowNames.count, columnCount: columnNames.count, triplets: triplets),
            columnLower: columnLower, columnUpper: columnUpper, rowLower: rowLower, rowUpper: rowUpper,
            columnNames: columnNames, rowNames: rowNames, isInteger: isInteger)
    }
}
