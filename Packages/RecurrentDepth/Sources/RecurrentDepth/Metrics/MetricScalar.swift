/// One number of a metrics record, flat: a row of `loop export-metrics --csv` and a scalar of the
/// run's TensorBoard events. Every numeric field of a `MetricsRecord` becomes one (per test type
/// for the per-type fields), so nothing the log holds is missing from either.
public struct MetricScalar: Equatable, Sendable {
    /// The record's `kind`: "train" or "eval".
    public var kind: String
    public var step: Int
    public var stage: Int?
    /// "train" for training reports; the evaluated split (`test`, `test_small`, …) for evaluations.
    public var split: String
    /// The test type of a per-type value (`2hop_test`); nil for the record's own values (loss, lr, …).
    public var type: String?
    /// The field's name in `metrics.jsonl`: loss, lr, r, regularizer, epoch, elapsed, accuracy,
    /// count, iterations, perplexity.
    public var metric: String
    public var value: Double

    /// The TensorBoard tag: `train/loss`, `eval/test/2hop_test/accuracy`, `eval/test/lr`.
    public var tag: String {
        ([kind == "train" ? kind : "\(kind)/\(split)"] + [type, metric].compactMap { $0 }).joined(separator: "/")
    }
}

extension MetricsRecord {
    /// Every number of this record, flat, in a fixed order (the record's own values, then each
    /// per-type field by type). `defaultSplit` names the evaluated split of records written before
    /// evaluations recorded theirs.
    public func scalars(defaultSplit: String = "test") -> [MetricScalar] {
        let recordSplit = kind == "train" ? "train" : (split ?? defaultSplit)
        func scalar(_ metric: String, _ value: Double, type: String? = nil) -> MetricScalar {
            MetricScalar(kind: kind, step: step, stage: stage, split: recordSplit, type: type, metric: metric, value: value)
        }
        var out: [MetricScalar] = []
        let own: [(String, Double?)] = [("loss", loss), ("lr", lr), ("r", r), ("regularizer", regularizer),
                                        ("epoch", Double(epoch)), ("elapsed", elapsed)]
        for case let (metric, value?) in own { out.append(scalar(metric, value)) }
        let perType: [(String, [String: Double]?)] = [("accuracy", accuracy), ("count", count?.mapValues(Double.init)),
                                                      ("iterations", iterations), ("perplexity", perplexity)]
        for case let (metric, values?) in perType {
            for (type, value) in values.sorted(by: { $0.key < $1.key }) { out.append(scalar(metric, value, type: type)) }
        }
        return out
    }
}
