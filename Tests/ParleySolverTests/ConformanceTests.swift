import ParleyTestSupport
import ParleyModel
import ParleySolver
import Testing

/// The conformance suite every ``LinearSolver`` backend must pass. Each backend is one entry of
/// `backends`; the optima below are derived by hand in the comments.
@Suite struct ConformanceTests {
    typealias Factory = @Sendable (LinearProgram) throws -> any LinearSolver
    static let backends: [(String, Factory)] = [
        ("clp", { try ClpSolver(program: $0) }),
        // Cold solves from a crash basis instead of presolve (what partners' pricing LPs use).
        (
            "clp-crash",
            {
                var settings = SolverSettings()
                settings.coldStart = .crash
                return try ClpSolver(program: $0, settings: settings)
            }
        ),
    ]
    static let tight = 1e-9

    static func lp(
        sense: ObjectiveSense = .minimize, c: [Double], rows: [[Double]], rowLower: [Double], rowUpper: [Double],
        lower: [Double]? = nil, upper: [Double]? = nil, quadratic: [QuadraticTerm] = []
    ) -> LinearProgram {
        var triplets: [(row: Int, column: Int, value: Double)] = []
        for (i, r) in rows.enumerated() { for (j, v) in r.enumerated() where v != 0 { triplets.append((i, j, v)) } }
        return LinearProgram(
            sense: sense, objective: c, quadratic: quadratic,
            matrix: SparseMatrix(rowCount: rows.count, columnCount: c.count, triplets: triplets),
            columnLower: lower ?? Array(repeating: 0, count: c.count),
            columnUpper: upper ?? Array(repeating: .infinity, count: c.count),
            rowLower: rowLower, rowUpper: rowUpper)
    }

    /// min -x - y  s.t.  x + 2y <= 4,  3x + y <= 6,  x, y >= 0.
    /// Both rows bind: x = 8/5, y = 6/5, objective -14/5. Duals from c - Aᵀy = 0:
    /// -1 = y1 + 3 y2, -1 = 2 y1 + y2  =>  y1 = -2/5, y2 = -1/5 (<= 0 on binding <= rows, minimising).
    @Test(arguments: backends.map(\.0))
    func smallMinimisationWithDuals(_ backend: String) throws {
        let solver = try Self.make(backend, Self.lp(c: [-1, -1], rows: [[1, 2], [3, 1]], rowLower: [-.infinity, -.infinity], rowUpper: [4, 6]))
        let r = solver.solve()
        #expect(r.status == .optimal)
        #expect(abs(r.objective - (-2.8)) < Self.tight)
        #expect(abs(r.primal[0] - 1.6) < Self.tight && abs(r.primal[1] - 1.2) < Self.tight)
        #expect(abs(r.rowDuals[0] - (-0.4)) < Self.tight && abs(r.rowDuals[1] - (-0.2)) < Self.tight)
        #expect(abs(r.reducedCosts[0]) < Self.tight && abs(r.reducedCosts[1]) < Self.tight)
    }

    /// max 3x + 2y  s.t.  x + y <= 4,  x + 3y <= 9,  0 <= x <= 3.
    /// x at its bound 3, then y = 1 from row 1; row 2 has slack (6 < 9). Objective 11.
    /// In the model's (max) sense g - Aᵀy = d: for basic y, 2 = y1 => y1 = 2 (>= 0: a binding <= row
    /// in a maximisation); d_x = 3 - 2 = 1 > 0 at its upper bound.
    @Test(arguments: backends.map(\.0))
    func smallMaximisationWithDuals(_ backend: String) throws {
        let solver = try Self.make(
            backend,
            Self.lp(sense: .maximize, c: [3, 2], rows: [[1, 1], [1, 3]], rowLower: [-.infinity, -.infinity], rowUpper: [4, 9], upper: [3, .infinity]))
        let r = solver.solve()
        #expect(r.status == .optimal)
        #expect(abs(r.objective - 11) < Self.tight)
        #expect(abs(r.rowDuals[0] - 2) < Self.tight && abs(r.rowDuals[1]) < Self.tight)
        #expect(abs(r.reducedCosts[0] - 1) < Self.tight && abs(r.reducedCosts[1]) < Self.tight)
    }

