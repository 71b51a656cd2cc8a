import CClp
import CQuietStdout
import Foundation
import Synchronization
import ParleyModel

/// COIN-OR CLP behind ``LinearSolver``: the only type in Parley that touches CLP.
///
/// Owns one `Clp_Simplex` for its whole life and frees it in `deinit`. The model is always handed
/// to CLP as a minimisation (a maximisation's objective is negated on the way in and the
/// objective, duals and reduced costs negated on the way out), so CLP's own sign conventions
/// never leak. LPs solve cold with dual simplex (after presolve or from a crash basis, as
/// ``SolverSettings/coldStart`` says), warm with primal simplex after objective changes or new
/// columns and with dual simplex after bound changes or new rows. QPs always use primal simplex
/// (CLP's dual ignores a quadratic objective), and its "optimal" is checked: a point that is not
/// stationary is solved again by CLP's barrier.
///
/// Not `Sendable`: a CLP model must be used from one thread at a time. Callers that share one
/// across tasks put it inside an actor.
public final class ClpSolver: LinearSolver {
    private enum Pending { case none, cold, objective, bounds, both }

    private let model: UnsafeMutableRawPointer
    private let sense: ObjectiveSense
    private let constant: Double
    private var pending = Pending.cold
    private var quadratic: Bool
    /// The quadratic terms as loaded (CLP's min form), for the recession check of a QP.
    private var quadraticTerms: [QuadraticTerm] = []
    /// The LP that looks for a direction of unbounded descent of the QP (see `descentRay`),
    /// built at the first QP solve and re-solved warm after that; dropped when bounds, rows or
    /// columns change.
    private var recession: ClpSolver?
    /// Whether CLP scales the model (turned off when scaling misleads it; see confirmUnbounded).
    private var scaled = true
    public let settings: SolverSettings

    public var rowCount: Int { Int(Clp_numberRows(model)) }
    public var columnCount: Int { Int(Clp_numberColumns(model)) }

    /// Loads `program` into a new CLP model.
    public init(program: LinearProgram, settings: SolverSettings = SolverSettings()) throws(SolverError) {
        try settings.validate()
        try Self.check(program)
        guard let model = Clp_newModel() else { fatalError("Clp_newModel returned NULL (out of memory)") }
        self.model = model
        self.sense = program.sense
        self.constant = program.objectiveConstant
        self.quadratic = program.isQuadratic
        self.settings = settings
        Clp_setLogLevel(model, Int32(settings.logLevel))
        let flip = program.sense == .maximize ? -1.0 : 1.0
        let starts = program.matrix.columnStarts.map { Int32($0) }
        let indices = program.matrix.rowIndices.map { Int32($0) }
        let objective = program.objective.map { flip * $0 }
        Clp_loadProblem(
            model, Int32(program.columnCount), Int32(program.rowCount), starts, indices, program.matrix.values,
            program.columnLower.map(Self.clp), program.columnUpper.map(Self.clp), objective,
            program.rowLower.map(Self.clp), program.rowUpper.map(Self.clp))
        Clp_setOptimizationDirection(model, 1)
        if program.isQuadratic { loadQuadratic(program.quadratic, flip: flip) }
        Clp_setMaximumIterations(model, Int32(clamping: settings.maximumIterations))
        if settings.maximumSeconds.isFinite { Clp_setMaximumSeconds(model, settings.maximumSeconds) }
        Clp_setPrimalTolerance(model, settings.primalTolerance)
        Clp_setDualTolerance(model, settings.dualTolerance)
        if !settings.scaling { Clp_scaling(model, 0) }
        scaled = settings.scaling
    }

    deinit {
        Clp_deleteModel(model)
    }

    /// CLP marks infinite bounds with DBL_MAX.
    private static func clp(_ value: Double) -> Double {
        value.isInfinite ? (value > 0 ? Double.greatestFiniteMagnitude : -Double.greatestFiniteMagnitude) : value
    }

    /// Refuses what CLP cannot take (NaN, infinite coefficients, costs beyond `largestCost`,
    /// bounds that are NaN or infinite the wrong way), naming the column or row as the model does.
    private static func check(_ program: LinearProgram) throws(SolverError) {
        func column(_ j: Int) -> String { "column '\(program.columnNames[j])'" }
        func row(_ i: Int) -> String { "row '\(program.rowNames[i])'" }
        if let j = program.objective.firstIndex(where: { !$0.isFinite }) {
            throw .invalidModel("the objective coefficient of \(column(j)) is \(program.objective[j])")
        }
        if let j = program.objective.firstIndex(where: { abs($0) >= largestCost }) {
            throw .invalidModel("the objective coefficient of \(column(j)) is \(program.objective[j]), beyond the ±\(largestCost) CLP can take")
        }
        if let k = program.matrix.values.firstIndex(where: { !$0.isFinite }) {
            let j = program.matrix.columnStarts.lastIndex(where: { $0 <= k })!
            throw .invalidModel("the entry of \(column(j)) in \(row(program.matrix.rowIndices[k])) is \(program.matrix.values[k])")
        }
        if let t = program.quadratic.first(where: { !$0.value.isFinite }) {
            throw .invalidModel("the quadratic entry of \(column(t.row)) and \(column(t.column)) is \(t.value)")
        }
        if let j = program.columnLower.firstIndex(where: { $0.isNaN || $0 == .infinity }) {
            throw .invalidModel("the lower bound of \(column(j)) is \(program.columnLower[j])")
        }
        if let j = program.columnUpper.firstIndex(where: { $0.isNaN || $0 == -.infinity }) {
            throw .invalidModel("the upper bound of \(column(j)) is \(program.columnUpper[j])")
        }
        if let i = program.rowLower.firstIndex(where: { $0.isNaN || $0 == .infinity }) {
            throw .invalidModel("the lower bound of \(row(i)) is \(program.rowLower[i])")
        }
        if let i = program.rowUpper.firstIndex(where: { $0.isNaN || $0 == -.infinity }) {
            throw .invalidModel("the upper bound of \(row(i)) is \(program.rowUpper[i])")
        }
        if program.quadratic.contains(where: { $0.row >= program.columnCount || $0.column >= program.columnCount }) {
            throw .invalidModel("quadratic entry outside the columns")
        }
    }

