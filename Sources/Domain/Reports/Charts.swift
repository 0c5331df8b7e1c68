import Foundation

/// Charts drawn on the server as SVG (issue 8): readable without JavaScript, each with a title and a
/// text alternative (`<title>`, `<desc>`, `role="img"`); the page shows the same figures as a table
/// beside it. Colours come from CSS classes, so the charts follow the site's and the high-contrast
/// version's styles.
public enum Charts {
    public struct Bar: Sendable, Equatable {
        public var label: String
        public var value: Double
        /// The value as people read it («1 234», «87 %»).
        public var display: String
        /// The appeals behind the figure.
        public var link: String?

        public init(label: String, value: Double, display: String, link: String? = nil) {
            self.label = label
            self.value = value
            self.display = display
            self.link = link
        }
    }

    public struct Series: Sendable, Equatable {
        public var name: String
        public var values: [Double]

        public init(name: String, values: [Double]) {
            self.name = name
            self.values = values
        }
    }

    static let width = 640.0

    /// Horizontal bars, one per row, largest as given (the caller orders them).
    public static func bars(id: String, title: String, description: String, bars: [Bar]) -> String {
        let rowHeight = 26.0
        let labelWidth = 230.0
        let valueWidth = 70.0
        let top = 8.0
        let height = top * 2 + rowHeight * Double(max(bars.count, 1))
        let maximum = max(bars.map(\.value).max() ?? 0, 1)
        let area = width - labelWidth - valueWidth - 10
        var svg = open(id: id, title: title, description: description, height: height)
        if bars.isEmpty {
            svg += text(x: 10, y: top + 17, "Нет данных за период", cssClass: "chart-empty")
        }
        for (index, bar) in bars.enumerated() {
            let y = top + rowHeight * Double(index)
            let length = max(0, bar.value) / maximum * area
            var row = text(x: labelWidth - 8, y: y + 17, shorten(bar.label, 34), anchor: "end", cssClass: "chart-label")
            row += "<rect class=\"chart-bar\" x=\"\(fmt(labelWidth))\" y=\"\(fmt(y + 4))\" width=\"\(fmt(length))\" height=\"\(fmt(rowHeight - 8))\" rx=\"2\"><title>\(XMLText.escape(bar.label)): \(XMLText.escape(bar.display))</title></rect>"
            row += text(x: labelWidth + length + 6, y: y + 17, bar.display, cssClass: "chart-value")
            svg += link(bar.link, row)
        }
        return svg + "</svg>"
    }

    /// Vertical columns per category (months), stacked by series, with a legend.
    public static func stacked(
        id: String, title: String, description: String, categories: [String], series: [Series], links: [String?] = []
    ) -> String {
        let height = 280.0
        let left = 48.0
        let bottom = 40.0
        let top = 34.0
        let plotHeight = height - top - bottom
        let totals = categories.indices.map { index in series.map { $0.values.indices.contains(index) ? $0.values[index] : 0 }.reduce(0, +) }
        let maximum = niceMaximum(totals.max() ?? 0)
        let step = (width - left - 10) / Double(max(categories.count, 1))
        var svg = open(id: id, title: title, description: description, height: height)
        svg += axis(left: left, top: top, plotHeight: plotHeight, maximum: maximum, percent: false)
        // Legend.
        var legendX = left
        for (index, item) in series.enumerated() {
            svg += "<rect class=\"chart-series-\(index % 6)\" x=\"\(fmt(legendX))\" y=\"8\" width=\"12\" height=\"12\"/>"
            svg += text(x: legendX + 16, y: 18, item.name, cssClass: "chart-legend")
            legendX += 24 + Double(item.name.count) * 7
        }
        for (index, category) in categories.enumerated() {
            let x = left + step * Double(index)
            var y = top + plotHeight
            var column = ""
            for (seriesIndex, item) in series.enumerated() {
                let value = item.values.indices.contains(index) ? item.values[index] : 0
                guard value > 0 else { continue }
                let barHeight = value / maximum * plotHeight
                y -= barHeight
                column += "<rect class=\"chart-series-\(seriesIndex % 6)\" x=\"\(fmt(x + step * 0.15))\" y=\"\(fmt(y))\" width=\"\(fmt(step * 0.7))\" height=\"\(fmt(barHeight))\"><title>\(XMLText.escape(category)), \(XMLText.escape(item.name)): \(formatCount(value))</title></rect>"
            }
            column += text(x: x + step / 2, y: top + plotHeight + 16, shorten(category, Int(step / 7)), anchor: "middle", cssClass: "chart-label")
            svg += link(links.indices.contains(index) ? links[index] : nil, column)
        }
        return svg + "</svg>"
    }

