import AdaptorNN
import EmbeddingMath

extension FitOptions {
    /// The names ``set(_:to:)`` takes: each option as the command line spells it (without dashes), plus `ads`, `xbm`
    /// and `sequential` (true or false) for the SMEC switches that the command line spells `--no-ads`, `--no-xbm` and
    /// `--sequential`/`--joint`.
    public static var settingNames: [String] { setters.keys.sorted() }

    /// Sets the option `name` from its text, as a binding or a configuration file gives it: integers and
    /// decimals, `true`/`false`, an enumeration's value (`relu`, `distill`), a list of sizes `16,32,64`, or `none`
    /// for an optional option's default.
    ///
    /// ```swift
    /// var options = FitOptions()
    /// try options.set("method", to: "smec")
    /// try options.set("sizes", to: "16,32,64")
    /// ```
    /// - Throws: ``FitOptionsError`` naming the option when the name is unknown or the text is not a value of it
    ///   (the combination is checked by ``validate()``).
    public mutating func set(_ name: String, to text: String) throws(FitOptionsError) {
        guard let setter = Self.setters[name] else {
            throw FitOptionsError(name, "is not a fit option; the options are \(Self.settingNames.joined(separator: ", "))")
        }
        try setter(&self, text.trimmingCharacters(in: .whitespaces), name)
    }

    private typealias Setter = (inout FitOptions, String, String) throws(FitOptionsError) -> Void

    /// A setter of a value parsed by `parse` (nil: not a value; `what` names the expected kind).
    private static func value<T>(_ path: WritableKeyPath<FitOptions, T>, _ what: String,
                                 _ parse: @escaping (String) -> T?) -> Setter {
        { (options: inout FitOptions, text: String, name: String) throws(FitOptionsError) in
            guard let value = parse(text) else { throw FitOptionsError(name, "expects \(what), got \"\(text)\"") }
            options[keyPath: path] = value
        }
    }

    /// A setter of an optional value, where `none` (or an empty text) restores the default.
    private static func optional<T>(_ path: WritableKeyPath<FitOptions, T?>, _ what: String,
                                    _ parse: @escaping (String) -> T?) -> Setter {
        { (options: inout FitOptions, text: String, name: String) throws(FitOptionsError) in
            if text.isEmpty || text == "none" {
                options[keyPath: path] = nil
                return
            }
            guard let value = parse(text) else { throw FitOptionsError(name, "expects \(what) or none, got \"\(text)\"") }
            options[keyPath: path] = value
        }
    }

    private static func choices<E: RawRepresentable & CaseIterable>(_: E.Type) -> String where E.RawValue == String {
        "one of " + E.allCases.map(\.rawValue).joined(separator: ", ")
    }

    private static func enumeration<E: RawRepresentable & CaseIterable>(_ path: WritableKeyPath<FitOptions, E>) -> Setter
    where E.RawValue == String {
        value(path, choices(E.self), E.init(rawValue:))
    }

    private static func optionalEnumeration<E: RawRepresentable & CaseIterable>(_ path: WritableKeyPath<FitOptions, E?>)
        -> Setter where E.RawValue == String {
        optional(path, choices(E.self), E.init(rawValue:))
    }

    private static func boolean(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "1", "yes", "on": true
        case "false", "0", "no", "off": false
        default: nil
        }
    }

    private static func sizes(_ text: String) -> [Int]? {
        let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        return parts.isEmpty || parts.contains(nil) ? nil : parts.map { $0! }
    }

    // Read-only after its initialisation; key paths and closures are not Sendable in the type system.
    nonisolated(unsafe) private static let setters: [String: Setter] = [
        "method": enumeration(\.method),
        "supervised": value(\.supervised, "true or false", boolean),
        "train-split": value(\.trainSplit, "a split name") { $0.isEmpty ? nil : $0 },
        "init": optional(\.initialModel, "a model file") { $0 },
        "hidden": optional(\.hidden, "an integer") { Int($0) },
        "depth": value(\.depth, "an integer") { Int($0) },
        "activation": enumeration(\.activation),
        "rotation": enumeration(\.rotation),
        "train-rotation": value(\.trainRotation, "true or false", boolean),
        "center": optionalEnumeration(\.center),
        "precision": optionalEnumeration(\.precision),
        "sizes": optional(\.sizes, "sizes such as 16,32,64", sizes),
        "objective": optionalEnumeration(\.objective),
        "form": optionalEnumeration(\.form),
        "size-weighting": optionalEnumeration(\.sizeWeighting),
        "headroom-floor": value(\.headroomFloor, "a number") { Double($0) },
        "preserve-weight": optional(\.preserveWeight, "a number") { Float($0) },
        "distillation-temperature": value(\.distillationTemperature, "a number") { Float($0) },
        "reduction": enumeration(\.reduction),
        "k": value(\.neighbours, "an integer") { Int($0) },
        "alpha": value(\.alpha, "a number") { Float($0) },
        "beta": value(\.beta, "a number") { Float($0) },
        "batch-size": value(\.batchSize, "an integer") { Int($0) },
        "learning-rate": value(\.learningRate, "a number") { Float($0) },
        "iterations": optional(\.iterations, "an integer") { Int($0) },
        "patience": optional(\.patience, "an integer") { Int($0) },
        "validation-interval": value(\.validationInterval, "an integer") { Int($0) },
        "selection": enumeration(\.selection),
        "seed": value(\.seed, "a non-negative integer") { UInt64($0) },
        "anchors": optional(\.anchors, "an integer") { Int($0) },
        "mining-dimension": optional(\.miningDimension, "an integer") { Int($0) },
        "mining-shortlist": value(\.miningShortlist, "an integer") { Int($0) },
        "gamma": value(\.gamma, "a number") { Float($0) },
        "stage2-reduction": enumeration(\.stage2Reduction),
        "query-batch-size": value(\.queryBatchSize, "an integer") { Int($0) },
        "document-anchors": value(\.documentAnchors, "an integer") { Int($0) },
        "random-negatives": value(\.randomNegatives, "an integer") { Int($0) },
        "hard-negatives": value(\.hardNegatives, "an integer") { Int($0) },
        "stage2-iterations": value(\.stage2Iterations, "an integer") { Int($0) },
        "stage2-patience": value(\.stage2Patience, "an integer") { Int($0) },
        "stage2-validation-interval": value(\.stage2ValidationInterval, "an integer") { Int($0) },
        "stage2-learning-rate": value(\.stage2LearningRate, "a number") { Float($0) },
        "recovery-weight": value(\.recoveryWeight, "a number") { Float($0) },
        "prediction-weight": value(\.predictionWeight, "a number") { Float($0) },
        "ads": value(\.adaptiveSelection, "true or false", boolean),
        "xbm": value(\.crossBatchMemory, "true or false", boolean),
        "sequential": value(\.sequential, "true or false", boolean),
        "memory-size": value(\.memorySize, "an integer") { Int($0) },
        "memory-neighbours": value(\.memoryNeighbours, "an integer") { Int($0) },
        "importance-learning-rate": value(\.importanceLearningRate, "a number") { Float($0) },
    ]
}
