import Foundation
import Yams

/// The contract's file form: `chain.yaml`, with the linking rows inline or, for thousands of
/// rows, in a companion MPS file (`linking_rows_file`). `Deploy/examples/chain.yaml` documents
/// every key.
///
/// Loading checks the document key by key, so a message names the entry at fault
/// (`chain.yaml:31: linking_rows[5] 'CAP1': unknown partner 'p99'`), and then runs
/// ``validate(source:)``. Writing is atomic and keeps every `Double` exact.
extension ChainContract {
    static let topKeys = [
        "chain", "sense", "objective_constant", "coordinator", "partners", "linking_rows", "linking_rows_file",
    ]
    static let partyKeys = ["name", "endpoint", "identity", "interface"]
    static let rowKeys = ["name", "lower", "upper", "sense", "rhs", "terms"]

    /// Reads `chain.yaml` at `path`, and its companion linking-row file if it names one.
    public static func load(path: String) throws(ModelFileError) -> ChainContract {
        return try parse(yaml: YAMLFields.readText(path: path), file: path, directory: directory(of: path))
    }

    /// Parses contract YAML; `file` names it in messages, `directory` is where a
    /// `linking_rows_file` is looked for.
    public static func parse(yaml text: String, file: String, directory: String = ".") throws(ModelFileError)
        -> ChainContract
    {
        let fields = YAMLFields(file: file)
        guard let root = try fields.root(text) else {
            throw ModelFileError(file: file, line: nil, message: "the file is empty: a contract needs at least chain and partners")
        }
        let top = try fields.mapping(root, "", allowed: topKeys, what: "a mapping with keys chain, partners, ...")

        let chain = try fields.string(try fields.required(top, "chain", in: root, ""), "chain")
        if chain.isEmpty { throw fields.fail(top["chain"], "chain", "must not be empty") }
        var sense = ObjectiveSense.minimize
        if let node = top["sense"] {
            let word = try fields.string(node, "sense")
            guard let parsed = ObjectiveSense(rawValue: word) else {
                throw fields.fail(node, "sense", "'\(word)' must be minimize or maximize")
            }
            sense = parsed
        }
        var constant = 0.0
        if let node = top["objective_constant"] {
            constant = try fields.number(node, "objective_constant")
            guard constant.isFinite else { throw fields.fail(node, "objective_constant", "must be finite") }
        }
        var coordinator = Party(name: "coordinator")
        if let node = top["coordinator"] {
            coordinator = try party(node, "coordinator", fields, isPartner: false)
        }

        let partnersNode = try fields.required(top, "partners", in: root, "")
        var partners: [Party] = []
        var partnerPath: [String: String] = [:]
        for (k, node) in try fields.sequence(partnersNode, "partners").enumerated() {
            let path = "partners[\(k)]"
            let p = try party(node, path, fields, isPartner: true)
            if let first = partnerPath[p.name] {
                throw fields.fail(node, path, "partner '\(p.name)' is already listed as \(first)")
            }
            if p.name == coordinator.name {
                throw fields.fail(node, path, "partner '\(p.name)' has the coordinator's name")
            }
            partnerPath[p.name] = path
            partners.append(p)
        }
        if partners.isEmpty { throw fields.fail(partnersNode, "partners", "the chain has no partners") }
        let interfaces = Dictionary(uniqueKeysWithValues: partners.map { ($0.name, Set($0.interface)) })

        var rows: [LinkingRow] = []
        switch (top["linking_rows"], top["linking_rows_file"]) {
        case (.some, .some):
            throw fields.fail(top["linking_rows_file"], "", "give linking_rows or linking_rows_file, not both")
        case (nil, nil):
            throw ModelFileError(
                file: file, line: nil, message: "missing key 'linking_rows' (or 'linking_rows_file' naming an MPS file)")
        case (let node?, nil):
            var seen: [String: Int] = [:]
            for (k, rowNode) in try fields.sequence(node, "linking_rows").enumerated() {
                let row = try linkingRow(rowNode, index: k, fields, interfaces: interfaces)
                if let first = seen[row.name] {
                    throw fields.fail(rowNode, "linking_rows[\(k)] '\(row.name)'", "name already used by linking_rows[\(first)]")
                }
                seen[row.name] = k
                rows.append(row)
            }
        case (nil, let node?):
            let relative = try fields.string(node, "linking_rows_file")
            if relative.isEmpty { throw fields.fail(node, "linking_rows_file", "must name a file") }
            let path = relative.hasPrefix("/") || directory.isEmpty || directory == "." ? relative : "\(directory)/\(relative)"
            rows = try linkingRows(mpsPath: path, interfaces: interfaces)
        }

        let contract = ChainContract(
            chain: chain, sense: sense, coordinator: coordinator, partners: partners, linkingRows: rows,
            objectiveConstant: constant)
        try contract.validate(source: file)
        return contract
    }

