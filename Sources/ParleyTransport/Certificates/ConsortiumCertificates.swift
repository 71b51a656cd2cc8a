import COpenSSL
import Foundation

/// The consortium's own small certificate authority: what `parley certs` does, as a library.
///
/// One operator keeps the CA directory (`ca.key`, `ca.crt`, `ca.crl`, `revoked.txt`); each party
/// makes its key and a certificate request on its own machine and sends only the request. A
/// party's identity is the one URI subject alternative name `parley:<name>` of its certificate;
/// DNS and IP SANs are the host names and addresses a client checks the server against.
///
/// Every file written is replaced atomically, private keys are created with mode 0600 and never
/// replaced, and every error names the file it is about.
public enum ConsortiumCertificates {
    /// The URI scheme of a party's identity: `parley:<name>`.
    public static let identityScheme = "parley:"

    /// The CA's subject common name when none is given.
    public static let defaultAuthorityName = "Parley consortium CA"

    /// How long a revocation list is current: verifiers refuse a CRL past its next update, so the
    /// operator reissues it (`revoke`, or `updateRevocationList`) at least this often.
    public static let revocationListLifetime: TimeInterval = 30 * 86_400

    /// The files of a CA directory.
    public struct AuthorityFiles: Sendable, Hashable {
        public var directory: String
        /// The CA's private key, mode 0600. It never leaves the operator's machine.
        public var keyPath: String
        /// The CA certificate: every party's only trust root.
        public var certificatePath: String
        /// The signed revocation list, distributed to every party.
        public var revocationListPath: String
        /// The revoked serials the CRL is rebuilt from, so revocations accumulate.
        public var revokedListPath: String

        /// The standard file names inside `directory`.
        public init(directory: String) {
            self.directory = directory
            keyPath = Self.join(directory, "ca.key")
            certificatePath = Self.join(directory, "ca.crt")
            revocationListPath = Self.join(directory, "ca.crl")
            revokedListPath = Self.join(directory, "revoked.txt")
        }

        static func join(_ directory: String, _ file: String) -> String {
            directory.hasSuffix("/") ? directory + file : "\(directory)/\(file)"
        }
    }

    /// Whether `name` can name a party: 1 to 64 ASCII letters, digits, `-` and `_`, starting
    /// with a letter or digit.
    ///
    /// The name becomes a file name (`<name>.key`) and the identity URI `parley:<name>`; a
    /// narrow alphabet keeps both unambiguous, and it is a subset of what a chain contract
    /// allows for a party's name.
    public static func isValidPartyName(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count), let first = name.utf8.first, isAlphanumeric(first) else { return false }
        return name.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// Makes a consortium CA in `directory` (created with mode 0700 if missing): an ECDSA P-256
    /// key `ca.key` (0600), a self-signed `ca.crt` (CA:TRUE, pathlen 0, keyCertSign and cRLSign,
    /// both critical; subject key identifier), an empty signed `ca.crl` and an empty
    /// `revoked.txt`.
    ///
    /// Refuses a directory that already holds any of these files: replacing a CA would orphan
    /// every certificate it issued and forget every revocation.
    @discardableResult
    public static func makeAuthority(
        name: String = defaultAuthorityName, directory: String, validity: CertificateValidity
    ) throws(TransportError) -> AuthorityFiles {
        guard !name.isEmpty, name.count <= 64, !name.contains(where: { $0.isNewline || $0.asciiValue.map { $0 < 32 } == true })
        else { throw TransportError(.invalidArgument, "the CA name must be 1 to 64 characters on one line, not '\(name)'") }
        try check(validity)
        let files = AuthorityFiles(directory: directory)
        try Files.createPrivateDirectory(directory)
        for path in [files.keyPath, files.certificatePath, files.revocationListPath, files.revokedListPath]
        where Files.exists(path) {
            throw TransportError(.badFile, "\(path): already exists; refusing to replace a consortium CA")
        }

        let key = try Key.generate()
        let certificate = try Certificate.make()
        try certificate.setRandomSerial()
        try certificate.setName(commonName: name, issuer: nil)
        try certificate.setValidity(validity)
        try certificate.setPublicKey(key)
        // pathlen:0 — the consortium CA signs parties only, never another CA.
        try certificate.addExtensions(
            [
                (NID_basic_constraints, "critical,CA:TRUE,pathlen:0"),
                (NID_key_usage, "critical,keyCertSign,cRLSign"),
                (NID_subject_key_identifier, "hash"),
            ], issuer: nil)
        try certificate.sign(with: key)
        let now = Date()
        let list = try RevocationList.issue(
            by: certificate, key: key, entries: [], number: 1,
            period: CertificateValidity(
                notBefore: now.addingTimeInterval(-CertificateValidity.clockSkewAllowance), notAfter: now.addingTimeInterval(revocationListLifetime)))

        // The key first, never replacing: if another run raced us, it fails here before any
        // certificate of a key it does not hold is written.
        try Files.write(try key.privatePEM(), to: files.keyPath, permissions: 0o600, replace: false)
        try Files.write(try certificate.pem(), to: files.certificatePath, permissions: 0o644, replace: false)
        try Files.write(RevokedList.text([]), to: files.revokedListPath, permissions: 0o644)
        try Files.write(try list.pem(), to: files.revocationListPath, permissions: 0o644)
        return files
    }

    static func check(_ validity: CertificateValidity) throws(TransportError) {
        guard validity.notBefore < validity.notAfter else {
            throw TransportError(
                .invalidArgument,
                "the validity period ends (\(Times.text(validity.notAfter))) before it starts (\(Times.text(validity.notBefore)))")
        }
    }

    /// A CA directory loaded for signing: key checked private and matching the certificate.
    struct Authority {
        var files: AuthorityFiles
        var key: Key
        var certificate: Certificate

        static func load(directory: String) throws(TransportError) -> Authority {
            let files = AuthorityFiles(directory: directory)
            // The key's mode first: a world-readable CA key is refused before it is even parsed.
            let key = try Key.read(try Files.readPrivateKey(files.keyPath), path: files.keyPath)
            let certificate = try Certificate.read(try Files.read(files.certificatePath), path: files.certificatePath)
            guard certificate.isAuthority else {
                throw TransportError(.badFile, "\(files.certificatePath): not a CA certificate (no basicConstraints CA:TRUE)")
            }
            guard certificate.belongs(to: key) else {
                throw TransportError(.badFile, "\(files.keyPath) is not the key of \(files.certificatePath)")
            }
            return Authority(files: files, key: key, certificate: certificate)
        }
    }
}
