import XCTest
import TensorKit
@testable import RecurrentDepth
import FixtureSupport

/// Greedy decoding (`Generation.swift`): decoding with a key-value cache per layer call gives what
/// re-running the forward pass on the grown sequence gives, for every position kind, with and
/// without input injection, one prompt or several; a cache shared across recurrence steps does not.
final class GenerationTests: XCTestCase {
    func model(_ positional: PositionalEmbedding, injection: Bool, d: Int = 32, heads: Int = 2, positions: Int = 24,
               cScale: Float = 1, seed: UInt64 = 3) throws -> RecurrentGPT2 {
        var generator = RandomGenerator(seed: seed)
        let config = ModelConfig(vocabSize: 23, embeddingSize: d, layers: 2, heads: heads, positions: positions,
                                 positionalEmbedding: positional, inputInjection: injection, recurrence: 3, cScale: cScale)
        let model = try RecurrentGPT2(config: config, generator: &generator)
        // At the initial N(0, 0.02) the blocks barely move the N(0, 1) embeddings, so every step's
        // keys look alike and a wrong cache would hardly show; weights 10× larger make each step
        // (and each call's keys and values) differ.
        for (name, p) in model.namedParameters where name.hasPrefix("blocks.") && name.hasSuffix(".weight") && !name.contains("ln_") {
            for i in 0..<p.count { p.pointer[i] *= 10 }
        }
        return model
    }

    /// Prompts of the given lengths, token ids 1…22.
    func prompts(_ lengths: [Int], seed: UInt64 = 11) -> [[Int32]] {
        var generator = RandomGenerator(seed: seed)
        return lengths.map { n in (0..<n).map { _ in Int32(1 + generator.nextInt(below: 22)) } }
    }

    func options(r: Int, tokens: Int, cache: Bool, stop: Int32? = nil) -> GenerationOptions {
        GenerationOptions(recurrence: r, maxNewTokens: tokens, stopToken: stop, usesCache: cache, recordsLogits: true)
    }

