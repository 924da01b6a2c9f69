/// The kernels every tensor operation runs on.
///
/// Ops and models never touch memory themselves: they size their outputs and call these kernels on
/// raw, contiguous, row-major float buffers. A new backend (a BLAS-backed one, a GPU one) implements
/// this protocol and is installed with `Backends.current = ...` or `withBackend(_:_:)`; nothing
/// above it changes. `CPUBackend` is the fast default; `ReferenceBackend` is the plain scalar
/// statement of the same math that the tests hold the fast one to.
///
/// Conventions: `rows × cols` buffers are row-major; `out` never aliases an input unless a kernel
/// says so; gradients named `d…` are accumulated (`+=`) only where the doc says so, else written.
public protocol Backend: AnyObject {
    /// Short name for listings and benchmark tables.
    var name: String { get }

    // MARK: Matrix products

    /// C[m×n] = alpha · op(A) · op(B) + beta · C (row-major; op(X) = Xᵀ when trans).
    /// beta == 0 overwrites C without reading it.
    func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
              a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
              beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int)

    /// A linear layer: out[m×n] = residual + act(x·w + bias), x `[m, k]`, w `[k, n]` (`[n, k]` when
    /// `transposeW`), bias `[n]` added to every row, `residual` `[m, n]` (none when nil). For `.gelu`,
    /// `geluDerivative` (if given) receives GELU′(x·w + bias), what the backward pass multiplies by.
    /// (A default composes gemm, binary and unary; CPUBackend fuses them.)
    func linear(m: Int, n: Int, k: Int, x: UnsafePointer<Float>, w: UnsafePointer<Float>, transposeW: Bool,
                bias: UnsafePointer<Float>, activation: Activation, geluDerivative: UnsafeMutablePointer<Float>?,
                residual: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>)

    /// out[m×n] = (a · bᵀ) ⊙ multiplier, a `[m, k]`, b `[n, k]`, multiplier `[m, n]`: a linear
    /// layer's input gradient carried on through an element-wise derivative (the GELU′ its producer
    /// kept) in the product's own pass. (A default composes gemm and binary; CPUBackend multiplies
    /// in the GEMM's epilogue.)
    func matmulMultiplied(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, bTransposed b: UnsafePointer<Float>,
                          multiplier: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>)

    /// `batch` independent gemms at element strides `strideA`, `strideB`, `strideC`.
    func gemmBatched(batch: Int, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                     a: UnsafePointer<Float>, lda: Int, strideA: Int,
                     b: UnsafePointer<Float>, ldb: Int, strideB: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, strideC: Int)

    // MARK: Element-wise

    /// out[i] = op(x[i]) for `count` elements. May run in place (out == x).
    func unary(_ op: UnaryOp, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int)

    /// out = a ∘ b over `shape`, reading a and b through element strides (0 on broadcast axes).
    /// out is contiguous over `shape`.
    func binary(_ op: BinaryOp, _ a: UnsafePointer<Float>, strides aStrides: [Int],
                _ b: UnsafePointer<Float>, strides bStrides: [Int],
                _ out: UnsafeMutablePointer<Float>, shape: [Int])

    /// dx[i] (+)= dy[i] · op'(x[i]): the backward of a unary op, written or accumulated.
    func unaryBackward(_ op: UnaryOp, _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                       _ dx: UnsafeMutablePointer<Float>, count: Int, accumulate: Bool)

    // MARK: Data movement

    /// dst (contiguous over `shape`) = src read at element `strides` (a permute or broadcast copy).
    func copyStrided(_ src: UnsafePointer<Float>, strides: [Int], _ dst: UnsafeMutablePointer<Float>, shape: [Int])

    /// Sums `x` (contiguous over `shape`) into `out`, read and written through `outStrides`
    /// (0 on the axes being summed away): the gradient of a broadcast. `out` is overwritten.
    func sumBroadcast(_ x: UnsafePointer<Float>, shape: [Int], _ out: UnsafeMutablePointer<Float>,
                      outStrides: [Int], outCount: Int)

    /// out[i, :] = table[ids[i], :] for `count` rows of width `cols`.
    func gatherRows(_ table: UnsafePointer<Float>, ids: UnsafePointer<Int32>, count: Int, cols: Int,
                    _ out: UnsafeMutablePointer<Float>)

    /// dTable[ids[i], :] += dy[i, :] — the backward of `gatherRows`; repeated ids accumulate.
    func scatterAddRows(_ dy: UnsafePointer<Float>, ids: UnsafePointer<Int32>, count: Int, cols: Int,
                        _ dTable: UnsafeMutablePointer<Float>)

    // MARK: Reductions (x viewed as [outer, axis, inner], out as [outer, inner])

    func reduce(_ op: ReduceOp, _ x: UnsafePointer<Float>, outer: Int, axis: Int, inner: Int,
                _ out: UnsafeMutablePointer<Float>)
    /// Index of the first maximum along the axis.
    func argmax(_ x: UnsafePointer<Float>, outer: Int, axis: Int, inner: Int, _ out: UnsafeMutablePointer<Int32>)

    // MARK: Row-wise fused ops (x is rows × cols)

    /// out = softmax(x) (or log-softmax when `log`) of each row.
    func softmaxRows(_ x: UnsafePointer<Float>, rows: Int, cols: Int, log: Bool, _ out: UnsafeMutablePointer<Float>)
    /// dx (+)= the backward of softmax/log-softmax given its output y and dy.
    func softmaxRowsBackward(_ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, rows: Int, cols: Int,
                             log: Bool, _ dx: UnsafeMutablePointer<Float>, accumulate: Bool)

    /// out = (x − mean) · rstd · gamma + beta per row; saves mean and rstd ([rows]) for the backward.
    func layerNorm(_ x: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                   rows: Int, cols: Int, eps: Float, _ out: UnsafeMutablePointer<Float>,
                   mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>)
    /// dx (+)= ∂/∂x, dGamma += Σ_rows dy·x̂, dBeta += Σ_rows dy. Any of the outputs may be nil.
    func layerNormBackward(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
                           mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, rows: Int, cols: Int,
                           dx: UnsafeMutablePointer<Float>?, accumulate: Bool,
                           dGamma: UnsafeMutablePointer<Float>?, dBeta: UnsafeMutablePointer<Float>?)

    /// Per row: loss[i] = (1 − ε)·(−log p[target]) + ε·mean_j(−log p[j]) (PyTorch's label smoothing);
    /// saves each row's softmax in `probs` for the backward.
    func crossEntropy(_ logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>, rows: Int, cols: Int,
                      labelSmoothing: Float, losses: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>)
    /// dLogits (+)= scale[i] · (probs − ((1 − ε)·onehot + ε/cols)) per row i.
    func crossEntropyBackward(_ probs: UnsafePointer<Float>, targets: UnsafePointer<Int32>, rows: Int, cols: Int,
                              labelSmoothing: Float, scale: UnsafePointer<Float>,
                              _ dLogits: UnsafeMutablePointer<Float>, accumulate: Bool)

    // MARK: Attention (GPT-2 causal self-attention on a fused qkv projection)

    /// qkv is [B, T, 3·H·hd] (q, k, v concatenated along the last axis, heads split inside each);
    /// keyMask is [B, T] of 1/0 (nil: all 1). Scores q·k/√hd, causal mask, additive padding mask
    /// (1 − mask[key])·−10000, softmax → probs [B, H, T, T]; dropoutMask (same shape, 0 or 1/(1−p))
    /// multiplies the probabilities when given. out [B, T, H·hd] = probs·v with heads merged.
    func attention(_ qkv: UnsafePointer<Float>, keyMask: UnsafePointer<Float>?, batch: Int, time: Int,
                   heads: Int, headDim: Int, dropoutMask: UnsafePointer<Float>?,
                   probs: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>)
    /// dQKV (+)= the gradient of `attention` given its saved softmax `probs` (before dropout).
    func attentionBackward(_ dOut: UnsafePointer<Float>, qkv: UnsafePointer<Float>, probs: UnsafePointer<Float>,
                           dropoutMask: UnsafePointer<Float>?, batch: Int, time: Int, heads: Int, headDim: Int,
                           _ dQKV: UnsafeMutablePointer<Float>, accumulate: Bool)

    // MARK: Optimizer updates (in place, element-wise over `count`)

    /// One AdamW step with PyTorch's order of operations: decoupled decay, moments, bias-corrected update.
    func adamW(_ param: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>,
               m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count: Int,
               hyper: AdamWStep)
    /// Σ x² in double precision (for gradient-norm clipping), summed in a fixed order.
    func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double
    /// Σ aᵢ·bᵢ in double precision (inner products of whole tensors), summed in a fixed order.
    func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Double
}

