import FixtureSupport
import Foundation
import KnowledgeGraph
import RecurrentDepth
import TensorKit
import XCTest

/// An events-file reader written from the format's description, sharing no code with the writer:
/// a bit-at-a-time CRC-32C, the TFRecord framing checked record by record, and a protobuf walk
/// of `Event` (wall_time 1, step 2, file_version 3, summary 5, session_log 6), `Summary.Value`
/// (tag 1, simple_value 2) and `SessionLog` (status 1).
enum EventFileReader {
    struct Event: Equatable {
        var wallTime = 0.0
        var step: Int64 = 0
        var fileVersion: String?
        var sessionStatus: Int?
        var values: [(tag: String, value: Float)] = []
        static func == (a: Event, b: Event) -> Bool {
            a.step == b.step && a.fileVersion == b.fileVersion && a.sessionStatus == b.sessionStatus
                && a.values.map(\.tag) == b.values.map(\.tag) && a.values.map(\.value) == b.values.map(\.value)
        }
    }

    struct Malformed: Error, CustomStringConvertible { var description: String }

    static func crc32c(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = ~0
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0x82F6_3B78 & (0 &- (crc & 1))) }
        }
        return ~crc
    }

    static func masked(_ crc: UInt32) -> UInt32 { ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8 }

    static func read(_ url: URL) throws -> [Event] {
        let bytes = [UInt8](try Data(contentsOf: url))
        var events: [Event] = [], at = 0
        func le(_ range: Range<Int>) -> UInt64 { range.reversed().reduce(0) { $0 << 8 | UInt64(bytes[$1]) } }
        while at < bytes.count {
            guard at + 12 <= bytes.count else { throw Malformed(description: "torn header at byte \(at)") }
            let length = Int(le(at..<at + 8))
            guard masked(crc32c(bytes[at..<at + 8])) == UInt32(le(at + 8..<at + 12)) else { throw Malformed(description: "length CRC at \(at)") }
            let data = Array(bytes[at + 12..<at + 12 + length])
            guard masked(crc32c(data)) == UInt32(le(at + 12 + length..<at + 16 + length)) else { throw Malformed(description: "data CRC at \(at)") }
            events.append(try event(data))
            at += 16 + length
        }
        return events
    }

    /// (field number, wire type, varint or the fixed/length-delimited bytes) of each field.
    static func fields(_ bytes: [UInt8]) throws -> [(Int, Int, UInt64, [UInt8])] {
        var i = 0, out: [(Int, Int, UInt64, [UInt8])] = []
        func varint() throws -> UInt64 {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < bytes.count else { throw Malformed(description: "varint runs past the end") }
                let b = bytes[i]; i += 1
                value |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { return value }
                shift += 7
            }
        }
        while i < bytes.count {
            let key = try varint(), wire = Int(key & 7)
            switch wire {
            case 0: out.append((Int(key >> 3), wire, try varint(), []))
            case 1, 5:
                let n = wire == 1 ? 8 : 4
                out.append((Int(key >> 3), wire, 0, Array(bytes[i..<i + n]))); i += n
            case 2:
                let n = Int(try varint())
                out.append((Int(key >> 3), wire, 0, Array(bytes[i..<i + n]))); i += n
            default: throw Malformed(description: "wire type \(wire)")
            }
        }
        return out
    }

    static func event(_ bytes: [UInt8]) throws -> Event {
        func fixed(_ b: [UInt8]) -> UInt64 { b.reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        var e = Event()
        for (number, _, varint, data) in try fields(bytes) {
            switch number {
            case 1: e.wallTime = Double(bitPattern: fixed(data))
            case 2: e.step = Int64(bitPattern: varint)
            case 3: e.fileVersion = String(decoding: data, as: UTF8.self)
            case 5:
                for (_, _, _, value) in try fields(data) {
                    var tag = "", number: Float = .nan
                    for (n, _, _, d) in try fields(value) {
                        if n == 1 { tag = String(decoding: d, as: UTF8.self) }
                        if n == 2 { number = Float(bitPattern: UInt32(fixed(d))) }
                    }
                    e.values.append((tag, number))
                }
            case 6: e.sessionStatus = try fields(data).first { $0.0 == 1 }.map { Int($0.2) }
            default: break
            }
        }
        return e
    }
}

