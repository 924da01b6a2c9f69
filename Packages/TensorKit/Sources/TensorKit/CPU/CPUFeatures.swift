import Foundation

/// What the processor running this binary can do, read once at startup. TensorKit is compiled for
/// AVX2 + FMA (any x86-64 of the last decade); wider kernels are chosen here, at run time.
public enum CPUFeatures {
    /// The processor has AVX-512F (from /proc/cpuinfo on Linux; false elsewhere or if unreadable).
    public static let hasAVX512F: Bool = {
        #if os(Linux) && arch(x86_64)
        return flags(inCPUInfo: FileManager.default.contents(atPath: "/proc/cpuinfo")).contains("avx512f")
        #else
        return false
        #endif
    }()

    /// The `flags` of the first processor in a /proc/cpuinfo text.
    public static func flags(inCPUInfo cpuinfo: Data?) -> Set<String> {
        guard let cpuinfo, let line = String(decoding: cpuinfo, as: UTF8.self).split(separator: "\n")
            .first(where: { $0.hasPrefix("flags") }), let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
}
