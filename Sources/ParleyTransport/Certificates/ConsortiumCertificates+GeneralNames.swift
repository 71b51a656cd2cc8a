import COpenSSL
import Foundation

// An owner of an OpenSSL object: it frees the object in deinit and nothing else frees it. Raw
// pointers are used only inside its methods or in functions that receive the owner as a
// parameter, so the owner outlives every use of its pointer.
extension ConsortiumCertificates {
    /// A `GENERAL_NAMES` stack, as the subjectAltName extension holds it.
    final class GeneralNames {
        let pointer: OpaquePointer

        init(owning pointer: OpaquePointer) { self.pointer = pointer }

        deinit { parley_GENERAL_NAMES_free(pointer) }

        convenience init(_ names: [AlternativeName]) throws(TransportError) {
            guard let stack = parley_GENERAL_NAMES_new() else {
                throw TransportError(.badFile, "cannot allocate subject alternative names")
            }
            self.init(owning: stack)
            for name in names { try append(name) }
        }

        private func append(_ name: AlternativeName) throws(TransportError) {
            let failure = TransportError(.badFile, "cannot encode the subject alternative name \(name)")
            guard let general = GENERAL_NAME_new() else { throw failure }
            let value: UnsafeMutableRawPointer?
            let type: Int32
            switch name {
            case .uri(let text), .dns(let text), .email(let text):
                type = name.generalNameType
                let string = ASN1_IA5STRING_new()
                if let string, ASN1_STRING_set(string, Array(text.utf8), Int32(text.utf8.count)) != 1 {
                    ASN1_IA5STRING_free(string)
                    value = nil
                } else {
                    value = string.map { UnsafeMutableRawPointer($0) }
                }
            case .ip(let bytes):
                type = GEN_IPADD
                let string = ASN1_OCTET_STRING_new()
                if let string, ASN1_OCTET_STRING_set(string, bytes, Int32(bytes.count)) != 1 {
                    ASN1_OCTET_STRING_free(string)
                    value = nil
                } else {
                    value = string.map { UnsafeMutableRawPointer($0) }
                }
            case .other:
                value = nil
                type = 0
            }
            guard let value else {
                GENERAL_NAME_free(general)
                throw failure
            }
            GENERAL_NAME_set0_value(general, type, value)
            guard parley_sk_GENERAL_NAME_push(pointer, general) > 0 else {
                GENERAL_NAME_free(general)
                throw failure
            }
        }

        var names: [AlternativeName] {
            (0..<parley_sk_GENERAL_NAME_num(pointer)).compactMap { index in
                guard let name = parley_sk_GENERAL_NAME_value(pointer, index) else { return nil }
                let type = parley_GENERAL_NAME_type(name)
                if let ip = parley_GENERAL_NAME_ip(name) { return .ip(Self.bytes(ip)) }
                if let text = parley_GENERAL_NAME_ia5(name) {
                    let string = String(decoding: Self.bytes(text), as: UTF8.self)
                    switch type {
                    case GEN_URI: return .uri(string)
                    case GEN_DNS: return .dns(string)
                    default: return .email(string)
                    }
                }
                return .other(type)
            }
        }

        private static func bytes(_ string: UnsafePointer<ASN1_STRING>) -> [UInt8] {
            guard let data = ASN1_STRING_get0_data(string) else { return [] }
            return Array(UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(string))))
        }
    }

    /// One subject alternative name, in the forms Parley deals with.
    enum AlternativeName: Hashable, Sendable, CustomStringConvertible {
        case uri(String)
        case dns(String)
        /// 4 bytes for IPv4, 16 for IPv6.
        case ip([UInt8])
        case email(String)
        /// Any other GENERAL_NAME type (otherName, directoryName, …), by its GEN_ number.
        case other(Int32)

        var generalNameType: Int32 {
            switch self {
            case .uri: GEN_URI
            case .dns: GEN_DNS
            case .ip: GEN_IPADD
            case .email: GEN_EMAIL
            case .other(let type): type
            }
        }

        /// As `openssl x509 -ext subjectAltName` prints it ("URI:parley:alice", "IP Address:10.0.0.1").
        var description: String {
            switch self {
            case .uri(let text): return "URI:\(text)"
            case .dns(let text): return "DNS:\(text)"
            case .email(let text): return "email:\(text)"
            case .ip(let bytes): return "IP Address:\(Self.addressText(bytes))"
            case .other(let type):
                switch type {
                case GEN_OTHERNAME: return "othername:<unsupported>"
                case GEN_DIRNAME: return "DirName:<unsupported>"
                case GEN_RID: return "Registered ID:<unsupported>"
                default: return "name of type \(type):<unsupported>"
                }
            }
        }

        static func addressText(_ bytes: [UInt8]) -> String {
            let family: Int32
            switch bytes.count {
            case 4: family = AF_INET
            case 16: family = AF_INET6
            default: return "<invalid \(bytes.count)-byte address>"
            }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(family, bytes, &text, socklen_t(text.count)) != nil else { return "<invalid address>" }
            return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }
    }
}