    private static func party(_ node: Node, _ path: String, _ fields: YAMLFields, isPartner: Bool) throws(ModelFileError)
        -> Party
    {
        let entries = try fields.mapping(node, path, allowed: isPartner ? partyKeys : ["name", "endpoint", "identity"])
        let nameNode = try fields.required(entries, "name", in: node, path)
        let name = try fields.string(nameNode, "\(path).name")
        if name.isEmpty || name.contains(".") || name.contains(where: \.isWhitespace) {
            throw fields.fail(nameNode, "\(path).name", "'\(name)' must be non-empty, without '.' or spaces")
        }
        let endpoint = try entries["endpoint"].map { node throws(ModelFileError) in try fields.string(node, "\(path).endpoint") } ?? ""
        let identity = try entries["identity"].map { node throws(ModelFileError) in try fields.string(node, "\(path).identity") }
        if let identity, identity.isEmpty { throw fields.fail(entries["identity"], "\(path).identity", "must not be empty") }
        var interface: [String] = []
        if let node = entries["interface"] {
            var seen = Set<String>()
            for (k, item) in try fields.sequence(node, "\(path).interface").enumerated() {
                let variable = try fields.string(item, "\(path).interface[\(k)]")
                if variable.isEmpty { throw fields.fail(item, "\(path).interface[\(k)]", "must not be empty") }
                if !seen.insert(variable).inserted {
                    throw fields.fail(item, "\(path).interface[\(k)]", "'\(variable)' is listed twice")
                }
                interface.append(variable)
            }
        }
        return Party(name: name, endpoint: endpoint, identity: identity, interface: interface)
    }

