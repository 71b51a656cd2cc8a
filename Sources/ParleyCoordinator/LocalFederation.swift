import Foundation
import ParleyModel
import ParleyTransport

/// A federation on one machine, for demos and end-to-end tests: a throw-away consortium CA, a
/// certificate per party, a copy of the chain contract with loopback endpoints, and one
/// `node.yaml` per partner — the same files real operators make with `parley certs` and by hand.
public struct LocalFederation: Sendable {
    public var directory: String
    public var chainPath: String
    public var coordinatorTLS: TLSConfiguration
    /// Partner name → its node.yaml.
    public var nodeConfigurations: [(party: String, path: String)]
    public var contract: ChainContract

    /// Builds the federation in `directory` from a chain made by `parley split` (or written by hand)
    /// in `chainDirectory` (its `chain.yaml` and `partners/<name>/model.mps`). Every party is on
    /// `host`, or partner k on `partnerHosts[k]` (an address of its own, as in a test's network
    /// namespaces); each certificate names its party's host.
    public static func prepare(
        chainDirectory: String, directory: String, host: String = "127.0.0.1", partnerHosts: [String]? = nil
    ) async throws -> LocalFederation {
        func absolute(_ path: String) -> String {
            path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        }
        let directory = absolute(directory)
        let chainDirectory = absolute(chainDirectory)
        try AtomicFile.createDirectory(directory)
        let authority = "\(directory)/ca"
        try ConsortiumCertificates.makeAuthority(name: "Parley local federation CA", directory: authority, validity: .days(60))
        var contract = try ChainContract.load(path: "\(chainDirectory)/chain.yaml")
        precondition(partnerHosts == nil || partnerHosts?.count == contract.partners.count, "one host per partner")
        let hosts = partnerHosts ?? Array(repeating: host, count: contract.partners.count)
        // Free at `host` on this machine; an address of a partner's own has every port free.
        let ports = try await freePorts(contract.partners.count, host: partnerHosts == nil ? host : "127.0.0.1")
        for k in contract.partners.indices {
            // An IPv6 address goes in brackets, as endpoints are written.
            contract.partners[k].endpoint = hosts[k].contains(":") ? "[\(hosts[k])]:\(ports[k])" : "\(hosts[k]):\(ports[k])"
        }

        func certify(_ name: String, host: String) throws -> TLSConfiguration {
            let partyDirectory = "\(directory)/\(name)"
            let (key, request) = try ConsortiumCertificates.makeRequest(party: name, hosts: [host], directory: partyDirectory)
            let certificate = try ConsortiumCertificates.sign(requestPath: request, authorityDirectory: authority, validity: .days(30))
            return TLSConfiguration(
                certificatePath: certificate, privateKeyPath: key, trustRootsPath: "\(authority)/ca.crt",
                revocationListPath: "\(authority)/ca.crl")
        }
        let coordinatorTLS = try certify(contract.coordinator.certificateName, host: host)
        let linkingFile = FileManager.default.fileExists(atPath: "\(chainDirectory)/linking.mps") ? "linking.mps" : nil
        let chainPath = "\(directory)/chain.yaml"
        try contract.write(to: chainPath, linkingRowsFile: linkingFile)
        var nodes: [(party: String, path: String)] = []
        for (party, partyHost) in zip(contract.partners, hosts) {
            let tls = try certify(party.certificateName, host: partyHost)
            let model = "\(chainDirectory)/partners/\(party.name)/model.mps"
            let text = """
                # Node of \(party.name) in a local federation (see Deploy/examples/node.yaml for every key).
                party: \(party.name)
                listen: "\(party.endpoint)"
                contract: \(chainPath)
                model: \(model)
                state: \(directory)/\(party.name)/state
                tls:
                  certificate: \(tls.certificatePath)
                  key: \(tls.privateKeyPath)
                  ca: \(tls.trustRootsPath)
                  crl: \(tls.revocationListPath ?? "")

                """
            let path = "\(directory)/\(party.name)/node.yaml"
            try AtomicFile.write(text, to: path, permissions: 0o600)
            nodes.append((party.name, path))
        }
        return LocalFederation(
            directory: directory, chainPath: chainPath, coordinatorTLS: coordinatorTLS, nodeConfigurations: nodes,
            contract: contract)
    }
}
