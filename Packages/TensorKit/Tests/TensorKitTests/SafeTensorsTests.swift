import Foundation
import TensorKit
import FixtureSupport
import XCTest

final class SafeTensorsTests: XCTestCase {
    typealias Problem = SafeTensorsError.Problem

    // MARK: Round trips

    func testRoundTripKeepsEveryDTypeShapeAndMetadata() throws {
        var archive = SafeTensorsArchive(metadata: ["format": "pt", "note": "quote \" backslash \\ newline \n é"])
        archive["weight"] = SafeTensorsEntry(floats: [1, -2.5, .infinity, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude], shape: [2, 3])
        archive["scalar"] = SafeTensorsEntry(floats: [3.25], shape: [])
        archive["empty"] = SafeTensorsEntry(floats: [], shape: [0])
        archive["empty.2d"] = SafeTensorsEntry(int32s: [], shape: [3, 0])
        archive["ids"] = SafeTensorsEntry(int32s: [0, -1, .max, .min], shape: [4])
        archive["count"] = SafeTensorsEntry(int64s: [42], shape: [])
        archive["big"] = SafeTensorsEntry(int64s: [.max, .min, 0], shape: [1, 3, 1])

        let decoded = try SafeTensorsArchive(bytes: archive.serialized())
        XCTAssertEqual(decoded.entries, archive.entries)
        XCTAssertEqual(decoded.metadata, archive.metadata)
        XCTAssertEqual(try decoded.entry("weight").floats().map(\.bitPattern),
                       [1, -2.5, .infinity, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude].map { (value: Float) in value.bitPattern })
        XCTAssertEqual(try decoded.entry("scalar").floats(), [3.25])
        XCTAssertEqual(try decoded.entry("scalar").shape, [])
        XCTAssertEqual(try decoded.entry("empty").floats(), [])
        XCTAssertEqual(try decoded.entry("empty.2d").shape, [3, 0])
        XCTAssertEqual(try decoded.entry("ids").integers(), [0, -1, Int(Int32.max), Int(Int32.min)])
        XCTAssertEqual(try decoded.entry("count").integers(), [42])
        XCTAssertEqual(try decoded.entry("big").integers(), [.max, .min, 0])
        XCTAssertEqual(decoded.serialized(), archive.serialized())
    }

    func testEmptyArchiveRoundTrips() throws {
        let bytes = SafeTensorsArchive().serialized()
        XCTAssertEqual(bytes, [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8))
        let decoded = try SafeTensorsArchive(bytes: bytes)
        XCTAssertTrue(decoded.entries.isEmpty)
        XCTAssertTrue(decoded.metadata.isEmpty)
    }

    /// The header and data exactly as `safetensors.numpy.save` (0.8) writes them for the same tensors.
    func testSerializationMatchesThePythonWriterByteForByte() {
        var archive = SafeTensorsArchive(metadata: ["format": "pt", "note": "a\"b\\c\n/é"])
        archive["weight"] = SafeTensorsEntry(floats: [1, 2, 3, 4], shape: [2, 2])
        archive["bias"] = SafeTensorsEntry(floats: [0.5, -1], shape: [2])
        archive["empty"] = SafeTensorsEntry(floats: [], shape: [0])
        archive["scalar"] = SafeTensorsEntry(floats: [3], shape: [])

        let header = #"{"__metadata__":{"format":"pt","note":"a\"b\\c\n/é"},"#
            + #""bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""empty":{"dtype":"F32","shape":[0],"data_offsets":[8,8]},"#
            + #""scalar":{"dtype":"F32","shape":[],"data_offsets":[8,12]},"#
            + #""weight":{"dtype":"F32","shape":[2,2],"data_offsets":[12,28]}} "#
        XCTAssertEqual(header.utf8.count, 288)
        let data = hexBytes("0000003f000080bf000040400000803f000000400000404000008040")
        XCTAssertEqual(archive.serialized(), encode(header: header, data: data))
    }

