/// What can go wrong in this package, each case saying what and where.
public enum AnalysisError: Error, CustomStringConvertible, Equatable {
    /// A parameter whose value cannot be used.
    case invalidParameter(String, probe: String, value: String, reason: String)
    /// A test type (split) the data lacks.
    case unknownSplit(String, source: String, available: [String])
    /// Something the probe needs was not given (a checkpoint, a dataset, a run folder).
    case missingInput(String, probe: String)
    case missingFile(String)
    case unreadableFile(String, reason: String)
    case writeFailed(String, reason: String)
    /// A metrics log without a single record.
    case emptyMetricsLog(String)
    /// A metrics log with records but no evaluations to read accuracy from.
    case noEvaluations(String)
    /// A line of a metrics log that is not a metrics record.
    case notAMetricsLog(String, line: Int, reason: String)

    public var description: String {
        switch self {
        case let .invalidParameter(name, probe, value, reason):
            return "probe '\(probe)': \(name)=\(value): \(reason)"
        case let .unknownSplit(split, source, available):
            return "\(source) has no split '\(split)'; it has \(available.isEmpty ? "none" : available.joined(separator: ", "))"
        case let .missingInput(what, probe): return "probe '\(probe)' needs \(what)"
        case let .missingFile(path): return "\(path): no such file"
        case let .unreadableFile(path, reason): return "\(path): \(reason)"
        case let .writeFailed(path, reason): return "\(path): cannot write: \(reason)"
        case let .emptyMetricsLog(path): return "\(path): the metrics log is empty (no records); has the run evaluated yet?"
        case let .noEvaluations(path): return "\(path): the metrics log has no evaluation records (kind \"eval\"), so there is no accuracy to read"
        case let .notAMetricsLog(path, line, reason): return "\(path):\(line): not a metrics record: \(reason)"
        }
    }
}