    private static func linkingRow(
        _ node: Node, index: Int, _ fields: YAMLFields, interfaces: [String: Set<String>]
    ) throws(ModelFileError) -> LinkingRow {
        let entries = try fields.mapping(node, "linking_rows[\(index)]", allowed: rowKeys)
        let nameNode = try fields.required(entries, "name", in: node, "linking_rows[\(index)]")
        let name = try fields.string(nameNode, "linking_rows[\(index)].name")
        if name.isEmpty { throw fields.fail(nameNode, "linking_rows[\(index)].name", "must not be empty") }
        let path = "linking_rows[\(index)] '\(name)'"

        var lower = -Double.infinity
        var upper = Double.infinity
        let hasBounds = entries["lower"] != nil || entries["upper"] != nil
        let hasSense = entries["sense"] != nil || entries["rhs"] != nil
        switch (hasBounds, hasSense) {
        case (true, true):
            throw fields.fail(node, path, "give lower/upper or sense with rhs, not both")
        case (false, false):
            throw fields.fail(node, path, "needs bounds: lower and/or upper, or sense (le, ge, eq) with rhs")
        case (true, false):
            if let n = entries["lower"] { lower = try fields.number(n, "\(path).lower") }
            if let n = entries["upper"] { upper = try fields.number(n, "\(path).upper") }
            if lower == .infinity { throw fields.fail(entries["lower"], "\(path).lower", "must not be +.inf") }
            if upper == -.infinity { throw fields.fail(entries["upper"], "\(path).upper", "must not be -.inf") }
            if lower > upper {
                throw fields.fail(
                    node, path, "lower \(YAMLFields.number(lower)) is above upper \(YAMLFields.number(upper))")
            }
        case (false, true):
            guard let senseNode = entries["sense"] else { throw fields.fail(node, path, "rhs needs a sense (le, ge or eq)") }
            guard let rhsNode = entries["rhs"] else { throw fields.fail(node, path, "sense needs an rhs") }
            let rhs = try fields.number(rhsNode, "\(path).rhs")
            guard rhs.isFinite else { throw fields.fail(rhsNode, "\(path).rhs", "must be finite") }
            switch try fields.string(senseNode, "\(path).sense") {
            case "le": upper = rhs
            case "ge": lower = rhs
            case "eq": (lower, upper) = (rhs, rhs)
            case let other: throw fields.fail(senseNode, "\(path).sense", "'\(other)' must be le, ge or eq")
            }
        }

        let termsNode = try fields.required(entries, "terms", in: node, path)
        var terms: [Term] = []
        var seen = Set<String>()
        for (key, keyNode, value) in try fields.pairs(termsNode, "\(path).terms") {
            guard let dot = key.firstIndex(of: "."), dot != key.startIndex, key.index(after: dot) != key.endIndex else {
                throw fields.fail(keyNode, path, "term '\(key)' must be written partner.variable")
            }
            let partner = String(key[..<dot])
            let variable = String(key[key.index(after: dot)...])
            guard let interface = interfaces[partner] else {
                throw fields.fail(keyNode, path, "unknown partner '\(partner)'")
            }
            guard interface.contains(variable) else {
                throw fields.fail(keyNode, path, "'\(key)' is not an interface variable of '\(partner)'")
            }
            let coefficient = try fields.number(value, "\(path).terms.\(key)")
            guard coefficient.isFinite else { throw fields.fail(value, "\(path).terms.\(key)", "must be finite") }
            if !seen.insert(key).inserted { throw fields.fail(keyNode, path, "'\(key)' appears twice") }
            terms.append(Term(partner: partner, variable: variable, coefficient: coefficient))
        }
        if terms.isEmpty { throw fields.fail(termsNode, path, "has no terms") }
        return LinkingRow(name: name, lower: lower, upper: upper, terms: terms)
    }

