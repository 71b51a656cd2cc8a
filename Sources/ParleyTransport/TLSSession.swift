import COpenSSL

#if canImport(Glibc)
import Glibc
#endif

/// One TLS connection's OpenSSL state: an `SSL` whose network side is two memory BIOs, so the
/// bytes go through SwiftNIO's sockets rather than OpenSSL's own.
///
/// Used only from its channel's event loop, so it is not `Sendable`.
final class TLSSession {
    /// What one step of the engine asks of the caller.
    enum Progress: Equatable {
        /// Done for now; feed more network bytes to go on.
        case wantsMoreInput
        /// The handshake finished.
        case handshakeComplete
        /// The peer closed the TLS session cleanly (close_notify).
        case closedByPeer
    }

    private let ssl: OpaquePointer
    /// Network bytes in (written by us, read by OpenSSL) and out (written by OpenSSL).
    private let networkInput: OpaquePointer
    private let networkOutput: OpaquePointer
    let context: TLSContext
    /// The server's address as dialled (a client's), which its certificate must name.
    private let expectedHost: String?

    /// - Parameter expectedHost: for a client, the server's DNS name or IP address, checked
    ///   against the server certificate's SANs during the handshake; ignored for a server.
    init(context: TLSContext, expectedHost: String?) throws(TransportError) {
        ERR_clear_error()
        guard let ssl = SSL_new(context.pointer) else {
            throw TransportError(.handshakeFailed, "cannot create a TLS session: \(drainOpenSSLErrors())")
        }
        guard let input = BIO_new(BIO_s_mem()), let output = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw TransportError(.handshakeFailed, "cannot create TLS buffers")
        }
        // An empty input BIO means "wait for more", not end of file.
        _ = parley_BIO_set_mem_eof_return(input, -1)
        _ = parley_BIO_set_mem_eof_return(output, -1)
        SSL_set_bio(ssl, input, output)  // the SSL owns both BIOs from here on
        self.ssl = ssl
        self.networkInput = input
        self.networkOutput = output
        self.context = context
        self.expectedHost = context.role == .client ? expectedHost : nil