    /// min x² + y² - 2x - 4y  s.t.  x + y <= 1  (Q = diag(2, 2) since the objective holds ½xᵀQx).
    /// KKT: 2x - 2 + λ = 0, 2y - 4 + λ = 0, x + y = 1  =>  λ = 2, x = 0, y = 1, objective -3.
    /// The row dual in Parley's convention is -λ = -2.
    @Test(arguments: backends.map(\.0))
    func quadraticWithBindingRow(_ backend: String) throws {
        let program = Self.lp(
            c: [-2, -4], rows: [[1, 1]], rowLower: [-.infinity], rowUpper: [1],
            quadratic: [QuadraticTerm(row: 0, column: 0, value: 2), QuadraticTerm(row: 1, column: 1, value: 2)])
        let r = try Self.make(backend, program).solve()
        #expect(r.status == .optimal)
        #expect(abs(r.objective - (-3)) < 1e-7)
        #expect(abs(r.primal[0]) < 1e-7 && abs(r.primal[1] - 1) < 1e-7)
        #expect(abs(r.rowDuals[0] - (-2)) < 1e-6)
    }

    /// min x² + xy + y² - 3x with x, y free: Q = [[2, 1], [1, 2]] with the off-diagonal given once.
    /// Gradient: 2x + y - 3 = 0, x + 2y = 0  =>  x = 2, y = -1, objective 4 - 2 + 1 - 6 = -3.
    /// Giving the off-diagonal in both triangles would double it and move the optimum.
    @Test(arguments: backends.map(\.0))
    func quadraticWithOffDiagonal(_ backend: String) throws {
        let program = Self.lp(
            c: [-3, 0], rows: [[1, 1]], rowLower: [-.infinity], rowUpper: [100],
            lower: [-.infinity, -.infinity], upper: [.infinity, .infinity],
            quadratic: [
                QuadraticTerm(row: 0, column: 0, value: 2), QuadraticTerm(row: 0, column: 1, value: 1),
                QuadraticTerm(row: 1, column: 1, value: 2),
            ])
        let r = try Self.make(backend, program).solve()
        #expect(r.status == .optimal)
        #expect(abs(r.objective - (-3)) < 1e-7)
        #expect(abs(r.primal[0] - 2) < 1e-6 && abs(r.primal[1] + 1) < 1e-6)
        #expect(abs(program.objectiveValue(r.primal) - r.objective) < 1e-9)
    }

    /// x + y <= 1 and x + y >= 2 cannot both hold.
    @Test(arguments: backends.map(\.0))
    func infeasible(_ backend: String) throws {
        let r = try Self.make(backend, Self.lp(c: [1, 1], rows: [[1, 1], [1, 1]], rowLower: [-.infinity, 2], rowUpper: [1, .infinity])).solve()
        #expect(r.status == .infeasible)
    }

    /// min -x  s.t.  x - y <= 1, x, y >= 0: x = 1 + y grows without limit.
    /// The ray d must keep the row within bounds (d_x - d_y <= 0), stay in the bounds' cone
    /// (d >= 0) and improve the objective (-d_x < 0).
    @Test(arguments: backends.map(\.0))
    func unboundedWithRay(_ backend: String) throws {
        let r = try Self.make(backend, Self.lp(c: [-1, 0], rows: [[1, -1]], rowLower: [-.infinity], rowUpper: [1])).solve()
        #expect(r.status == .unbounded)
        let d = try #require(r.unboundedRay)
        #expect(d[0] > 1e-9 && d[1] >= -1e-12 && d[0] - d[1] <= 1e-9)
    }

    /// Strong duality and complementary slackness on real models: the dual objective built from
    /// Parley's row duals and reduced costs equals the primal objective, and every nonzero dual
    /// sits on a binding bound.
    @Test(arguments: ["netlib/afiro.mps", "netlib/adlittle.mps", "netlib/share2b.mps", "netlib/boeing2.mps", "netlib/e226.mps"])
    func complementarySlacknessOnNetlib(_ file: String) throws {
        let program = try MPSReader().read(path: Fixtures.path(file))
        let r = try ClpSolver(program: program).solve()
        #expect(r.status == .optimal)
        let scale = max(1, abs(r.objective))
        // g - Aᵀy = d, checked explicitly.
        let aty = program.matrix.multiplyTransposed(r.rowDuals)
        for j in 0..<program.columnCount {
            #expect(abs(program.objective[j] - aty[j] - r.reducedCosts[j]) <= 1e-7 * max(1, abs(program.objective[j])))
        }
        var dualObjective = program.objectiveConstant
        let tol = 1e-7
        for i in 0..<program.rowCount {
            let y = r.rowDuals[i]
            if y > tol {
                #expect(abs(r.rowActivity[i] - program.rowLower[i]) <= 1e-6 * max(1, abs(program.rowLower[i])))
                dualObjective += y * program.rowLower[i]
            } else if y < -tol {
                #expect(abs(r.rowActivity[i] - program.rowUpper[i]) <= 1e-6 * max(1, abs(program.rowUpper[i])))
                dualObjective += y * program.rowUpper[i]
            }
        }
        for j in 0..<program.columnCount {
            let d = r.reducedCosts[j]
            if d > tol {
                #expect(abs(r.primal[j] - program.columnLower[j]) <= 1e-6 * max(1, abs(program.columnLower[j])))
                dualObjective += d * program.columnLower[j]
            } else if d < -tol {
                #expect(abs(r.primal[j] - program.columnUpper[j]) <= 1e-6 * max(1, abs(program.columnUpper[j])))
                dualObjective += d * program.columnUpper[j]
            }
        }
        #expect(abs(dualObjective - r.objective) <= 1e-6 * scale, "dual \(dualObjective) vs primal \(r.objective)")
    }

