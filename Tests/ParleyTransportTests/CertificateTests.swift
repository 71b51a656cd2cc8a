import Foundation
import ParleyTransport
import Testing

/// The consortium certificate tools, checked against the real `openssl` command: what they write
/// must be what OpenSSL (and so the TLS layer) accepts, and refuse what it should refuse.
@Suite struct CertificateTests {
    @Test func authorityKeyIsPrivateAndTheCertificateIsASelfSignedCA() throws {
        let scratch = try Scratch()
        let files = try ConsortiumCertificates.makeAuthority(
            name: "Test consortium CA", directory: scratch.file("ca"), validity: .days(30))
        #expect(try mode(files.keyPath) == 0o600)
        #expect(try mode(files.directory) == 0o700)

        #expect(openssl(["verify", "-CAfile", files.certificatePath, files.certificatePath]).output.contains(": OK"))
        let extensions = openssl([
            "x509", "-in", files.certificatePath, "-noout", "-ext", "basicConstraints,keyUsage,subjectKeyIdentifier",
        ]).output
        #expect(extensions.contains("X509v3 Basic Constraints: critical"))
        #expect(extensions.contains("CA:TRUE"))
        #expect(extensions.contains("X509v3 Key Usage: critical"))
        #expect(extensions.contains("Certificate Sign, CRL Sign"))
        #expect(extensions.contains("X509v3 Subject Key Identifier"))

        let crl = openssl(["crl", "-in", files.revocationListPath, "-CAfile", files.certificatePath, "-noout", "-text"])
        #expect(crl.status == 0)
        #expect(crl.output.contains("verify OK"))
        #expect(crl.output.contains("No Revoked Certificates"))

        let described = try ConsortiumCertificates.describe(path: files.certificatePath)
        #expect(described.isAuthority)
        #expect(described.subject == "CN=Test consortium CA")
        #expect(described.issuer == described.subject)
        #expect(described.keyType == "ECDSA P-256")
    }

    @Test func signedLeafVerifiesAndCarriesTheRequestedNames() throws {
        let scratch = try Scratch()
        let ca = try scratch.authority()
        let made = try ConsortiumCertificates.makeRequest(
            party: "alice", hosts: ["127.0.0.1", "node.example", "::1"], directory: scratch.file("alice"))
        #expect(try mode(made.keyPath) == 0o600)
        #expect(openssl(["req", "-in", made.requestPath, "-noout", "-verify"]).output.contains("verify OK"))

        let leaf = try ConsortiumCertificates.sign(
            requestPath: made.requestPath, authorityDirectory: ca.directory, validity: .days(10))
        #expect(leaf == scratch.file("alice/alice.crt"))
        let verified = openssl(["verify", "-CAfile", ca.certificatePath, leaf])
        #expect(verified.status == 0)
        #expect(verified.output == "\(leaf): OK\n")

        let names = openssl(["x509", "-in", leaf, "-noout", "-ext", "subjectAltName"]).output
        #expect(names.contains("URI:parley:alice"))
        #expect(names.contains("IP Address:127.0.0.1"))
        #expect(names.contains("DNS:node.example"))
        #expect(names.contains("IP Address:0:0:0:0:0:0:0:1"))
        let usage = openssl([
            "x509", "-in", leaf, "-noout", "-ext",
            "basicConstraints,keyUsage,extendedKeyUsage,authorityKeyIdentifier",
        ]).output
        #expect(usage.contains("CA:FALSE"))
        #expect(usage.contains("X509v3 Key Usage: critical"))
        #expect(usage.contains("Digital Signature"))
        #expect(usage.contains("TLS Web Server Authentication, TLS Web Client Authentication"))
        #expect(usage.contains("X509v3 Authority Key Identifier"))

        let described = try ConsortiumCertificates.describe(path: leaf)
        #expect(described.party == "alice")
        #expect(described.subject == "CN=alice")
        #expect(described.issuer == "CN=Test consortium CA")
        #expect(described.status == .valid)
        #expect(!described.isAuthority)
        #expect(described.subjectAlternativeNames.contains("IP Address:::1"))
    }

