import EmbeddingMath

/// A saved adaptor's first `m` output coordinates (in the model's stored order), computed with only the work they
/// need: what `apply --dimension m`, search at size `m` and serving at `dimensions = m` run.
///
/// With `S` the kept output coordinates (`permutation[:m]`, or `0 ..< m`), `x̂_S = P_S x̃ + W_out,S h_L + b_out,S`
/// and `h_1 = act((W_1 P) x̃ + b_1)`: the front map is folded into the first layer once, so a row costs
/// `2 (h d + m d + m h)` FLOP (plus `2 h²` per further hidden layer) instead of `2 (d² + h d + d h)`; at
/// `d = h = 768`, `m = 64` that is 2.5 times less. The values equal the full forward pass's up to float rounding
/// (the products are associated differently).
public struct PrefixInference: EmbeddingTransform {
    /// The input dimension `d`.
    public let inputDimension: Int
    /// The number of coordinates kept, `m`.
    public var outputDimension: Int { outputLayer.outputs }
    let mean: [Float]?
    /// `b_1` (`h`).
    let firstBias: [Float]
    /// The first product's rows: `W_1 P` (`h × d`) stacked over `P_S` (`m × d`) with a front map, so that one
    /// product gives the hidden pre-activations and the skip connection; `W_1` alone without one.
    let stacked: Matrix
    /// Whether ``stacked`` holds `P_S` below `W_1 P`.
    let hasFrontMap: Bool
    let deeperLayers: [Linear]
    /// `S`, for the skip connection without a front map.
    let selection: [Int]
    /// `W_out,S` and `b_out,S` (`m × h`).
    let outputLayer: Linear
    let activation: Activation

    /// Rows per fused tile: a tile's input, stage and output stay in one core's cache between the steps.
    public static let tileRows = 256

    /// The kept coordinates of `model` at size `m` (`1 ≤ m ≤ d`).
    public init(model: AdaptorModel, dimension m: Int) {
        let adaptor = model.adaptor
        let d = adaptor.inputDimension
        precondition(m >= 1 && m <= d, "Prefix \(m) of a \(d)-d adaptor")
        let kept = Array((model.permutation ?? Array(0 ..< d)).prefix(m))
        let parameters = adaptor.parameters
        inputDimension = d
        mean = adaptor.mean
        activation = adaptor.configuration.activation
        let first = parameters.hidden[0]
        firstBias = first.bias
        if let rotation = parameters.rotation {
            let folded = BLAS.matmul(first.weight, rotation)
            stacked = Matrix(rows: folded.rows + m, columns: d, storage: folded.storage + rotation.gatherRows(kept).storage)
            hasFrontMap = true
        } else {
            stacked = first.weight
            hasFrontMap = false
        }
        selection = kept
        deeperLayers = Array(parameters.hidden.dropFirst())
        outputLayer = Linear(weight: parameters.output.weight.gatherRows(kept), bias: kept.map { parameters.output.bias[$0] })
    }

    /// The kept coordinates `x̂_S` of raw inputs `x` (`n × d` → `n × m`, not normalised).
    public func apply(_ x: Matrix) -> Matrix { apply(x, normalizingOutput: false) }

    /// The kept coordinates scaled to unit length, normalised inside each tile while it is in cache (the same
    /// values as normalising afterwards).
    public func applyNormalized(_ x: Matrix) -> Matrix { apply(x, normalizingOutput: true) }

    /// The kept coordinates of raw inputs `x` (`n × d` → `n × m`), each row scaled to unit length when
    /// `normalizingOutput`.
    ///
    /// Every step runs on one tile of ``tileRows`` rows before the next tile starts (normalise and centre the
    /// inputs, one product for the hidden layer and the skip connection, bias and activation in place, the
    /// output product accumulated onto skip + bias, the optional normalisation), so the passes between the
    /// products read cache instead of memory; tiles run in parallel and each is computed the same way for any
    /// thread count.
    public func apply(_ x: Matrix, normalizingOutput: Bool) -> Matrix {
        precondition(x.columns == inputDimension, "Adaptor expects \(inputDimension)-d vectors, got \(x.columns)")
        let n = x.rows, m = outputDimension
        return Matrix(rows: n, columns: m) { output in
            guard n > 0 else { return }
            x.storage.withUnsafeBufferPointer { input in
                let pointers = UncheckedSendable((input.baseAddress!, output.baseAddress!))
                Parallelism.forEach(jobs: (n + Self.tileRows - 1) / Self.tileRows) { tile, _ in
                    let start = tile * Self.tileRows
                    let rows = min(Self.tileRows, n - start)
                    applyTile(pointers.value.0 + start * inputDimension, rows: rows,
                              into: pointers.value.1 + start * m, normalizingOutput: normalizingOutput)
                }
            }
        }
    }