    /// A 10% cost change on a real LP: re-solving the same model warm reaches the cold optimum in
    /// fewer iterations than a cold solve of the changed model.
    @Test(arguments: ["netlib/share1b.mps", "netlib/scorpion.mps", "blocks/ship04l.mps"])
    func warmObjectiveChange(_ file: String) throws {
        var program = try MPSReader().read(path: Fixtures.path(file))
        let warm = try ClpSolver(program: program)
        #expect(warm.solve().status == .optimal)
        var generator = SplitMix64(seed: 7)
        program.objective = program.objective.map { $0 * (1 + 0.1 * (generator.nextUnit() - 0.5)) }
        try warm.setObjective(program.objective)
        let warmResult = warm.solve()
        let coldResult = try ClpSolver(program: program).solve()
        #expect(warmResult.status == .optimal && coldResult.status == .optimal)
        #expect(abs(warmResult.objective - coldResult.objective) <= 1e-7 * max(1, abs(coldResult.objective)))
        #expect(warmResult.iterations < coldResult.iterations, "warm \(warmResult.iterations) vs cold \(coldResult.iterations)")
    }

    /// A convex QP unbounded along a direction where its quadratic term is flat: min 4q − 8s − 5d
    /// + s² with q = s + d, all ≥ 0. Substituting q: −4s − d + s², so d (with q) runs off to
    /// infinity, along (q, s, d) = (1, 0, 1) where Q·ray = 0 and the cost falls by 1 a unit. CLP's
    /// nonlinear primal looped for ever inside one pivot on this very problem (a partner's
    /// pricing QP in a two-firm chain); it must come back unbounded with that ray. The time limit
    /// turns a hang into a failure.
    @Test(.timeLimit(.minutes(1)), arguments: backends.map(\.0))
    func quadraticUnboundedAlongAFlatDirection(_ backend: String) throws {
        let program = Self.lp(
            c: [4, -8, -5], rows: [[1, -1, -1]], rowLower: [0], rowUpper: [0],
            quadratic: [QuadraticTerm(row: 1, column: 1, value: 2)])
        let r = try Self.make(backend, program).solve()
        #expect(r.status == .unbounded)
        let d = try #require(r.unboundedRay)
        #expect(d.allSatisfy { $0 >= -1e-12 }, "\(d)")
        #expect(abs(d[0] - d[1] - d[2]) <= 1e-9, "a direction of the row: \(d)")
        #expect(abs(d[1]) <= 1e-9, "Q·ray = 0: \(d)")
        #expect(4 * d[0] - 8 * d[1] - 5 * d[2] < -1e-6, "the cost falls along it: \(d)")
    }

    /// The same QP with d capped at 10 is bounded, and the check must not call it unbounded:
    /// s = 2, d = 10, q = 12: 48 − 16 − 50 + 4 = −14.
    @Test(arguments: backends.map(\.0))
    func quadraticBoundedOnceTheFlatDirectionIsCapped(_ backend: String) throws {
        let program = Self.lp(
            c: [4, -8, -5], rows: [[1, -1, -1]], rowLower: [0], rowUpper: [0], upper: [.infinity, .infinity, 10],
            quadratic: [QuadraticTerm(row: 1, column: 1, value: 2)])
        let r = try Self.make(backend, program).solve()
        #expect(r.status == .optimal)
        #expect(abs(r.objective - (-14)) < 1e-6, "\(r.objective)")
    }