    @Test func fingerprintAndSerialAreTheOnesOpenSSLPrints() throws {
        let scratch = try Scratch()
        let leaf = try scratch.leaf("bob", validity: .days(5))
        let described = try ConsortiumCertificates.describe(path: leaf)
        let fingerprint = openssl(["x509", "-in", leaf, "-noout", "-fingerprint", "-sha256"]).output
        #expect(fingerprint.split(separator: "=").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            == described.sha256Fingerprint)
        let serial = openssl(["x509", "-in", leaf, "-noout", "-serial"]).output
        #expect(serial == "serial=\(described.serial ?? "")\n")
        // 128 random bits: 16 bytes, or 17 with a leading zero byte when the top bit is set.
        #expect((described.serial?.count ?? 0) >= 30)
        #expect(described.description.contains(described.sha256Fingerprint))
    }

    @Test func expiredAndNotYetValidCertificatesSaySo() throws {
        let scratch = try Scratch()
        let now = Date()
        let expired = try scratch.leaf(
            "old", validity: CertificateValidity(notBefore: now - 10 * 86_400, notAfter: now - 86_400))
        let described = try ConsortiumCertificates.describe(path: expired)
        #expect(described.status == .expired)
        #expect(described.description.contains("status       expired 24 hours ago"))
        #expect(
            openssl(["verify", "-CAfile", scratch.file("ca/ca.crt"), expired]).output.contains("certificate has expired"))