final class TensorBoardEventFileTests: XCTestCase {
    /// RFC 3720 (iSCSI), appendix B.4: CRC-32C of 32 zeros, 32 × 0xFF, 0...31, 31...0, and of a
    /// read command PDU; and the usual check value of "123456789".
    func testCRC32CMatchesTheRFC3720Vectors() {
        let pdu: [UInt8] = [0x01, 0xC0, 0, 0] + [UInt8](repeating: 0, count: 12) + [0x14, 0, 0, 0, 0, 0, 0x04, 0, 0, 0, 0, 0x14,
                                                                                  0, 0, 0, 0x18, 0x28, 0, 0, 0] + [UInt8](repeating: 0, count: 4)
            + [0x02, 0, 0, 0] + [UInt8](repeating: 0, count: 4)
        let vectors: [([UInt8], UInt32)] = [
            ([UInt8](repeating: 0, count: 32), 0x8A91_36AA), ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
            ((0..<32).map(UInt8.init), 0x46DD_794E), ((0..<32).reversed().map(UInt8.init), 0x113F_DB5C),
            (pdu, 0xD996_3A56), (Array("123456789".utf8), 0xE306_9283),
        ]
        XCTAssertEqual(pdu.count, 48)
        for (bytes, expected) in vectors {
            XCTAssertEqual(CRC32C.checksum(bytes), expected, "writer's CRC of \(bytes.prefix(4))…")
            XCTAssertEqual(EventFileReader.crc32c(bytes), expected, "test reader's CRC of \(bytes.prefix(4))…")
            XCTAssertEqual(CRC32C.masked(bytes), EventFileReader.masked(expected))
        }
    }

