import Foundation
import TensorKit
import RecurrentDepth

/// Greedy decoding with and without the per-call key-value cache (`--generation`): a d 128,
/// 2-layer model (4 heads, learned positions, input injection, vocabulary 220) at r 4, prompts
/// of 16 tokens, 32 new tokens each (no stop token, so every run makes all 32). Prints tokens/s for
/// each way and the cache's speed-up, at batch 1 and at `batch` prompts decoded together.
func generationBenchmark(seconds: Double, repeats: Int, threads: Int, batch: Int) throws {
    let (promptLength, newTokens, r) = (16, 32, 4)
    var generator = RandomGenerator(seed: 0)
    let config = ModelConfig(vocabSize: 220, embeddingSize: 128, layers: 2, heads: 4, positions: 64,
                             positionalEmbedding: .learned, inputInjection: true, recurrence: r)
    let model = try RecurrentGPT2(config: config, generator: &generator)
    let prompts = (0..<batch).map { _ in (0..<promptLength).map { _ in Int32(1 + generator.nextInt(below: 219)) } }

    print("greedy generation: d 128, 2 layers, 4 heads, r \(r), prompt \(promptLength) tokens, \(newTokens) new tokens per prompt, "
          + "\(threads) threads, best of \(repeats) measurements of \(seconds) s")
    print("")
    print("| prompts decoded together | KV cache | ms per generation | tokens/s | speed-up |")
    print("|---:|---|---:|---:|---:|")
    for count in Set([1, batch]).sorted() {
        var uncached: Double?
        for cache in [false, true] {
            let options = GenerationOptions(recurrence: r, maxNewTokens: newTokens, usesCache: cache)
            let batchPrompts = Array(prompts.prefix(count))
            // Warm-up: the buffer pool fills and the thread pool starts.
            for _ in 0..<2 { _ = try model.generate(batchPrompts, options: options) }
            var fastest = Double.infinity
            for _ in 0..<repeats {
                var runs = 0
                let start = Date()
                while Date().timeIntervalSince(start) < seconds {
                    let generated = try model.generate(batchPrompts, options: options)
                    precondition(generated.allSatisfy { $0.tokens.count == newTokens })
                    runs += 1
                }
                fastest = min(fastest, Date().timeIntervalSince(start) * 1000 / Double(runs))
            }
            let tokensPerSecond = Double(count * newTokens) / (fastest / 1000)
            if !cache { uncached = fastest }
            let speedUp = cache ? uncached.map { String(format: "%.2f×", $0 / fastest) } ?? "—" : "1×"
            print("| \(count) | \(cache ? "per layer call" : "none (re-run the sequence)") | \(String(format: "%.2f", fastest)) "
                  + "| \(String(format: "%.0f", tokensPerSecond)) | \(speedUp) |")
        }
    }
}