/// The scalars of one AdamW step, derived in double precision as PyTorch's Python code derives them.
public struct AdamWStep: Sendable {
    /// 1 − lr·weightDecay: the decoupled decay applied to the parameter first.
    public var decayFactor: Float
    public var beta1: Float, beta2: Float, eps: Float
    /// 1 − β1 and 1 − β2, rounded from double as PyTorch passes them (not computed in float).
    public var oneMinusBeta1: Float, oneMinusBeta2: Float
    /// lr / (1 − β1ᵗ) and √(1 − β2ᵗ): the bias corrections for step t (1-based).
    public var stepSize: Float, biasCorrection2Sqrt: Float
    public init(lr: Double, beta1: Double, beta2: Double, eps: Double, weightDecay: Double, step: Int) {
        decayFactor = Float(1 - lr * weightDecay)
        self.beta1 = Float(beta1); self.beta2 = Float(beta2); self.eps = Float(eps)
        oneMinusBeta1 = Float(1 - beta1); oneMinusBeta2 = Float(1 - beta2)
        stepSize = Float(lr / (1 - Foundation.pow(beta1, Double(step))))
        biasCorrection2Sqrt = Float((1 - Foundation.pow(beta2, Double(step))).squareRoot())
    }
}

import Foundation

public enum UnaryOp: Sendable, Equatable {
    case neg, exp, log, sqrt, tanh, relu, square
    /// The tanh approximation GPT-2 uses: 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))).
    case gelu
    case scale(Float)       // x · s
    case shift(Float)       // x + s
    case power(Float)       // x^p
}

