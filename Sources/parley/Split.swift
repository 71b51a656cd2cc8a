import ArgumentParser
import Foundation
import ParleyModel

/// `parley split MODEL.mps --dec MODEL.dec --out DIR`: cuts a block-angular model into a chain —
/// the public contract and one private model per partner — as a chain directory.
struct Split: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Split a block-angular model (MPS) into a chain: a public contract and private partner models.",
        discussion: """
            Writes DIR/chain.yaml (the contract; its linking rows inline, or in DIR/linking.mps when \
            there are more than --inline-limit), and DIR/partners/<name>/model.mps with \
            DIR/partners/<name>/partner.yaml for each partner. Each block of the decomposition \
            becomes a partner (or blocks are packed into --partners partners, blocks that share \
            linking rows together, loads balanced); columns that appear only in linking rows go to \
            the partner sharing the most linking rows with them. A linking row between blocks packed \
            into one partner stays in that partner's private model.
            Exit status: 0 written; 1 bad input (the message names the file).
            """
    )

    @Argument(help: "The model file (MPS, fixed or free format; QUADOBJ allowed if separable).")
    var model: String

    @Option(help: "The decomposition: a GCG .dec file listing each block's rows.")
    var dec: String?

    @Flag(help: "Find the blocks and linking rows from the model's structure instead of a .dec file.")
    var detect = false

    @Option(help: "The chain directory to write.")
    var out: String

    @Option(help: "Pack the blocks into this many partners (default: one partner per block).")
    var partners: Int?

    @Option(help: "The chain's name (default: the model's NAME, else the file name).")
    var name: String?

    @Option(help: "Write at most this many linking rows inline in chain.yaml; more go to linking.mps.")
    var inlineLimit: Int = ChainSplitter.Result.defaultInlineLimit

    @Flag(help: "Write into a directory that is not empty (replacing chain.yaml, linking.mps and partners/).")
    var force = false

    func validate() throws {
        if dec == nil && !detect { throw ValidationError("give --dec FILE or --detect") }
        if dec != nil && detect { throw ValidationError("give --dec FILE or --detect, not both") }
        if let partners, partners < 1 { throw ValidationError("--partners must be at least 1") }
        if inlineLimit < 0 { throw ValidationError("--inline-limit must be 0 or more") }
        if let name, name.isEmpty || name.contains(where: \.isWhitespace) {
            throw ValidationError("--name must be non-empty, without spaces")
        }
    }

    func run() async throws {
        do {
            let program = try MPSReader().read(path: model)
            let decomposition: BlockDecomposition
            var source: String
            if let dec {
                decomposition = try BlockDecomposition.read(path: dec, for: program)
                source = "from \(dec)"
            } else {
                let best = BlockDetector.candidates(program).first
                guard let best else {
                    throw ModelFileError(
                        file: model, line: nil,
                        message: "found no block structure: no set of linking rows leaves two or more independent blocks")
                }
                decomposition = best.decomposition
                source = "detected (linking rows: \(best.rule))"
            }
            if let partners, partners > decomposition.blockCount {
                throw ModelFileError(
                    file: dec ?? model, line: nil,
                    message: "--partners \(partners) is more than the \(decomposition.blockCount) blocks of the decomposition")
            }
            let chainName = name ?? Self.defaultName(program: program, path: model)
            let split = try ChainSplitter(chainName: chainName, partnerCount: partners).split(program, decomposition)
            try prepareDirectory()
            let files = try split.write(to: out, inlineLimit: inlineLimit)
            print(Self.summary(split: split, decomposition: decomposition, source: source, files: files, model: model))
        } catch let error as ModelFileError {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }

    /// Refuses to mix a new chain with an old one: the directory must be new or empty, unless
    /// `--force`, which removes what an earlier split wrote there.
    func prepareDirectory() throws(ModelFileError) {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: out, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else {
            throw ModelFileError(file: out, line: nil, message: "exists and is not a directory")
        }
        let entries = (try? manager.contentsOfDirectory(atPath: out)) ?? []
        guard !entries.isEmpty else { return }
        guard force else {
            throw ModelFileError(file: out, line: nil, message: "directory is not empty (use --force to write over an earlier split)")
        }
        for entry in ["chain.yaml", "linking.mps", "partners"] where entries.contains(entry) {
            do {
                try manager.removeItem(atPath: "\(out)/\(entry)")
            } catch {
                throw ModelFileError(file: "\(out)/\(entry)", line: nil, message: "cannot remove: \(error.localizedDescription)")
            }
        }
    }

    static func defaultName(program: LinearProgram, path: String) -> String {
        let fromModel = program.name.split(whereSeparator: \.isWhitespace).joined(separator: "-")
        if !fromModel.isEmpty { return fromModel }
        let file = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return file.isEmpty ? "chain" : file
    }

    static func summary(
        split: ChainSplitter.Result, decomposition: BlockDecomposition, source: String, files: ChainSplitter.Result.Files,
        model: String
    ) -> String {
        let contract = split.contract
        var lines: [String] = []
        func row(_ key: String, _ value: String) { lines.append(key.padding(toLength: 12, withPad: " ", startingAt: 0) + value) }
        row("chain", "\(contract.chain) (\(model))")
        row("blocks", "\(decomposition.blockCount) \(source)")
        row("partners", "\(contract.partners.count)")
        var rowsOf = Array(repeating: 0, count: contract.partners.count)
        let index = contract.partnerIndex
        for linking in contract.linkingRows {
            for p in Set(linking.terms.map(\.partner)) { rowsOf[index[p]!] += 1 }
        }
        let width = contract.partners.map(\.name.count).max() ?? 0
        for (k, (party, program)) in zip(contract.partners, split.programs).enumerated() {
            lines.append(
                "  " + party.name.padding(toLength: max(width, 10), withPad: " ", startingAt: 0)
                    + "\(program.rowCount) rows, \(program.columnCount) columns, "
                    + "\(party.interface.count) interface variables, in \(rowsOf[k]) linking rows")
        }
        let terms = contract.linkingRows.reduce(0) { $0 + $1.terms.count }
        let empty = decomposition.linkingRows.count - contract.linkingRows.count - split.privateLinkingRows
        let whereRows = files.linkingRows.map { "in \($0)" } ?? "inline in chain.yaml"
        row(
            "linking",
            "\(contract.linkingRows.count) rows, \(terms) terms, \(whereRows)"
                + (empty > 0 ? " (\(empty) empty rows in no block left out)" : ""))
        if split.privateLinkingRows > 0 {
            row("private", "\(split.privateLinkingRows) linking rows between blocks packed into one partner: kept in its model")
        }
        // Columns in linking rows only: which partner each went to.
        var assigned = Array(repeating: 0, count: contract.partners.count)
        let linkingOnly = Set(decomposition.linkingOnlyColumns)
        for (k, columns) in split.originalColumns.enumerated() {
            assigned[k] = columns.filter { linkingOnly.contains($0) }.count
        }
        let assignedText = zip(contract.partners, assigned).filter { $0.1 > 0 }.map { "\($0.0.name) \($0.1)" }
        row(
            "assigned",
            "\(linkingOnly.count) linking-only columns" + (assignedText.isEmpty ? "" : ": " + assignedText.joined(separator: ", ")))
        row("contract", files.contract)
        row("hash", contract.contentHash)
        return lines.joined(separator: "\n")
    }
}
