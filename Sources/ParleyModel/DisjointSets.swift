/// Union–find over the items 0..<count, with path halving: which items a chain of joins has put
/// together (columns linked by a row, or by an entry of Q).
struct DisjointSets {
    private var parent: [Int]

    init(count: Int) {
        parent = Array(0..<count)
    }

    /// The representative of `item`'s set.
    mutating func find(_ item: Int) -> Int {
        var x = item
        while parent[x] != x {
            parent[x] = parent[parent[x]]
            x = parent[x]
        }
        return x
    }

    /// Puts the sets of `a` and `b` together.
    mutating func join(_ a: Int, _ b: Int) {
        let (ra, rb) = (find(a), find(b))
        if ra != rb { parent[rb] = ra }
    }
}
