import EmbeddingMath

/// The adaptor's trainable state as a value; its gradient is the same type with the same shapes.
public struct AdaptorParameters: Sendable, Equatable {
    /// The front map `P` (`d × d`, `z = P x̃`, rows are output axes), or nil for the identity.
    public var rotation: Matrix?
    /// Hidden layers, first to last (`d → h`, then `h → h`).
    public var hidden: [Linear]
    /// The output layer (`h → d`), zero at initialisation.
    public var output: Linear

    /// Parameters from explicit parts.
    public init(rotation: Matrix?, hidden: [Linear], output: Linear) {
        self.rotation = rotation
        self.hidden = hidden
        self.output = output
    }

    /// All-zero parameters shaped like `other` (a gradient, or an optimiser's moment).
    public init(zerosLike other: AdaptorParameters) {
        rotation = other.rotation.map { Matrix(rows: $0.rows, columns: $0.columns) }
        hidden = other.hidden.map { Linear(inputs: $0.inputs, outputs: $0.outputs) }
        output = Linear(inputs: other.output.inputs, outputs: other.output.outputs)
    }

    /// Paths to every tensor, in a fixed order (`rotation` only when present and `includeRotation`).
    public func tensorPaths(includeRotation: Bool = true) -> [WritableKeyPath<AdaptorParameters, [Float]>] {
        var paths: [WritableKeyPath<AdaptorParameters, [Float]>] = []
        if includeRotation, rotation != nil { paths.append(\.rotation!.storage) }
        for i in hidden.indices {
            paths.append(\.hidden[i].weight.storage)
            paths.append(\.hidden[i].bias)
        }
        paths.append(\.output.weight.storage)
        paths.append(\.output.bias)
        return paths
    }

    /// The total number of scalars.
    public var parameterCount: Int {
        tensorPaths().reduce(0) { $0 + self[keyPath: $1].count }
    }
}
