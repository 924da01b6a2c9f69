import Foundation
import RecurrentDepth
import Halting

// One input: a component written on the command line, `name` or `name:key=value,...`, made by the
// recurrence schedules' and the halting policies' tables, and read as a looping regularizer's
// `key=value,...`. Each must succeed or throw the package's own error; a parsed specification must
// obey the grammar (a trimmed, non-empty name without ':', non-empty trimmed keys).
private let schedules = ScheduleRegistry.builtIn
private let policies = HaltingPolicyRegistry.builtIn

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzComponentSpecification(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let parsed = try? ComponentSpecification(parsing: text, kind: "component") {
        let name = parsed.name
        guard !name.isEmpty, !name.contains(":"), name == name.trimmingCharacters(in: .whitespaces) else {
            fatalError("'\(text)' parsed to the name '\(name)'")
        }
        for key in parsed.values.keys where key.isEmpty || key != key.trimmingCharacters(in: .whitespaces) || key.contains(",") {
            fatalError("'\(text)' parsed to the key '\(key)'")
        }
    }
    expectOwnErrors(text) { _ = try schedules.make(text) }
    expectOwnErrors(text) { _ = try policies.make(text) }
    expectOwnErrors(text) { _ = try LoopingRegularizer(parsing: text) }
    return 0
}

private func expectOwnErrors(_ text: String, _ body: () throws -> Void) {
    do {
        try body()
    } catch is SpecificationError {
    } catch is LoopingRegularizerError {
    } catch is HaltingError {
    } catch {
        fatalError("'\(text)' threw \(type(of: error)): \(error)")
    }
}