    func testHeaderIsPaddedWithSpacesToAMultipleOfEight() throws {
        for length in 0..<10 {
            let archive = SafeTensorsArchive(entries: [String(repeating: "x", count: length + 1): SafeTensorsEntry(floats: [1], shape: [1])])
            let bytes = archive.serialized()
            let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8
            XCTAssertEqual(headerLength % 8, 0)
            XCTAssertEqual(bytes.count, 8 + headerLength + 4)
            let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
            let padding = header.reversed().prefix { $0 == " " }.count
            XCTAssertLessThan(padding, 8)
            XCTAssertTrue(header.dropLast(padding).hasSuffix("}}"))
            XCTAssertEqual(try SafeTensorsArchive(bytes: bytes).entries, archive.entries)
        }
    }

    func testReadsEntriesInAnyOrderAndIgnoresUnknownFields() throws {
        let header = #"{"b":{"data_offsets":[0,2],"shape":[2],"dtype":"U8","extra":[1,{"x":null}]},"#
            + #""a":{"dtype":"I8","shape":[2],"data_offsets":[2,4]},"__metadata__":null}"#
        let archive = try SafeTensorsArchive(bytes: encode(header: "  " + header + "   ", data: [1, 2, 0xFF, 0x80]))
        XCTAssertEqual(try archive.entry("b").integers(), [1, 2])
        XCTAssertEqual(try archive.entry("a").integers(), [-1, -128])
        XCTAssertEqual(archive.metadata, [:])
    }

    func testConvertsOtherDTypes() throws {
        let halves = SafeTensorsEntry(dtype: .F16, shape: [7], bytes: littleEndian16([0x3C00, 0xC000, 0x0001, 0x7BFF, 0x7C00, 0x8000, 0x3555]))
        XCTAssertEqual(try halves.floats(), [1, -2, 0x1p-24, 65504, .infinity, -0.0, 0.333251953125])
        XCTAssertTrue(try SafeTensorsEntry(dtype: .F16, shape: [1], bytes: littleEndian16([0x7E00])).floats()[0].isNaN)
        let brains = SafeTensorsEntry(dtype: .BF16, shape: [2], bytes: littleEndian16([0x3F80, 0xC0A0]))
        XCTAssertEqual(try brains.floats(), [1, -5])
        let doubles = SafeTensorsEntry(dtype: .F64, shape: [2], bytes: withUnsafeBytes(of: 0.5.bitPattern.littleEndian, Array.init)
            + withUnsafeBytes(of: (-3.0).bitPattern.littleEndian, Array.init))
        XCTAssertEqual(try doubles.floats(), [0.5, -3])
        XCTAssertEqual(try SafeTensorsEntry(dtype: .I16, shape: [2], bytes: littleEndian16([0xFFFF, 0x7FFF])).integers(), [-1, 32767])
        XCTAssertEqual(try SafeTensorsEntry(dtype: .U8, shape: [2], bytes: [0xFF, 7]).integers(), [255, 7])
        XCTAssertEqual(try SafeTensorsEntry(dtype: .I8, shape: [2], bytes: [0xFF, 7]).integers(), [-1, 7])
    }

    func testConversionErrors() {
        let ints = SafeTensorsEntry(int32s: [1], shape: [1])
        XCTAssertThrowsError(try ints.floats()) {
            XCTAssertEqual($0 as? SafeTensorsError, SafeTensorsError(source: "", problem: .unsupportedConversion(from: .I32, to: "Float")))
        }
        XCTAssertThrowsError(try SafeTensorsEntry(floats: [1], shape: [1]).integers()) {
            XCTAssertEqual(($0 as? SafeTensorsError)?.problem, .unsupportedConversion(from: .F32, to: "Int"))
        }
        XCTAssertThrowsError(try SafeTensorsEntry(dtype: .BOOL, shape: [1], bytes: [1]).integers())
        var broken = SafeTensorsEntry(floats: [1, 2], shape: [2])
        broken.bytes.removeLast()
        XCTAssertThrowsError(try broken.floats()) {
            XCTAssertEqual(($0 as? SafeTensorsError)?.problem, .inconsistentEntry(dtype: .F32, shape: [2], byteCount: 7))
            XCTAssertEqual("\($0)", "7 bytes do not match F32 [2]")
        }
    }