    /// Reads linking rows from an MPS file whose columns are named `partner.variable`.
    private static func linkingRows(mpsPath: String, interfaces: [String: Set<String>]) throws(ModelFileError)
        -> [LinkingRow]
    {
        let program = try MPSReader().read(path: mpsPath)
        func fail(_ message: String) -> ModelFileError { ModelFileError(file: mpsPath, line: nil, message: message) }
        var owners: [(partner: String, variable: String)] = []
        for name in program.columnNames {
            guard let dot = name.firstIndex(of: "."), dot != name.startIndex, name.index(after: dot) != name.endIndex else {
                throw fail("column '\(name)' is not named partner.variable")
            }
            let partner = String(name[..<dot])
            let variable = String(name[name.index(after: dot)...])
            guard let interface = interfaces[partner] else { throw fail("column '\(name)' names unknown partner '\(partner)'") }
            guard interface.contains(variable) else {
                throw fail("column '\(name)' is not an interface variable of '\(partner)'")
            }
            owners.append((partner, variable))
        }
        if program.objective.contains(where: { $0 != 0 }) || program.isQuadratic || program.objectiveConstant != 0 {
            throw fail("a linking-row file has no objective: its N row must be empty")
        }
        let byRow = program.matrix.transposed()
        return (0..<program.rowCount).map { i in
            let (columns, values) = byRow.column(i)
            let terms = zip(columns, values).map { j, v in
                Term(partner: owners[j].partner, variable: owners[j].variable, coefficient: v)
            }
            return LinkingRow(name: program.rowNames[i], lower: program.rowLower[i], upper: program.rowUpper[i], terms: terms)
        }
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    // MARK: Writing

    /// The linking rows as an MPS model: one row per linking row, one column per
    /// `partner.variable`, grouped by partner in interface order, and an empty objective.
    public var linkingProgram: LinearProgram {
        let order = TermOrder(self)
        var columnOf: [String: Int] = [:]
        var columns: [Term] = []
        var triplets: [(row: Int, column: Int, value: Double)] = []
        for (i, row) in linkingRows.enumerated() {
            for t in row.terms {
                let name = "\(t.partner).\(t.variable)"
                let j: Int
                if let known = columnOf[name] {
                    j = known
                } else {
                    j = columns.count
                    columnOf[name] = j
                    columns.append(t)
                }
                triplets.append((i, j, t.coefficient))
            }
        }
        // Columns in canonical order, whatever row first named them: the file then reads back
        // with each row's terms in canonical order.
        let sorted = columns.indices.sorted { order.less(columns[$0], columns[$1]) }
        var position = Array(repeating: 0, count: columns.count)
        for (k, j) in sorted.enumerated() { position[j] = k }
        let rowNames = Set(linkingRows.map(\.name))
        var objectiveName = "LINKOBJ"
        while rowNames.contains(objectiveName) { objectiveName += "_" }
        return LinearProgram(
            name: chain, objectiveName: objectiveName,
            objective: Array(repeating: 0, count: columns.count),
            matrix: SparseMatrix(
                rowCount: linkingRows.count, columnCount: columns.count,
                triplets: triplets.map { ($0.row, position[$0.column], $0.value) }),
            columnLower: Array(repeating: 0, count: columns.count),
            columnUpper: Array(repeating: .infinity, count: columns.count),
            rowLower: linkingRows.map(\.lower), rowUpper: linkingRows.map(\.upper),
            columnNames: sorted.map { "\(columns[$0].partner).\(columns[$0].variable)" },
            rowNames: linkingRows.map(\.name))
    }

    /// The contract as YAML. With `linkingRowsFile`, the rows are not listed but referred to.
    public func yaml(linkingRowsFile: String? = nil) -> String {
        let q = YAMLFields.quote
        let n = YAMLFields.number
        var out = """
            # Parley chain contract: public, identical for every party (compare contract hashes).
            # Every key is described in Deploy/examples/chain.yaml.
            chain: \(q(chain))
            sense: \(sense.rawValue)
            objective_constant: \(n(objectiveConstant))

            """
        func party(_ p: Party, indent: String, first: String) -> String {
            var s = "\(first)name: \(q(p.name))\n"
            if !p.endpoint.isEmpty { s += "\(indent)endpoint: \(q(p.endpoint))\n" }
            s += "\(indent)identity: \(q(p.identity))\n"
            return s
        }
        out += "coordinator:\n" + party(coordinator, indent: "  ", first: "  ")
        out += "partners:\n"
        for p in partners {
            out += party(p, indent: "    ", first: "  - ")
            let prefix = "    interface: "
            out += prefix + YAMLFields.flowList(p.interface.map(q), indent: 6, firstColumn: prefix.count) + "\n"
        }
        if let linkingRowsFile {
            out += "linking_rows_file: \(q(linkingRowsFile))\n"
            return out
        }
        out += linkingRows.isEmpty ? "linking_rows: []\n" : "linking_rows:\n"
        for row in linkingRows {
            out += "  - name: \(q(row.name))\n"
            if row.lower == row.upper {
                out += "    sense: eq\n    rhs: \(n(row.lower))\n"
            } else {
                if row.lower != -.infinity { out += "    lower: \(n(row.lower))\n" }
                if row.upper != .infinity || row.lower == -.infinity { out += "    upper: \(n(row.upper))\n" }
            }
            let prefix = "    terms: "
            let items = row.terms.map { "\(q("\($0.partner).\($0.variable)")): \(n($0.coefficient))" }
            let list = YAMLFields.flowList(items, indent: 6, firstColumn: prefix.count)
            out += prefix + "{" + list.dropFirst().dropLast() + "}\n"
        }
        return out
    }

    /// Writes the contract to `path` atomically. With `linkingRowsFile` (relative to the
    /// contract's directory), the linking rows go to that MPS file, written first, so a reader
    /// never finds a contract naming a file that is not there yet.
    public func write(to path: String, linkingRowsFile: String? = nil) throws(ModelFileError) {
        if let linkingRowsFile {
            let directory = Self.directory(of: path)
            let target = linkingRowsFile.hasPrefix("/") ? linkingRowsFile : "\(directory)/\(linkingRowsFile)"
            try MPSWriter().write(linkingProgram, to: target)
        }
        try AtomicFile.write(yaml(linkingRowsFile: linkingRowsFile), to: path)
    }
}