    /// The largest objective coefficient (in size) a model may have. CLP asserts on costs of
    /// 1e25 and more when it sets up a simplex solve, and that assertion aborts the whole process
    /// (a node, or the coordinator): a master solve that went wrong sent prices of 3e26 to the
    /// partners of a QP chain, and the first one to solve with them died. Costs of this size are
    /// meaningless next to CLP's tolerances anyway; they are refused with an error instead.
    public static let largestCost = 1e20

    private static func checkCosts(_ costs: [Double]) throws(SolverError) {
        if let k = costs.firstIndex(where: { abs($0) >= largestCost }) {
            throw .invalidModel("objective coefficient \(k) is \(costs[k]), beyond the ±\(largestCost) CLP can take")
        }
    }

    private func loadQuadratic(_ terms: [QuadraticTerm], flip: Double) {
        // CLP takes Q column-wise with each off-diagonal entry once (either triangle).
        let n = columnCount
        var counts = Array(repeating: Int32(0), count: n + 1)
        for t in terms { counts[t.column + 1] += 1 }
        for j in 0..<n { counts[j + 1] += counts[j] }
        var next = counts
        var rows = Array(repeating: Int32(0), count: terms.count)
        var values = Array(repeating: 0.0, count: terms.count)
        for t in terms {
            let k = Int(next[t.column])
            rows[k] = Int32(t.row)
            values[k] = flip * t.value
            next[t.column] += 1
        }
        Clp_loadQuadraticObjective(model, Int32(n), counts, rows, values)
        quadraticTerms = terms.map { QuadraticTerm(row: $0.row, column: $0.column, value: flip * $0.value) }
        recession = nil
    }

    public func setObjective(_ coefficients: [Double]) throws(SolverError) {
        guard coefficients.count == columnCount else {
            throw .dimensionMismatch("objective has \(coefficients.count) entries for \(columnCount) columns")
        }
        if let bad = coefficients.firstIndex(where: { !$0.isFinite }) {
            throw .invalidModel("objective coefficient \(bad) is \(coefficients[bad])")
        }
        try Self.checkCosts(coefficients)
        let flip = sense == .maximize ? -1.0 : 1.0
        Clp_chgObjCoefficients(model, coefficients.map { flip * $0 })
        mark(.objective)
    }

    /// Gives an LP a quadratic objective. CLP cannot replace a quadratic objective once loaded
    /// (it asserts), so on a model that already has one this throws: build a new solver instead.
    public func setQuadraticObjective(_ terms: [QuadraticTerm]) throws(SolverError) {
        if quadratic {
            throw .invalidModel("CLP cannot replace a quadratic objective; build a new solver for the new one")
        }
        if let bad = terms.first(where: { !$0.value.isFinite || $0.column >= columnCount }) {
            throw .invalidModel("quadratic entry (\(bad.row), \(bad.column)) = \(bad.value)")
        }
        loadQuadratic(terms, flip: sense == .maximize ? -1.0 : 1.0)
        quadratic = !terms.isEmpty
        mark(.objective)
    }

    /// Changes the primal tolerance for the solves that follow (the next one starts from the
    /// current basis, so a finer tolerance polishes the last answer).
    public func setPrimalTolerance(_ tolerance: Double) throws(SolverError) {
        guard tolerance > 0, tolerance.isFinite else { throw .invalidSetting("primal tolerance must be positive") }
        Clp_setPrimalTolerance(model, tolerance)
        mark(.bounds)
    }

    /// Changes the dual tolerance for the solves that follow (the next one, primal simplex from
    /// the current basis, goes on to columns whose reduced costs the last one left inside it).
    public func setDualTolerance(_ tolerance: Double) throws(SolverError) {
        guard tolerance > 0, tolerance.isFinite else { throw .invalidSetting("dual tolerance must be positive") }
        Clp_setDualTolerance(model, tolerance)
        mark(.objective)
    }

    public func setColumnBounds(_ column: Int, lower: Double, upper: Double) throws(SolverError) {
        guard (0..<columnCount).contains(column) else { throw .dimensionMismatch("no column \(column)") }
        guard !lower.isNaN, !upper.isNaN, lower != .infinity, upper != -.infinity else {
            throw .invalidModel("bounds [\(lower), \(upper)] for column \(column)")
        }
        Clp_chgColumnLower(model, columnBoundsArray(column, lower, Clp_getColLower(model)))
        Clp_chgColumnUpper(model, columnBoundsArray(column, upper, Clp_getColUpper(model)))
        recession = nil
        mark(.bounds)
    }

