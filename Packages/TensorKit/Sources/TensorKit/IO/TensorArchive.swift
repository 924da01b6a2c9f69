// Tensors in and out of safetensors archives, by name.

extension SafeTensorsArchive {
    /// An archive of float32 tensors.
    public init(tensors: [String: Tensor], metadata: [String: String] = [:]) {
        self.init(entries: tensors.mapValues { SafeTensorsEntry(floats: $0.scalars, shape: $0.shape) }, metadata: metadata)
    }

    /// The named tensor as float32 (F32 as stored; F64/F16/BF16 converted). Throws when it is
    /// missing or its dtype is not a float type, naming the file and the tensor.
    public func tensor(_ name: String) throws -> Tensor {
        let entry = try entry(name)
        return Tensor(shape: entry.shape, scalars: try entry.floats())
    }

    /// The named integer tensor (I32/I64/...) as ids.
    public func ids(_ name: String) throws -> IDTensor {
        let entry = try entry(name)
        return IDTensor(shape: entry.shape, ids: try entry.integers())
    }

    /// Stores `tensor` under `name` as F32, replacing any entry of that name.
    public mutating func set(_ name: String, _ tensor: Tensor) {
        self[name] = SafeTensorsEntry(floats: tensor.scalars, shape: tensor.shape)
    }
}
