/// Whether an objective is minimised or maximised.
public enum ObjectiveSense: String, Sendable, Hashable, Codable {
    case minimize
    case maximize
}

/// A sparse matrix in compressed-column form.
///
/// Column `j` holds the entries `rowIndices[columnStarts[j] ..< columnStarts[j + 1]]` with the
/// matching `values`. Row indices inside a column are sorted and unique; this is the layout CLP
/// takes without copying and the one column generation appends to.
public struct SparseMatrix: Sendable, Equatable {
    public var rowCount: Int
    public var columnStarts: [Int]
    public var rowIndices: [Int]
    public var values: [Double]

    public var columnCount: Int { columnStarts.count - 1 }
    public var nonzeroCount: Int { rowIndices.count }

    public init(rowCount: Int, columnStarts: [Int], rowIndices: [Int], values: [Double]) {
        precondition(!columnStarts.isEmpty && columnStarts.last == rowIndices.count)
        precondition(rowIndices.count == values.count)
        self.rowCount = rowCount
        self.columnStarts = columnStarts
        self.rowIndices = rowIndices
        self.values = values
    }

    /// An empty matrix with the given shape.
    public init(rowCount: Int, columnCount: Int) {
        self.init(
            rowCount: rowCount, columnStarts: Array(repeating: 0, count: columnCount + 1),
            rowIndices: [], values: [])
    }

    /// Builds a matrix from (row, column, value) triplets. Duplicates are summed; zeros kept out.
    public init(rowCount: Int, columnCount: Int, triplets: [(row: Int, column: Int, value: Double)]) {
        var counts = Array(repeating: 0, count: columnCount + 1)
        for t in triplets { counts[t.column + 1] += 1 }
        for j in 0..<columnCount { counts[j + 1] += counts[j] }
        var next = counts
        var rows = Array(repeating: 0, count: triplets.count)
        var vals = Array(repeating: 0.0, count: triplets.count)
        for t in triplets {
            rows[next[t.column]] = t.row
            vals[next[t.column]] = t.value
            next[t.column] += 1
        }
        // Sort each column by row and merge duplicates.
        var outStarts = [0]
        outStarts.reserveCapacity(columnCount + 1)
        var outRows: [Int] = []
        var outVals: [Double] = []
        outRows.reserveCapacity(triplets.count)
        outVals.reserveCapacity(triplets.count)
        for j in 0..<columnCount {
            let range = counts[j]..<counts[j + 1]
            let sorted = range.sorted { rows[$0] < rows[$1] }
            var lastRow = -1
            for k in sorted {
                if rows[k] == lastRow {
                    outVals[outVals.count - 1] += vals[k]
                } else {
                    outRows.append(rows[k])
                    outVals.append(vals[k])
                    lastRow = rows[k]
                }
            }
            outStarts.append(outRows.count)
        }
        self.init(rowCount: rowCount, columnStarts: outStarts, rowIndices: outRows, values: outVals)
    }

    /// The entries of column `j`.
    public func column(_ j: Int) -> (rows: ArraySlice<Int>, values: ArraySlice<Double>) {
        let r = columnStarts[j]..<columnStarts[j + 1]
        return (rowIndices[r], values[r])
    }

    /// `A x`.
    public func multiply(_ x: [Double]) -> [Double] {
        var y = Array(repeating: 0.0, count: rowCount)
        for j in 0..<columnCount where x[j] != 0 {
            for k in columnStarts[j]..<columnStarts[j + 1] {
                y[rowIndices[k]] += values[k] * x[j]
            }
        }
        return y
    }

    /// `Aᵀ y`.
    public func multiplyTransposed(_ y: [Double]) -> [Double] {
        var out = Array(repeating: 0.0, count: columnCount)
        for j in 0..<columnCount {
            var s = 0.0
            for k in columnStarts[j]..<columnStarts[j + 1] { s += values[k] * y[rowIndices[k]] }
            out[j] = s
        }
        return out
    }

    /// The transpose, in compressed-column form (so: this matrix's rows as columns).
    public func transposed() -> SparseMatrix {
        var triplets: [(row: Int, column: Int, value: Double)] = []
        triplets.reserveCapacity(nonzeroCount)
        for j in 0..<columnCount {
            for k in columnStarts[j]..<columnStarts[j + 1] {
                triplets.append((row: j, column: rowIndices[k], value: values[k]))
            }
        }
        return SparseMatrix(rowCount: columnCount, columnCount: rowCount, triplets: triplets)
    }
}

/// One entry of a quadratic objective: the objective holds ½ xᵀQx, and each entry stands for
/// Q[i][j] = Q[j][i] = `value` with `row <= column` (each off-diagonal pair is stored once).
public struct QuadraticTerm: Sendable, Equatable, Hashable {
    public var row: Int
    public var column: Int
    public var value: Double

