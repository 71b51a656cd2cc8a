import COpenSSL
import Foundation

extension ConsortiumCertificates {
    /// Issues a party's certificate from its request, signed by the CA in `authorityDirectory`,
    /// and writes it (PEM) to `outputPath`, by default `<party>.crt` next to the request.
    /// Returns the path written.
    ///
    /// The request's signature is verified first (it proves the sender holds the key and that
    /// the request was not altered). Its SANs are copied only if they are exactly one
    /// `URI:parley:<name>` plus DNS names and IP addresses; anything else is refused rather than
    /// dropped, so the operator never signs something other than what the party asked for. The
    /// certificate gets subject CN=<name>, a random 128-bit serial, CA:FALSE, keyUsage
    /// digitalSignature (critical), extendedKeyUsage serverAuth and clientAuth (every party is
    /// both), subject and authority key identifiers, and exactly `validity`; other extensions
    /// the request asks for are ignored.
    @discardableResult
    public static func sign(
        requestPath: String, authorityDirectory: String, validity: CertificateValidity, outputPath: String? = nil
    ) throws(TransportError) -> String {
        try check(validity)
        let authority = try Authority.load(directory: authorityDirectory)
        if let caValidity = authority.certificate.validity, validity.notAfter > caValidity.notAfter {
            throw TransportError(
                .invalidArgument,
                "the certificate would outlive the CA: it would end \(Times.text(validity.notAfter)), "
                    + "\(authority.files.certificatePath) ends \(Times.text(caValidity.notAfter)); use fewer days")
        }

        let request = try Request.read(try Files.read(requestPath), path: requestPath)
        guard let key = request.publicKey else {
            throw TransportError(.badFile, "\(requestPath): the request has no usable public key (\(drainOpenSSLErrors()))")
        }
        guard request.signatureVerifies else {
            throw TransportError(
                .badFile, "\(requestPath): the request's signature does not verify (the file was altered or corrupted)")
        }
        if let refusal = key.refusal { throw TransportError(.badFile, "\(requestPath): \(refusal)") }
        let (party, names) = try acceptedNames(try request.alternativeNames(path: requestPath) ?? [], path: requestPath)

        let certificate = try Certificate.make()
        try certificate.setRandomSerial()
        try certificate.setName(commonName: party, issuer: authority.certificate)
        try certificate.setValidity(validity)
        try certificate.setPublicKey(key)
        try certificate.addExtensions(
            [
                (NID_basic_constraints, "critical,CA:FALSE"),
                (NID_key_usage, "critical,digitalSignature"),
                (NID_ext_key_usage, "serverAuth,clientAuth"),
                (NID_subject_key_identifier, "hash"),
                (NID_authority_key_identifier, "keyid:always"),
            ], issuer: authority.certificate)
        try certificate.setAlternativeNames(names)
        try certificate.sign(with: authority.key)

        // Next to the request, keeping a relative path relative so messages show what was typed.
        let directory = requestPath.lastIndex(of: "/").map { String(requestPath[...$0]) } ?? ""
        let path = outputPath ?? directory + "\(party).crt"
        try Files.write(try certificate.pem(), to: path, permissions: 0o644)
        return path
    }

    /// The party named by the one `parley:` URI, and the SANs to copy; throws for anything else.
    static func acceptedNames(
        _ names: [AlternativeName], path: String
    ) throws(TransportError) -> (party: String, names: [AlternativeName]) {
        var parties: [String] = []
        for name in names {
            switch name {
            case .uri(let uri):
                guard uri.hasPrefix(identityScheme) else {
                    throw TransportError(
                        .badFile, "\(path): the request names URI:\(uri); the only URI allowed is \(identityScheme)<party>")
                }
                let party = String(uri.dropFirst(identityScheme.count))
                guard isValidPartyName(party) else {
                    throw TransportError(.badFile, "\(path): '\(party)' in URI:\(uri) is not a valid party name")
                }
                parties.append(party)
            case .dns(let host):
                guard isDNSName(host) else {
                    throw TransportError(.badFile, "\(path): DNS:\(host) is not a valid host name")
                }
            case .ip(let bytes):
                guard bytes.count == 4 || bytes.count == 16 else {
                    throw TransportError(.badFile, "\(path): an IP address SAN of \(bytes.count) bytes is malformed")
                }
            case .email, .other:
                throw TransportError(
                    .badFile,
                    "\(path): the request names \(name); a Parley certificate holds only URI:\(identityScheme)<party>, "
                        + "DNS names and IP addresses")
            }
        }
        guard parties.count == 1, let party = parties.first else {
            throw TransportError(
                .badFile,
                "\(path): the request must name exactly one URI:\(identityScheme)<party> subject alternative name, "
                    + "it names \(parties.count)")
        }
        return (party, names)
    }
}
