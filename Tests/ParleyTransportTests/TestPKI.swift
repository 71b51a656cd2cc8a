import Foundation
import ParleyTransport

/// A throw-away consortium for tests: a CA and leaf certificates made on demand in a temporary
/// directory (removed on deinit).
final class TestPKI: @unchecked Sendable {
    let directory: URL
    var caCertificate: String { directory.appendingPathComponent("ca.crt").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("parley-pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key")
        try run(
            "openssl", "req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=Test consortium", "-days", "2", "-out", "ca.crt",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A leaf for `name` (URI parley:name plus the hosts as SANs), key mode 0600.
    func issue(_ name: String, hosts: [String] = ["127.0.0.1", "localhost"], days: Int = 2) throws -> TLSConfiguration {
        try run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "\(name).key")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path("\(name).key"))
        try run("openssl", "req", "-new", "-key", "\(name).key", "-subj", "/CN=\(name)", "-out", "\(name).csr")
        let sans = (["URI:parley:\(name)"] + hosts.map { $0.contains(where: \.isLetter) ? "DNS:\($0)" : "IP:\($0)" })
        let extensions = "subjectAltName=\(sans.joined(separator: ","))\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n"
        try extensions.write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
        try run(
            "openssl", "x509", "-req", "-in", "\(name).csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "\(days)",
            "-extfile", "\(name).ext", "-out", "\(name).crt")
        return TLSConfiguration(certificatePath: path("\(name).crt"), privateKeyPath: path("\(name).key"), trustRootsPath: caCertificate)
    }

    func path(_ file: String) -> String { directory.appendingPathComponent(file).path }

    @discardableResult
    func run(_ arguments: String...) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw TestPKIError(message: "\(arguments.joined(separator: " ")) failed: \(text)")
        }
        return text
    }
}

struct TestPKIError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
