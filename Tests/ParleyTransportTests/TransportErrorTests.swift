import COpenSSL
import Testing

@testable import ParleyTransport

@Suite struct TransportErrorTests {
    @Test func drainingReturnsOpenSSLsOwnTextAndEmptiesTheQueue() {
        ERR_clear_error()
        // Reading a PEM certificate from an empty memory BIO queues "no start line".
        let bio = BIO_new(BIO_s_mem())
        defer { BIO_free(bio) }
        #expect(PEM_read_bio_X509(bio, nil, nil, nil) == nil)
        let text = drainOpenSSLErrors()
        #expect(text.contains("no start line"))
        #expect(drainOpenSSLErrors() == "")
    }
}
