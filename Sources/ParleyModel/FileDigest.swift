import Crypto
import Foundation

/// Content hashes of files, as lowercase hexadecimal SHA-256.
public enum FileDigest {
    /// The SHA-256 of the file's bytes; an error names the file.
    public static func sha256(path: String) throws(ModelFileError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelFileError(file: path, line: nil, message: "cannot read the file to hash it")
        }
        return hex(SHA256.hash(data: data))
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
