import ParleyModel
import ParleyTestSupport

/// Block-angular LPs of the two kinds the shared instances hold, generated from a seed (as
/// `Scripts/generate_chain.py` writes them to files for the benchmarks): the algorithms are
/// tuned on eight published instances, and these check them on models they never saw.
struct GeneratedChain {
    var program: LinearProgram
    /// The generator's blocks (rows of each commodity or scenario); the rest are linking rows.
    var blockRows: [[Int]]

    /// Rows and columns as the generator builds them, turned into a program at the end.
    private struct Builder {
        var rowNames: [String] = []
        var rowLower: [Double] = []
        var rowUpper: [Double] = []
        var rowIndex: [String: Int] = [:]
        var columnNames: [String] = []
        var objective: [Double] = []
        var columnUpper: [Double] = []
        var triplets: [(row: Int, column: Int, value: Double)] = []

        @discardableResult
        mutating func row(_ name: String, lower: Double, upper: Double) -> Int {
            rowIndex[name] = rowNames.count
            rowNames.append(name)
            rowLower.append(lower)
            rowUpper.append(upper)
            return rowNames.count - 1
        }

        @discardableResult
        mutating func column(_ name: String, cost: Double, upper: Double = .infinity, entries: [(String, Double)]) -> Int {
            let j = columnNames.count
            columnNames.append(name)
            objective.append(cost)
            columnUpper.append(upper)
            for (row, value) in entries { triplets.append((rowIndex[row]!, j, value)) }
            return j
        }

        func program(_ name: String) -> LinearProgram {
            LinearProgram(
                name: name, objective: objective,
                matrix: SparseMatrix(rowCount: rowNames.count, columnCount: columnNames.count, triplets: triplets),
                columnLower: Array(repeating: 0, count: columnNames.count), columnUpper: columnUpper,
                rowLower: rowLower, rowUpper: rowUpper, columnNames: columnNames, rowNames: rowNames)
        }
    }

