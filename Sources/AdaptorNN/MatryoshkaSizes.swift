/// The Matryoshka sizes `M`: increasing prefix lengths `m_1 < m_2 < … ≤ d` at which similarities are compared.
///
/// Consecutive sizes cut the coordinates into segments `[0, m_1), [m_1, m_2), …`; a prefix dot product
/// at `m_s` is the sum of the segment dot products up to `s`, so all sizes share one pass over the
/// coordinates instead of one per size.
public struct MatryoshkaSizes: Sendable, Equatable, Codable {
    /// The sizes, strictly increasing.
    public let sizes: [Int]

    /// Sizes from any order; duplicates are dropped. Every size must be in `1 ... dimension`.
    public init(_ sizes: [Int], dimension: Int) {
        let sorted = Array(Set(sizes)).sorted()
        precondition(!sorted.isEmpty, "At least one Matryoshka size is needed")
        precondition(sorted.first! >= 1 && sorted.last! <= dimension,
                     "Matryoshka sizes must lie in 1...\(dimension), got \(sorted)")
        self.sizes = sorted
    }

    /// The default for dimension `d`: powers of two from 16 below `d`, then `d` (16, 32, …, 256, 384 for 384).
    public static func standard(dimension d: Int) -> MatryoshkaSizes {
        var sizes: [Int] = []
        var m = 16
        while m < d {
            sizes.append(m)
            m *= 2
        }
        return MatryoshkaSizes(sizes + [d], dimension: d)
    }

    /// Segment `s` as a coordinate range: `[m_{s-1}, m_s)` with `m_0 = 0`.
    public func segment(_ s: Int) -> Range<Int> {
        (s == 0 ? 0 : sizes[s - 1]) ..< sizes[s]
    }

    /// Number of sizes.
    public var count: Int { sizes.count }

    public init(from decoder: any Decoder) throws {
        sizes = try decoder.singleValueContainer().decode([Int].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(sizes)
    }
}
