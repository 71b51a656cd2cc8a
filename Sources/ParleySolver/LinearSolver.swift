import ParleyModel

/// Why a solve stopped. A termination status is an answer, not an error (as in MathOptInterface):
/// an infeasible model is a result the caller acts on.
public enum SolveStatus: String, Sendable, Codable, CaseIterable {
    case optimal
    case infeasible
    case unbounded
    case iterationLimit = "iteration_limit"
    case timeLimit = "time_limit"
    /// The engine gave up (numerical trouble); the values are not to be trusted.
    case error
}

/// Settings of a solve, with named defaults.
public struct SolverSettings: Sendable, Equatable {
    /// Stop after this many simplex iterations in one solve.
    public var maximumIterations: Int = 10_000_000
    /// Stop after this many seconds in one solve (`.infinity`: no limit).
    public var maximumSeconds: Double = .infinity
    /// Primal feasibility tolerance.
    public var primalTolerance: Double = 1e-7
    /// Dual feasibility (optimality) tolerance.
    public var dualTolerance: Double = 1e-7
    /// Engine log level; negative is silent, 1 is CLP's normal chatter.
    public var logLevel: Int = -1
    /// Let the engine scale rows and columns (CLP's geometric scaling). Off for models that grow
    /// by columns many times (the Dantzig–Wolfe master), where stale scale factors hurt.
    public var scaling: Bool = true
    /// Re-solve cold a warm LP whose "optimal" point leaves a bound by more than twice the
    /// primal tolerance. For models whose weights multiply large columns (the Dantzig–Wolfe
    /// master); elsewhere such residue is harmless and the re-solves change the path.
    public var checkPrimalFeasibility: Bool = false
    /// How a solve with no usable basis (the first one) starts.
    public var coldStart: ColdStart = .presolve

    /// The start of a cold solve.
    public enum ColdStart: String, Sendable, Equatable, CaseIterable {
        /// Presolve, then dual simplex: CLP's own default, best for one large model solved once.
        case presolve
        /// A crash basis, then dual simplex on the model as it is. For a small model that is
        /// solved cold once and warm many times (a partner's pricing LP), presolve's fixed cost
        /// is most of the cold solve: pds-02's eleven partner LPs took 133 M instructions with
        /// presolve and 46 M from a crash basis.
        case crash
    }

    public init() {}

    /// Checks the settings, naming the first bad one.
    public func validate() throws(SolverError) {
        if maximumIterations < 1 { throw SolverError.invalidSetting("maximumIterations must be at least 1") }
        if !(maximumSeconds > 0) { throw SolverError.invalidSetting("maximumSeconds must be positive") }
        for (name, value) in [("primalTolerance", primalTolerance), ("dualTolerance", dualTolerance)]
        where !(value > 0 && value < 1) {
            throw SolverError.invalidSetting("\(name) must be in (0, 1), got \(value)")
        }
    }
}

/// What a solver could not do (bad input, not a termination status).
public enum SolverError: Error, CustomStringConvertible, Equatable, Sendable {
    case invalidSetting(String)
    case invalidModel(String)
    case dimensionMismatch(String)

    public var description: String {
        switch self {
        case .invalidSetting(let s): return "invalid solver setting: \(s)"
        case .invalidModel(let s): return "invalid model: \(s)"
        case .dimensionMismatch(let s): return "dimension mismatch: \(s)"
        }
    }
}

/// The outcome of one solve.
///
/// Sign convention (the one place it is pinned): in the model's own sense, with objective
/// gradient g (= c for an LP), `g - Aᵀ·rowDuals = reducedCosts`. So for a minimisation a binding
/// `≤` row has a dual `≤ 0` and a binding `≥` row a dual `≥ 0`; for a maximisation the signs flip.
/// A dual is the rate at which the optimal objective changes with the row's bound.
public struct SolveResult: Sendable {
    public var status: SolveStatus
    /// Objective value in the model's sense, constant included.
    public var objective: Double
    public var primal: [Double]
    public var rowActivity: [Double]
    public var rowDuals: [Double]
    public var reducedCosts: [Double]
    /// For an unbounded LP: a direction d with A d within the row bounds' recession cone along
    /// which the objective improves without limit (when the engine can give one).
    public var unboundedRay: [Double]?
    /// Simplex iterations of this solve only.
    public var iterations: Int
    public var seconds: Double
    /// For a QP solved optimal: a bound on its optimum (below it when minimising, above when
    /// maximising), proven from the solve's row duals by Wolfe duality, or nil when those duals
    /// prove none. An optimum found only to a tolerance costs a little more than the true one,
    /// and a Lagrangian bound made of such costs can pass the optimum; this one cannot.
    public var objectiveBound: Double? = nil
}

/// A new column for ``LinearSolver/addColumns(_:)``.
public struct NewColumn: Sendable, Equatable {
    public var objective: Double
    public var lower: Double
    public var upper: Double
    public var rows: [Int]
    public var values: [Double]

    public init(objective: Double, lower: Double = 0, upper: Double = .infinity, rows: [Int], values: [Double]) {
        self.objective = objective
        self.lower = lower
        self.upper = upper
        self.rows = rows
        self.values = values
    }
}

/// A new row for ``LinearSolver/addRows(_:)``.
public struct NewRow: Sendable, Equatable {
    public var lower: Double
    public var upper: Double
    public var columns: [Int]
    public var values: [Double]

    public init(lower: Double, upper: Double, columns: [Int], values: [Double]) {
        self.lower = lower
        self.upper = upper
        self.columns = columns
        self.values = values
    }
}

/// An LP/QP engine holding one model that can be changed and re-solved warm.
///
/// Small on purpose: the decomposition layer needs exactly these operations, and every backend
/// must pass the same conformance suite (`Tests/ParleySolverTests/ConformanceTests.swift`).
public protocol LinearSolver: AnyObject {
    var rowCount: Int { get }
    var columnCount: Int { get }
    /// Solves from the current basis (cold on the first call).
    func solve() -> SolveResult
    /// Replaces the linear objective (model sense).
    func setObjective(_ coefficients: [Double]) throws(SolverError)
    /// Replaces the quadratic part of the objective (½ xᵀQx, model sense).
    func setQuadraticObjective(_ terms: [QuadraticTerm]) throws(SolverError)
    func setColumnBounds(_ column: Int, lower: Double, upper: Double) throws(SolverError)
    func setRowBounds(_ row: Int, lower: Double, upper: Double) throws(SolverError)
    func addColumns(_ columns: [NewColumn]) throws(SolverError)
    func addRows(_ rows: [NewRow]) throws(SolverError)
}
