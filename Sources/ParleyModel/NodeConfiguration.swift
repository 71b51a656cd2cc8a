import Foundation
import Yams

/// What a partner's node needs to run: who it is, where it listens, its private model, the
/// contract, its TLS material and where it keeps state. Read from `node.yaml`; every key can be
/// overridden by an environment variable (`PARLEY_PARTY`, `PARLEY_TLS_KEY`, …), so containers can
/// inject secrets' paths without editing the file.
///
/// Relative paths are relative to the directory of the configuration file.
public struct NodeConfiguration: Sendable, Equatable {
    public var party: String
    /// `host:port`.
    public var listen: String
    public var contract: String
    public var model: String
    /// The model variables other parties may name; `nil` takes the contract's list for this party.
    public var interface: [String]?
    public var state: String
    public var certificate: String
    public var key: String
    public var certificateAuthority: String
    public var revocationList: String?
    /// Days a round's stored proposals (its private plans) are kept after its last request; 0
    /// keeps them for ever. Plans and the audit log are never removed.
    public var retentionDays: Int

    /// Thirty days: long enough to resume a round the coordinator lost, or to answer a replayed
    /// final instruction, and no private plan lies on disk for ever.
    public static let defaultRetentionDays = 30

    public init(
        party: String, listen: String, contract: String, model: String, interface: [String]? = nil, state: String,
        certificate: String, key: String, certificateAuthority: String, revocationList: String? = nil,
        retentionDays: Int = NodeConfiguration.defaultRetentionDays
    ) {
        self.party = party
        self.listen = listen
        self.contract = contract
        self.model = model
        self.interface = interface
        self.state = state
        self.certificate = certificate
        self.key = key
        self.certificateAuthority = certificateAuthority
        self.revocationList = revocationList
        self.retentionDays = retentionDays
    }

    /// Each key with the environment variable that overrides it.
    public static let environmentVariables: [(key: String, variable: String)] = [
        ("party", "PARLEY_PARTY"), ("listen", "PARLEY_LISTEN"), ("contract", "PARLEY_CONTRACT"), ("model", "PARLEY_MODEL"),
        ("interface", "PARLEY_INTERFACE"), ("state", "PARLEY_STATE"), ("tls.certificate", "PARLEY_TLS_CERTIFICATE"),
        ("tls.key", "PARLEY_TLS_KEY"), ("tls.ca", "PARLEY_TLS_CA"), ("tls.crl", "PARLEY_TLS_CRL"),
        ("retention_days", "PARLEY_RETENTION_DAYS"),
    ]

    /// Reads `path` and applies `environment` overrides; errors name the file, line and key (or
    /// the variable).
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ModelFileError) -> NodeConfiguration
    {
        try parse(yaml: YAMLFields.readText(path: path), file: path, environment: environment)
    }

    public static func parse(yaml text: String, file: String, environment: [String: String] = [:])
        throws(ModelFileError) -> NodeConfiguration
    {
        let fields = YAMLFields(file: file)
        var values: [String: (value: String, node: Node?)] = [:]
        var interfaceList: [String]?
        if let root = try fields.root(text), !YAMLFields.isNull(root) {
            let entries = try fields.mapping(
                root, "", allowed: ["party", "listen", "contract", "model", "interface", "state", "tls", "retention_days"])
            for key in ["party", "listen", "contract", "model", "state"] {
                if let node = entries[key] { values[key] = (try fields.string(node, key), node) }
            }
            if let node = entries["retention_days"] {
                let days = try fields.number(node, "retention_days")
                values["retention_days"] = (days == days.rounded() && abs(days) < 1e9 ? "\(Int(days))" : "\(days)", node)
            }
            if let node = entries["interface"] {
                interfaceList = try fields.sequence(node, "interface").map { item throws(ModelFileError) in
                    try fields.string(item, "interface")
                }
            }
            if let tls = entries["tls"] {
                let tlsEntries = try fields.mapping(tls, "tls", allowed: ["certificate", "key", "ca", "crl"])
                for key in ["certificate", "key", "ca", "crl"] {
                    if let node = tlsEntries[key] { values["tls.\(key)"] = (try fields.string(node, "tls.\(key)"), node) }
                }
            }
        }
        // Environment variables win over the file.
        var fromEnvironment: Set<String> = []
        for (key, variable) in environmentVariables {
            guard let value = environment[variable], !value.isEmpty else { continue }
            fromEnvironment.insert(key)
            if key == "interface" {
                interfaceList = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            } else {
                values[key] = (value, nil)
            }
        }
        func source(_ key: String) -> String {
            let variable = environmentVariables.first { $0.key == key }!.variable
            return fromEnvironment.contains(key) ? "\(variable) (environment)" : key
        }
        func required(_ key: String) throws(ModelFileError) -> String {
            guard let entry = values[key], !entry.value.isEmpty else {
                let variable = environmentVariables.first { $0.key == key }!.variable
                throw ModelFileError(file: file, line: nil, message: "\(key): missing (set it in the file or with \(variable))")
            }
            return entry.value
        }
        let base = (file as NSString).deletingLastPathComponent
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") || base.isEmpty ? path : "\(base)/\(path)"
        }

        let party = try required("party")
        if party.contains(where: { $0.isWhitespace || $0 == "." }) {
            throw fields.fail(values["party"]?.node, source("party"), "'\(party)' must be a party name without '.' or spaces")
        }
        let listen = try required("listen")
        guard Self.splitEndpoint(listen) != nil else {
            throw fields.fail(values["listen"]?.node, source("listen"), "'\(listen)' must be host:port with a port from 1 to 65535")
        }
        var retentionDays = defaultRetentionDays
        if let entry = values["retention_days"] {
            guard let days = Int(entry.value), days >= 0 else {
                throw fields.fail(
                    entry.node, source("retention_days"), "'\(entry.value)' must be a whole number of days, 0 or more (0 keeps proposals for ever)")
            }
            retentionDays = days
        }
        if let list = interfaceList, list.contains(where: \.isEmpty) || Set(list).count != list.count {
            throw ModelFileError(file: file, line: nil, message: "\(source("interface")): names must be non-empty and distinct")
        }
        return NodeConfiguration(
            party: party, listen: listen, contract: resolve(try required("contract")), model: resolve(try required("model")),
            interface: interfaceList, state: resolve(try required("state")),
            certificate: resolve(try required("tls.certificate")), key: resolve(try required("tls.key")),
            certificateAuthority: resolve(try required("tls.ca")),
            revocationList: values["tls.crl"].map { resolve($0.value) }, retentionDays: retentionDays)
    }

    /// `host:port` → (host, port), with IPv6 hosts in brackets (`[::1]:7401`); nil if malformed.
    public static func splitEndpoint(_ endpoint: String) -> (host: String, port: Int)? {
        guard let colon = endpoint.lastIndex(of: ":") else { return nil }
        var host = String(endpoint[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(endpoint[endpoint.index(after: colon)...]), (1...65535).contains(port) else {
            return nil
        }
        return (host, port)
    }
}
