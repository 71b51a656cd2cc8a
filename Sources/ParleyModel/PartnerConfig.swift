import Foundation
import Yams

/// A partner's private settings, `partners/<name>/partner.yaml`:
///
///     name: p01          # the partner's name in the chain contract
///     model: model.mps   # its private LP/QP model, relative to this file
///
/// Kept apart from the contract because it never leaves the partner's machine: the model file
/// holds its costs and capacities.
public struct PartnerConfig: Sendable, Equatable {
    public var name: String
    /// The model's path as written, relative to the directory of `partner.yaml` unless absolute.
    public var model: String

    public init(name: String, model: String = "model.mps") {
        self.name = name
        self.model = model
    }

    /// The usual file name inside a partner directory.
    public static let fileName = "partner.yaml"

    public static func load(path: String) throws(ModelFileError) -> PartnerConfig {
        return try parse(yaml: YAMLFields.readText(path: path), file: path)
    }

    /// Parses `partner.yaml` text; `file` names it in messages.
    public static func parse(yaml text: String, file: String) throws(ModelFileError) -> PartnerConfig {
        let fields = YAMLFields(file: file)
        guard let root = try fields.root(text) else {
            throw ModelFileError(file: file, line: nil, message: "the file is empty: it needs name and model")
        }
        let entries = try fields.mapping(root, "", allowed: ["name", "model"], what: "a mapping with keys name and model")
        let nameNode = try fields.required(entries, "name", in: root, "")
        let name = try fields.string(nameNode, "name")
        if name.isEmpty || name.contains(".") || name.contains(where: \.isWhitespace) {
            throw fields.fail(nameNode, "name", "'\(name)' must be non-empty, without '.' or spaces")
        }
        let modelNode = try fields.required(entries, "model", in: root, "")
        let model = try fields.string(modelNode, "model")
        if model.isEmpty { throw fields.fail(modelNode, "model", "must name an MPS file") }
        return PartnerConfig(name: name, model: model)
    }

    public var yaml: String {
        """
        # Private to partner \(name): this file and its model never leave the partner's machine.
        name: \(YAMLFields.quote(name))
        model: \(YAMLFields.quote(model))

        """
    }

    /// Writes `partner.yaml` atomically.
    public func write(to path: String) throws(ModelFileError) {
        try AtomicFile.write(yaml, to: path)
    }

    /// The model's path for a `partner.yaml` at `configPath`.
    public func modelPath(relativeTo configPath: String) -> String {
        if model.hasPrefix("/") { return model }
        let directory = ChainContract.directory(of: configPath)
        return directory == "." ? model : "\(directory)/\(model)"
    }
}

extension PartnerProblem {
    /// Loads the partner whose `partner.yaml` and model live in `partnerDirectory`, joined to
    /// `contract`. Errors name the file at fault. With `expected`, the file must name that
    /// partner (the directory `partners/<name>/` of a split holds that partner's own files).
    public static func load(contract: ChainContract, partnerDirectory: String, expected: String? = nil) throws(ModelFileError)
        -> PartnerProblem
    {
        let configPath = partnerDirectory.hasSuffix("/")
            ? partnerDirectory + PartnerConfig.fileName : "\(partnerDirectory)/\(PartnerConfig.fileName)"
        let config = try PartnerConfig.load(path: configPath)
        if let expected, config.name != expected {
            throw ModelFileError(
                file: configPath, line: nil,
                message: "it names partner '\(config.name)', but it is in the directory of partner '\(expected)'")
        }
        guard contract.partners.contains(where: { $0.name == config.name }) else {
            throw ModelFileError(
                file: configPath, line: nil,
                message: "partner '\(config.name)' is not in chain '\(contract.chain)' "
                    + "(its partners: \(contract.partners.map(\.name).joined(separator: ", ")))")
        }
        let modelPath = config.modelPath(relativeTo: configPath)
        let program = try MPSReader().read(path: modelPath)
        return try PartnerProblem(contract: contract, partner: config.name, program: program, source: modelPath)
    }
}
