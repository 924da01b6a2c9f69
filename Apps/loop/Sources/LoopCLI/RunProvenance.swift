import Foundation
import TensorKit

/// What a run was computed with, printed when training starts and saved in `run.json` under
/// `provenance`: loop's version, the git commit of the checkout the executable was built in, the
/// processor's vector features, and a hash of the dataset's files. Two runs with the same settings
/// and the same provenance compute the same numbers (RELIABILITY.md).
struct RunProvenance: Codable, Equatable {
    var loopVersion: String
    var gitCommit: String
    var cpuFeatures: [String]
    /// `fnv1a64:` and the 64-bit FNV-1a hash (hex) of every regular file of the dataset folder, in
    /// name order, each as its name, a zero byte and its contents.
    var datasetHash: String

    static let key = "provenance"

    static func current(dataFolder: URL) throws -> RunProvenance {
        RunProvenance(loopVersion: LoopCLI.version, gitCommit: gitCommit(), cpuFeatures: cpuFeatures,
                      datasetHash: try datasetHash(of: dataFolder))
    }

    var summary: String {
        "loop \(loopVersion), commit \(gitCommit), CPU \(cpuFeatures.isEmpty ? "baseline" : cpuFeatures.joined(separator: " ")), dataset \(datasetHash)"
    }

    /// The vector features the kernels use, as the processor reports them.
    static var cpuFeatures: [String] {
        #if os(Linux) && arch(x86_64)
        let flags = CPUFeatures.flags(inCPUInfo: FileManager.default.contents(atPath: "/proc/cpuinfo"))
        return ["avx2", "fma", "avx512f"].filter(flags.contains)
        #elseif arch(arm64)
        return ["neon"]
        #else
        return []
        #endif
    }

    /// `git rev-parse HEAD` in the executable's folder (given two seconds), or "unknown" outside a
    /// checkout or without git.
    static func gitCommit() -> String {
        guard let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() else { return "unknown" }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", executable.deletingLastPathComponent().path, "rev-parse", "HEAD"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        do { try process.run() } catch { return "unknown" }
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { process.terminate(); return "unknown" }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return process.terminationStatus == 0 && text.count == 40 ? text : "unknown"
    }

    static func datasetHash(of folder: URL) throws -> String {
        let manager = FileManager.default
        let names = try cliErrors { try manager.contentsOfDirectory(atPath: folder.path) }.sorted()
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        }
        for name in names {
            var isFolder: ObjCBool = false
            let file = folder.appendingPathComponent(name)
            guard manager.fileExists(atPath: file.path, isDirectory: &isFolder), !isFolder.boolValue,
                  let data = manager.contents(atPath: file.path) else { continue }
            mix(Array(name.utf8) + [0])
            data.withUnsafeBytes { mix($0) }
        }
        return "fnv1a64:" + String(format: "%016llx", hash)
    }
}
