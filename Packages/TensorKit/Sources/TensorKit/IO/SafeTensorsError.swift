/// Everything that can go wrong reading, validating, converting or writing safetensors data.
/// `source` names the file (or "<memory>"); it is empty for errors raised by a lone `SafeTensorsEntry`.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable {
    public var source: String
    public var problem: Problem

    public init(source: String, problem: Problem) {
        self.source = source
        self.problem = problem
    }

    public enum Problem: Equatable, Sendable {
        // I/O
        case readFailed(String)
        case writeFailed(String)
        // Framing: 8-byte little-endian header length, header, data
        case fileTooShort(byteCount: Int)
        case headerTooLarge(length: UInt64)
        case headerPastEnd(length: UInt64, available: Int)
        // Header JSON
        case headerNotUTF8
        case headerNotJSON(String)
        case headerNotObject
        case duplicateKey(String)
        case metadataNotObject
        case metadataValueNotString(key: String)
        // One tensor's header entry
        case entryNotObject(tensor: String)
        case missingField(tensor: String, field: String)
        case invalidField(tensor: String, field: String, reason: String)
        case unknownDType(tensor: String, dtype: String)
        case shapeOverflow(tensor: String, shape: [Int])
        case invalidOffsets(tensor: String, begin: Int, end: Int)
        case offsetsOutOfRange(tensor: String, begin: Int, end: Int, dataLength: Int)
        case byteCountMismatch(tensor: String, begin: Int, end: Int, dtype: SafeTensorsDType, shape: [Int])
        // Layout of the data section
        case overlappingTensors(String, String)
        case uncoveredData(begin: Int, end: Int)
        // Access
        case missingTensor(String)
        case unsupportedConversion(from: SafeTensorsDType, to: String)
        case inconsistentEntry(dtype: SafeTensorsDType, shape: [Int], byteCount: Int)
    }

    public var description: String {
        source.isEmpty ? problem.description : "\(source): \(problem.description)"
    }
}

extension SafeTensorsError.Problem: CustomStringConvertible {
    public var description: String {
        switch self {
        case .readFailed(let reason): return "cannot read: \(reason)"
        case .writeFailed(let reason): return "cannot write: \(reason)"
        case .fileTooShort(let count): return "file holds \(count) bytes, too few for the 8-byte header length"
        case .headerTooLarge(let length): return "header length \(length) exceeds the \(SafeTensorsArchive.maximumHeaderLength)-byte limit"
        case .headerPastEnd(let length, let available):
            return "header length \(length) runs past the end of the file (\(available) bytes follow the length)"
        case .headerNotUTF8: return "header is not valid UTF-8"
        case .headerNotJSON(let reason): return "header is not valid JSON: \(reason)"
        case .headerNotObject: return "header is not a JSON object"
        case .duplicateKey(let key): return "header repeats the JSON key '\(key)'"
        case .metadataNotObject: return "__metadata__ is not an object of strings"
        case .metadataValueNotString(let key): return "__metadata__ value for '\(key)' is not a string"
        case .entryNotObject(let tensor): return "tensor '\(tensor)': entry is not a JSON object"
        case .missingField(let tensor, let field): return "tensor '\(tensor)': missing \(field)"
        case .invalidField(let tensor, let field, let reason): return "tensor '\(tensor)': \(field) \(reason)"
        case .unknownDType(let tensor, let dtype):
            let known = SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
            return "tensor '\(tensor)': unknown dtype '\(dtype)' (supported: \(known))"
        case .shapeOverflow(let tensor, let shape): return "tensor '\(tensor)': shape \(shape) is too large to address"
        case .invalidOffsets(let tensor, let begin, let end):
            return "tensor '\(tensor)': data_offsets [\(begin), \(end)] end before they begin"
        case .offsetsOutOfRange(let tensor, let begin, let end, let length):
            return "tensor '\(tensor)': data_offsets [\(begin), \(end)] lie outside the \(length)-byte data section"
        case .byteCountMismatch(let tensor, let begin, let end, let dtype, let shape):
            let needed = SafeTensorsEntry.byteCount(dtype: dtype, shape: shape).map(String.init) ?? "more"
            return "tensor '\(tensor)': data_offsets [\(begin), \(end)] hold \(end - begin) bytes but \(dtype) \(shape) needs \(needed)"
        case .overlappingTensors(let first, let second): return "tensors '\(first)' and '\(second)' overlap"
        case .uncoveredData(let begin, let end): return "data bytes \(begin)..<\(end) belong to no tensor"
        case .missingTensor(let name): return "no tensor named '\(name)'"
        case .unsupportedConversion(let dtype, let type): return "cannot convert \(dtype) values to \(type)"
        case .inconsistentEntry(let dtype, let shape, let count): return "\(count) bytes do not match \(dtype) \(shape)"
        }
    }
}