    private func applyTile(_ x: UnsafePointer<Float>, rows r: Int, into out: UnsafeMutablePointer<Float>,
                           normalizingOutput: Bool) {
        let d = inputDimension, h = firstBias.count, m = outputDimension, width = stacked.rows
        let pre = UnsafeMutablePointer<Float>.allocate(capacity: r * d)
        let stage = UnsafeMutablePointer<Float>.allocate(capacity: r * width)
        defer { pre.deallocate(); stage.deallocate() }
        pre.update(from: x, count: r * d)
        for i in 0 ..< r {
            let row = pre + i * d
            Kernels.normalize(row, count: d)
            if let mean { for j in 0 ..< d { row[j] -= mean[j] } }
        }
        stacked.storage.withUnsafeBufferPointer { w in
            BLAS.sgemm(transposeA: false, transposeB: true, m: r, n: width, k: d, a: pre, lda: d, b: w.baseAddress!,
                       ldb: d, c: stage, ldc: width)
        }
        for i in 0 ..< r { biasAndActivation(stage + i * width, bias: firstBias) }
        // Further hidden layers (none by default) go through their own buffers.
        var hidden = UnsafePointer(stage), hiddenStride = width, hiddenWidth = h
        var buffers: [UnsafeMutablePointer<Float>] = []
        defer { for buffer in buffers { buffer.deallocate() } }
        for layer in deeperLayers {
            let next = UnsafeMutablePointer<Float>.allocate(capacity: r * layer.outputs)
            buffers.append(next)
            layer.weight.storage.withUnsafeBufferPointer { w in
                BLAS.sgemm(transposeA: false, transposeB: true, m: r, n: layer.outputs, k: hiddenWidth, a: hidden,
                           lda: hiddenStride, b: w.baseAddress!, ldb: hiddenWidth, c: next, ldc: layer.outputs)
            }
            for i in 0 ..< r { biasAndActivation(next + i * layer.outputs, bias: layer.bias) }
            (hidden, hiddenStride, hiddenWidth) = (UnsafePointer(next), layer.outputs, layer.outputs)
        }
        // out = skip + b_out, then += hidden · W_outᵀ.
        for i in 0 ..< r {
            for j in 0 ..< m {
                let skip = hasFrontMap ? stage[i * width + h + j] : pre[i * d + selection[j]]
                out[i * m + j] = skip + outputLayer.bias[j]
            }
        }
        outputLayer.weight.storage.withUnsafeBufferPointer { w in
            BLAS.sgemm(transposeA: false, transposeB: true, m: r, n: m, k: hiddenWidth, a: hidden, lda: hiddenStride,
                       b: w.baseAddress!, ldb: hiddenWidth, beta: 1, c: out, ldc: m)
        }
        guard normalizingOutput else { return }
        for i in 0 ..< r { Kernels.normalize(out + i * m, count: m) }
    }

    /// `a ← act(a + b)` over one row.
    private func biasAndActivation(_ a: UnsafeMutablePointer<Float>, bias: [Float]) {
        for j in 0 ..< bias.count { a[j] += bias[j] }
        activation.apply(a, a, count: bias.count)
    }

    /// Floating-point operations of the products per input row.
    public var flopsPerRow: Double {
        let d = Double(inputDimension), m = Double(outputDimension)
        let deeper = deeperLayers.reduce(0.0) { $0 + Double($1.inputs * $1.outputs) }
        return 2 * (Double(stacked.rows) * d + m * Double(outputLayer.inputs) + deeper)
    }
}