        let future = try scratch.leaf(
            "early", validity: CertificateValidity(notBefore: now + 86_400 * 3, notAfter: now + 86_400 * 9))
        let early = try ConsortiumCertificates.describe(path: future)
        #expect(early.status == .notYetValid)
        #expect(early.description.contains("not yet valid"))
        #expect(openssl(["verify", "-CAfile", scratch.file("ca/ca.crt"), future]).output.contains("not yet valid"))
    }

    @Test func revokedCertificatesFailTheCRLCheckAndRevocationsAccumulate() throws {
        let scratch = try Scratch()
        let alice = try scratch.leaf("alice", validity: .days(10))
        let bob = try scratch.leaf("bob", validity: .days(10))
        let ca = ConsortiumCertificates.AuthorityFiles(directory: scratch.file("ca"))
        func crlCheck(_ leaf: String) -> (status: Int32, output: String) {
            openssl(["verify", "-crl_check", "-CRLfile", ca.revocationListPath, "-CAfile", ca.certificatePath, leaf])
        }
        #expect(crlCheck(alice).status == 0)

        let first = try ConsortiumCertificates.revoke(certificatePath: alice, authorityDirectory: ca.directory)
        #expect(!first.wasAlreadyRevoked)
        #expect(first.revocationListNumber == 2)
        let refused = crlCheck(alice)
        #expect(refused.status != 0)
        #expect(refused.output.contains("certificate revoked"))
        #expect(crlCheck(bob).status == 0)

        try ConsortiumCertificates.revoke(certificatePath: bob, authorityDirectory: ca.directory)
        #expect(crlCheck(alice).output.contains("certificate revoked"))
        #expect(crlCheck(bob).output.contains("certificate revoked"))
        let again = try ConsortiumCertificates.revoke(certificatePath: alice, authorityDirectory: ca.directory)
        #expect(again.wasAlreadyRevoked)
        #expect(again.revokedCount == 2)

        let list = try ConsortiumCertificates.describe(path: ca.revocationListPath)
        #expect(list.kind == .revocationList)
        #expect(list.revocationListNumber == 4)
        #expect(list.status == .valid)
        let serials = try [alice, bob].map { try ConsortiumCertificates.describe(path: $0).serial ?? "" }
        #expect(Set(list.revokedSerials) == Set(serials))
        #expect(openssl(["crl", "-in", ca.revocationListPath, "-noout", "-crlnumber"]).output == "crlNumber=0x04\n")
        let recorded = try String(contentsOfFile: ca.revokedListPath, encoding: .utf8)
        #expect(serials.allSatisfy { recorded.contains($0) })

        // A reissue keeps both and moves the number on.
        #expect(try ConsortiumCertificates.updateRevocationList(authorityDirectory: ca.directory) == 5)
        #expect(try ConsortiumCertificates.describe(path: ca.revocationListPath).revokedSerials.count == 2)
    }

    @Test func revokingACertificateOfAnotherCAIsRefused() throws {
        let ours = try Scratch()
        let theirs = try Scratch()
        _ = try ours.authority()
        let foreign = try theirs.leaf("mallory", validity: .days(3))
        let error = #expect(throws: TransportError.self) {
            try ConsortiumCertificates.revoke(certificatePath: foreign, authorityDirectory: ours.file("ca"))
        }
        #expect(error?.message.hasPrefix("\(foreign): not issued by the CA in \(ours.file("ca"))") == true)
    }

    @Test func readableCAKeyIsRefusedWithTheExactMessage() throws {
        let scratch = try Scratch()
        let made = try ConsortiumCertificates.makeRequest(party: "alice", hosts: [], directory: scratch.file("alice"))
        let ca = try scratch.authority()
        #expect(chmod(ca.keyPath, 0o644) == 0)
        let error = #expect(throws: TransportError.self) {
            try ConsortiumCertificates.sign(
                requestPath: made.requestPath, authorityDirectory: ca.directory, validity: .days(1))
        }
        #expect(error?.kind == .insecureKeyPermissions)
        #expect(
            error?.message
                == "\(ca.directory)/ca.key is readable by group or others (mode 0644); run chmod 600 \(ca.directory)/ca.key")
        #expect(!FileManager.default.fileExists(atPath: scratch.file("alice/alice.crt")))

        #expect(chmod(ca.keyPath, 0o640) == 0)
        #expect(throws: TransportError.self) {
            try ConsortiumCertificates.updateRevocationList(authorityDirectory: ca.directory)
        }
    }

    @Test func tamperedRequestIsRefused() throws {
        let scratch = try Scratch()
        let ca = try scratch.authority()
        let made = try ConsortiumCertificates.makeRequest(party: "alice", hosts: [], directory: scratch.file("alice"))
        // The last DER byte is the end of the ECDSA signature: the file still parses, but no
        // longer verifies.
        var der = try pemBody(made.requestPath)
        der[der.count - 1] ^= 0x01
        let tampered = scratch.file("alice/tampered.csr")
        try pem(der, label: "CERTIFICATE REQUEST").write(toFile: tampered, atomically: true, encoding: .utf8)
        #expect(try ConsortiumCertificates.describe(path: tampered).signatureVerifies == false)

        let error = #expect(throws: TransportError.self) {
            try ConsortiumCertificates.sign(requestPath: tampered, authorityDirectory: ca.directory, validity: .days(1))
        }
        #expect(error?.message == "\(tampered): the request's signature does not verify (the file was altered or corrupted)")
    }

    @Test(arguments: [
        ("DNS:example.com", "must name exactly one URI:parley:<party> subject alternative name, it names 0"),
        ("URI:parley:a,URI:parley:b", "must name exactly one URI:parley:<party> subject alternative name, it names 2"),
        ("URI:parley:a,email:a@example.com", "the request names email:a@example.com"),
        ("URI:https://example.com/a", "the request names URI:https://example.com/a"),
        ("URI:parley:a.b", "'a.b' in URI:parley:a.b is not a valid party name"),
    ])
    func requestWithoutExactlyOneParleyIdentityIsRefused(names: String, reason: String) throws {
        let scratch = try Scratch()
        let ca = try scratch.authority()
        let request = try scratch.opensslRequest(names: names)
        let error = #expect(throws: TransportError.self) {
            try ConsortiumCertificates.sign(requestPath: request, authorityDirectory: ca.directory, validity: .days(1))
        }
        #expect(error?.message.hasPrefix("\(request): ") == true)
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
    }

    @Test func requestMadeWithOpenSSLAloneIsSigned() throws {
        let scratch = try Scratch()
        let ca = try scratch.authority()
        let request = try scratch.opensslRequest(names: "URI:parley:carol,DNS:carol.example,IP:10.1.2.3")
        let leaf = try ConsortiumCertificates.sign(
            requestPath: request, authorityDirectory: ca.directory, validity: .days(2),
            outputPath: scratch.file("carol.crt"))
        #expect(leaf == scratch.file("carol.crt"))
        #expect(openssl(["verify", "-CAfile", ca.certificatePath, leaf]).status == 0)
        let described = try ConsortiumCertificates.describe(path: leaf)
        #expect(described.party == "carol")
        #expect(described.subjectAlternativeNames == ["URI:parley:carol", "DNS:carol.example", "IP Address:10.1.2.3"])
    }

    @Test func weakRequestKeyIsRefused() throws {
        let scratch = try Scratch()
        let ca = try scratch.authority()
        let request = try scratch.opensslRequest(names: "URI:parley:weak", key: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"])
        let error = #expect(throws: TransportError.self) {
            try ConsortiumCertificates.sign(requestPath: request, authorityDirectory: ca.directory, validity: .days(1))
        }
        #expect(error?.message == "\(request): RSA keys of 1024 bits are too short (2048 or more)")
    }

    @Test func garbageFilesGetErrorsNamingThem() throws {
        let scratch = try Scratch()
        let ca = try scratch.authority()
        let garbage = scratch.file("garbage.pem")
        try "not a certificate\n".write(toFile: garbage, atomically: true, encoding: .utf8)

        let shown = #expect(throws: TransportError.self) { try ConsortiumCertificates.describe(path: garbage) }
        #expect(shown?.message == "\(garbage): not a PEM certificate, certificate request or revocation list")
        let signed = #expect(throws: TransportError.self) {
            try ConsortiumCertificates.sign(requestPath: garbage, authorityDirectory: ca.directory, validity: .days(1))
        }
        #expect(signed?.message.hasPrefix("\(garbage): not a PEM certificate request") == true)
        let revoked = #expect(throws: TransportError.self) {
            try ConsortiumCertificates.revoke(certificatePath: garbage, authorityDirectory: ca.directory)
        }
        #expect(revoked?.message.hasPrefix("\(garbage): not a PEM certificate") == true)
        let missing = #expect(throws: TransportError.self) {
            try ConsortiumCertificates.describe(path: scratch.file("missing.crt"))
        }
        #expect(missing?.message == "\(scratch.file("missing.crt")): cannot open (No such file or directory)")
        let key = #expect(throws: TransportError.self) { try ConsortiumCertificates.describe(path: ca.keyPath) }
        #expect(key?.message.hasPrefix("\(ca.keyPath) is a private key") == true)

        // A CA directory whose revocation record is damaged: the line is named.
        try "# comment\nZZ\t2026-01-01T00:00:00Z\tCN=x\n".write(toFile: ca.revokedListPath, atomically: true, encoding: .utf8)
        let leaf = try scratch.leaf("dora", validity: .days(1))
        let record = #expect(throws: TransportError.self) {
            try ConsortiumCertificates.revoke(certificatePath: leaf, authorityDirectory: ca.directory)
        }
        #expect(record?.message == "\(ca.revokedListPath):2: 'ZZ' is not a hex serial")
    }

    @Test func existingAuthorityAndPartyKeysAreNeverReplaced() throws {
        let scratch = try Scratch()
        let ca = try scratch.authority()
        let before = try Data(contentsOf: URL(fileURLWithPath: ca.keyPath))
        let error = #expect(throws: TransportError.self) {
            try ConsortiumCertificates.makeAuthority(directory: ca.directory, validity: .days(1))
        }
        #expect(error?.message == "\(ca.keyPath): already exists; refusing to replace a consortium CA")
        #expect(try Data(contentsOf: URL(fileURLWithPath: ca.keyPath)) == before)

        let made = try ConsortiumCertificates.makeRequest(party: "erin", hosts: [], directory: scratch.file("erin"))
        #expect(throws: TransportError.self) {
            try ConsortiumCertificates.makeRequest(party: "erin", hosts: [], directory: scratch.file("erin"))
        }
        #expect(FileManager.default.fileExists(atPath: made.keyPath))
        // No temporary files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.file("erin")).sorted() == ["erin.csr", "erin.key"])
    }

    @Test func namesHostsAndPeriodsAreChecked() throws {
        let scratch = try Scratch()
        for name in ["alice", "plant-7", "A_1", String(repeating: "x", count: 64)] {
            #expect(ConsortiumCertificates.isValidPartyName(name), "\(name)")
        }
        for name in ["", "-x", "a.b", "a b", "a/b", "ä", String(repeating: "x", count: 65)] {
            #expect(!ConsortiumCertificates.isValidPartyName(name), "\(name)")
        }
        for host in ["localhost", "node-1.example.com", "10.0.0.1", "fe80::1", "1.2.3"] {
            #expect(ConsortiumCertificates.isValidHost(host), "\(host)")
        }
        for host in ["", "*.example.com", "a..b", "-a.example", "under_score", "fe80::1%eth0", "1.2.3.4:443", "example.com."] {
            #expect(!ConsortiumCertificates.isValidHost(host), "\(host)")
        }
        #expect(throws: TransportError.self) {
            try ConsortiumCertificates.makeRequest(party: "a.b", hosts: [], directory: scratch.file("x"))
        }
        let backwards = #expect(throws: TransportError.self) {
            try ConsortiumCertificates.makeAuthority(
                directory: scratch.file("ca"), validity: CertificateValidity(notBefore: Date(), notAfter: Date() - 1))
        }
        #expect(backwards?.kind == .invalidArgument)
        let ca = try scratch.authority()
        let made = try ConsortiumCertificates.makeRequest(party: "fay", hosts: [], directory: scratch.file("fay"))
        let tooLong = #expect(throws: TransportError.self) {
            try ConsortiumCertificates.sign(
                requestPath: made.requestPath, authorityDirectory: ca.directory, validity: .days(400))
        }
        #expect(tooLong?.message.contains("would outlive the CA") == true)
    }
}