    func testMissingTensorNamesTheFile() throws {
        let archive = try SafeTensorsArchive(bytes: SafeTensorsArchive().serialized(), source: "model.safetensors")
        XCTAssertThrowsError(try archive.entry("wte")) {
            XCTAssertEqual($0 as? SafeTensorsError, SafeTensorsError(source: "model.safetensors", problem: .missingTensor("wte")))
            XCTAssertEqual("\($0)", "model.safetensors: no tensor named 'wte'")
        }
        XCTAssertNil(archive["wte"])
    }

    // MARK: Files

    func testWriteIsAtomicAndReplacesAnExistingFile() throws {
        let folder = temporaryFolder()
        let url = folder.appendingPathComponent("model.safetensors")
        try Data("old contents".utf8).write(to: url)

        var archive = SafeTensorsArchive(metadata: ["step": "1"])
        archive["w"] = SafeTensorsEntry(floats: [1, 2, 3], shape: [3])
        try archive.write(to: url)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["model.safetensors"])
        XCTAssertEqual(try [UInt8](Data(contentsOf: url)), archive.serialized())

        archive["w"] = SafeTensorsEntry(floats: [4], shape: [])
        try archive.write(to: url)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["model.safetensors"])
        let reread = try SafeTensorsArchive(contentsOf: url)
        XCTAssertEqual(reread.entries, archive.entries)
        XCTAssertEqual(reread.metadata, ["step": "1"])
        XCTAssertEqual(reread.source, url.path)
    }

    func testWritingIntoAMissingFolderThrowsNamingTheFile() throws {
        let url = temporaryFolder().appendingPathComponent("missing/model.safetensors")
        XCTAssertThrowsError(try SafeTensorsArchive().write(to: url)) { error in
            guard let error = error as? SafeTensorsError, case .writeFailed(let reason) = error.problem else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(error.source, url.path)
            XCTAssertTrue(reason.contains("No such file or directory"), reason)
        }
    }

    func testReadingAMissingFileThrowsNamingIt() throws {
        let url = temporaryFolder().appendingPathComponent("absent.safetensors")
        XCTAssertThrowsError(try SafeTensorsArchive(contentsOf: url)) {
            XCTAssertEqual($0 as? SafeTensorsError, SafeTensorsError(source: url.path, problem: .readFailed("No such file or directory")))
            XCTAssertEqual("\($0)", "\(url.path): cannot read: No such file or directory")
        }
    }

    func testReadingAFileReportsProblemsWithItsPath() throws {
        let url = temporaryFolder().appendingPathComponent("short.safetensors")
        try Data([1, 2, 3]).write(to: url)
        XCTAssertThrowsError(try SafeTensorsArchive(contentsOf: url)) {
            XCTAssertEqual($0 as? SafeTensorsError, SafeTensorsError(source: url.path, problem: .fileTooShort(byteCount: 3)))
        }
    }

    // MARK: Malformed files

    func testFraming() {
        assertProblem([], .fileTooShort(byteCount: 0))
        assertProblem([1, 0, 0, 0, 0, 0, 0], .fileTooShort(byteCount: 7))
        assertProblem(length(200_000_000) + Array("{}".utf8), .headerTooLarge(length: 200_000_000))
        assertProblem(length(.max) + Array("{}".utf8), .headerTooLarge(length: .max))
        assertProblem(length(100) + Array("{}".utf8), .headerPastEnd(length: 100, available: 2))
        assertProblem(length(0), .headerNotJSON("")) { if case .headerNotJSON = $0 { return true } else { return false } }
    }

    func testHeaderMustBeAUTF8JSONObject() {
        assertProblem(encode(headerBytes: [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]), .headerNotUTF8)
        // (Foundation tolerates a trailing comma such as {"a":1,}; that is harmless, so it is not tested.)
        for text in [#"{"a":"#, "{} x", "{'a': 1}", "{}\u{0}", #"{"a" 1}"#] {
            assertProblem(encode(header: text), .headerNotJSON("…")) { if case .headerNotJSON = $0 { return true } else { return false } }
        }
        for text in ["[]", "5", #""text""#, "null", "true"] {
            assertProblem(encode(header: text), .headerNotObject)
        }
    }

    func testDuplicateKeysAreRejected() {
        let entry = #"{"dtype":"U8","shape":[1],"data_offsets":[0,1]}"#
        assertProblem(encode(header: #"{"a":\#(entry),"a":\#(entry)}"#, data: [0]), .duplicateKey("a"))
        assertProblem(encode(header: #"{"a":\#(entry),"\u0061":\#(entry)}"#, data: [0]), .duplicateKey("a"))
        assertProblem(encode(header: #"{"a":{"dtype":"U8","dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, data: [0]),
                      .duplicateKey("dtype"))
        assertProblem(encode(header: #"{"__metadata__":{"k":"1","k":"2"}}"#), .duplicateKey("k"))
        // The same key in different objects is fine, and so are key-like strings among values.
        XCTAssertNoThrow(try SafeTensorsArchive(bytes: encode(
            header: #"{"__metadata__":{"a":"a","dtype":"shape"},"a":\#(entry)}"#, data: [0])))
    }

    func testMetadataMustMapStringsToStrings() {
        assertProblem(encode(header: #"{"__metadata__":5}"#), .metadataNotObject)
        assertProblem(encode(header: #"{"__metadata__":["a","b"]}"#), .metadataNotObject)
        assertProblem(encode(header: #"{"__metadata__":{"k":"v","n":1}}"#), .metadataValueNotString(key: "n"))
        assertProblem(encode(header: #"{"__metadata__":{"t":true}}"#), .metadataValueNotString(key: "t"))
        assertProblem(encode(header: #"{"__metadata__":{"o":{}}}"#), .metadataValueNotString(key: "o"))
    }

    func testEntryFieldsAreChecked() {
        assertProblem(encode(header: #"{"a":5}"#), .entryNotObject(tensor: "a"))
        assertProblem(encode(header: #"{"a":[]}"#), .entryNotObject(tensor: "a"))
        assertProblem(tensorFile(#""shape":[1],"data_offsets":[0,4]"#), .missingField(tensor: "t", field: "dtype"))
        assertProblem(tensorFile(#""dtype":"F32","data_offsets":[0,4]"#), .missingField(tensor: "t", field: "shape"))
        assertProblem(tensorFile(#""dtype":"F32","shape":[1]"#), .missingField(tensor: "t", field: "data_offsets"))
        assertProblem(tensorFile(#""dtype":32,"shape":[1],"data_offsets":[0,4]"#),
                      .invalidField(tensor: "t", field: "dtype", reason: "must be a string"))
        assertProblem(tensorFile(#""dtype":"F8_E4M3","shape":[1],"data_offsets":[0,4]"#), .unknownDType(tensor: "t", dtype: "F8_E4M3"))
        assertProblem(tensorFile(#""dtype":"f32","shape":[1],"data_offsets":[0,4]"#), .unknownDType(tensor: "t", dtype: "f32"))

        let shapes: [(String, String)] = [
            (#""1""#, "must be an array of integers"),
            ("{}", "must be an array of integers"),
            ("null", "must be an array of integers"),
            ("[1,-1]", "element 1 is negative (-1)"),
            ("[2.5]", "element 0 is a floating-point number (2.5)"),
            ("[1.0]", "element 0 is a floating-point number (1.0)"),
            ("[1e2]", "element 0 is a floating-point number (100.0)"),
            ("[true]", "element 0 is a boolean"),
            ("[false]", "element 0 is a boolean"),
            (#"["4"]"#, "element 0 is not a number"),
            ("[null]", "element 0 is not a number"),
            ("[[1]]", "element 0 is not a number"),
            ("[9223372036854775808]", "element 0 is too large"),
            ("[18446744073709551615]", "element 0 is too large"),
            ("[100000000000000000000000000000]", "element 0 is too large"),
        ]
        for (shape, reason) in shapes {
            assertProblem(tensorFile(#""dtype":"F32","shape":\#(shape),"data_offsets":[0,4]"#),
                          .invalidField(tensor: "t", field: "shape", reason: reason))
        }
        // Huge doubles must not reach an Int conversion; the exact spelling of the number is Foundation's.
        assertProblem(tensorFile(#""dtype":"F32","shape":[1e300],"data_offsets":[0,4]"#), .invalidField(tensor: "t", field: "shape", reason: "")) {
            if case .invalidField("t", "shape", let reason) = $0 { return reason.hasPrefix("element 0 is a floating-point number") }
            return false
        }
        assertProblem(tensorFile(#""dtype":"F32","shape":[1e999],"data_offsets":[0,4]"#), .headerNotJSON("")) {
            if case .headerNotJSON = $0 { return true } else { return false }
        }

        let offsets: [(String, String)] = [
            ("[0]", "must be an array of 2 integers"),
            ("[0,4,8]", "must be an array of 2 integers"),
            ("{}", "must be an array of 2 integers"),
            ("[0,true]", "element 1 is a boolean"),
            ("[-4,0]", "element 0 is negative (-4)"),
            ("[0,4.5]", "element 1 is a floating-point number (4.5)"),
            ("[0,1e300]", "element 1 is a floating-point number (1e+300)"),
            ("[0,18446744073709551616]", "element 1 is too large"),
        ]
        for (pair, reason) in offsets {
            assertProblem(tensorFile(#""dtype":"F32","shape":[1],"data_offsets":\#(pair)"#),
                          .invalidField(tensor: "t", field: "data_offsets", reason: reason)) {
                guard case .invalidField("t", "data_offsets", let actual) = $0 else { return false }
                return actual == reason || (reason.hasSuffix("(1e+300)") && actual.hasPrefix("element 1 is a floating-point number"))
            }
        }
    }

    func testShapeAndOffsetsMustAgreeWithTheData() {
        assertProblem(tensorFile(#""dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]"#),
                      .shapeOverflow(tensor: "t", shape: [4_294_967_296, 4_294_967_296]))
        assertProblem(tensorFile(#""dtype":"F32","shape":[9223372036854775807],"data_offsets":[0,4]"#),
                      .shapeOverflow(tensor: "t", shape: [.max]))
        assertProblem(tensorFile(#""dtype":"F32","shape":[1],"data_offsets":[4,0]"#), .invalidOffsets(tensor: "t", begin: 4, end: 0))
        assertProblem(tensorFile(#""dtype":"F32","shape":[2],"data_offsets":[0,8]"#),
                      .offsetsOutOfRange(tensor: "t", begin: 0, end: 8, dataLength: 4))
        assertProblem(tensorFile(#""dtype":"F32","shape":[1],"data_offsets":[0,9223372036854775807]"#),
                      .offsetsOutOfRange(tensor: "t", begin: 0, end: .max, dataLength: 4))
        assertProblem(tensorFile(#""dtype":"F32","shape":[1],"data_offsets":[0,2]"#, data: [0, 0]),
                      .byteCountMismatch(tensor: "t", begin: 0, end: 2, dtype: .F32, shape: [1]))

        let header = #"{"blocks.0.ln_1.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}"#
        XCTAssertThrowsError(try SafeTensorsArchive(bytes: encode(header: header, data: Array(repeating: 0, count: 12)),
                                                    source: "model.safetensors")) {
            XCTAssertEqual("\($0)", "model.safetensors: tensor 'blocks.0.ln_1.weight': data_offsets [0, 12] hold 12 bytes but F32 [2, 2] needs 16")
        }
    }

    func testTensorsMustTileTheDataSection() {
        func u8(_ name: String, _ begin: Int, _ end: Int) -> String {
            #""\#(name)":{"dtype":"U8","shape":[\#(end - begin)],"data_offsets":[\#(begin),\#(end)]}"#
        }
        func file(_ tensors: [String], data: Int) -> [UInt8] {
            encode(header: "{" + tensors.joined(separator: ",") + "}", data: Array(repeating: 7, count: data))
        }
        assertProblem(file([u8("a", 0, 8), u8("b", 4, 12)], data: 12), .overlappingTensors("a", "b"))
        assertProblem(file([u8("b", 0, 8), u8("a", 0, 8)], data: 8), .overlappingTensors("a", "b"))
        assertProblem(file([u8("a", 0, 8), u8("e", 3, 3)], data: 8), .overlappingTensors("a", "e"))
        assertProblem(file([u8("a", 0, 4), u8("b", 6, 10)], data: 10), .uncoveredData(begin: 4, end: 6))
        assertProblem(file([u8("a", 2, 4)], data: 4), .uncoveredData(begin: 0, end: 2))
        assertProblem(file([u8("a", 0, 4)], data: 6), .uncoveredData(begin: 4, end: 6))
        assertProblem(file([], data: 1), .uncoveredData(begin: 0, end: 1))
        // Empty tensors may sit at any boundary, including the very end.
        XCTAssertNoThrow(try SafeTensorsArchive(bytes: file([u8("e0", 0, 0), u8("a", 0, 4), u8("e4", 4, 4), u8("f", 4, 6), u8("e6", 6, 6)], data: 6)))
    }

    // MARK: Fuzzing

    /// Random, mostly plausible headers: each either parses into a consistent archive or throws SafeTensorsError.
    func testFuzzRandomHeaders() {
        var random = Fuzz(seed: 0x5AFE_7E45)
        var parsed = 0
        for _ in 0..<2500 {
            var (header, dataLength) = randomHeader(&random)
            if random.below(4) == 0 { header = mangle(header, &random) }
            if random.below(4) == 0 { dataLength = random.below(48) }
            var headerBytes = Array(header.utf8)
            if random.below(2) == 0 { headerBytes += repeatElement(UInt8(ascii: " "), count: random.below(9)) }
            var bytes = length(UInt64(headerBytes.count)) + headerBytes + (0..<dataLength).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if random.below(10) == 0 { bytes.replaceSubrange(0..<8, with: length(random.next() >> (random.next() % 64))) }
            if checkParsesConsistentlyOrThrows(bytes) { parsed += 1 }
        }
        XCTAssertGreaterThan(parsed, 100, "the generator should also produce valid files")
    }

    /// Random mutations and truncations of a valid file.
    func testFuzzMutatedFiles() {
        var archive = SafeTensorsArchive(metadata: ["format": "pt"])
        archive["a.weight"] = SafeTensorsEntry(floats: (0..<12).map(Float.init), shape: [3, 4])
        archive["b.ids"] = SafeTensorsEntry(int64s: [1, 2], shape: [2])
        archive["c.empty"] = SafeTensorsEntry(int32s: [], shape: [0, 5])
        archive["d.scalar"] = SafeTensorsEntry(int32s: [9], shape: [])
        let valid = archive.serialized()
        let headerEnd = 8 + Int(valid[0]) + Int(valid[1]) << 8
        let alphabet = Array(#"{}[]",:0123456789-.eE ntrufalsIFU_\"#.utf8)

        var random = Fuzz(seed: 42)
        for _ in 0..<2500 {
            var bytes = valid
            for _ in 0...random.below(3) {
                guard !bytes.isEmpty else { break }
                switch random.below(6) {
                case 0: bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
                case 1: bytes.removeLast(random.below(bytes.count) + 1)
                case 2 where min(bytes.count, headerEnd) > 8:
                    bytes[8 + random.below(min(bytes.count, headerEnd) - 8)] = alphabet[random.below(alphabet.count)]
                case 3: bytes.insert(alphabet[random.below(alphabet.count)], at: random.below(bytes.count + 1))
                case 4: bytes.remove(at: random.below(bytes.count))
                default: bytes[random.below(min(8, bytes.count))] &+= UInt8(truncatingIfNeeded: random.below(17)) &- 8
                }
            }
            checkParsesConsistentlyOrThrows(bytes)
        }
    }

    // MARK: Helpers

    private func assertProblem(_ bytes: [UInt8], _ expected: Problem, matches: ((Problem) -> Bool)? = nil,
                               file: StaticString = #filePath, line: UInt = #line) {
        do {
            let archive = try SafeTensorsArchive(bytes: bytes, source: "test.safetensors")
            XCTFail("expected \(expected), parsed \(archive.entries.keys.sorted())", file: file, line: line)
        } catch let error as SafeTensorsError {
            XCTAssertEqual(error.source, "test.safetensors", file: file, line: line)
            XCTAssertTrue(error.description.hasPrefix("test.safetensors: "), file: file, line: line)
            if let matches {
                XCTAssertTrue(matches(error.problem), "\(error)", file: file, line: line)
            } else {
                XCTAssertEqual(error.problem, expected, "\(error)", file: file, line: line)
            }
        } catch {
            XCTFail("not a SafeTensorsError: \(error)", file: file, line: line)
        }
    }

    /// A file holding one tensor "t" with the given JSON fields and, by default, 4 data bytes.
    private func tensorFile(_ fields: String, data: [UInt8] = [0, 0, 0, 0]) -> [UInt8] {
        encode(header: #"{"t":{\#(fields)}}"#, data: data)
    }

    /// Parses `bytes`; returns whether it parsed, after checking that a parsed archive is self-consistent
    /// and re-encodes to an equal archive, and that any error is a SafeTensorsError.
    @discardableResult
    private func checkParsesConsistentlyOrThrows(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> Bool {
        do {
            let archive = try SafeTensorsArchive(bytes: bytes)
            var total = 0
            for (name, entry) in archive.entries {
                let elements = entry.shape.reduce(1) { $0 * $1 }
                XCTAssertEqual(entry.bytes.count, elements * entry.dtype.byteSize, name, file: file, line: line)
                total += entry.bytes.count
                switch entry.dtype {
                case .F64, .F32, .F16, .BF16: XCTAssertEqual(try entry.floats().count, elements, file: file, line: line)
                case .BOOL: break
                default: XCTAssertEqual(try entry.integers().count, elements, file: file, line: line)
                }
            }
            XCTAssertLessThanOrEqual(total, bytes.count, file: file, line: line)
            let again = try SafeTensorsArchive(bytes: archive.serialized())
            XCTAssertEqual(again.entries, archive.entries, file: file, line: line)
            XCTAssertEqual(again.metadata, archive.metadata, file: file, line: line)
            return true
        } catch is SafeTensorsError {
            return false
        } catch {
            XCTFail("not a SafeTensorsError: \(error)", file: file, line: line)
            return false
        }
    }

}

// Helpers live in an extension so their names cannot collide with other test files.
extension SafeTensorsTests {
    // MARK: - Building files by hand

    private func length(_ value: UInt64) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian, Array.init)
    }

    /// Header length, header, data: no padding, so tests control every byte.
    private func encode(headerBytes: [UInt8], data: [UInt8] = []) -> [UInt8] {
        length(UInt64(headerBytes.count)) + headerBytes + data
    }

    private func encode(header: String, data: [UInt8] = []) -> [UInt8] {
        encode(headerBytes: Array(header.utf8), data: data)
    }

    private func hexBytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16)! }
    }

    private func littleEndian16(_ values: [UInt16]) -> [UInt8] {
        values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
    }

    // MARK: - Fuzz input

    /// Fuzz draws come from TensorKit's own seeded generator, so failures reproduce.
    private typealias Fuzz = RandomGenerator

    /// A header laid out like a real one (consecutive offsets) with, now and then, a wrong or hostile token.
    /// Returns the header and the data length its offsets (if left intact) cover.
    private func randomHeader(_ random: inout Fuzz) -> (String, Int) {
        let dtypes = ["F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL"]
        let hostile = ["-1", "2.5", "1.0", "1e2", "1e300", "-0", "true", "false", "null", #""3""#, "[]", "{}",
                       "9223372036854775807", "18446744073709551615", "18446744073709551616", "4294967296", "3"]
        var members: [String] = []
        var offset = 0
        for index in 0..<random.below(5) {
            let dtype = random.below(12) == 0 ? random.pick(["U16", "X", "f32", ""]) : random.pick(dtypes)
            let byteSize = [8, 4, 2, 2, 8, 4, 2, 1, 1, 1][dtypes.firstIndex(of: dtype) ?? 0]
            let shape = (0..<random.below(4)).map { _ in random.below(4) }
            let size = shape.reduce(byteSize, *)
            var shapeText = "[" + shape.map(String.init).joined(separator: ",") + "]"
            var offsetsText = "[\(offset),\(offset + size)]"
            offset += size
            switch random.below(10) {
            case 0: shapeText = "[" + (shape.map(String.init) + [random.pick(hostile)]).joined(separator: ",") + "]"
            case 1: offsetsText = "[\(random.pick(hostile)),\(offset)]"
            case 2: offsetsText = "[\(random.below(40)),\(random.below(40))]"
            case 3: shapeText = random.pick(hostile)
            default: break
            }
            var fields = [#""dtype":"\#(dtype)""#, #""shape":\#(shapeText)"#, #""data_offsets":\#(offsetsText)"#]
            if random.below(15) == 0 { fields.remove(at: random.below(fields.count)) }
            if random.below(15) == 0 { fields.append(#""extra":\#(random.pick(hostile))"#) }
            let name = random.below(15) == 0 ? random.pick(["t0", #"\u0074\u0030"#, "__metadata__"]) : "t\(index)"
            members.append(#""\#(name)":{"# + fields.joined(separator: ",") + "}")
        }
        if random.below(4) == 0 {
            members.insert(random.pick([#""__metadata__":{"k":"v"}"#, #""__metadata__":{"k":1}"#, #""__metadata__":null"#,
                                        #""__metadata__":[]"#, #""__metadata__":{}"#]), at: 0)
        }
        return ("{" + members.joined(separator: ",") + "}", offset)
    }

    /// Deletes, duplicates or replaces one character of `text`.
    private func mangle(_ text: String, _ random: inout Fuzz) -> String {
        var characters = Array(text)
        guard !characters.isEmpty else { return text }
        let index = random.below(characters.count)
        switch random.below(3) {
        case 0: characters.remove(at: index)
        case 1: characters.insert(characters[index], at: index)
        default: characters[index] = random.pick(Array(#"{}[]",:0123456789-.e \"#))
        }
        return String(characters)
    }
}

private extension RandomGenerator {
    mutating func below(_ bound: Int) -> Int { nextInt(below: bound) }
    mutating func pick<T>(_ choices: [T]) -> T { choices[nextInt(below: choices.count)] }
}