    /// The file opens with the version event and the restart mark; each record is one event at its
    /// step holding every number of the record under its tag (as a 32-bit float).
    func testEventsHoldEveryNumberOfTheRecords() throws {
        let folder = temporaryFolder()
        let file = try TensorBoardEventFile(in: folder, firstStep: 10, now: Date(timeIntervalSince1970: 1_700_000_000))
        func record(_ json: String) throws -> MetricsRecord { try JSONDecoder().decode(MetricsRecord.self, from: Data(json.utf8)) }
        let train = try record(#"{"kind": "train", "step": 10, "epoch": 1, "stage": 2, "loss": 2.5, "lr": 0.001, "r": 3.5, "elapsed": 4.25}"#)
        let eval = try record(#"""
            {"kind": "eval", "step": 12, "epoch": 1, "stage": 2, "lr": 0.002, "accuracy": {"2hop_test": 0.75, "atomic": 1},
             "count": {"2hop_test": 4, "atomic": 9}, "iterations": {"2hop_test": 4, "atomic": 4}, "split": "test_small",
             "evaluator": "fixed(4)", "elapsed": 5}
            """#)
        try file.append(train, wallTime: Date(timeIntervalSince1970: 1_700_000_001))
        try file.append(eval)
        XCTAssertTrue(file.url.lastPathComponent.hasPrefix("events.out.tfevents.1700000000."), file.url.lastPathComponent)
        let events = try EventFileReader.read(file.url)
        XCTAssertEqual(events.count, 4)
        XCTAssertEqual(events[0].fileVersion, "brain.Event:2")
        XCTAssertEqual(events[0].wallTime, 1_700_000_000)
        XCTAssertEqual(events[1].sessionStatus, 1, "SessionLog START")
        XCTAssertEqual(events[1].step, 10)
        XCTAssertEqual(events[2].step, 10)
        XCTAssertEqual(events[2].wallTime, 1_700_000_001)
        XCTAssertEqual(events[2].values.map(\.tag), ["train/loss", "train/lr", "train/r", "train/epoch", "train/elapsed", "train/stage"])
        XCTAssertEqual(events[2].values.map(\.value), [2.5, 1e-3, 3.5, 1, 4.25, 2])
        XCTAssertEqual(events[3].step, 12)
        let byTag = Dictionary(uniqueKeysWithValues: events[3].values.map { ($0.tag, $0.value) })
        XCTAssertEqual(byTag["eval/test_small/2hop_test/accuracy"], 0.75)
        XCTAssertEqual(byTag["eval/test_small/atomic/count"], 9)
        XCTAssertEqual(byTag["eval/test_small/2hop_test/iterations"], 4)
        XCTAssertEqual(byTag["eval/test_small/lr"], 2e-3)
        XCTAssertEqual(byTag.count, 9)
    }

    /// A later file sorts after the earlier ones even when the clock says otherwise.
    func testANewFileSortsLast() throws {
        let folder = temporaryFolder()
        let first = try TensorBoardEventFile(in: folder, firstStep: 1, now: Date(timeIntervalSince1970: 1_700_000_000))
        let second = try TensorBoardEventFile(in: folder, firstStep: 1, now: Date(timeIntervalSince1970: 1_600_000_000))
        XCTAssertEqual(try TensorBoardEventFile.files(in: folder).map(\.lastPathComponent),
                       [first.url.lastPathComponent, second.url.lastPathComponent])
        XCTAssertNotEqual(first.url, second.url)
    }

    /// A run resumed from a checkpoint before its last records redoes those steps: its events, read
    /// file after file, hold every (tag, step) once, in order, with the values of `metrics.jsonl`.
    func testAResumedRunHasEachStepOnceInOrder() throws {
        let folder = temporaryFolder().appendingPathComponent("data")
        _ = try DepthExtrapolationGenerator(parameters: .init(entities: 12, relations: 3, minHops: 2, maxHops: 2, trainChainsPerHop: 50,
                                                              testChainsPerHop: 10, atomicSampleInTest: 36, trainSampleInTest: 50,
                                                              smallTestPerType: 2, seed: 5)).write(to: folder)
        let data = try Dataset.load(from: folder)
        var config = TrainingConfig()
        config.batchSize = 16
        config.padding = .fixed(6)
        config.logEverySteps = 2
        config.checkpointEveryEpochs = 1
        config.maxSteps = 30
        var generator = RandomGenerator(seed: 3)
        let model = try RecurrentGPT2(config: ModelConfig(vocabSize: data.vocabulary.count, embeddingSize: 32, layers: 1, heads: 4,
                                                          positions: 8, recurrence: 2), generator: &generator)
        let run = temporaryFolder()
        _ = try Trainer(model: model, dataset: data, config: config, schedule: FixedRecurrence(2), runFolder: run).run()
        let epoch1 = run.appendingPathComponent("checkpoints/epoch-1")
        let resumedFrom = try JSONDecoder().decode(TrainerState.self, from: Data(contentsOf: epoch1.appendingPathComponent(Trainer.stateFile))).step
        XCTAssertLessThan(resumedFrom, 28, "the first run logged steps after the checkpoint it resumes from")
        _ = try Trainer(resumingFrom: epoch1, dataset: data, config: config, schedule: FixedRecurrence(2), runFolder: run).run()

        let log = try Data(contentsOf: run.appendingPathComponent(Trainer.metricsFile)).split(separator: UInt8(ascii: "\n"))
            .map { try JSONDecoder().decode(MetricsRecord.self, from: Data($0)) }
        let firstRedone = try XCTUnwrap(log.map(\.step).first { $0 > resumedFrom })
        let files = try TensorBoardEventFile.files(in: run)
        XCTAssertEqual(files.count, 2)
        var seen: [String: [Int64]] = [:], values: [String: Float] = [:]
        for (index, file) in files.enumerated() {
            let events = try EventFileReader.read(file)
            XCTAssertEqual(events.first?.fileVersion, "brain.Event:2")
            XCTAssertEqual(events.dropFirst().first?.sessionStatus, 1)
            if index == 1 { XCTAssertEqual(events[1].step, Int64(firstRedone), "restart mark at the first redone record") }
            for event in events {
                for (tag, value) in event.values {
                    seen[tag, default: []].append(event.step)
                    values["\(tag)@\(event.step)"] = value
                }
            }
        }
        for (tag, steps) in seen { XCTAssertEqual(steps, steps.sorted().reduce(into: []) { if $0.last != $1 { $0.append($1) } }, "\(tag): \(steps)") }
        let expected = log.flatMap { $0.scalars() }
        XCTAssertEqual(seen.values.map(\.count).reduce(0, +) - (seen["train/stage"]?.count ?? 0), expected.count)
        for scalar in expected { XCTAssertEqual(values["\(scalar.tag)@\(scalar.step)"], Float(scalar.value), "\(scalar.tag) at \(scalar.step)") }
    }
}
