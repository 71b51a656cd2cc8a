import COpenSSL
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension ConsortiumCertificates {
    /// Makes a party's key `<directory>/<party>.key` (ECDSA P-256, mode 0600) and certificate
    /// request `<directory>/<party>.csr` asking for the SANs `URI:parley:<party>` plus each host:
    /// an IP address SAN if it parses as IPv4 or IPv6, else a DNS name SAN.
    ///
    /// Run on the party's own machine: the key never leaves it, only the request is sent to the
    /// consortium operator. Refuses to replace an existing key, since a certificate may already
    /// have been issued for it.
    public static func makeRequest(
        party: String, hosts: [String], directory: String
    ) throws(TransportError) -> (keyPath: String, requestPath: String) {
        guard isValidPartyName(party) else {
            throw TransportError(
                .invalidArgument,
                "'\(party)' is not a party name: use 1 to 64 letters, digits, '-' or '_', starting with a letter or digit")
        }
        var names: [AlternativeName] = [.uri(identityScheme + party)]
        for host in hosts {
            let name = try hostName(host)
            if !names.contains(name) { names.append(name) }
        }
        let keyPath = AuthorityFiles.join(directory, "\(party).key")
        let requestPath = AuthorityFiles.join(directory, "\(party).csr")
        try Files.createPrivateDirectory(directory)
        if Files.exists(keyPath) {
            throw TransportError(.badFile, "\(keyPath): already exists; refusing to replace a party's key (remove it first to start over)")
        }

        let key = try Key.generate()
        let request = try Request.make()
        // The subject is informational; the signer sets the certificate's subject from the URI.
        try request.setSubject(commonName: party)
        try request.setPublicKey(key)
        try request.setAlternativeNames(names)
        try request.sign(with: key)

        try Files.write(try key.privatePEM(), to: keyPath, permissions: 0o600, replace: false)
        try Files.write(try request.pem(), to: requestPath, permissions: 0o644)
        return (keyPath, requestPath)
    }

    /// Whether `host` can go into a request: a literal IPv4 or IPv6 address, or a DNS host name
    /// (letters, digits and inner hyphens in dot-separated labels; no wildcards).
    public static func isValidHost(_ host: String) -> Bool {
        ipAddressBytes(host) != nil || isDNSName(host)
    }

    /// The SAN for a `--host`: an IP address if it is one, else a DNS name, checked.
    static func hostName(_ host: String) throws(TransportError) -> AlternativeName {
        if let address = ipAddressBytes(host) { return .ip(address) }
        guard isDNSName(host) else {
            throw TransportError(.invalidArgument, "host '\(host)' is neither an IPv4/IPv6 address nor a DNS name")
        }
        return .dns(host)
    }

    /// The 4 or 16 bytes of a literal IPv4 or IPv6 address.
    static func ipAddressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// A host name as RFC 1123 allows it: dot-separated labels of letters, digits and inner
    /// hyphens, each 1 to 63 long, 253 in all. No wildcards (a party is one machine) and no
    /// trailing dot (certificate name matching does not expect one).
    static func isDNSName(_ name: String) -> Bool {
        guard (1...253).contains(name.utf8.count) else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-" else { return false }
            return label.utf8.allSatisfy { byte in
                isAlphanumeric(byte) || byte == UInt8(ascii: "-")
            }
        }
    }
}
