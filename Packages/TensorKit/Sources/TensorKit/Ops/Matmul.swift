// Matrix products: a · b for 2-d, n-d × 2-d (leading axes flattened), and batched 3-d.

extension Tensor {
    /// a · b, optionally with either operand transposed (its last two axes).
    ///
    /// - `[m, k] · [k, n] → [m, n]`
    /// - `[..., m, k] · [k, n] → [..., m, n]` (a linear layer: the leading axes are rows)
    /// - `[b, m, k] · [b, k, n] → [b, m, n]` (batched)
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition(a.rank >= 2 && (b.rank == 2 || b.rank == a.rank),
                     "matmul: shapes \(a.shape) and \(b.shape) are not [.., m, k]·[k, n] or [b, m, k]·[b, k, n]")
        if b.rank == 2 && a.rank > 2 {
            precondition(!transposeA, "matmul: transposeA needs a 2-d or batched left operand, got \(a.shape)")
            let k = a.shape[a.rank - 1]
            let flat = matmul(a.reshaped([a.count / Swift.max(k, 1), k]), b, transposeB: transposeB)
            return flat.reshaped(Array(a.shape.dropLast()) + [flat.shape[1]])
        }
        let batch = a.rank == 3 ? a.shape[0] : 1
        if a.rank == 3 {
            precondition(b.shape[0] == batch, "matmul: batch sizes differ in shapes \(a.shape) and \(b.shape)")
        } else {
            precondition(a.rank == 2, "matmul: batched operands must be 3-d, got \(a.shape) and \(b.shape)")
        }
        let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let (m, k) = transposeA ? (ac, ar) : (ar, ac)
        let (k2, n) = transposeB ? (bc, br) : (br, bc)
        precondition(k == k2, "matmul: inner sizes differ in shapes \(a.shape)\(transposeA ? "ᵀ" : "") and \(b.shape)\(transposeB ? "ᵀ" : "")")
        let out = Tensor(uninitialized: a.rank == 3 ? [batch, m, n] : [m, n])
        Backends.current.gemmBatched(batch: batch, transA: transposeA, transB: transposeB, m: m, n: n, k: k, alpha: 1,
                                     a: a.pointer, lda: ac, strideA: ar * ac, b: b.pointer, ldb: bc, strideB: br * bc,
                                     beta: 0, c: out.pointer, ldc: n, strideC: m * n)
        return out.recording("matmul", [a, b]) { g in
            // d(op(A)) = G·op(B)ᵀ and d(op(B)) = op(A)ᵀ·G, transposed back when the operand was.
            let da: Tensor? = a.requiresGrad
                ? (transposeA ? matmul(b, g, transposeA: transposeB, transposeB: true)
                              : matmul(g, b, transposeB: !transposeB)) : nil
            let db: Tensor? = b.requiresGrad
                ? (transposeB ? matmul(g, a, transposeA: true, transposeB: transposeA)
                              : matmul(a, g, transposeA: !transposeA)) : nil
            return [da, db]
        }
    }

    /// self · other.
    public func matmul(_ other: Tensor) -> Tensor { Tensor.matmul(self, other) }
}
