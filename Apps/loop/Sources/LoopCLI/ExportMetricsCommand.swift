import ArgumentParser
import Foundation
import RecurrentDepth
import Analysis

/// `loop export-metrics`: runs' metrics logs as one flat table, the shape pandas, R or a
/// spreadsheet read directly.
struct ExportMetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-metrics",
        abstract: "Write the metrics of one or many runs as flat CSV: one number per row.",
        discussion: """
        Columns: run, kind, step, stage, split, type, metric, value. Every number of every record of
        RUN/metrics.jsonl is a row: training reports (kind train, split train) give loss, lr, r, regularizer,
        epoch, elapsed; evaluations (kind eval, split the evaluated file, e.g. test) give lr, epoch, elapsed
        and, per test type (column type), accuracy (0...1), count, iterations and perplexity. stage is empty
        without a curriculum; run is the folder as given.

        Examples:
          loop export-metrics runs/perm > perm.csv
          loop export-metrics runs/a runs/b --csv --output metrics.csv
          python3 -c "import pandas as p; d = p.read_csv('metrics.csv'); print(d[d.metric == 'accuracy'].pivot_table(index='step', columns=['run', 'type'], values='value'))"
        """
    )

    @Argument(help: "Run folders (each with metrics.jsonl).") var runs: [String]
    @Flag(help: "CSV (the format written; the default).") var csv = false
    @Option(help: "Write to this file instead of standard output (- is standard output).") var output: String = Console.standardOutputPath

    static let header = ["run", "kind", "step", "stage", "split", "type", "metric", "value"]

    func validate() throws {
        if runs.isEmpty { throw ValidationError("give at least one run folder") }
    }

    func run() throws {
        var lines = [Self.header.joined(separator: ",")]
        for run in runs {
            let folder = URL(fileURLWithPath: run)
            let log = try cliErrors { try MetricsLog.read(from: folder.appendingPathComponent(Trainer.metricsFile)) }
            let split = try Self.evaluatedSplit(of: folder)
            for record in log.records {
                for s in record.scalars(defaultSplit: split) {
                    let fields = [run, s.kind, "\(s.step)", s.stage.map { "\($0)" } ?? "", s.split, s.type ?? "", s.metric, Self.number(s.value)]
                    lines.append(fields.map(Self.csvField).joined(separator: ","))
                }
            }
        }
        try Console.writeResult(Data((lines.joined(separator: "\n") + "\n").utf8), to: output)
    }

    /// The split a run evaluated, for logs whose evaluations do not name it: its run.json's test
    /// file, or the trainer's default.
    static func evaluatedSplit(of run: URL) throws -> String {
        let file = run.appendingPathComponent("run.json")
        guard FileManager.default.fileExists(atPath: file.path) else { return TrainingConfig().testFile }
        return try RunSettings.load(file.path).testFile
    }

    /// Whole numbers (counts, epochs) without a fraction; others in the shortest form that reads back exactly.
    static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }

    /// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
    static func csvField(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { ",\"\n\r".unicodeScalars.contains($0) }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