    private func columnBoundsArray(_ j: Int, _ value: Double, _ current: UnsafePointer<Double>?) -> [Double] {
        var values = Array(UnsafeBufferPointer(start: current, count: columnCount))
        values[j] = Self.clp(value)
        return values
    }

    public func setRowBounds(_ row: Int, lower: Double, upper: Double) throws(SolverError) {
        guard (0..<rowCount).contains(row) else { throw .dimensionMismatch("no row \(row)") }
        guard !lower.isNaN, !upper.isNaN, lower != .infinity, upper != -.infinity else {
            throw .invalidModel("bounds [\(lower), \(upper)] for row \(row)")
        }
        var lows = Array(UnsafeBufferPointer(start: Clp_getRowLower(model), count: rowCount))
        var ups = Array(UnsafeBufferPointer(start: Clp_getRowUpper(model), count: rowCount))
        lows[row] = Self.clp(lower)
        ups[row] = Self.clp(upper)
        Clp_chgRowLower(model, lows)
        Clp_chgRowUpper(model, ups)
        recession = nil
        mark(.bounds)
    }

    public func addColumns(_ columns: [NewColumn]) throws(SolverError) {
        guard !columns.isEmpty else { return }
        let m = rowCount
        let flip = sense == .maximize ? -1.0 : 1.0
        var starts: [Int32] = [0]
        var rows: [Int32] = []
        var values: [Double] = []
        for c in columns {
            guard c.rows.count == c.values.count, c.rows.allSatisfy({ (0..<m).contains($0) }) else {
                throw .dimensionMismatch("a new column names rows outside 0..<\(m)")
            }
            guard c.objective.isFinite, c.values.allSatisfy(\.isFinite), !c.lower.isNaN, !c.upper.isNaN else {
                throw .invalidModel("a new column has a value that is not finite")
            }
            guard abs(c.objective) < Self.largestCost else {
                throw .invalidModel("a new column costs \(c.objective), beyond the ±\(Self.largestCost) CLP can take")
            }
            rows += c.rows.map { Int32($0) }
            values += c.values
            starts.append(Int32(rows.count))
        }
        Clp_addColumns(
            model, Int32(columns.count), columns.map { Self.clp($0.lower) }, columns.map { Self.clp($0.upper) },
            columns.map { flip * $0.objective }, starts, rows, values)
        recession = nil
        mark(.objective)
    }

    /// Deletes columns (by index); the others keep their basis status, so the next solve starts
    /// warm from the same basis when every deleted column was nonbasic.
    public func deleteColumns(_ indices: [Int]) throws(SolverError) {
        guard !indices.isEmpty else { return }
        let n = columnCount
        guard indices.allSatisfy({ (0..<n).contains($0) }), Set(indices).count == indices.count else {
            throw .dimensionMismatch("columns to delete must be distinct indices in 0..<\(n)")
        }
        Clp_deleteColumns(model, Int32(indices.count), indices.map { Int32($0) })
        recession = nil
        mark(.objective)
    }

    public func addRows(_ newRows: [NewRow]) throws(SolverError) {
        guard !newRows.isEmpty else { return }
        let n = columnCount
        var starts: [Int32] = [0]
        var columns: [Int32] = []
        var values: [Double] = []
        for r in newRows {
            guard r.columns.count == r.values.count, r.columns.allSatisfy({ (0..<n).contains($0) }) else {
                throw .dimensionMismatch("a new row names columns outside 0..<\(n)")
            }
            guard r.values.allSatisfy(\.isFinite), !r.lower.isNaN, !r.upper.isNaN else {
                throw .invalidModel("a new row has a value that is not finite")
            }
            columns += r.columns.map { Int32($0) }
            values += r.values
            starts.append(Int32(columns.count))
        }
        Clp_addRows(
            model, Int32(newRows.count), newRows.map { Self.clp($0.lower) }, newRows.map { Self.clp($0.upper) },
            starts, columns, values)
        recession = nil
        mark(.bounds)
    }

    private func mark(_ change: Pending) {
        switch (pending, change) {
        case (.cold, _): break
        case (.none, _): pending = change
        case (.objective, .bounds), (.bounds, .objective): pending = .both
        default: break
        }
    }

    /// Forgets the current basis: the next solve starts cold, as the first one did.
    public func discardBasis() {
        pending = .cold
    }