    public init(row: Int, column: Int, value: Double) {
        self.row = min(row, column)
        self.column = max(row, column)
        self.value = value
    }
}

/// A linear or convex quadratic program in range form:
///
///     minimise (or maximise)  cᵀx + ½ xᵀQx + constant
///     subject to              rowLower ≤ A x ≤ rowUpper,  columnLower ≤ x ≤ columnUpper
///
/// Infinite bounds are `±Double.infinity`. Names are kept because every later layer (the chain
/// contract, plans, error messages) talks about variables and rows by name.
public struct LinearProgram: Sendable, Equatable {
    public var name: String
    public var sense: ObjectiveSense
    public var objectiveName: String
    public var objective: [Double]
    public var objectiveConstant: Double
    public var quadratic: [QuadraticTerm]
    public var matrix: SparseMatrix
    public var columnLower: [Double]
    public var columnUpper: [Double]
    public var rowLower: [Double]
    public var rowUpper: [Double]
    public var columnNames: [String]
    public var rowNames: [String]
    /// Columns the file marked integer. Parley solves the LP relaxation and says so.
    public var isInteger: [Bool]

    public var rowCount: Int { rowNames.count }
    public var columnCount: Int { columnNames.count }
    public var isQuadratic: Bool { !quadratic.isEmpty }
    public var hasIntegers: Bool { isInteger.contains(true) }

    public init(
        name: String = "",
        sense: ObjectiveSense = .minimize,
        objectiveName: String = "obj",
        objective: [Double],
        objectiveConstant: Double = 0,
        quadratic: [QuadraticTerm] = [],
        matrix: SparseMatrix,
        columnLower: [Double],
        columnUpper: [Double],
        rowLower: [Double],
        rowUpper: [Double],
        columnNames: [String]? = nil,
        rowNames: [String]? = nil,
        isInteger: [Bool]? = nil
    ) {
        let n = objective.count
        let m = rowLower.count
        precondition(matrix.columnCount == n && matrix.rowCount == m, "matrix shape does not match")
        precondition(columnLower.count == n && columnUpper.count == n && rowUpper.count == m)
        self.name = name
        self.sense = sense
        self.objectiveName = objectiveName
        self.objective = objective
        self.objectiveConstant = objectiveConstant
        self.quadratic = quadratic
        self.matrix = matrix
        self.columnLower = columnLower
        self.columnUpper = columnUpper
        self.rowLower = rowLower
        self.rowUpper = rowUpper
        self.columnNames = columnNames ?? (0..<n).map { "x\($0)" }
        self.rowNames = rowNames ?? (0..<m).map { "r\($0)" }
        self.isInteger = isInteger ?? Array(repeating: false, count: n)
    }

    /// The objective value of `x`, constant included, in the model's own sense.
    public func objectiveValue(_ x: [Double]) -> Double {
        var value = objectiveConstant
        for j in 0..<columnCount { value += objective[j] * x[j] }
        for t in quadratic {
            let product = t.value * x[t.row] * x[t.column]
            value += t.row == t.column ? 0.5 * product : product
        }
        return value
    }

    /// The largest violation of a row or column bound by `x` (0 when `x` is feasible).
    public func maximumViolation(_ x: [Double]) -> Double {
        var worst = 0.0
        let activity = matrix.multiply(x)
        for i in 0..<rowCount {
            worst = max(worst, rowLower[i] - activity[i], activity[i] - rowUpper[i])
        }
        for j in 0..<columnCount {
            worst = max(worst, columnLower[j] - x[j], x[j] - columnUpper[j])
        }
        return worst
    }

    /// How far `d` is from a direction of recession: the largest violation of the rows and
    /// bounds with each finite side moved to 0 (0 when x + t·d stays feasible for every t ≥ 0
    /// from any feasible x).
    public func recessionViolation(_ d: [Double]) -> Double {
        var worst = 0.0
        let activity = matrix.multiply(d)
        for i in 0..<rowCount {
            if rowLower[i].isFinite { worst = max(worst, -activity[i]) }
            if rowUpper[i].isFinite { worst = max(worst, activity[i]) }
        }
        for j in 0..<columnCount {
            if columnLower[j].isFinite { worst = max(worst, -d[j]) }
            if columnUpper[j].isFinite { worst = max(worst, d[j]) }
        }
        return worst
    }

    /// Index of each row name.
    public func rowIndexByName() -> [String: Int] {
        Dictionary(rowNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Index of each column name.
    public func columnIndexByName() -> [String: Int] {
        Dictionary(columnNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    }
}
