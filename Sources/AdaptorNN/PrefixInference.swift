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
    /// `W_1 P` and `b_1` (`h × d`).
    let firstLayer: Linear
    let deeperLayers: [Linear]
    /// `P_S` (`m × d`), or nil without a front map.
    let frontRows: Matrix?
    /// `S`, for the skip connection without a front map.
    let selection: [Int]
    /// `W_out,S` and `b_out,S` (`m × h`).
    let outputLayer: Linear
    let activation: Activation

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
        if let rotation = parameters.rotation {
            firstLayer = Linear(weight: BLAS.matmul(first.weight, rotation), bias: first.bias)
            frontRows = rotation.gatherRows(kept)
        } else {
            firstLayer = first
            frontRows = nil
        }
        selection = kept
        deeperLayers = Array(parameters.hidden.dropFirst())
        outputLayer = Linear(weight: parameters.output.weight.gatherRows(kept), bias: kept.map { parameters.output.bias[$0] })
    }

    /// The kept coordinates `x̂_S` of raw inputs `x` (`n × d` → `n × m`, not normalised).
    public func apply(_ x: Matrix) -> Matrix {
        precondition(x.columns == inputDimension, "Adaptor expects \(inputDimension)-d vectors, got \(x.columns)")
        var preprocessed = x.normalizedRows()
        if let mean { preprocessed.subtractFromRows(mean) }
        var hidden = activation(firstLayer(preprocessed))
        for layer in deeperLayers { hidden = activation(layer(hidden)) }
        var output = outputLayer(hidden)
        let skip = frontRows.map { BLAS.matmul(preprocessed, $0, transposeB: true) } ?? preprocessed.columns(selection)
        output.storage.withUnsafeMutableBufferPointer { o in
            skip.storage.withUnsafeBufferPointer { s in for i in 0 ..< o.count { o[i] += s[i] } }
        }
        return output
    }

    /// Floating-point operations of the products per input row.
    public var flopsPerRow: Double {
        let d = Double(inputDimension), h = Double(firstLayer.outputs), m = Double(outputDimension)
        return 2 * (h * d + (frontRows == nil ? 0 : m * d) + m * h) + 2 * h * h * Double(deeperLayers.count)
    }
}
