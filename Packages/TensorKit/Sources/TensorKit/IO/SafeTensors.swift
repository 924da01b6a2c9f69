// Element types and single tensors of the safetensors format (https://github.com/huggingface/safetensors).
// Independent of `Tensor`: an entry is a dtype, a shape and raw little-endian bytes.

/// The element types TensorKit reads and writes. Other dtypes (U16, U32, U64, F8_*) are rejected on read.
public enum SafeTensorsDType: String, Sendable, CaseIterable {
    case F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL

    public var byteSize: Int {
        switch self {
        case .F64, .I64: return 8
        case .F32, .I32: return 4
        case .F16, .BF16, .I16: return 2
        case .I8, .U8, .BOOL: return 1
        }
    }
}

/// One tensor of a safetensors file: `bytes` holds `shape.product × dtype.byteSize` little-endian bytes.
public struct SafeTensorsEntry: Sendable, Equatable {
    public var dtype: SafeTensorsDType
    public var shape: [Int]
    public var bytes: [UInt8]

    /// Traps if `bytes` does not hold exactly the elements of `shape` (a programmer error).
    public init(dtype: SafeTensorsDType, shape: [Int], bytes: [UInt8]) {
        let count = Self.elementCount(of: shape, what: "\(bytes.count) bytes of \(dtype)")
        let (needed, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        precondition(!overflow && needed == bytes.count,
                     "SafeTensorsEntry: \(bytes.count) bytes do not match \(dtype) \(shape)")
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    public init(floats: [Float], shape: [Int]) {
        Self.checkCount(floats.count, shape)
        self.init(dtype: .F32, shape: shape, bytes: Self.littleEndianBytes(floats.lazy.map(\.bitPattern)))
    }

    public init(int32s: [Int32], shape: [Int]) {
        Self.checkCount(int32s.count, shape)
        self.init(dtype: .I32, shape: shape, bytes: Self.littleEndianBytes(int32s))
    }

    public init(int64s: [Int64], shape: [Int]) {
        Self.checkCount(int64s.count, shape)
        self.init(dtype: .I64, shape: shape, bytes: Self.littleEndianBytes(int64s))
    }

    /// The values as Floats; F64 is rounded, F16 and BF16 are widened exactly.
    public func floats() throws -> [Float] {
        try checkConsistent()
        switch dtype {
        case .F32: return decode(UInt32.self) { Float(bitPattern: $0) }
        case .F64: return decode(UInt64.self) { Float(Double(bitPattern: $0)) }
        case .F16: return decode(UInt16.self, Self.floatFromHalf)
        case .BF16: return decode(UInt16.self) { Float(bitPattern: UInt32($0) << 16) }
        default: throw SafeTensorsError(source: "", problem: .unsupportedConversion(from: dtype, to: "Float"))
        }
    }

    /// The values as Ints (all supported integer dtypes fit exactly on a 64-bit platform).
    public func integers() throws -> [Int] {
        try checkConsistent()
        switch dtype {
        case .I64: return decode(UInt64.self) { Int(Int64(bitPattern: $0)) }
        case .I32: return decode(UInt32.self) { Int(Int32(bitPattern: $0)) }
        case .I16: return decode(UInt16.self) { Int(Int16(bitPattern: $0)) }
        case .I8: return bytes.map { Int(Int8(bitPattern: $0)) }
        case .U8: return bytes.map { Int($0) }
        default: throw SafeTensorsError(source: "", problem: .unsupportedConversion(from: dtype, to: "Int"))
        }
    }

    // The stored properties are public vars, so a caller may have broken the invariant the initializers check.
    private func checkConsistent() throws {
        let needed = SafeTensorsEntry.byteCount(dtype: dtype, shape: shape)
        guard needed == bytes.count else {
            throw SafeTensorsError(source: "", problem: .inconsistentEntry(dtype: dtype, shape: shape, byteCount: bytes.count))
        }
    }

    private func decode<Bits: FixedWidthInteger, Value>(_: Bits.Type, _ convert: (Bits) -> Value) -> [Value] {
        let size = MemoryLayout<Bits>.size
        return bytes.withUnsafeBytes { raw in
            (0..<raw.count / size).map { convert(Bits(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * size, as: Bits.self))) }
        }
    }

    /// The byte count `dtype × shape` needs, or nil if a dimension is negative or the product overflows.
    static func byteCount(dtype: SafeTensorsDType, shape: [Int]) -> Int? {
        var total = dtype.byteSize
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = total.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            total = product
        }
        return total
    }

    private static func elementCount(of shape: [Int], what: @autoclosure () -> String) -> Int {
        var count = 1
        for dimension in shape {
            precondition(dimension >= 0, "SafeTensorsEntry: shape \(shape) of \(what()) has a negative dimension")
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            precondition(!overflow, "SafeTensorsEntry: shape \(shape) of \(what()) has too many elements")
            count = product
        }
        return count
    }

    private static func checkCount(_ count: Int, _ shape: [Int]) {
        let needed = elementCount(of: shape, what: "\(count) values")
        precondition(count == needed, "SafeTensorsEntry: \(count) values do not fit shape \(shape), which holds \(needed)")
    }
}

// Nested so the helpers cannot collide with names elsewhere in the module.
extension SafeTensorsEntry {
    private static func littleEndianBytes<C: Collection>(_ values: C) -> [UInt8] where C.Element: FixedWidthInteger {
        let size = MemoryLayout<C.Element>.size
        var bytes = [UInt8](repeating: 0, count: values.count * size)
        bytes.withUnsafeMutableBytes { raw in
            for (index, value) in values.enumerated() {
                raw.storeBytes(of: value.littleEndian, toByteOffset: index * size, as: C.Element.self)
            }
        }
        return bytes
    }

    // IEEE 754 binary16 → binary32 by hand: `Float16` is unavailable on some platforms (macOS on Intel).
    private static func floatFromHalf(_ half: UInt16) -> Float {
        let sign = UInt32(half & 0x8000) << 16
        let exponent = UInt32(half >> 10) & 0x1F
        let mantissa = UInt32(half & 0x3FF)
        switch exponent {
        case 0: // zero or subnormal: mantissa × 2⁻²⁴
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F: // infinity or NaN (payload kept)
            return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        default: // rebias 15 → 127
            return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
        }
    }
}