    public func solve() -> SolveResult {
        let clock = ContinuousClock()
        let start = clock.now
        let choice = pending
        pending = .none
        if quadratic, let ray = descentRay() {
            // Unbounded: CLP's nonlinear primal is not asked at all (on such a QP it can loop
            // for ever inside one pivot, past its iteration and time limits).
            let n = columnCount
            let m = rowCount
            return SolveResult(
                status: .unbounded, objective: sense == .maximize ? .infinity : -.infinity,
                primal: Array(repeating: 0, count: n), rowActivity: Array(repeating: 0, count: m),
                rowDuals: Array(repeating: 0, count: m), reducedCosts: Array(repeating: 0, count: n),
                unboundedRay: ray, iterations: 0, seconds: (clock.now - start).seconds)
        }
        if quadratic {
            // CLP's nonlinear primal prints debugging lines with printf whatever the log level.
            QuietStandardOutput.run { _ = Clp_primal(model, 0) }
        } else {
            switch choice {
            case .cold: coldSolve()
            case .objective, .both: Clp_primal(model, 0)
            case .none, .bounds: Clp_dual(model, 0)
            }
        }
        var iterations = Int(Clp_numberIterations(model))
        var status = mapStatus()
        var ray: [Double]? = nil
        if quadratic && status == .optimal, let huge = quadraticEscape() {
            // CLP's nonlinear primal does not report an unbounded QP: it stops "optimal" with
            // variables near 1e15 and beyond. Those variables point along the recession ray.
            status = .unbounded
            ray = huge
        }
        if status == .unbounded && ray == nil && quadratic {
            ray = unboundedRay()
        }
        if quadratic && status == .optimal && !quadraticStationary() {
            // CLP 1.17's nonlinear primal can stop "optimal" where the QP is not: on ADMM
            // updates of ken-07 (a partner column that appears in one row only, at its bound
            // with a reduced cost of −4.5e5 pulling it off), after 6,000 iterations, cold or
            // warm; HiGHS and CLP's own barrier find the optimum 0.24% lower. Every later warm
            // solve stopped at the same point, and the round's primal residual with it. The
            // barrier solves those (see barrierRescue).
            status = barrierRescue(&iterations)
        }
        if status == .unbounded && !quadratic {
            (status, ray) = confirmUnbounded(&iterations)
        }
        if status == .optimal && !quadratic && choice != .cold, case let dual = dualFeasible(),
            !(dual && (!settings.checkPrimalFeasibility || primalFeasible()))
        {
            // Seen with CLP 1.17 in column generation: after columns are added to a scaled model,
            // a warm primal can stop at once and call a basis optimal whose new columns have
            // clearly negative reduced costs; and on a master of 3,600 columns (env_aggr in two
            // partners) it called "optimal" a point with weights at −1e-6, ten times its primal
            // tolerance (what is left of its bound perturbation), which on columns of large cost
            // put the objective 7e-5 below the optimum. Check both. A basis that is dual feasible
            // and only its point off its bounds is the dual simplex's own starting place: from
            // there it repairs the point, most often with no pivot at all (it refactorizes and
            // recomputes the values). Only if that fails, or the duals were wrong, cold.
            // Repairing warm rather than cold keeps the master on its path: env_aggr's round
            // took 468 rounds with two cold re-solves, 277 with them repaired (308 before either).
            var repaired = false
            if dual {
                Clp_dual(model, 0)
                iterations += Int(Clp_numberIterations(model))
                status = mapStatus()
                repaired = status == .optimal && dualFeasible() && primalFeasible()
            }
            if !repaired {
                Clp_initialSolve(model)
                iterations += Int(Clp_numberIterations(model))
                status = mapStatus()
            }
        }
        if (status == .error || status == .infeasible) && !quadratic && (choice != .cold || settings.coldStart != .presolve) {
            // A warm start that went numerically wrong (or claims infeasibility after a change
            // that cannot cause it), or a crash start that did: one retry with presolve, as the
            // anchors recommend.
            Clp_initialSolve(model)
            iterations += Int(Clp_numberIterations(model))
            status = mapStatus()
            if status == .unbounded { (status, ray) = confirmUnbounded(&iterations) }
        }
        if status == .infeasible && !quadratic {
            (status, ray) = confirmInfeasible(&iterations)
        }
        return currentResult(status, ray: ray, iterations: iterations, seconds: (clock.now - start).seconds)
    }

    /// Solves a QP again by CLP's barrier (see barrierRescue), for a caller whose primal simplex
    /// stopped at the iteration limit it set as a guard against cycling: ADMM updates of
    /// recipe and tuff cut by the detector did, on their first or fifteenth step, where the
    /// barrier solves them. An LP is left as it is (status `.error`): its stalls have their own
    /// remedies.
    public func solveByBarrier() -> SolveResult {
        let clock = ContinuousClock()
        let start = clock.now
        guard quadratic else { return currentResult(.error, ray: nil, iterations: 0, seconds: 0) }
        pending = .none
        var iterations = 0
        let status = barrierRescue(&iterations)
        return currentResult(status, ray: nil, iterations: iterations, seconds: (clock.now - start).seconds)
    }

    /// CLP's barrier on the QP, started from zero: from the current point it returns that point
    /// as it is. Its crossover leaves a basis for the next warm solve; if it stops short (it has
    /// an iteration limit of its own), the primal goes on from its point. If that point is still
    /// not stationary, the primal is tried once more on the model unscaled (and the model stays
    /// unscaled): a partner of adlittle cut by the detector, given quadratic costs, stopped
    /// "optimal" scaled at 532,131.6 with dual infeasibilities of 2.4e24, the barrier at
    /// 525,853.5, and unscaled the primal reaches 517,785.6 with none. A point that is not
    /// stationary after all that is reported as `.error`.
    private func barrierRescue(_ iterations: inout Int) -> SolveStatus {
        resetColumnSolution()
        QuietStandardOutput.run { _ = Clp_initialBarrierSolve(model) }
        iterations += Int(Clp_numberIterations(model))
        var status = mapStatus()
        if !(status == .optimal && quadraticStationary()) {
            QuietStandardOutput.run { _ = Clp_primal(model, 0) }
            iterations += Int(Clp_numberIterations(model))
            status = mapStatus()
        }
        if status == .optimal && !quadraticStationary() && scaled {
            Clp_scaling(model, 0)
            scaled = false
            resetColumnSolution()
            QuietStandardOutput.run { _ = Clp_primal(model, 0) }
            iterations += Int(Clp_numberIterations(model))
            status = mapStatus()
        }
        if status == .optimal && !quadraticStationary() { status = .error }
        return status
    }

