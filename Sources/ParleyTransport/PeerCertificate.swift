import COpenSSL

/// Reading a party's identity out of an X.509 certificate.
///
/// Parley names a party by a subject alternative name of type URI, `parley:<name>`, where
/// `<name>` is the party's name in the chain contract. The subject's common name is ignored: it
/// is free text, and a SAN is what certificate tooling and path validation treat as a name.
enum PeerCertificate {
    static let scheme = "parley:"

    /// The `<name>` of every `URI:parley:<name>` SAN in `certificate` (an `X509*`).
    static func parleyIdentities(of certificate: OpaquePointer) -> [String] {
        uniformResourceNames(of: certificate).compactMap { uri in
            uri.hasPrefix(scheme) ? String(uri.dropFirst(scheme.count)) : nil
        }
    }

    /// Every URI SAN in `certificate`.
    static func uniformResourceNames(of certificate: OpaquePointer) -> [String] {
        guard let raw = X509_get_ext_d2i(certificate, NID_subject_alt_name, nil, nil) else { return [] }
        let names = OpaquePointer(raw)
        defer { parley_GENERAL_NAMES_free(names) }
        var result: [String] = []
        for index in 0..<parley_sk_GENERAL_NAME_num(names) {
            guard let name = parley_sk_GENERAL_NAME_value(names, index), parley_GENERAL_NAME_type(name) == GEN_URI,
                let text = parley_GENERAL_NAME_ia5(name), let bytes = ASN1_STRING_get0_data(text)
            else { continue }
            let count = Int(ASN1_STRING_length(text))
            result.append(String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self))
        }
        return result
    }
}
