import Foundation

/// An inline SVG line chart: one polyline (with point markers) per series over shared x values, a log2 x
/// axis with a tick at each x, a linear y axis, axis labels and a legend. No script, no external resources.
public struct LineChart: Sendable {
    /// One line.
    public struct Series: Sendable {
        /// The legend label.
        public var name: String
        /// `(x, y)` points in drawing order.
        public var points: [(x: Double, y: Double)]
        /// A series.
        public init(name: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.points = points
        }
    }

    /// The lines, one colour each from ``palette``.
    public var series: [Series]
    /// An optional horizontal reference line `(label, y)`, drawn dashed.
    public var reference: (label: String, y: Double)?
    /// Axis labels.
    public var xLabel: String
    public var yLabel: String
    /// The SVG's size in pixels.
    public var width = 760.0
    public var height = 440.0
    /// The plot area's margins: left, top, right, bottom (the legend sits in the right margin).
    public var margins = (left: 64.0, top: 20.0, right: 220.0, bottom: 56.0)

    /// Distinct colours for up to ten series (then they repeat).
    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                 "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]

    /// A chart of `series`.
    public init(series: [Series], xLabel: String, yLabel: String) {
        self.series = series
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    /// The plot area in SVG coordinates: `(x, y, width, height)`.
    public var plotArea: (x: Double, y: Double, width: Double, height: Double) {
        (margins.left, margins.top, width - margins.left - margins.right, height - margins.top - margins.bottom)
    }

    /// The `<svg>` element.
    public func svg() -> String {
        let xs = Array(Set(series.flatMap { $0.points.map(\.x) })).sorted()
        let ys = series.flatMap { $0.points.map(\.y) } + (reference.map { [$0.y] } ?? [])
        guard let xMin = xs.first, let xMax = xs.last, !ys.isEmpty else {
            return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\"></svg>"
        }
        let area = plotArea
        let yTop = (ys.max()! / 10).rounded(.up) * 10
        let yBottom = max(0, (ys.min()! / 10).rounded(.down) * 10)
        let yRange = max(yTop - yBottom, 1)
        func px(_ x: Double) -> Double {
            xMax > xMin ? area.x + (log2(x) - log2(xMin)) / (log2(xMax) - log2(xMin)) * area.width : area.x + area.width / 2
        }
        func py(_ y: Double) -> Double { area.y + area.height - (y - yBottom) / yRange * area.height }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var out = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
                + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(yLabel)) against \(escape(xLabel))\">",
            "<rect x=\"0\" y=\"0\" width=\"\(Int(width))\" height=\"\(Int(height))\" fill=\"#ffffff\"/>",
            "<rect class=\"plot-area\" x=\"\(f(area.x))\" y=\"\(f(area.y))\" width=\"\(f(area.width))\" height=\"\(f(area.height))\" fill=\"#fafafa\" stroke=\"#999999\"/>",
        ]
        var tick = yBottom
        while tick <= yTop + 1e-9 {
            out.append("<line x1=\"\(f(area.x))\" x2=\"\(f(area.x + area.width))\" y1=\"\(f(py(tick)))\" y2=\"\(f(py(tick)))\" stroke=\"#e0e0e0\"/>")
            out.append("<text x=\"\(f(area.x - 8))\" y=\"\(f(py(tick) + 4))\" text-anchor=\"end\" font-size=\"12\">\(Int(tick))</text>")
            tick += yRange > 40 ? 10 : 5
        }
        for x in xs {
            out.append("<line x1=\"\(f(px(x)))\" x2=\"\(f(px(x)))\" y1=\"\(f(area.y + area.height))\" y2=\"\(f(area.y + area.height + 5))\" stroke=\"#666666\"/>")
            out.append("<text x=\"\(f(px(x)))\" y=\"\(f(area.y + area.height + 20))\" text-anchor=\"middle\" font-size=\"12\">\(Int(x))</text>")
        }
        out.append("<text class=\"x-label\" x=\"\(f(area.x + area.width / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\" font-size=\"13\">\(escape(xLabel))</text>")
        out.append("<text class=\"y-label\" x=\"16\" y=\"\(f(area.y + area.height / 2))\" text-anchor=\"middle\" font-size=\"13\" "
            + "transform=\"rotate(-90 16 \(f(area.y + area.height / 2)))\">\(escape(yLabel))</text>")
        if let reference {
            out.append("<line class=\"reference\" x1=\"\(f(area.x))\" x2=\"\(f(area.x + area.width))\" y1=\"\(f(py(reference.y)))\" "
                + "y2=\"\(f(py(reference.y)))\" stroke=\"#555555\" stroke-width=\"1\" stroke-dasharray=\"5 4\"/>")
            out.append("<text x=\"\(f(area.x + 6))\" y=\"\(f(py(reference.y) - 5))\" font-size=\"11\" fill=\"#555555\">\(escape(reference.label))</text>")
        }
        for (i, s) in series.enumerated() {
            let colour = Self.palette[i % Self.palette.count]
            let points = s.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            out.append("<polyline data-series=\"\(escape(s.name))\" points=\"\(points)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2.5\"/>")
            for p in s.points {
                out.append("<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"3.5\" fill=\"\(colour)\"/>")
            }
            let legendY = area.y + 14 + Double(i) * 22
            let legendX = area.x + area.width + 16
            out.append("<line class=\"legend\" x1=\"\(f(legendX))\" x2=\"\(f(legendX + 24))\" y1=\"\(f(legendY))\" y2=\"\(f(legendY))\" stroke=\"\(colour)\" stroke-width=\"3\"/>")
            out.append("<text x=\"\(f(legendX + 30))\" y=\"\(f(legendY + 4))\" font-size=\"12\">\(escape(s.name))</text>")
        }
        out.append("</svg>")
        return out.joined(separator: "\n")
    }
}

/// Escapes text for HTML and SVG.
func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
