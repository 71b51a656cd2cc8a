import Crypto

/// The contract's identity: a canonical text and its SHA-256.
///
/// Parties compare `contentHash` before they negotiate; two parties holding the same contract
/// must get the same hash whatever file form they loaded it from (rows inline or in a companion
/// MPS file, `sense: le` or `upper:`), and any change that matters — a coefficient, a bound, a
/// partner, an endpoint, an interface variable — must change it.
extension ChainContract {
    /// A deterministic text holding every field of the contract, one item per line:
    ///
    ///     parley-chain-contract 1
    ///     chain "pds-02"
    ///     sense minimize
    ///     objective_constant 0.0
    ///     coordinator "coordinator" "127.0.0.1:7400" "parley:coordinator"
    ///     partner "p01" "" "parley:p01"
    ///     interface "X1"
    ///     linking_row "CAP1" -inf 100.0
    ///     term "p01" "X1" 1.0
    ///
    /// Parties and linking rows come in contract order, interface variables in the order listed.
    /// A row's terms are sorted by partner (contract order) and then by the variable's place in
    /// that partner's interface, since a row's term order means nothing and the companion MPS form
    /// cannot keep it; terms with coefficient 0 are left out, as MPS leaves them out. Strings are
    /// in double quotes with `\"` and `\\` escaped; numbers are Swift's shortest round-trip form
    /// (`Double.description`), with `-0.0` written `0.0` and infinities `inf` and `-inf`. Every
    /// line ends with a line feed.
    public var canonicalText: String {
        func string(_ s: String) -> String {
            // By hand: Foundation's replacingOccurrences made hashing pds-02's contract ~10 ms,
            // paid by every node at every hello.
            var out = "\""
            for c in s.unicodeScalars {
                if c == "\\" || c == "\"" { out.unicodeScalars.append("\\") }
                out.unicodeScalars.append(c)
            }
            return out + "\""
        }
        func number(_ x: Double) -> String { x == 0 ? "0.0" : x.description }
        var lines = [
            "parley-chain-contract 1",
            "chain \(string(chain))",
            "sense \(sense.rawValue)",
            "objective_constant \(number(objectiveConstant))",
            "coordinator \(string(coordinator.name)) \(string(coordinator.endpoint)) \(string(coordinator.identity))",
        ]
        for p in partners {
            lines.append("partner \(string(p.name)) \(string(p.endpoint)) \(string(p.identity))")
            for v in p.interface { lines.append("interface \(string(v))") }
        }
        let order = TermOrder(self)
        for row in linkingRows {
            lines.append("linking_row \(string(row.name)) \(number(row.lower)) \(number(row.upper))")
            for t in order.sorted(row.terms) where t.coefficient != 0 {
                lines.append("term \(string(t.partner)) \(string(t.variable)) \(number(t.coefficient))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Lowercase hexadecimal SHA-256 of the UTF-8 ``canonicalText``.
    public var contentHash: String {
        FileDigest.hex(SHA256.hash(data: Array(canonicalText.utf8)))
    }
}

/// The canonical order of a linking row's terms: by partner in contract order, then by the
/// variable's place in that partner's interface (names not in it last, by name).
struct TermOrder {
    private let partnerRank: [String: Int]
    private let variableRank: [String: [String: Int]]

    init(_ contract: ChainContract) {
        partnerRank = Dictionary(contract.partners.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        variableRank = Dictionary(
            contract.partners.map { p in
                (p.name, Dictionary(p.interface.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a }))
            }, uniquingKeysWith: { a, _ in a })
    }

    func less(_ a: ChainContract.Term, _ b: ChainContract.Term) -> Bool {
        let pa = partnerRank[a.partner] ?? Int.max
        let pb = partnerRank[b.partner] ?? Int.max
        if pa != pb { return pa < pb }
        if a.partner != b.partner { return a.partner < b.partner }
        let va = variableRank[a.partner]?[a.variable] ?? Int.max
        let vb = variableRank[b.partner]?[b.variable] ?? Int.max
        if va != vb { return va < vb }
        return a.variable < b.variable
    }

    func sorted(_ terms: [ChainContract.Term]) -> [ChainContract.Term] {
        terms.sorted(by: less)
    }
}