    /// The model's current point as a result.
    private func currentResult(_ status: SolveStatus, ray: [Double]?, iterations: Int, seconds: Double) -> SolveResult {
        let flip = sense == .maximize ? -1.0 : 1.0
        let n = columnCount
        let m = rowCount
        func copy(_ p: UnsafePointer<Double>?, _ count: Int, scale: Double = 1) -> [Double] {
            guard let p else { return Array(repeating: 0, count: count) }
            return (0..<count).map { scale * p[$0] }
        }
        return SolveResult(
            status: status,
            objective: flip * Clp_getObjValue(model) + constant,
            primal: copy(Clp_getColSolution(model), n),
            rowActivity: copy(Clp_getRowActivity(model), m),
            rowDuals: copy(Clp_getRowPrice(model), m, scale: flip),
            reducedCosts: copy(Clp_getReducedCost(model), n, scale: flip),
            unboundedRay: ray,
            iterations: iterations,
            seconds: seconds,
            objectiveBound: quadratic && status == .optimal ? quadraticDualBound().map { flip * $0 + constant } : nil)
    }

    /// A lower bound on this QP's optimum (min form, without the constant) from the current point
    /// x̂ and row duals y, by Wolfe duality: with z = c + Qx̂ − Aᵀy, every feasible x has
    /// ½xᵀQx + cᵀx ≥ −½x̂ᵀQx̂ + Σᵢ min over row i's sides of yᵢ·rᵢ + Σⱼ min over column j's bounds
    /// of zⱼ·xⱼ (the Lagrangian's minimum over x is at x̂, Q being positive semidefinite). Duals
    /// of the wrong sign for a row's finite sides are round-off and count as zero; a column whose
    /// zⱼ, beyond round-off (1e-9 of its terms), pulls towards an infinite bound proves no bound.
    private func quadraticDualBound() -> Double? {
        let n = columnCount
        let m = rowCount
        guard let x = Clp_getColSolution(model), let row = Clp_getRowPrice(model), let c = Clp_getObjCoefficients(model),
            let lo = Clp_getColLower(model), let up = Clp_getColUpper(model),
            let rowLo = Clp_getRowLower(model), let rowUp = Clp_getRowUpper(model),
            let starts = Clp_getVectorStarts(model), let lengths = Clp_getVectorLengths(model),
            let indices = Clp_getIndices(model), let elements = Clp_getElements(model)
        else { return nil }
        var y = (0..<m).map { row[$0] }
        var bound = 0.0
        for i in 0..<m {
            if y[i] > 0 { if rowLo[i] > -1e30 { bound += y[i] * rowLo[i] } else { y[i] = 0 } }
            if y[i] < 0 { if rowUp[i] < 1e30 { bound += y[i] * rowUp[i] } else { y[i] = 0 } }
        }
        var qx = Array(repeating: 0.0, count: n)
        for t in quadraticTerms {
            qx[t.row] += t.value * x[t.column]
            if t.row != t.column { qx[t.column] += t.value * x[t.row] }
        }
        for j in 0..<n {
            bound -= 0.5 * x[j] * qx[j]
            var priced = 0.0
            let start = Int(starts[j])
            for k in start..<(start + Int(lengths[j])) { priced += elements[k] * y[Int(indices[k])] }
            let z = c[j] + qx[j] - priced
            let roundOff = 1e-9 * max(1, abs(c[j]), abs(qx[j]), abs(priced))
            if z > 0 {
                if lo[j] > -1e30 { bound += z * lo[j] } else if z > roundOff { return nil }
            } else if z < 0 {
                if up[j] < 1e30 { bound += z * up[j] } else if -z > roundOff { return nil }
            }
        }
        return bound.isFinite ? bound : nil
    }

    /// The first solve of an LP, or one after a change that leaves no usable basis.
    private func coldSolve() {
        switch settings.coldStart {
        case .presolve:
            Clp_initialDualSolve(model)
        case .crash:
            // gap 1000: a variable whose bounds are at most that far apart may start at either
            // one; pivot 2: CLP's "mini iterations" towards a dual feasible basis.
            Clp_crash(model, 1000, 2)
            Clp_dual(model, 0)
        }
    }