        switch context.role {
        case .server:
            SSL_set_accept_state(ssl)
        case .client:
            SSL_set_connect_state(ssl)
            if let host = expectedHost {
                try checkServerAddress(host)
            }
        }
    }

    deinit {
        SSL_free(ssl)
    }

    /// Makes the handshake fail unless the server's certificate names `host`: an IP address is
    /// matched against IP SANs, anything else against DNS SANs (and sent as SNI; an IP never is).
    private func checkServerAddress(_ host: String) throws(TransportError) {
        ERR_clear_error()
        if isIPAddress(host) {
            guard let parameters = SSL_get0_param(ssl), X509_VERIFY_PARAM_set1_ip_asc(parameters, host) == 1 else {
                throw TransportError(.connectionFailed, "cannot check the server address \(host): \(drainOpenSSLErrors())")
            }
        } else {
            guard SSL_set1_host(ssl, host) == 1, parley_SSL_set_tlsext_host_name(ssl, host) == 1 else {
                throw TransportError(.connectionFailed, "cannot check the server name \(host): \(drainOpenSSLErrors())")
            }
        }
    }

    var isHandshakeComplete: Bool { SSL_is_init_finished(ssl) == 1 }

    /// Hands bytes from the network to OpenSSL.
    func receiveFromNetwork(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let written = BIO_write(networkInput, bytes.baseAddress! + offset, Int32(min(bytes.count - offset, Int(Int32.max))))
            if written <= 0 { break }  // a memory BIO only fails when out of memory
            offset += Int(written)
        }
    }

    /// Bytes OpenSSL wants sent to the peer (handshake messages, records, alerts), if any.
    func takeNetworkOutput() -> [UInt8]? {
        let pending = parley_BIO_pending(networkOutput)
        guard pending > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: pending)
        let read = bytes.withUnsafeMutableBytes { BIO_read(networkOutput, $0.baseAddress, Int32(pending)) }
        return read > 0 ? Array(bytes.prefix(Int(read))) : nil
    }

    /// Drives the handshake as far as the bytes received so far allow.
    func continueHandshake() throws(TransportError) -> Progress {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 { return .handshakeComplete }
        return try stopped(result)
    }

    /// Why an SSL call returned without progress: it needs more input, the peer closed, or it
    /// failed (thrown, with OpenSSL's reasons).
    private func stopped(_ result: Int32) throws(TransportError) -> Progress {
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .wantsMoreInput
        case SSL_ERROR_ZERO_RETURN:
            return .closedByPeer
        default:
            throw TransportError(.handshakeFailed, failureText())
        }
    }

    /// Decrypts whatever complete records have arrived and passes the plaintext to `deliver`.
    func readPlaintext(_ deliver: (UnsafeRawBufferPointer) -> Void) throws(TransportError) -> Progress {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            ERR_clear_error()
            var count = 0
            let result = chunk.withUnsafeMutableBytes { SSL_read_ex(ssl, $0.baseAddress, $0.count, &count) }
            if result == 1 {
                chunk.withUnsafeBytes { deliver(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
                continue
            }
            return try stopped(result)
        }
    }

    /// Encrypts `bytes` into records waiting in the network output.
    func writePlaintext(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
        guard bytes.count > 0 else { return }
        ERR_clear_error()
        var written = 0
        // Memory BIOs grow as needed, so a write is never partial and never waits.
        guard SSL_write_ex(ssl, bytes.baseAddress, bytes.count, &written) == 1, written == bytes.count else {
            throw TransportError(.connectionFailed, "TLS write failed: \(failureText())")
        }
    }

    /// Queues a close_notify alert.
    func shutdown() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    /// The peer's certificate identities (`parley:<name>` URIs); empty before the handshake.
    func peerIdentities() -> [String] {
        guard let certificate = SSL_get0_peer_certificate(ssl) else { return [] }
        return PeerCertificate.parleyIdentities(of: certificate)
    }

    /// The DNS and IP address SANs of the peer's certificate ("DNS:…", "IP Address:…").
    private func serverAddressNames() -> [String] {
        guard let certificate = parley_SSL_peer_leaf(ssl), let raw = X509_get_ext_d2i(certificate, NID_subject_alt_name, nil, nil)
        else { return [] }
        return ConsortiumCertificates.GeneralNames(owning: OpaquePointer(raw)).names.compactMap { name in
            switch name {
            case .dns, .ip: name.description
            default: nil
            }
        }
    }

    /// What went wrong, in OpenSSL's words plus, when certificate verification failed, the
    /// verification result ("certificate has expired", "certificate revoked", …).
    private func failureText() -> String {
        var parts: [String] = []
        let verify = SSL_get_verify_result(ssl)
        if verify != X509_V_OK {
            parts.append("peer certificate rejected: \(String(cString: X509_verify_cert_error_string(verify)))")
            if verify == X509_V_ERR_CRL_HAS_EXPIRED, let list = context.configuration.revocationListPath {
                // Not the peer's fault: every peer is refused until a current list is installed.
                parts.append("this party's revocation list \(list) is past its next update; install the consortium operator's current one")
            }
            if verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH, let host = expectedHost {
                // The usual cause is a node dialled at an address its certificate was not made for.
                let names = serverAddressNames()
                parts.append(
                    "the server's certificate names \(names.isEmpty ? "no DNS name or IP address" : names.joined(separator: ", ")), not \(host): "
                        + "dial it at an address it names, or have its party request a certificate with --host \(host)")
            }
        }
        let queue = drainOpenSSLErrors()
        if !queue.isEmpty { parts.append(queue) }
        return parts.isEmpty ? "TLS failure without detail" : parts.joined(separator: "; ")
    }
}

/// Whether `host` is a literal IPv4 or IPv6 address.
func isIPAddress(_ host: String) -> Bool {
    var v4 = in_addr()
    var v6 = in6_addr()
    return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
}
