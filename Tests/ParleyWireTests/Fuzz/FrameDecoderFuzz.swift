// libFuzzer entry point for the frame decoder (issue 4: "a fuzz target"). Excluded from the
// ParleyWireTests target; ParleyWire has no dependencies, so it is built straight from sources:
//
//   swiftc -sanitize=fuzzer,address -parse-as-library -O \
//       Sources/ParleyWire/*.swift Tests/ParleyWireTests/Fuzz/FrameDecoderFuzz.swift -o .build/wire-fuzz
//   .build/wire-fuzz -max_len=4096 -max_total_time=60
//
// Beyond "no crash", it checks what the property test checks: whole and byte-at-a-time decoding
// agree, and whatever decodes re-encodes to the same bytes.

@_cdecl("LLVMFuzzerTestOneInput")
public func frameDecoderFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var whole = FrameDecoder(maximumFrameSize: 1 << 20)
    var single = FrameDecoder(maximumFrameSize: 1 << 20)
    let atOnce = Result { () throws(WireError) in try whole.feed(bytes) }
    let oneByOne = Result { () throws(WireError) in
        var messages: [WireMessage] = []
        for byte in bytes { messages += try single.feed(CollectionOfOne(byte)) }
        return messages
    }
    let encoder = FrameEncoder(maximumFrameSize: 1 << 20)
    switch (atOnce, oneByOne) {
    case (.success(let a), .success(let b)):
        let frames = try! a.flatMap(encoder.encode)
        precondition(frames == (try! b.flatMap(encoder.encode)), "chunking changed the messages")
        // Every decoded frame was canonical except for weight order, so re-decoding must agree.
        var again = FrameDecoder(maximumFrameSize: 1 << 20)
        precondition((try! again.feed(frames)).count == a.count, "re-encoded messages do not decode")
    case (.failure(let a), .failure(let b)):
        precondition(a == b, "chunking changed the error: \(a) vs \(b)")
    default:
        preconditionFailure("whole and byte-at-a-time decoding disagree")
    }
    return 0
}
