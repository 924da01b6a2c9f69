@testable import LoopCLI

// One input: a `loop train --config` file. The first byte picks the format as the file's name
// would (even: `run.json`, odd: `run.yaml`); the rest is the file's text. The settings are read
// and checked as `loop train` does before its first step; any failure must be a CLIError that
// names the file (or, from `check`, the setting).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRunConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0, let text = String(validating: UnsafeBufferPointer(start: data + 1, count: size - 1), as: UTF8.self) else {
        return 0 // `loop train` refuses a file that is not UTF-8 before parsing it
    }
    let path = data[0] % 2 == 0 ? "run.json" : "run.yaml"
    let settings: RunSettings
    do {
        settings = try RunSettings().overlaid(with: RunSettings.parseMapping(text, path: path, of: "settings"), source: path)
    } catch let error as CLIError {
        guard error.description.contains(path) else { fatalError("the error does not name the file: \(error)") }
        return 0
    } catch {
        fatalError("reading \(path) threw \(type(of: error)), not CLIError: \(error)")
    }
    do {
        try settings.check()
    } catch {
        _ = "\(error)" // any error type: the packages' own name the setting
    }
    return 0
}