    /// A direction along which this convex QP's objective falls without limit, or nil if there is
    /// none. For a convex QP min ½xᵀQx + cᵀx over a polyhedron that is the case exactly when
    /// some direction d of the polyhedron's recession cone has Qd = 0 (the quadratic term stays
    /// flat along it) and cᵀd < 0: the LP below, in the box −1 ≤ d ≤ 1, finds one if it exists.
    /// Its matrix and bounds never change, so it is built once and re-solved warm for each new
    /// linear objective.
    private func descentRay(relative: Double? = nil) -> [Double]? {
        guard let objective = currentObjective() else { return nil }
        let scale = max(1, objective.map(abs).max() ?? 1)
        if recession == nil { recession = try? ClpSolver(program: recessionProgram(objective: objective)) }
        guard let recession, (try? recession.setObjective(objective)) != nil else { return nil }
        let result = recession.solve()
        guard result.status == .optimal, result.objective < -settings.dualTolerance * scale else {
            // A small descent still counts when it is large next to the costs it is made of
            // (see descentDirection): tuff cut by the detector has a partner whose costs of
            // ±0.0909 differ by 5.6e-6, and its cost falls 9.6e-8 along a true ray; CLP calls it
            // unbounded, rightly, and without this no ray was ever reported.
            if result.status == .optimal, result.objective < 0 { return descentDirection(result.primal, relative: relative) }
            return nil
        }
        return result.primal
    }

    /// An LP that CLP calls unbounded: the status and ray to report. CLP's own ray is kept when
    /// it is a true direction of descent; it often is not (lands3 cut into other blocks: a ray
    /// with entries near 1e20 whose cost and price cancel to 1e-16 of their size, so the
    /// coordinator saw no improving column and stopped at a plan 2% too dear; capri: no ray at
    /// all). Then the recession LP gives one, and if it finds none the claim is not confirmed:
    /// primal simplex from the current basis decides.
    private func confirmUnbounded(_ iterations: inout Int) -> (SolveStatus, [Double]?) {
        if let ray = unboundedRay().flatMap({ descentDirection($0) }) ?? descentRay() { return (.unbounded, ray) }
        if scaled {
            // CLP's scaled model disagrees with the recession LP. Seen where a column has no
            // entries in any row (a partner's variable used only by linking rows): its scale
            // factor turns a cost that is round-off (1e-15 of its terms) into a clear descent.
            // The model is solved unscaled from now on.
            Clp_scaling(model, 0)
            scaled = false
        }
        return primalFromHere(&iterations)
    }

    /// Primal simplex from the current basis: its status, and its ray if that is a true
    /// direction of descent (the last word of both checks below). CLP calling the model unbounded
    /// a second time, its ray's descent may be small next to its terms: the recession LP's ray
    /// then counts from 1e-9 of them, not the dual tolerance (1e-7). share1b cut by the detector
    /// and packed into three partners has a pricing problem whose cost falls 4.9e-8 of its terms
    /// along a true ray (HiGHS too calls it unbounded), which ended the round "pricing problem
    /// is unbounded and CLP gave no ray". Round-off rays stay out: lands3's cancelled to 1e-16.
    private func primalFromHere(_ iterations: inout Int) -> (SolveStatus, [Double]?) {
        Clp_primal(model, 0)
        iterations += Int(Clp_numberIterations(model))
        let status = mapStatus()
        guard status == .unbounded else { return (status, nil) }
        return (status, unboundedRay().flatMap { descentDirection($0) } ?? descentRay(relative: 1e-9))
    }

    /// The linear objective as CLP holds it (min form), copied.
    private func currentObjective() -> [Double]? {
        guard let c = Clp_getObjCoefficients(model) else { return nil }
        return (0..<columnCount).map { c[$0] }
    }

    /// An LP that CLP calls infeasible: the status and ray to report. CLP 1.17 calls some
    /// unbounded LPs infeasible (presolve says "infeasible or unbounded", and dual simplex on a
    /// model with huge dual infeasibilities stops at once: adlittle and israel cut into blocks).
    /// A solve for feasibility alone (objective zero) decides; if that finds a point, the
    /// recession LP looks for a ray, and failing that primal simplex goes on from the feasible
    /// basis with the true objective.
    private func confirmInfeasible(_ iterations: inout Int) -> (SolveStatus, [Double]?) {
        guard let objective = currentObjective() else { return (.infeasible, nil) }
        Clp_chgObjCoefficients(model, Array(repeating: 0, count: columnCount))
        Clp_initialSolve(model)
        iterations += Int(Clp_numberIterations(model))
        let feasible = mapStatus() == .optimal
        Clp_chgObjCoefficients(model, objective)
        guard feasible else { return (.infeasible, nil) }
        if let ray = descentRay() { return (.unbounded, ray) }
        return primalFromHere(&iterations)
    }

