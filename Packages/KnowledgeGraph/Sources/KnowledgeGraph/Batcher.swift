/// Cuts examples into padded batches, in order (evaluation) or shuffled per epoch (training).
/// The last, partial batch of an epoch is kept.
///
/// A row holds an example's input and, when the answer has several tokens, the answer but its
/// last token (teacher forcing); `targets` says which tokens its last positions predict.
///
/// Rows longer than a fixed `max_len` are rejected when the batcher is made, naming the item;
/// the reference's batching silently cut them. With `truncate: true` the first `max_len` tokens
/// of a one-token answer's input are kept (the label is unaffected: it is not part of the input);
/// a row holding answer tokens is never cut.
public struct Batcher: Sendable {
    public let examples: [Example]
    public let batchSize: Int
    public let padding: Padding
    public let truncate: Bool
    public let targets: Targets

    public var batchesPerEpoch: Int { (examples.count + batchSize - 1) / batchSize }

    public init(examples: [Example], batchSize: Int, padding: Padding, truncate: Bool = false, targets: Targets = .answer,
                splitName: String? = nil) throws {
        guard batchSize >= 1 else { throw KnowledgeGraphError.invalidParameter("batch_size", reason: "must be at least 1 (got \(batchSize))") }
        guard !examples.isEmpty else { throw KnowledgeGraphError.emptySplit(splitName ?? "(examples given to the batcher)") }
        if case .fixed(let maxLength) = padding {
            guard maxLength >= 1 else { throw KnowledgeGraphError.invalidParameter("max_len", reason: "must be at least 1 (got \(maxLength))") }
            // A row that may be cut: a one-token answer's input, predicting the answer alone.
            let cuttable = { (e: Example) in truncate && e.answer.count == 1 && targets == .answer }
            if let item = examples.firstIndex(where: { $0.fedCount > maxLength && !cuttable($0) }) {
                throw KnowledgeGraphError.sequenceTooLong(length: examples[item].fedCount, maxLength: maxLength,
                                                          item: item, split: splitName)
            }
        }
        self.examples = examples
        self.batchSize = batchSize
        self.padding = padding
        self.truncate = truncate
        self.targets = targets
    }

    public init(split: Split, batchSize: Int, padding: Padding, truncate: Bool = false, targets: Targets = .answer) throws {
        try self.init(examples: split.examples, batchSize: batchSize, padding: padding, truncate: truncate, targets: targets,
                      splitName: split.name)
    }

    /// The epoch in file order (evaluation).
    public func batches() -> BatchSequence {
        BatchSequence(batcher: self, order: Array(examples.indices))
    }

    /// The epoch in an order shuffled by `generator` (which advances, so successive calls give
    /// successive epochs).
    public func batches(shuffledWith generator: inout SeededGenerator) -> BatchSequence {
        BatchSequence(batcher: self, order: generator.permutation(examples.count))
    }

    /// Epoch `epoch` of a run seeded with `seed`: the same order whenever it is asked for, so a
    /// resumed run continues with the order it would have had.
    public func batches(epoch: Int, seed: UInt64) -> BatchSequence {
        var generator = SeededGenerator(seed: seed ^ (UInt64(truncatingIfNeeded: epoch) &* 0x9E37_79B9_7F4A_7C15))
        return batches(shuffledWith: &generator)
    }

    /// The batch of the examples at `indices`, in that order.
    public func batch<C: Collection>(of indices: C) -> Batch where C.Element == Int {
        let size = indices.count
        let length: Int
        switch padding {
        case .fixed(let maxLength): length = maxLength
        case .longest: length = indices.reduce(1) { max($0, examples[$1].fedCount) }
        }
        var ids = [Int32](repeating: 0, count: size * length)
        var mask = [Float](repeating: 0, count: size * length)
        var lengths = [Int32](repeating: 0, count: size)
        var counts = [Int32](repeating: 1, count: size)
        var labels: [Int32] = []
        labels.reserveCapacity(size)
        var hops = [Int32](repeating: 0, count: size)
        ids.withUnsafeMutableBufferPointer { ids in
            mask.withUnsafeMutableBufferPointer { mask in
                for (row, index) in indices.enumerated() {
                    let example = examples[index]
                    let hops32 = Int32(example.hops)
                    hops[row] = hops32
                    if example.answer.count == 1 && targets == .answer {
                        // The knowledge-graph tasks' rows: the input alone, the answer read at its end.
                        let n = min(example.inputIDs.count, length)
                        example.inputIDs.withUnsafeBufferPointer { source in
                            (ids.baseAddress! + row * length).update(from: source.baseAddress!, count: n)
                        }
                        (mask.baseAddress! + row * length).update(repeating: 1, count: n)
                        lengths[row] = Int32(n)
                        labels.append(example.label)
                        continue
                    }
                    let fed = example.fedTokens, predicted = example.targetTokens(targets)
                    for (j, id) in fed.enumerated() { ids[row * length + j] = id; mask[row * length + j] = 1 }
                    lengths[row] = Int32(fed.count)
                    counts[row] = Int32(predicted.count)
                    labels.append(contentsOf: predicted)
                }
            }
        }
        return Batch(size: size, length: length, inputIDs: ids, attentionMask: mask, inputLengths: lengths,
                     targetCounts: counts, labels: labels, hops: hops, exampleIndices: Array(indices))
    }
}

/// One epoch's batches, built when they are read (an epoch of the reference's training set
/// padded to 50 would take ~230 MB if built at once).
public struct BatchSequence: RandomAccessCollection, Sendable {
    public let batcher: Batcher
    /// The example indices of the epoch, in the order they are batched.
    public let order: [Int]

    public var startIndex: Int { 0 }
    public var endIndex: Int { (order.count + batcher.batchSize - 1) / batcher.batchSize }

    public subscript(position: Int) -> Batch {
        let start = position * batcher.batchSize
        return batcher.batch(of: order[start..<Swift.min(start + batcher.batchSize, order.count)])
    }
}
