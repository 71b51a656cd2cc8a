import ParleyModel
import Testing

/// Names in Parley's CSV files are quoted as RFC 4180 has them when they must be, and read back
/// whole, from quoted lines and from the unquoted lines older files hold.
@Suite struct CSVTextTests {
    @Test func onlyNamesThatNeedQuotesGetThem() {
        #expect(CSVText.field("S0_X1") == "S0_X1")
        #expect(CSVText.field("") == "")
        #expect(CSVText.field("plant,berlin") == "\"plant,berlin\"")
        #expect(CSVText.field("a\"b") == "\"a\"\"b\"")
        #expect(CSVText.field("\"") == "\"\"\"\"")
    }

    @Test func quotedNamesReadBackWhole() throws {
        for name in ["S0_X1", "plant,berlin", "a\"b", ",", "\"", "\"\",\"", "x,\"y\",z"] {
            let line = "\(CSVText.field(name)),1.5,,-2e-3"
            let (read, fields) = try #require(CSVText.split(line[...], trailing: 3), "\(line)")
            #expect(read == name)
            #expect(fields == ["1.5", "", "-2e-3"])
        }
        let (only, none) = try #require(CSVText.split("\"a,b\""[...], trailing: 0))
        #expect(only == "a,b" && none.isEmpty)
    }

    @Test func unquotedNamesKeepTheirCommas() throws {
        let (name, fields) = try #require(CSVText.split("S0,X1,2.5"[...], trailing: 1))
        #expect(name == "S0,X1" && fields == ["2.5"])
        let (row, rest) = try #require(CSVText.split("r,1,,3,"[...], trailing: 4))
        #expect(row == "r" && rest == ["1", "", "3", ""])
    }

    @Test func malformedLinesAreNil() {
        #expect(CSVText.split("2.5"[...], trailing: 1) == nil)  // no name
        #expect(CSVText.split("\"open,2.5"[...], trailing: 1) == nil)  // quote not closed
        #expect(CSVText.split("\"a\"b,2.5"[...], trailing: 1) == nil)  // text after the closing quote
        #expect(CSVText.split("\"a\",1,2"[...], trailing: 1) == nil)  // one field too many
        #expect(CSVText.split("\"a\""[...], trailing: 1) == nil)  // too few
    }
}
