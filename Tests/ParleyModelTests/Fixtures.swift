import Foundation

/// Paths of the shared instance files in `Tests/Fixtures/instances` and the sizes listed for them
/// in `optima.csv`.
enum Fixtures {
    static let instances = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/instances").standardizedFileURL

    /// The absolute path of a file given relative to `Tests/Fixtures/instances`.
    static func path(_ relative: String) -> String { instances.appendingPathComponent(relative).path }

    /// One line of `optima.csv`.
    struct Instance: Sendable, CustomStringConvertible {
        var name: String
        /// Constraint rows, the objective row not counted.
        var rows: Int
        var columns: Int
        /// Constraint-matrix nonzeros, the objective row not counted.
        var nonzeros: Int
        /// MPS file, relative to `Tests/Fixtures/instances`.
        var file: String
        /// `.dec` file, relative to `Tests/Fixtures/instances`, if the instance has one.
        var decomposition: String?
        var description: String { name }
    }

    static let optima: [Instance] = {
        let url = instances.appendingPathComponent("optima.csv")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        let lines = text.split(whereSeparator: \.isNewline).map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        guard let header = lines.first else { return [] }
        func column(_ name: String) -> Int { header.firstIndex(of: name) ?? header.count }
        let (name, rows, cols, nonzeros) = (column("name"), column("rows"), column("cols"), column("nonzeros"))
        let (file, decomposition) = (column("file"), column("decomposition"))
        return lines.dropFirst().map { fields in
            func field(_ k: Int) -> String { k < fields.count ? fields[k] : "" }
            return Instance(
                name: field(name), rows: Int(field(rows)) ?? -1, columns: Int(field(cols)) ?? -1,
                nonzeros: Int(field(nonzeros)) ?? -1, file: field(file),
                decomposition: field(decomposition).isEmpty ? nil : field(decomposition))
        }
    }()

    /// Paths relative to `Tests/Fixtures/instances` of every file there ending in `.suffix`,
    /// found by listing the directories rather than by reading `optima.csv`.
    static func files(endingIn suffix: String) -> [String] {
        var found: [String] = []
        for directory in ["netlib", "blocks"] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path(directory))) ?? []
            found += names.filter { $0.hasSuffix(".\(suffix)") }.map { "\(directory)/\($0)" }
        }
        return found.sorted()
    }
}
