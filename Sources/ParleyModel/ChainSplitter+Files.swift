/// A split written out as a chain directory:
///
///     DIR/chain.yaml                      the public contract
///     DIR/linking.mps                     its linking rows, when there are more than the inline limit
///     DIR/partners/<name>/partner.yaml    each partner's private settings
///     DIR/partners/<name>/model.mps       and its private model
///
/// Each partner directory is what one company keeps; `chain.yaml` (with `linking.mps`) is what
/// every party holds.
extension ChainSplitter.Result {
    /// Where ``write(to:inlineLimit:)`` put each file.
    public struct Files: Sendable, Equatable {
        public var contract: String
        /// The companion linking-row file, if the rows were not written inline.
        public var linkingRows: String?
        /// Partner directories, in contract order.
        public var partnerDirectories: [String]
    }

    /// The default most linking rows written inline in `chain.yaml`.
    public static let defaultInlineLimit = 200

    /// Writes the chain directory (creating it as needed). Partner files come first and the
    /// contract last, so a `chain.yaml` that exists names only files that exist.
    @discardableResult
    public func write(to directory: String, inlineLimit: Int = defaultInlineLimit) throws(ModelFileError) -> Files {
        try AtomicFile.createDirectory(directory)
        var partnerDirectories: [String] = []
        for (party, program) in zip(contract.partners, programs) {
            let partnerDirectory = "\(directory)/partners/\(party.name)"
            try AtomicFile.createDirectory(partnerDirectory)
            let config = PartnerConfig(name: party.name, model: "model.mps")
            try MPSWriter().write(program, to: "\(partnerDirectory)/\(config.model)")
            try config.write(to: "\(partnerDirectory)/\(PartnerConfig.fileName)")
            partnerDirectories.append(partnerDirectory)
        }
        let inline = contract.linkingRows.count <= inlineLimit
        let contractPath = "\(directory)/chain.yaml"
        try contract.write(to: contractPath, linkingRowsFile: inline ? nil : "linking.mps")
        return Files(
            contract: contractPath, linkingRows: inline ? nil : "\(directory)/linking.mps",
            partnerDirectories: partnerDirectories)
    }
}
