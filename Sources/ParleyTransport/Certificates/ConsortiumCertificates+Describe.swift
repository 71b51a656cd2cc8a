import Foundation

extension ConsortiumCertificates {
    /// Reads a PEM certificate, certificate request or revocation list and describes it, with
    /// its validity judged at `date`. A private key file is refused without being parsed, so
    /// `show` can never print key material.
    public static func describe(path: String, at date: Date = Date()) throws(TransportError) -> CertificateDescription {
        let bytes = try Files.read(path)
        let text = String(decoding: bytes.prefix(64 * 1024), as: UTF8.self)
        // Any PEM private key ("… PRIVATE KEY" labels: PKCS#8, EC, RSA, encrypted).
        let privateKeyLabel = "PRIVATE KEY"
        if text.contains(privateKeyLabel + "-----") {
            throw TransportError(.badFile, "\(path) is a private key; show describes certificates, requests and CRLs only")
        }
        if text.contains("-----BEGIN CERTIFICATE-----") || text.contains("-----BEGIN TRUSTED CERTIFICATE-----") {
            return describe(certificate: try Certificate.read(bytes, path: path), path: path, at: date)
        }
        if text.contains("-----BEGIN CERTIFICATE REQUEST-----") || text.contains("-----BEGIN NEW CERTIFICATE REQUEST-----") {
            return describe(request: try Request.read(bytes, path: path), path: path, at: date)
        }
        if text.contains("-----BEGIN X509 CRL-----") {
            return describe(revocationList: try RevocationList.read(bytes, path: path), path: path, at: date)
        }
        throw TransportError(.badFile, "\(path): not a PEM certificate, certificate request or revocation list")
    }

    private static func describe(certificate: Certificate, path: String, at date: Date) -> CertificateDescription {
        let names = certificate.alternativeNames() ?? []
        let validity = certificate.validity
        return CertificateDescription(
            path: path, kind: .certificate, subject: certificate.subject, issuer: certificate.issuer,
            subjectAlternativeNames: names.map(\.description), party: party(in: names), validity: validity,
            status: validity?.status(at: date), serial: certificate.serial, sha256Fingerprint: certificate.fingerprint,
            keyType: certificate.publicKey?.typeDescription, isAuthority: certificate.isAuthority, signatureVerifies: nil,
            revocationListNumber: nil, revokedSerials: [], checkedAt: date)
    }

    private static func describe(request: Request, path: String, at date: Date) -> CertificateDescription {
        // A request with two SAN extensions is described as having none; `sign` says why it refuses.
        let names = (try? request.alternativeNames(path: path)) ?? []
        return CertificateDescription(
            path: path, kind: .request, subject: request.subject, issuer: nil,
            subjectAlternativeNames: names.map(\.description), party: party(in: names), validity: nil, status: nil,
            serial: nil, sha256Fingerprint: request.fingerprint, keyType: request.publicKey?.typeDescription,
            isAuthority: false, signatureVerifies: request.signatureVerifies, revocationListNumber: nil,
            revokedSerials: [], checkedAt: date)
    }

    private static func describe(revocationList: RevocationList, path: String, at date: Date) -> CertificateDescription {
        let period = revocationList.period
        return CertificateDescription(
            path: path, kind: .revocationList, subject: nil, issuer: revocationList.issuer, subjectAlternativeNames: [],
            party: nil, validity: period, status: period?.status(at: date), serial: nil,
            sha256Fingerprint: revocationList.fingerprint, keyType: nil, isAuthority: false, signatureVerifies: nil,
            revocationListNumber: revocationList.number, revokedSerials: revocationList.entries.map(\.serial),
            checkedAt: date)
    }

    private static func party(in names: [AlternativeName]) -> String? {
        let parties = names.compactMap { name -> String? in
            guard case .uri(let uri) = name, uri.hasPrefix(identityScheme) else { return nil }
            return String(uri.dropFirst(identityScheme.count))
        }
        return parties.count == 1 ? parties[0] : nil
    }
}
