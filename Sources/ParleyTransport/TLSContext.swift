import COpenSSL

/// Where a party's TLS material lives: its certificate chain, its private key, the consortium CA
/// (the only trust root; the system store is never used) and, optionally, the CA's revocation list.
public struct TLSConfiguration: Sendable, Hashable {
    public var certificatePath: String
    public var privateKeyPath: String
    public var trustRootsPath: String
    public var revocationListPath: String?

    public init(certificatePath: String, privateKeyPath: String, trustRootsPath: String, revocationListPath: String? = nil) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.trustRootsPath = trustRootsPath
        self.revocationListPath = revocationListPath
    }
}

/// One side of a connection, which decides who speaks first and how the peer is checked.
public enum TLSRole: Sendable, Hashable {
    case client
    case server
}

/// An OpenSSL `SSL_CTX` set up the one way Parley allows: TLS 1.3 only, mutual authentication
/// required, the consortium CA as the only trust root, revocation checked when a CRL is given.
///
/// `@unchecked Sendable`: the context is configured completely in `init` and only read
/// afterwards (OpenSSL allows `SSL_new` from many threads on a context no longer being changed).
public final class TLSContext: @unchecked Sendable {
    let pointer: OpaquePointer
    public let role: TLSRole
    public let configuration: TLSConfiguration
    /// The `parley:` identity in this party's own certificate.
    public private(set) var ownIdentity: String

    public init(configuration: TLSConfiguration, role: TLSRole) throws(TransportError) {
        // Read (and permission-checked on the open file) before any OpenSSL state exists.
        let key = try ConsortiumCertificates.Key.read(
            try ConsortiumCertificates.Files.readPrivateKey(configuration.privateKeyPath), path: configuration.privateKeyPath)
        ERR_clear_error()
        guard let context = SSL_CTX_new(role == .client ? TLS_client_method() : TLS_server_method()) else {
            throw TransportError(.badFile, "cannot create a TLS context: \(drainOpenSSLErrors())")
        }
        // Every property is set before anything can throw below, so deinit frees the context on
        // every error path; nothing here frees it by hand.
        self.pointer = context
        self.role = role
        self.configuration = configuration
        self.ownIdentity = ""

        guard parley_SSL_CTX_set_min_proto_version(context, TLS1_3_VERSION) == 1,
            parley_SSL_CTX_set_max_proto_version(context, TLS1_3_VERSION) == 1
        else { throw TransportError(.badFile, "cannot restrict the TLS context to TLS 1.3: \(drainOpenSSLErrors())") }

        for path in [configuration.certificatePath, configuration.trustRootsPath] + [configuration.revocationListPath].compactMap({ $0 }) {
            try ConsortiumCertificates.Files.requireReadable(path)
        }
        ERR_clear_error()
        guard SSL_CTX_use_certificate_chain_file(context, configuration.certificatePath) == 1 else {
            throw TransportError(.badFile, "\(configuration.certificatePath): not a PEM certificate chain (\(drainOpenSSLErrors()))")
        }
        ERR_clear_error()
        // The key parsed above, so the only way left to fail is a key that is not the
        // certificate's (OpenSSL checks the pair here).
        guard SSL_CTX_use_PrivateKey(context, key.pointer) == 1, SSL_CTX_check_private_key(context) == 1 else {
            ERR_clear_error()
            throw TransportError(
                .badFile,
                "\(configuration.privateKeyPath) is not the key of the certificate \(configuration.certificatePath)")
        }
        ERR_clear_error()
        guard SSL_CTX_load_verify_locations(context, configuration.trustRootsPath, nil) == 1 else {
            throw TransportError(.badFile, "\(configuration.trustRootsPath): not a PEM CA certificate (\(drainOpenSSLErrors()))")
        }
        if role == .server {
            // Tells clients which CA the server accepts, so a client with several certificates
            // picks the consortium's.
            if let names = SSL_load_client_CA_file(configuration.trustRootsPath) {
                SSL_CTX_set_client_CA_list(context, names)
            }
        }
        if let crl = configuration.revocationListPath {
            try Self.loadRevocationList(path: crl, into: context)
        }
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)

        guard let own = SSL_CTX_get0_certificate(context) else {
            throw TransportError(.badFile, "\(configuration.certificatePath): no certificate")
        }
        let identities = PeerCertificate.parleyIdentities(of: own)
        guard identities.count == 1, let identity = identities.first else {
            throw TransportError(
                .badFile,
                "\(configuration.certificatePath): expected exactly one subject alternative name URI:parley:<name>, found \(identities.count)"
            )
        }
        self.ownIdentity = identity
    }

    deinit {
        SSL_CTX_free(pointer)
    }

    private static func loadRevocationList(path: String, into context: OpaquePointer) throws(TransportError) {
        guard let store = SSL_CTX_get_cert_store(context), let lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file())
        else { throw TransportError(.badFile, "\(path): cannot set up revocation checking") }
        ERR_clear_error()
        guard X509_load_crl_file(lookup, path, X509_FILETYPE_PEM) >= 1 else {
            throw TransportError(.badFile, "\(path): not a PEM certificate revocation list (\(drainOpenSSLErrors()))")
        }
        // The leaf is checked against the CRL; the self-signed root needs none.
        X509_STORE_set_flags(store, UInt(X509_V_FLAG_CRL_CHECK))
        // With a list out of date every handshake would fail ("CRL has expired"): say so now. (One
        // not valid yet, from an operator whose clock is ahead, is kept: it becomes valid.)
        let list = try ConsortiumCertificates.describe(path: path)
        if let validity = list.validity, list.status == .expired {
            throw TransportError(
                .badFile,
                "\(path): the revocation list is past its next update (\(validity.notAfter.formatted(.iso8601))); install the consortium "
                    + "operator's current one (`parley certs update-crl` makes it)")
        }
    }
}