public enum BinaryOp: Sendable, Equatable { case add, sub, mul, div }

/// What a linear layer applies after its bias.
public enum Activation: Sendable, Equatable { case identity, gelu }

extension Backend {
    public func linear(m: Int, n: Int, k: Int, x: UnsafePointer<Float>, w: UnsafePointer<Float>, transposeW: Bool,
                       bias: UnsafePointer<Float>, activation: Activation, geluDerivative: UnsafeMutablePointer<Float>?,
                       residual: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>) {
        gemm(transA: false, transB: transposeW, m: m, n: n, k: k, alpha: 1, a: x, lda: k, b: w, ldb: transposeW ? k : n,
             beta: 0, c: out, ldc: n)
        binary(.add, out, strides: [n, 1], bias, strides: [0, 1], out, shape: [m, n])
        if activation == .gelu {
            if let geluDerivative {
                // GELU′ as the backward of GELU with a gradient of ones.
                let ones = [Float](repeating: 1, count: m * n)
                unaryBackward(.gelu, out, ones, geluDerivative, count: m * n, accumulate: false)
            }
            unary(.gelu, out, out, count: m * n)
        }
        if let residual { binary(.add, residual, strides: [n, 1], out, strides: [n, 1], out, shape: [m, n]) }
    }

    public func matmulMultiplied(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, bTransposed b: UnsafePointer<Float>,
                                 multiplier: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
        gemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: k, beta: 0, c: out, ldc: n)
        binary(.mul, out, strides: [n, 1], multiplier, strides: [n, 1], out, shape: [m, n])
    }
}

public enum ReduceOp: Sendable, Equatable { case sum, max }

/// The backend that tensor operations run on. Change it for a scope with `withBackend(_:_:)`.
public enum Backends {
    nonisolated(unsafe) public static var current: any Backend = CPUBackend.shared
}

/// Runs `body` with `backend` as the current backend, restoring the previous one afterwards.
public func withBackend<R>(_ backend: any Backend, _ body: () throws -> R) rethrows -> R {
    let saved = Backends.current
    Backends.current = backend
    defer { Backends.current = saved }
    return try body()
}