    /// Commodities routed from one source to three sinks over a shared network, with joint
    /// capacities on the arcs the cheapest routes crowd: each below what those routes would put
    /// there, and never below a flow routed along random walks, so the model is feasible and the
    /// linking rows bind.
    static func multicommodity(seed: UInt64, commodities: Int, nodes: Int, degree: Int, capacitated: Int) -> GeneratedChain {
        var random = SplitMix64(seed: seed)
        func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * random.nextUnit() }
        func integer(_ a: Int, _ b: Int) -> Int { a + Int(random.next() % UInt64(b - a + 1)) }
        struct Arc: Hashable, Comparable {
            var from: Int
            var to: Int
            static func < (a: Arc, b: Arc) -> Bool { (a.from, a.to) < (b.from, b.to) }
        }
        var arcSet = Set<Arc>()
        for i in 0..<nodes {  // a ring both ways keeps every node reachable
            arcSet.insert(Arc(from: i, to: (i + 1) % nodes))
            arcSet.insert(Arc(from: (i + 1) % nodes, to: i))
        }
        while arcSet.count < nodes * degree {
            let a = integer(0, nodes - 1)
            let b = integer(0, nodes - 1)
            if a != b { arcSet.insert(Arc(from: a, to: b)) }
        }
        let arcs = arcSet.sorted()
        var out: [[Int]] = Array(repeating: [], count: nodes)
        for arc in arcs { out[arc.from].append(arc.to) }
        let base = Dictionary(uniqueKeysWithValues: arcs.map { ($0, Double(integer(1, 20))) })
        var builder = Builder()
        var blocks: [[Int]] = []
        var walked: [Arc: Double] = [:]
        var cheapest: [Arc: Double] = [:]
        var column: [Arc: [Int]] = [:]
        for k in 0..<commodities {
            let source = integer(0, nodes - 1)
            var sinks: [Int] = []
            while sinks.count < 3 {
                let s = integer(0, nodes - 1)
                if s != source && !sinks.contains(s) { sinks.append(s) }
            }
            let demand = sinks.map { _ in Double(integer(10, 100)) }
            var supply = Array(repeating: 0.0, count: nodes)
            supply[source] = -demand.reduce(0, +)
            for (s, d) in zip(sinks, demand) { supply[s] = d }
            blocks.append((0..<nodes).map { v in builder.row("N\(k)_\(v)", lower: supply[v], upper: supply[v]) })
            var cost: [Arc: Double] = [:]
            for arc in arcs {
                cost[arc] = base[arc]! * uniform(0.8, 1.2)
                let j = builder.column(
                    "X\(k)_\(arc.from)_\(arc.to)", cost: cost[arc]!, entries: [("N\(k)_\(arc.from)", -1), ("N\(k)_\(arc.to)", 1)])
                column[arc, default: []].append(j)
            }
            for (s, d) in zip(sinks, demand) {
                var v = source
                var seen: Set<Int> = [source]
                while v != s {
                    let fresh = out[v].filter { !seen.contains($0) }
                    let choices = fresh.isEmpty ? out[v] : fresh
                    let w = out[v].contains(s) ? s : choices[integer(0, choices.count - 1)]
                    walked[Arc(from: v, to: w), default: 0] += d
                    seen.insert(w)
                    v = w
                }
            }
            // Dijkstra from the source on this commodity's costs (the graphs are small).
            var distance = Array(repeating: Double.infinity, count: nodes)
            var previous = Array(repeating: -1, count: nodes)
            var done = Array(repeating: false, count: nodes)
            distance[source] = 0
            for _ in 0..<nodes {
                guard let v = (0..<nodes).filter({ !done[$0] && distance[$0].isFinite }).min(by: { distance[$0] < distance[$1] }) else {
                    break
                }
                done[v] = true
                for w in out[v] where distance[v] + cost[Arc(from: v, to: w)]! < distance[w] {
                    distance[w] = distance[v] + cost[Arc(from: v, to: w)]!
                    previous[w] = v
                }
            }
            for (s, d) in zip(sinks, demand) {
                var v = s
                while v != source {
                    cheapest[Arc(from: previous[v], to: v), default: 0] += d
                    v = previous[v]
                }
            }
        }
        let busiest = arcs.sorted { (cheapest[$0] ?? 0, $1) > (cheapest[$1] ?? 0, $0) }.prefix(capacitated)
        for arc in busiest {
            let capacity = max(walked[arc] ?? 0, (cheapest[arc] ?? 0) * uniform(0.4, 0.8))
            let r = builder.row("CAP_\(arc.from)_\(arc.to)", lower: -.infinity, upper: capacity)
            for j in column[arc]! { builder.triplets.append((r, j, 1)) }
        }
        return GeneratedChain(program: builder.program("mc\(seed)"), blockRows: blocks)
    }

    /// A two-stage program, one block per scenario: first-stage capacities (budgeted and
    /// bounded) copied into every scenario, second-stage activities that use them to meet the
    /// scenario's demands, a shortfall bought at a penalty (so every scenario is feasible), and
    /// copy rows x[s,i] − x[s+1,i] = 0 linking the scenarios.
    static func stochastic(seed: UInt64, scenarios: Int, first: Int, second: Int, demands: Int) -> GeneratedChain {
        var random = SplitMix64(seed: seed)
        func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * random.nextUnit() }
        let buildCost = (0..<first).map { _ in uniform(1, 10) }
        let capacity = (0..<first).map { _ in uniform(50, 200) }
        let budget = capacity.reduce(0, +) * 0.6
        let runCost = (0..<second).map { _ in uniform(5, 30) }
        // Each activity uses a third of the capacities on average, and at least one, so every
        // scenario is one connected block.
        let recipe = (0..<second).map { _ in
            var uses = (0..<first).map { _ in random.nextUnit() < 2.0 / 3 ? 0 : uniform(0.5, 2) }
            if uses.allSatisfy({ $0 == 0 }) { uses[Int(random.next() % UInt64(first))] = uniform(0.5, 2) }
            return uses
        }
        var builder = Builder()
        var blocks: [[Int]] = []
        var copies: [[Int]] = []
        for s in 0..<scenarios {
            let p = 1 / Double(scenarios)
            var block = [builder.row("S\(s)_BUDGET", lower: -.infinity, upper: budget)]
            block += (0..<first).map { builder.row("S\(s)_CAP\($0)", lower: -.infinity, upper: 0) }
            block += (0..<demands).map { builder.row("S\(s)_DEM\($0)", lower: uniform(20, 120), upper: .infinity) }
            blocks.append(block)
            copies.append(
                (0..<first).map { i in
                    builder.column(
                        "S\(s)_X\(i)", cost: p * buildCost[i], upper: capacity[i], entries: [("S\(s)_BUDGET", 1), ("S\(s)_CAP\(i)", -1)])
                })
            for j in 0..<second {
                var entries = (0..<first).filter { recipe[j][$0] != 0 }.map { ("S\(s)_CAP\($0)", recipe[j][$0]) }
                entries.append(("S\(s)_DEM\(j % demands)", uniform(0.8, 1.2)))
                builder.column("S\(s)_Y\(j)", cost: p * runCost[j] * uniform(0.9, 1.1), entries: entries)
            }
            for j in 0..<demands { builder.column("S\(s)_BUY\(j)", cost: p * 100, entries: [("S\(s)_DEM\(j)", 1)]) }
        }
        for s in 0..<(scenarios - 1) {
            for i in 0..<first {
                let r = builder.row("NA\(s)_\(i)", lower: 0, upper: 0)
                builder.triplets.append((r, copies[s][i], 1))
                builder.triplets.append((r, copies[s + 1][i], -1))
            }
        }
        return GeneratedChain(program: builder.program("st\(seed)"), blockRows: blocks)
    }
}
