/// Draws examples until `count` of them have distinct inputs, for tasks whose inputs are sampled
/// from a space too large to enumerate. A draw may be refused (`nil`: the candidate lacks a
/// property the task promises); repeats are skipped. Drawing stops with `notEnoughFacts` after
/// `maxDraws` draws, so parameters that admit too few distinct inputs fail instead of looping.
struct DistinctDraws {
    private(set) var seen = Set<[Int32]>()

    /// `count` examples with inputs new to this drawer (and to every earlier call on it), in the order drawn.
    mutating func draw(_ count: Int, what: String, maxDraws: Int, rng: inout SeededGenerator,
                       _ candidate: (inout SeededGenerator) -> Example?) throws -> [Example] {
        var result: [Example] = []
        result.reserveCapacity(count)
        var draws = 0
        while result.count < count {
            guard draws < maxDraws else {
                throw KnowledgeGraphError.notEnoughFacts(
                    what: what, requested: count,
                    available: "\(result.count) distinct were found in \(draws) draws; more do not seem to")
            }
            draws += 1
            guard let example = candidate(&rng) else { continue }
            if seen.insert(example.inputIDs).inserted { result.append(example) }
        }
        return result
    }

    /// A draw budget generous enough that only parameters with too few distinct inputs exhaust it.
    static func budget(for count: Int) -> Int { 50 * count + 10_000 }
}