/// A fresh directory under the temporary directory, removed with its contents afterwards.
private final class Scratch {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("parley-certs-XXXXXX").path
        var template = Array(base.utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw CocoaError(.fileWriteUnknown)
        }
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ relative: String) -> String { "\(path)/\(relative)" }

    /// A CA in `ca/`, valid for a year.
    func authority() throws -> ConsortiumCertificates.AuthorityFiles {
        try ConsortiumCertificates.makeAuthority(name: "Test consortium CA", directory: file("ca"), validity: .days(365))
    }

    /// A signed certificate for `party` from the CA in `ca/` (made if missing).
    func leaf(_ party: String, validity: CertificateValidity) throws -> String {
        if !FileManager.default.fileExists(atPath: file("ca/ca.key")) { _ = try authority() }
        let made = try ConsortiumCertificates.makeRequest(party: party, hosts: ["127.0.0.1"], directory: file(party))
        return try ConsortiumCertificates.sign(
            requestPath: made.requestPath, authorityDirectory: file("ca"), validity: validity)
    }

    /// A request made by `openssl req` alone, asking for `names` (subjectAltName syntax).
    func opensslRequest(names: String, key: [String] = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]) throws
        -> String
    {
        let keyPath = file("other.key")
        let requestPath = file("other.csr")
        let made = openssl(["genpkey"] + key + ["-out", keyPath])
        try #require(made.status == 0, "\(made.output)")
        let request = openssl([
            "req", "-new", "-key", keyPath, "-subj", "/CN=other", "-addext", "subjectAltName=\(names)", "-out", requestPath,
        ])
        try #require(request.status == 0, "\(request.output)")
        return requestPath
    }
}

/// Runs `/usr/bin/openssl` with `arguments`; its standard output and error together.
private func openssl(_ arguments: [String]) -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    do {
        try process.run()
    } catch {
        return (-1, "cannot run openssl: \(error)")
    }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

private func mode(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as? Int ?? -1) & 0o777
}

/// The DER bytes inside a single-object PEM file.
private func pemBody(_ path: String) throws -> [UInt8] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let base64 = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
    return try #require(Data(base64Encoded: base64).map { Array($0) })
}

private func pem(_ der: [UInt8], label: String) -> String {
    let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
    return "-----BEGIN \(label)-----\n\(base64)\n-----END \(label)-----\n"
}
