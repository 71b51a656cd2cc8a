/// The public agreement every party of a chain holds identically: who takes part, which of each
/// partner's variables others may name (its interface), and the linking rows that couple them.
///
/// Nothing private is in it: no cost, no private row, no bound of a partner's variable. A content
/// hash of its canonical form (``ChainContract/canonicalText``) identifies it; parties compare
/// hashes before they negotiate.
public struct ChainContract: Sendable, Equatable {
    /// A party's public identity.
    public struct Party: Sendable, Equatable {
        public var name: String
        /// Where the party's node listens (`host:port`); empty in local-only contracts.
        public var endpoint: String
        /// The identity its certificate must carry (a SAN URI `parley:<name>`).
        public var identity: String
        /// Variables of this partner that linking rows may name (empty for the coordinator).
        public var interface: [String]

        public init(name: String, endpoint: String = "", identity: String? = nil, interface: [String] = []) {
            self.name = name
            self.endpoint = endpoint
            self.identity = identity ?? "parley:\(name)"
            self.interface = interface
        }

        /// The name in the `parley:<name>` identity: what the TLS layer compares with the peer's
        /// certificate.
        public var certificateName: String {
            identity.hasPrefix("parley:") ? String(identity.dropFirst("parley:".count)) : identity
        }
    }

    /// One coefficient of a linking row: `coefficient × partner.variable`.
    public struct Term: Sendable, Equatable {
        public var partner: String
        public var variable: String
        public var coefficient: Double

        public init(partner: String, variable: String, coefficient: Double) {
            self.partner = partner
            self.variable = variable
            self.coefficient = coefficient
        }
    }

    /// A shared constraint `lower ≤ Σ terms ≤ upper` (infinite bounds allowed, not both).
    public struct LinkingRow: Sendable, Equatable {
        public var name: String
        public var lower: Double
        public var upper: Double
        public var terms: [Term]

        public init(name: String, lower: Double, upper: Double, terms: [Term]) {
            self.name = name
            self.lower = lower
            self.upper = upper
            self.terms = terms
        }
    }

    public var chain: String
    public var sense: ObjectiveSense
    public var coordinator: Party
    public var partners: [Party]
    public var linkingRows: [LinkingRow]
    /// A constant added to the chain objective (an MPS objective constant, say). Public.
    public var objectiveConstant: Double

    public init(
        chain: String, sense: ObjectiveSense = .minimize, coordinator: Party = Party(name: "coordinator"),
        partners: [Party], linkingRows: [LinkingRow], objectiveConstant: Double = 0
    ) {
        self.chain = chain
        self.sense = sense
        self.coordinator = coordinator
        self.partners = partners
        self.linkingRows = linkingRows
        self.objectiveConstant = objectiveConstant
    }

    /// Index of each partner by name.
    public var partnerIndex: [String: Int] {
        Dictionary(partners.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Checks the contract on its own: unique names, terms that name a partner and one of its
    /// interface variables, sensible bounds, finite coefficients. `source` names the file.
    /// The indices of the linking rows `partner` takes part in, in contract order: the rows
    /// whose prices it receives and whose usage it reports (the same on both ends).
    public func linkingRows(of partner: String) -> [Int] {
        linkingRows.indices.filter { i in linkingRows[i].terms.contains { $0.partner == partner } }
    }

    public func validate(source: String = "contract") throws(ModelFileError) {
        func fail(_ message: String) -> ModelFileError { ModelFileError(file: source, line: nil, message: message) }
        if partners.isEmpty { throw fail("the chain has no partners") }
        var seen = Set<String>()
        for p in partners {
            if p.name.isEmpty || p.name.contains(".") || p.name.contains(where: \.isWhitespace) {
                throw fail("partner name '\(p.name)' must be non-empty, without '.' or spaces")
            }
            if !seen.insert(p.name).inserted { throw fail("partner '\(p.name)' is listed twice") }
            if p.name == coordinator.name { throw fail("partner '\(p.name)' has the coordinator's name") }
            var vars = Set<String>()
            for v in p.interface where !vars.insert(v).inserted {
                throw fail("partner '\(p.name)' lists interface variable '\(v)' twice")
            }
        }
        let interfaces = Dictionary(uniqueKeysWithValues: partners.map { ($0.name, Set($0.interface)) })
        var rowNames = Set<String>()
        for row in linkingRows {
            if !rowNames.insert(row.name).inserted { throw fail("linking row '\(row.name)' is listed twice") }
            if row.lower.isNaN || row.upper.isNaN || row.lower > row.upper || row.lower == .infinity
                || row.upper == -.infinity
            {
                throw fail("linking row '\(row.name)' has bounds [\(row.lower), \(row.upper)]")
            }
            if row.terms.isEmpty { throw fail("linking row '\(row.name)' has no terms") }
            var used = Set<String>()
            for t in row.terms {
                guard let interface = interfaces[t.partner] else {
                    throw fail("linking row '\(row.name)' names unknown partner '\(t.partner)'")
                }
                guard interface.contains(t.variable) else {
                    throw fail(
                        "linking row '\(row.name)' names '\(t.partner).\(t.variable)', "
                            + "which is not an interface variable of '\(t.partner)'")
                }
                guard t.coefficient.isFinite else {
                    throw fail("linking row '\(row.name)' has coefficient \(t.coefficient) for '\(t.partner).\(t.variable)'")
                }
                if !used.insert("\(t.partner).\(t.variable)").inserted {
                    throw fail("linking row '\(row.name)' names '\(t.partner).\(t.variable)' twice")
                }
            }
        }
    }
}

/// What one partner needs to take part: its private model plus the linking rows it is in,
/// expressed over its own columns. Built on the partner's side; the coordinator never sees the
/// model, only the row indices (public, from the contract).
public struct PartnerProblem: Sendable {
    public var name: String
    /// The private model (costs, private rows, bounds).
    public var program: LinearProgram
    /// Indices into the contract's `linkingRows` this partner takes part in, ascending.
    public var linkingRows: [Int]
    /// Those rows' names (public, from the contract), in the same order.
    public var linkingRowNames: [String]
    /// Its coefficients in those rows: row k of this matrix is linking row `linkingRows[k]`,
    /// columns are the private model's columns.
    public var linking: SparseMatrix

    /// Joins a private model to the contract, checking that every interface variable the
    /// contract names for this partner exists in the model. `source` names the model file.
    public init(contract: ChainContract, partner: String, program: LinearProgram, source: String = "model")
        throws(ModelFileError)
    {
        guard let party = contract.partners.first(where: { $0.name == partner }) else {
            throw ModelFileError(file: source, line: nil, message: "partner '\(partner)' is not in the contract")
        }
        let columns = program.columnIndexByName()
        for v in party.interface where columns[v] == nil {
            throw ModelFileError(
                file: source, line: nil,
                message: "interface variable '\(v)' of partner '\(partner)' is not a column of its model")
        }
        let rows = contract.linkingRows(of: partner)
        var triplets: [(row: Int, column: Int, value: Double)] = []
        for (local, i) in rows.enumerated() {
            for t in contract.linkingRows[i].terms where t.partner == partner {
                triplets.append((local, columns[t.variable]!, t.coefficient))
            }
        }
        self.name = partner
        self.program = program
        self.linkingRows = rows
        self.linkingRowNames = rows.map { contract.linkingRows[$0].name }
        self.linking = SparseMatrix(rowCount: rows.count, columnCount: program.columnCount, triplets: triplets)
    }
}