    /// A line of shares (0…1) per category; a category without a value leaves a gap.
    public static func line(id: String, title: String, description: String, categories: [String], values: [Double?]) -> String {
        let height = 240.0
        let left = 48.0
        let bottom = 40.0
        let top = 16.0
        let plotHeight = height - top - bottom
        let step = (width - left - 10) / Double(max(categories.count, 1))
        var svg = open(id: id, title: title, description: description, height: height)
        svg += axis(left: left, top: top, plotHeight: plotHeight, maximum: 1, percent: true)
        var path = ""
        var drawing = false
        for (index, value) in values.enumerated() {
            let x = left + step * (Double(index) + 0.5)
            guard let value else {
                drawing = false
                continue
            }
            let y = top + plotHeight * (1 - min(max(value, 0), 1))
            path += "\(drawing ? "L" : "M")\(fmt(x)) \(fmt(y)) "
            drawing = true
        }
        if !path.isEmpty { svg += "<path class=\"chart-line\" d=\"\(path.trimmingCharacters(in: .whitespaces))\" fill=\"none\"/>" }
        for (index, value) in values.enumerated() {
            let x = left + step * (Double(index) + 0.5)
            if let value {
                let y = top + plotHeight * (1 - min(max(value, 0), 1))
                svg += "<circle class=\"chart-point\" cx=\"\(fmt(x))\" cy=\"\(fmt(y))\" r=\"4\"><title>\(XMLText.escape(categories[index])): \(formatShare(value))</title></circle>"
            }
            if categories.indices.contains(index) {
                svg += text(x: x, y: top + plotHeight + 16, shorten(categories[index], Int(step / 7)), anchor: "middle", cssClass: "chart-label")
            }
        }
        return svg + "</svg>"
    }

    /// 0…9: how dark a heat-map cell is, against the largest value in the table.
    public static func heat(_ value: Int, maximum: Int) -> Int {
        guard maximum > 0, value > 0 else { return 0 }
        return max(1, min(9, Int((Double(value) / Double(maximum) * 9).rounded(.up))))
    }

    // MARK: Pieces

    static func open(id: String, title: String, description: String, height: Double) -> String {
        let titleID = "\(id)-title"
        let descID = "\(id)-desc"
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"\(XMLText.escape(id))\" viewBox=\"0 0 \(fmt(width)) \(fmt(height))\" "
            + "role=\"img\" aria-labelledby=\"\(XMLText.escape(titleID)) \(XMLText.escape(descID))\">"
            + "<title id=\"\(XMLText.escape(titleID))\">\(XMLText.escape(title))</title>"
            + "<desc id=\"\(XMLText.escape(descID))\">\(XMLText.escape(description))</desc>"
    }

    static func axis(left: Double, top: Double, plotHeight: Double, maximum: Double, percent: Bool) -> String {
        var svg = ""
        for tick in 0...4 {
            let value = maximum * Double(tick) / 4
            let y = top + plotHeight * (1 - Double(tick) / 4)
            svg += "<line class=\"chart-grid\" x1=\"\(fmt(left))\" y1=\"\(fmt(y))\" x2=\"\(fmt(width - 10))\" y2=\"\(fmt(y))\"/>"
            svg += text(x: left - 6, y: y + 4, percent ? formatShare(value) : formatCount(value), anchor: "end", cssClass: "chart-axis")
        }
        return svg
    }

    static func text(x: Double, y: Double, _ content: String, anchor: String = "start", cssClass: String) -> String {
        "<text class=\"\(cssClass)\" x=\"\(fmt(x))\" y=\"\(fmt(y))\" text-anchor=\"\(anchor)\">\(XMLText.escape(content))</text>"
    }

    static func link(_ href: String?, _ content: String) -> String {
        guard let href else { return "<g>\(content)</g>" }
        return "<a href=\"\(XMLText.escape(href))\">\(content)</a>"
    }

    static func shorten(_ text: String, _ limit: Int) -> String {
        guard limit > 1, text.count > limit else { return text }
        return String(text.prefix(limit - 1)) + "…"
    }

    /// A round top for the axis: 1, 2, 2.5 or 5 times a power of ten.
    static func niceMaximum(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        let power = pow(10, floor(log10(value)))
        for factor in [1.0, 2, 2.5, 5, 10] where factor * power >= value { return factor * power }
        return 10 * power
    }

    static func fmt(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    /// «1 234» with a thin non-breaking space, as Russian texts group digits.
    public static func formatCount(_ value: Double) -> String {
        let number = Int(value.rounded())
        let digits = String(abs(number))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append("\u{202F}") }
            out.append(digit)
        }
        return number < 0 ? "−" + out : out
    }

    /// «87 %».
    public static func formatShare(_ value: Double) -> String {
        "\(Int((value * 100).rounded()))\u{00A0}%"
    }
}