    /// `d` scaled to largest entry 1 if it is a direction of recession along which the objective
    /// falls by more than `relative` (the dual tolerance unless given) of the terms that make it
    /// up (not at least the tolerance itself: costs of 0.09 can give a true descent of 1e-7),
    /// else nil.
    private func descentDirection(_ d: [Double], relative: Double? = nil) -> [Double]? {
        let n = columnCount
        let m = rowCount
        let largest = d.map(abs).max() ?? 0
        guard d.count == n, largest.isFinite, largest > 0, let c = Clp_getObjCoefficients(model),
            let lo = Clp_getColLower(model), let up = Clp_getColUpper(model),
            let rowLo = Clp_getRowLower(model), let rowUp = Clp_getRowUpper(model),
            let starts = Clp_getVectorStarts(model), let lengths = Clp_getVectorLengths(model),
            let indices = Clp_getIndices(model), let elements = Clp_getElements(model)
        else { return nil }
        // Entries below 1e-9 of the largest are round-off of the solve that found d, and are
        // dropped: adlittle cut by the detector had a recession LP answer whose entries of 1 sat
        // on columns of cost 0, and whose entries of 4e-12 on columns of cost ±2,600 made a
        // "descent" of 4.7e-10 out of round-off alone. Accepted, it was a ray of a pricing
        // problem that had an optimum, and the round stopped "optimal" 10% above the optimum.
        let ray = d.map { abs($0) < Self.roundOffEntry * largest ? 0 : $0 / largest }
        var descent = 0.0
        var size = 0.0
        var activity = Array(repeating: 0.0, count: m)
        var magnitude = Array(repeating: 0.0, count: m)
        let tolerance = settings.primalTolerance
        for j in 0..<n where ray[j] != 0 {
            if (ray[j] < -tolerance && lo[j] > -1e30) || (ray[j] > tolerance && up[j] < 1e30) { return nil }
            descent += c[j] * ray[j]
            size += abs(c[j] * ray[j])
            for k in Int(starts[j])..<Int(starts[j]) + Int(lengths[j]) {
                let i = Int(indices[k])
                activity[i] += elements[k] * ray[j]
                magnitude[i] += abs(elements[k] * ray[j])
            }
        }
        for i in 0..<m {
            let slack = tolerance * max(1, magnitude[i])
            if (activity[i] < -slack && rowLo[i] > -1e30) || (activity[i] > slack && rowUp[i] < 1e30) { return nil }
        }
        return descent < -(relative ?? settings.dualTolerance) * size && descent < -1e-12 ? ray : nil
    }

    /// The relative size below which an entry of a candidate ray is round-off (see
    /// `descentDirection`).
    static let roundOffEntry = 1e-9

    /// The recession LP of `descentRay`: variables d in the box, each row's finite sides and each
    /// column's finite bounds made homogeneous, and Qd = 0.
    private func recessionProgram(objective: [Double]) -> LinearProgram {
        let n = columnCount
        let m = rowCount
        var triplets: [(row: Int, column: Int, value: Double)] = []
        if let starts = Clp_getVectorStarts(model), let lengths = Clp_getVectorLengths(model),
            let indices = Clp_getIndices(model), let elements = Clp_getElements(model)
        {
            for j in 0..<n {
                for k in Int(starts[j])..<Int(starts[j]) + Int(lengths[j]) { triplets.append((Int(indices[k]), j, elements[k])) }
            }
        }
        // Qd = 0, one row per column Q touches, from the stored triangle (each off-diagonal once).
        var qRow: [Int: Int] = [:]
        for t in quadraticTerms where t.value != 0 {
            for (i, j) in t.row == t.column ? [(t.row, t.column)] : [(t.row, t.column), (t.column, t.row)] {
                let row = qRow[i] ?? (m + qRow.count)
                qRow[i] = row
                triplets.append((row, j, t.value))
            }
        }
        func read(_ p: UnsafePointer<Double>?, _ count: Int) -> [Double] {
            guard let p else { return Array(repeating: 0, count: count) }
            return (0..<count).map { p[$0] }
        }
        let finite = { (v: Double) in abs(v) < 1e30 }
        let rowLower = read(Clp_getRowLower(model), m).map { finite($0) ? 0 : -Double.infinity }
        let rowUpper = read(Clp_getRowUpper(model), m).map { finite($0) ? 0 : Double.infinity }
        let columnLower = read(Clp_getColLower(model), n).map { finite($0) ? 0.0 : -1.0 }
        let columnUpper = read(Clp_getColUpper(model), n).map { finite($0) ? 0.0 : 1.0 }
        return LinearProgram(
            objective: objective,
            matrix: SparseMatrix(rowCount: m + qRow.count, columnCount: n, triplets: triplets),
            columnLower: columnLower, columnUpper: columnUpper,
            rowLower: rowLower + Array(repeating: 0, count: qRow.count),
            rowUpper: rowUpper + Array(repeating: 0, count: qRow.count))
    }

    /// For a QP that CLP called optimal: the normalised direction of variables that ran off to
    /// ±1e12 or beyond (an unbounded QP), or nil when every value is of sane size.
    private func quadraticEscape() -> [Double]? {
        let n = columnCount
        guard let x = Clp_getColSolution(model) else { return nil }
        let largest = (0..<n).map { abs(x[$0]) }.max() ?? 0
        guard largest >= 1e12 else { return nil }
        return (0..<n).map { abs(x[$0]) >= largest * 1e-6 ? x[$0] / largest : 0 }
    }

    /// Whether the reduced costs at the current point are dual feasible (minimisation): no
    /// column that could move in an improving direction has a reduced cost beyond tolerance.
    private func dualFeasible() -> Bool {
        let n = columnCount
        guard let x = Clp_getColSolution(model), let d = Clp_getReducedCost(model),
            let lo = Clp_getColLower(model), let up = Clp_getColUpper(model)
        else { return true }
        let tolerance = 100 * settings.dualTolerance
        for j in 0..<n {
            let scale = tolerance  // absolute, as CLP's own dual tolerance
            let atLower = x[j] <= lo[j] + 1e-9 * max(1, abs(lo[j]))
            let atUpper = x[j] >= up[j] - 1e-9 * max(1, abs(up[j]))
            if d[j] < -scale && !atUpper { return false }
            if d[j] > scale && !atLower { return false }
        }
        return true
    }

