import TensorKit

// One input: the bytes of a safetensors file. The reader must either refuse it with a
// SafeTensorsError or return an archive whose tensors decode and that survives a write-and-read
// round trip unchanged; anything else (a trap, another error, a changed archive) is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let archive: SafeTensorsArchive
    do {
        archive = try SafeTensorsArchive(bytes: bytes, source: "fuzz.safetensors")
    } catch is SafeTensorsError {
        return 0
    } catch {
        fatalError("SafeTensorsArchive threw \(type(of: error)), not SafeTensorsError: \(error)")
    }
    for (name, entry) in archive.entries {
        do {
            switch entry.dtype {
            case .F64, .F32, .F16, .BF16: _ = try archive.tensor(name)
            case .BOOL: break
            default: _ = try archive.ids(name)
            }
        } catch {
            fatalError("tensor '\(name)' was read but does not decode: \(error)")
        }
    }
    guard let again = try? SafeTensorsArchive(bytes: archive.serialized(), source: "round trip"),
          again.entries == archive.entries, again.metadata == archive.metadata else {
        fatalError("the archive changed in a write-and-read round trip")
    }
    return 0
}
