#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ParleyModel
import Testing

/// Numbers are read exactly as `strtod` reads them. The reader takes plain decimals without
/// calling `strtod` when that is exact (Clinger's fast path); these pin it bit for bit, sign of
/// zero included, on hand-picked edge cases and on seeded random decimals. Decimals of up to 19
/// digits are also read without `strtod`, checked exactly in 128-bit integers.
@Suite struct MPSReaderNumberTests {
    static let edgeCases = [
        "0", "-0", "+0", "0.0", "-0.0", "1.", ".5", "-.5", "+3", "00012.5000", "1E5", "1e+05", "-7.0e-3",
        "0.1", "0.2", "0.3", "2.675", "4.35", "1e22", "1e23", "1e-22", "1e-23", "123.456e-10",
        "9007199254740992", "9007199254740993", "12345678901234567", "999999999999999.9",
        "0.000000000000000000001", "3.14159265358979323846", "1.7976931348623157e308",
        "2.2250738585072014e-308", "4.9e-324", "1e-400", "0e500",
        // Written with 17 digits, and near powers of two, where doubles below are twice as dense.
        "0.27800000000000002", "-0.10000000000000001", "1.6666666666666667", "0.0050000000000000001",
        "0.12499999999999999", "0.49999999999999997", "0.0009765624999999999", "0.50000000000000001",
        "2251799813685248.25", "2251799813685248.75", "4503599627370495.5", "1125899906842623.875",
        "18446744073709551615", "0.18446744073709551615", "0.018446744073709551616",
    ]

    /// Each text as the objective coefficient of its own column, read back beside `strtod`'s value.
    static func check(_ texts: [String]) throws {
        var mps = "NAME N\nROWS\n N obj\nCOLUMNS\n"
        for (k, text) in texts.enumerated() { mps += " x\(k) obj \(text)\n" }
        mps += "ENDATA\n"
        let program = try MPSReader().parse(mps, file: "n.mps")
        #expect(program.objective.count == texts.count)
        for (text, value) in zip(texts, program.objective) {
            let expected = strtod(text, nil)
            #expect(value.bitPattern == expected.bitPattern, "\(text): read \(value), strtod \(expected)")
        }
    }

    @Test func edgeCasesReadAsStrtodReadsThem() throws {
        try Self.check(Self.edgeCases)
    }

    @Test func randomDecimalsReadAsStrtodReadsThem() throws {
        // SplitMix64: the same decimals on every run.
        var state: UInt64 = 0x5EED
        func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
        func digits(_ count: Int) -> String { String((0..<count).map { _ in Character(String(next(10))) }) }
        var texts: [String] = []
        for _ in 0..<2000 {
            // Sixteen to nineteen significant digits, as files written with 17 digits have.
            texts.append(["", "-"][next(2)] + digits(next(3)) + "." + digits(16 + next(4)))
        }
        for _ in 0..<5000 {
            var text = ["", "-", "+"][next(3)] + digits(1 + next(next(4) == 0 ? 20 : 8))
            if next(3) > 0 { text += "." + digits(next(next(4) == 0 ? 20 : 8)) }
            if next(3) == 0 { text += ["e", "E"][next(2)] + ["", "-", "+"][next(3)] + digits(1 + next(3)) }
            let value = strtod(text, nil)
            if value.isFinite { texts.append(text) }
        }
        try Self.check(texts)
    }
}