    /// Whether CLP's point is stationary for the QP, up to what matters. The stalls this is for
    /// are gross (ken-07: a reduced cost of −4.5e5 on a column at its bound with 10,195 units
    /// of room, as large as the terms it is the sum of), while CLP's own answers carry reduced
    /// costs of 1e-5 next to terms of 0.03 (its dual tolerance applies to the scaled model) and
    /// values 1.3e-6 from a bound they are pushed towards. So a column fails only if its reduced
    /// cost (c + Qx − Aᵀy) is over 1e-3 of the largest of those terms (and of 1) and its
    /// first-order gain (reduced cost × the room the column has in the improving direction) is
    /// over 1e-7 of the objective's scale. The terms' sizes come from CLP's own arrays: Aᵀy from
    /// the row prices, Qx as what is left.
    private func quadraticStationary() -> Bool {
        let n = columnCount
        guard let x = Clp_getColSolution(model), let d = Clp_getReducedCost(model), let c = Clp_getObjCoefficients(model),
            let y = Clp_getRowPrice(model), let lo = Clp_getColLower(model), let up = Clp_getColUpper(model),
            let starts = Clp_getVectorStarts(model), let lengths = Clp_getVectorLengths(model),
            let indices = Clp_getIndices(model), let elements = Clp_getElements(model)
        else { return true }
        let tolerance = 1e-3
        let worth = 1e-7 * max(1, (0..<n).reduce(0) { $0 + abs(c[$1] * x[$1]) })
        for j in 0..<n where d[j] != 0 {
            let room = d[j] > 0 ? x[j] - lo[j] : up[j] - x[j]
            guard abs(d[j]) * room > worth else { continue }
            var priced = 0.0
            let start = Int(starts[j])
            for k in start..<(start + Int(lengths[j])) { priced += elements[k] * y[Int(indices[k])] }
            let curvature = d[j] - c[j] + priced  // (Qx)ⱼ
            if abs(d[j]) > tolerance * max(1, abs(c[j]), abs(priced), abs(curvature)) { return false }
        }
        return true
    }

    /// Sets every column's value to the point of its bounds nearest zero.
    private func resetColumnSolution() {
        let n = columnCount
        guard let lo = Clp_getColLower(model), let up = Clp_getColUpper(model) else { return }
        Clp_setColSolution(model, (0..<n).map { min(max(0, lo[$0]), up[$0]) })
    }

    /// Whether the current point keeps every column within its bounds and every row within its
    /// sides, up to twice the primal tolerance (relative to the bound's size).
    private func primalFeasible() -> Bool {
        let n = columnCount
        let m = rowCount
        guard let x = Clp_getColSolution(model), let lo = Clp_getColLower(model), let up = Clp_getColUpper(model),
            let activity = Clp_getRowActivity(model), let rowLo = Clp_getRowLower(model), let rowUp = Clp_getRowUpper(model)
        else { return true }
        let tolerance = 2 * settings.primalTolerance
        func within(_ v: Double, _ l: Double, _ u: Double) -> Bool {
            (l <= -1e30 || v >= l - tolerance * max(1, abs(l))) && (u >= 1e30 || v <= u + tolerance * max(1, abs(u)))
        }
        for j in 0..<n where !within(x[j], lo[j], up[j]) { return false }
        for i in 0..<m where !within(activity[i], rowLo[i], rowUp[i]) { return false }
        return true
    }

    private func mapStatus() -> SolveStatus {
        switch Clp_status(model) {
        case 0: return .optimal
        case 1: return .infeasible
        case 2: return .unbounded
        case 3: return Clp_isIterationLimitReached(model) != 0 ? .iterationLimit : .timeLimit
        default: return .error
        }
    }

    private func unboundedRay() -> [Double]? {
        guard let p = Clp_unboundedRay(model) else { return nil }
        defer { Clp_freeRay(model, p) }
        return (0..<columnCount).map { p[$0] }
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    public var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) * 1e-18
    }
}

/// Sends the process's standard output to /dev/null while at least one QP solve runs, so CLP's
/// unconditional debugging prints from its nonlinear code never reach a user's terminal or log.
/// Reference-counted: solves on several threads share one redirection; Parley's own output is
/// written between solves.
enum QuietStandardOutput {
    private static let state = Mutex<(depth: Int, saved: Int32)>((0, -1))

    static func run(_ body: () -> Void) {
        state.withLock { s in
            if s.depth == 0 {
                fflush(nil)  // all C streams, stdout included
                s.saved = dup(STDOUT_FILENO)
                let null = open("/dev/null", O_WRONLY)
                if null >= 0 {
                    dup2(null, STDOUT_FILENO)
                    close(null)
                }
            }
            s.depth += 1
        }
        // The redirection catches what the interposed printf, puts and putchar do not (CLP's
        // iostream output); those return at once, which is most of the time saved.
        parley_quiet_stdout_enter()
        body()
        parley_quiet_stdout_leave()
        state.withLock { s in
            s.depth -= 1
            if s.depth == 0 && s.saved >= 0 {
                fflush(nil)  // all C streams, stdout included
                dup2(s.saved, STDOUT_FILENO)
                close(s.saved)
                s.saved = -1
            }
        }
    }
}