    /// Same tokens, same stop, logits within 1e-5 at every step.
    func assertSameGeneration(_ a: [GeneratedSequence], _ b: [GeneratedSequence], _ what: String,
                              file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x.tokens, y.tokens, "\(what): tokens", file: file, line: line)
            XCTAssertEqual(x.stopped, y.stopped, "\(what): stop", file: file, line: line)
            XCTAssertEqual(x.logits.count, y.logits.count, "\(what): steps", file: file, line: line)
            for (step, (u, v)) in zip(x.logits, y.logits).enumerated() {
                assertClose(u, v, rtol: 1e-5, atol: 1e-5, "\(what): logits of step \(step)", file: file, line: line)
            }
        }
    }

    func testCachedDecodingMatchesRerunningTheForwardPass() throws {
        for positional in PositionalEmbedding.allCases {
            for injection in [false, true] {
                let model = try model(positional, injection: injection)
                for r in [1, 3] {
                    let what = "\(positional), injection \(injection), r \(r)"
                    let batch = prompts([5, 2, 7])
                    let cached = try model.generate(batch, options: options(r: r, tokens: 8, cache: true))
                    let uncached = try model.generate(batch, options: options(r: r, tokens: 8, cache: false))
                    assertSameGeneration(cached, uncached, what)
                    XCTAssertEqual(cached.map(\.tokens.count), [8, 8, 8], what)
                    // Every step's logits are the forward pass's at the sequence's last position.
                    let sequence = batch[1] + cached[1].tokens.dropLast()
                    let input = RecurrentGPT2.rightPadded([sequence])
                    let forward = try withoutGrad { try model.monitoredLogits(input, recurrence: r) }
                    assertClose(cached[1].logits.last!, forward.scalars, rtol: 1e-5, atol: 1e-5, "\(what): last step")
                }
            }
        }
    }

    func testOtherWidthsScalesAndDepthsDecodeTheSame() throws {
        // Heads of 6 (no full 8-lane block in the cache's dot products) and 16, c_scale below 1
        // and 0 (blocks start as the identity), and a deeper recurrence.
        let cases: [(d: Int, heads: Int, cScale: Float, r: Int)] = [(12, 2, 1, 2), (32, 2, 0.5, 5), (16, 4, 0, 3)]
        for c in cases {
            let model = try model(.learned, injection: true, d: c.d, heads: c.heads, cScale: c.cScale)
            let batch = prompts([4, 6])
            assertSameGeneration(try model.generate(batch, options: options(r: c.r, tokens: 6, cache: true)),
                                 try model.generate(batch, options: options(r: c.r, tokens: 6, cache: false)), "\(c)")
        }
    }

    func testTheFirstTokensLogitsAreTheForwardPassAtThePromptsLastPosition() throws {
        for positional in PositionalEmbedding.allCases {
            let model = try model(positional, injection: true)
            let prompt = prompts([6])[0]
            let generated = try model.generate(prompt, options: options(r: 3, tokens: 3, cache: true))
            let input = ModelInput(ids: IDTensor(shape: [1, 6], ids: prompt), mask: Tensor.ones([1, 6]), positions: [5])
            let forward = try withoutGrad { try model.monitoredLogits(input, recurrence: 3) }
            assertClose(generated.logits[0], forward.scalars, rtol: 1e-6, atol: 1e-6, "\(positional)")
            // And through the observed full pass (`run`), read at the last position.
            let full = try withoutGrad { try model.run(input, recurrence: 3) }
            assertClose(generated.logits[0], model.readout(model.rows(of: full.hidden!, at: [5])).scalars,
                        rtol: 1e-6, atol: 1e-6, "\(positional): run")
            XCTAssertEqual(generated.tokens[0], Int32(forward.argmax(axis: -1).ids[0]), "\(positional)")
        }
    }

    func testACacheSharedAcrossRecurrenceStepsIsNotTheForwardPass() throws {
        let model = try model(.learned, injection: true)
        let batch = prompts([5, 3])
        for r in [1, 2, 4] {
            let forward = try model.generate(batch, options: options(r: r, tokens: 5, cache: false))
            let perCall = try model.generate(batch, options: options(r: r, tokens: 5, cache: true), cacheLayout: .perCall)
            let shared = try model.generate(batch, options: options(r: r, tokens: 5, cache: true), cacheLayout: .sharedAcrossSteps)
            assertSameGeneration(perCall, forward, "per call, r \(r)")
            // The first token comes from the prompt pass, before any cached key is read.
            for (s, f) in zip(shared, forward) { assertClose(s.logits[0], f.logits[0], rtol: 1e-5, atol: 1e-5, "shared, first token") }
            if r == 1 {
                XCTAssertEqual(shared, perCall, "at r 1 there is one call per layer: both layouts are the same")
                continue
            }
            // From the second token on, the shared cache feeds step t the earlier tokens' keys of step r − 1.
            let largest = zip(shared, forward).map { s, f in
                zip(s.logits[1], f.logits[1]).map { abs($0 - $1) }.max()!
            }.max()!
            XCTAssertGreaterThan(largest, 0.05, "r \(r): a cache shared across steps must change the second token's logits")
        }
    }

    func testSeveralPromptsDecodeAsEachAlone() throws {
        let model = try model(.sinusoidal, injection: true)
        let batch = prompts([3, 8, 1, 5], seed: 4)
        for cache in [true, false] {
            let together = try model.generate(batch, options: options(r: 2, tokens: 6, cache: cache))
            let alone = try batch.map { try model.generate($0, options: options(r: 2, tokens: 6, cache: cache)) }
            assertSameGeneration(together, alone, "cache \(cache)")
            XCTAssertEqual(together.map(\.prompt), batch)
        }
    }

    func testGenerationEndsAtTheStopTokenAndTheOthersGoOn() throws {
        let model = try model(.none, injection: false)
        let batch = prompts([4, 6])
        let free = try model.generate(batch, options: options(r: 2, tokens: 8, cache: true))
        // Stop at prompt 0's third token (its first appearance there).
        let stop = free[0].tokens[2]
        let first = free[0].tokens.firstIndex(of: stop)!
        for cache in [true, false] {
            let stopped = try model.generate(batch, options: options(r: 2, tokens: 8, cache: cache, stop: stop))
            XCTAssertEqual(stopped[0].tokens, Array(free[0].tokens[...first]), "cache \(cache)")
            XCTAssertTrue(stopped[0].stopped)
            XCTAssertEqual(stopped[0].answer, Array(free[0].tokens[..<first]))
            XCTAssertEqual(stopped[0].margins.count, first + 1)
            let other = free[1].tokens.firstIndex(of: stop).map { Array(free[1].tokens[...$0]) } ?? free[1].tokens
            XCTAssertEqual(stopped[1].tokens, other, "prompt 1 runs on until its own stop or the limit")
            XCTAssertEqual(stopped[1].stopped, free[1].tokens.contains(stop))
        }
        // Margins are the chosen logit over the next best.
        let row = free[0].logits[0], chosen = Int(free[0].tokens[0])
        XCTAssertEqual(free[0].margins[0], row[chosen] - row.enumerated().filter { $0.offset != chosen }.map(\.element).max()!)
        XCTAssertTrue(free.allSatisfy { $0.margins.allSatisfy { $0 >= 0 } })
        // Logits are kept only when asked.
        var quiet = options(r: 2, tokens: 3, cache: true)
        quiet.recordsLogits = false
        XCTAssertEqual(try model.generate(batch[0], options: quiet).logits.count, 0)
    }

    func testPositionTablesBoundTheSequenceAndNoPositionsDoNot() throws {
        for positional in [PositionalEmbedding.learned, .sinusoidal] {
            let model = try model(positional, injection: false, positions: 12)
            let prompt = prompts([10])[0]
            // 10 prompt tokens + 3 new ones read 12 positions (the last token is not fed back).
            XCTAssertEqual(try model.generate(prompt, options: options(r: 2, tokens: 3, cache: true)).tokens.count, 3)
            for cache in [true, false] {
                XCTAssertThrowsError(try model.generate(prompt, options: options(r: 2, tokens: 4, cache: cache))) { error in
                    let message = "\(error)"
                    XCTAssertTrue(message.contains("n_positions 12") && message.contains("at most 3 new tokens") && message.contains(positional.rawValue),
                                  message)
                }
            }
            XCTAssertThrowsError(try model.generate(prompts([13])[0], options: options(r: 2, tokens: 1, cache: true))) { error in
                XCTAssertTrue("\(error)".contains("prompt 0 has 13 tokens"), "\(error)")
            }
        }
        // Without positions the sequence may run past n_positions, and both paths still agree.
        let model = try model(.none, injection: true, positions: 12)
        let prompt = prompts([10])[0]
        assertSameGeneration([try model.generate(prompt, options: options(r: 3, tokens: 9, cache: true))],
                             [try model.generate(prompt, options: options(r: 3, tokens: 9, cache: false))], "none past n_positions")
    }

    func testBadRequestsAreErrors() throws {
        let model = try model(.learned, injection: false)
        func message(_ prompts: [[Int32]], _ options: GenerationOptions) -> String {
            do { _ = try model.generate(prompts, options: options); return "no error" } catch { return "\(error)" }
        }
        let good = options(r: 2, tokens: 2, cache: true)
        XCTAssertTrue(message([], good).contains("no prompt"))
        XCTAssertTrue(message([[1, 2], []], good).contains("prompt 1 is empty"))
        XCTAssertTrue(message([[1, 23]], good).contains("token id 23 of prompt 0"))
        XCTAssertTrue(message([[1]], options(r: 2, tokens: 2, cache: true, stop: 40)).contains("stop token 40"))
        XCTAssertTrue(message([[1]], options(r: 0, tokens: 2, cache: true)).contains("recurrence must be at least 1"))
        XCTAssertTrue(message([[1]], options(r: 1, tokens: 0, cache: true)).contains("max new tokens"))
    }
}