    /// adlittle's larger block as the detector cuts it is unbounded: without the linking rows,
    /// some columns with negative costs have no limit above. CLP 1.17 calls it infeasible
    /// ("Presolve thinks problem is unbounded", and dual simplex from a crash basis stops at
    /// once, its dual infeasibilities near 5e24). A solve for feasibility alone finds a point,
    /// and the recession LP gives the ray.
    @Test(arguments: backends.map(\.0))
    func unboundedModelThatCLPCallsInfeasible(_ backend: String) throws {
        let program = try MPSReader().read(path: Fixtures.path("netlib/adlittle.mps"))
        let best = try #require(BlockDetector.candidates(program).first)
        let split = try ChainSplitter(chainName: "adlittle").split(program, best.decomposition)
        let block = try #require(split.programs.max { $0.rowCount < $1.rowCount })
        let r = try Self.make(backend, block).solve()
        #expect(r.status == .unbounded)
        let d = try #require(r.unboundedRay)
        #expect(block.recessionViolation(d) <= 1e-9, "a direction of recession: \(block.recessionViolation(d))")
        #expect(zip(block.objective, d).reduce(0) { $0 + $1.0 * $1.1 } < -1e-6, "the cost falls along it")
    }

    /// QPs CLP gets wrong (Tests/Fixtures/solver/README.md). One partner's ADMM update of
    /// ken-07: CLP 1.17's primal stops "optimal" at −11,089,622.4 after 6,000 iterations, column
    /// 73 at its lower bound with a reduced cost of −4,549; HiGHS finds −11,116,535.379555605.
    /// A partner of adlittle with quadratic costs: scaled, CLP's primal stops at 532,131.6 and its
    /// barrier at 525,853.5; HiGHS finds 517,785.56746527593. The answer must be the optimum, and
    /// the point must be stationary as computed here from the model itself (c + Qx − Aᵀy against
    /// each column's bounds), not as CLP reports it.
    @Test(arguments: backends.map(\.0), [("ken07-admm-update.mps", -11_116_535.379555605), ("adlittle-p01-qp.mps", 517_785.56746527593)])
    func quadraticWhereCLPsPrimalStopsShort(_ backend: String, _ model: (file: String, optimum: Double)) throws {
        let program = try MPSReader().read(path: Fixtures.solverModel(model.file))
        let r = try Self.make(backend, program).solve()
        #expect(r.status == .optimal)
        let reference = model.optimum
        #expect(abs(r.objective - reference) <= 1e-9 * abs(reference), "\(model.file): \(r.objective)")
        // The bound the duals prove (Wolfe): never above the optimum, and close below it.
        let bound = try #require(r.objectiveBound, "\(model.file): no bound")
        #expect(bound <= reference + 1e-12 * abs(reference) && bound >= reference - 1e-8 * abs(reference), "\(model.file): bound \(bound)")
        let x = r.primal
        var gradient = program.objective
        for t in program.quadratic {
            gradient[t.row] += t.value * x[t.column]
            if t.row != t.column { gradient[t.column] += t.value * x[t.row] }
        }
        for j in 0..<program.columnCount {
            let (rows, values) = program.matrix.column(j)
            var priced = 0.0
            for (i, a) in zip(rows, values) { priced += a * r.rowDuals[i] }
            let d = gradient[j] - priced
            let scale = max(1, abs(gradient[j]), abs(priced))
            let atLower = x[j] <= program.columnLower[j] + 1e-6
            let atUpper = x[j] >= program.columnUpper[j] - 1e-6
            // CLP's dual tolerance is 1e-7; recomputed here its reduced costs reach 3e-7 (adlittle's).
            if d < -1e-6 * scale { #expect(atUpper, "\(model.file): column \(j) at \(x[j]) with reduced cost \(d)") }
            if d > 1e-6 * scale { #expect(atLower, "\(model.file): column \(j) at \(x[j]) with reduced cost \(d)") }
        }
    }

    /// A truly infeasible LP stays infeasible after the feasibility check: x + y ≥ 3 with
    /// x, y ≤ 1.
    @Test(arguments: backends.map(\.0))
    func infeasibleStaysInfeasible(_ backend: String) throws {
        let program = Self.lp(c: [-1, -1], rows: [[1, 1]], rowLower: [3], rowUpper: [.infinity], upper: [1, 1])
        let r = try Self.make(backend, program).solve()
        #expect(r.status == .infeasible)
    }

    /// Adding columns, then rows, then changing a row bound: each warm re-solve reaches the optimum
    /// of the same model built and solved cold.
    @Test func warmStructuralChanges() throws {
        // min -x - y s.t. x + 2y <= 4, 3x + y <= 6 (optimum -2.8 above).
        let base = Self.lp(c: [-1, -1], rows: [[1, 2], [3, 1]], rowLower: [-.infinity, -.infinity], rowUpper: [4, 6])
        let solver = try ClpSolver(program: base)
        #expect(abs(solver.solve().objective + 2.8) < Self.tight)
        // New column z with cost -2 using 1 of row 0 and 1 of row 1. z = 4 fills row 0 alone:
        // objective -8. Duals y0 = -2, y1 = 0 price x at -1 + 2 = 1 >= 0 and y at -1 + 4 = 3 >= 0,
        // so -8 is optimal.
        try solver.addColumns([NewColumn(objective: -2, rows: [0, 1], values: [1, 1])])
        let withColumn = solver.solve()
        #expect(withColumn.status == .optimal && abs(withColumn.objective - (-8)) < Self.tight)
        // New row z <= 3: row 0 leaves 1 for x + 2y and row 1 leaves 3 for 3x + y; x = 1 uses both
        // exactly (worth -1, more than y's -1/2 from row 0), objective -6 - 1 = -7.
        try solver.addRows([NewRow(lower: -.infinity, upper: 3, columns: [2], values: [1])])
        let withRow = solver.solve()
        #expect(withRow.status == .optimal && abs(withRow.objective - (-7)) < Self.tight)
        // Loosen that row to z <= 4: back to -8.
        try solver.setRowBounds(2, lower: -.infinity, upper: 4)
        #expect(abs(solver.solve().objective - (-8)) < Self.tight)
        // Column bound: fix z = 0: the original model again, -2.8.
        try solver.setColumnBounds(2, lower: 0, upper: 0)
        #expect(abs(solver.solve().objective - (-2.8)) < Self.tight)
    }

    @Test func limitsAreStatusesNotErrors() throws {
        let program = try MPSReader().read(path: Fixtures.path("blocks/pds-02.mps"))
        var settings = SolverSettings()
        settings.maximumIterations = 5
        let r = try ClpSolver(program: program, settings: settings).solve()
        #expect(r.status == .iterationLimit)
    }

    @Test func badSettingsAndValuesAreRejected() throws {
        var settings = SolverSettings()
        settings.maximumIterations = 0
        let base = Self.lp(c: [1], rows: [[1]], rowLower: [0], rowUpper: [1])
        #expect(throws: SolverError.invalidSetting("maximumIterations must be at least 1")) {
            try ClpSolver(program: base, settings: settings)
        }
        var nan = base
        nan.objective = [.nan]
        #expect(throws: SolverError.invalidModel("the objective coefficient of column 'x0' is nan")) { try ClpSolver(program: nan) }
        var entry = base
        entry.matrix.values = [.infinity]
        #expect(throws: SolverError.invalidModel("the entry of column 'x0' in row 'r0' is inf")) { try ClpSolver(program: entry) }
        var bound = base
        bound.rowUpper = [-.infinity]
        #expect(throws: SolverError.invalidModel("the upper bound of row 'r0' is -inf")) { try ClpSolver(program: bound) }
        let solver = try ClpSolver(program: base)
        #expect(throws: SolverError.dimensionMismatch("objective has 2 entries for 1 columns")) {
            try solver.setObjective([1, 2])
        }
        #expect(throws: SolverError.invalidModel("objective coefficient 0 is inf")) {
            try solver.setObjective([.infinity])
        }
    }

    /// Costs of 1e25 and more make CLP assert (abort the process) when it sets up a simplex solve,
    /// warm or cold: they are refused with an error, and the model solves on afterwards.
    @Test func costsCLPWouldAbortOnAreRefused() throws {
        let base = Self.lp(c: [-1, 1], rows: [[1, 1]], rowLower: [0], rowUpper: [4])
        var huge = base
        huge.objective = [-1, 3e26]
        #expect(throws: SolverError.invalidModel("the objective coefficient of column 'x1' is 3e+26, beyond the ±1e+20 CLP can take")) {
            try ClpSolver(program: huge)
        }
        let solver = try ClpSolver(program: base)
        #expect(solver.solve().objective == -4)
        #expect(throws: SolverError.invalidModel("objective coefficient 0 is -1e+25, beyond the ±1e+20 CLP can take")) {
            try solver.setObjective([-1e25, 1])
        }
        #expect(throws: SolverError.invalidModel("a new column costs 1e+21, beyond the ±1e+20 CLP can take")) {
            try solver.addColumns([NewColumn(objective: 1e21, rows: [0], values: [1])])
        }
        try solver.setObjective([-2, 1])
        #expect(solver.solve().objective == -8)
    }

    static func make(_ backend: String, _ program: LinearProgram) throws -> any LinearSolver {
        try backends.first { $0.0 == backend }!.1(program)
    }
}
