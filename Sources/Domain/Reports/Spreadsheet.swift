import Foundation

/// Report tables as spreadsheets: an Office Open XML workbook (.xlsx) as data — the parts and their
/// paths, zipped by the App — and CSV that Excel opens with Cyrillic intact.
///
/// The workbook is the smallest SpreadsheetML that Excel, LibreOffice and openpyxl read without a
/// repair prompt: typed numeric cells (with number formats), inline strings, a bold filled header
/// row frozen under the title, column widths, and core properties.
public enum Spreadsheet {
    public enum Format: String, Sendable, Codable, CaseIterable {
        case count, money, share, decimal
    }

    public enum Cell: Sendable, Equatable {
        case text(String)
        case number(Double, Format)
        case empty
    }

    public struct Sheet: Sendable, Equatable {
        public var name: String
        public var title: String
        public var subtitle: String
        public var headers: [String]
        public var rows: [[Cell]]
        public var total: [Cell]?

        public init(name: String, title: String, subtitle: String, headers: [String], rows: [[Cell]], total: [Cell]?) {
            self.name = name
            self.title = title
            self.subtitle = subtitle
            self.headers = headers
            self.rows = rows
            self.total = total
        }
    }

    // MARK: XLSX

    /// The parts of the workbook. `created` stamps the core properties.
    public static func xlsx(_ sheets: [Sheet], created: Date) -> [(path: String, data: Data)] {
        var parts: [(String, String)] = [
            ("[Content_Types].xml", contentTypes(sheets.count)),
            ("_rels/.rels", packageRelationships),
            ("docProps/core.xml", coreProperties(title: sheets.first?.title ?? "", created: created)),
            ("xl/workbook.xml", workbook(sheets)),
            ("xl/_rels/workbook.xml.rels", workbookRelationships(sheets.count)),
            ("xl/styles.xml", styles),
        ]
        for (index, sheet) in sheets.enumerated() {
            parts.append(("xl/worksheets/sheet\(index + 1).xml", worksheet(sheet)))
        }
        return parts.map { (path: $0.0, data: Data($0.1.utf8)) }
    }

    static let header = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
    static let mainNamespace = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    static let relNamespace = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

    static func contentTypes(_ count: Int) -> String {
        header + "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
            + "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
            + "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
            + "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
            + "<Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>"
            + (1...max(count, 1)).map {
                "<Override PartName=\"/xl/worksheets/sheet\($0).xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
            }.joined()
            + "<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>"
            + "</Types>"
    }

    static let packageRelationships =
        header + "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        + "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>"
        + "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>"
        + "</Relationships>"

    static func coreProperties(title: String, created: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let stamp = formatter.string(from: created)
        return header
            + "<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" "
            + "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" "
            + "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
            + "<dc:title>\(XMLText.escape(title))</dc:title><dc:creator>ConsumerDesk</dc:creator>"
            + "<dcterms:created xsi:type=\"dcterms:W3CDTF\">\(stamp)</dcterms:created>"
            + "<dcterms:modified xsi:type=\"dcterms:W3CDTF\">\(stamp)</dcterms:modified>"
            + "</cp:coreProperties>"
    }

    static func workbook(_ sheets: [Sheet]) -> String {
        var used: Set<String> = []
        let names = sheets.map { sheet -> String in
            var name = sheetName(sheet.name)
            var suffix = 2
            while used.contains(name.lowercased()) {
                name = String(sheetName(sheet.name).prefix(28)) + " \(suffix)"
                suffix += 1
            }
            used.insert(name.lowercased())
            return name
        }
        return header + "<workbook xmlns=\"\(mainNamespace)\" xmlns:r=\"\(relNamespace)\"><sheets>"
            + names.enumerated().map { "<sheet name=\"\(XMLText.escape($1))\" sheetId=\"\($0 + 1)\" r:id=\"rId\($0 + 1)\"/>" }.joined()
            + "</sheets></workbook>"
    }

    /// Excel's rules for a sheet name: at most 31 characters, none of `[]:*?/\`, not blank.
    static func sheetName(_ raw: String) -> String {
        let cleaned = String(raw.filter { !"[]:*?/\\".contains($0) }.prefix(31)).trimmingCharacters(in: .whitespaces)
        return cleaned.isEmpty ? "Лист" : cleaned
    }

    static func workbookRelationships(_ count: Int) -> String {
        header + "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
            + (1...max(count, 1)).map {
                "<Relationship Id=\"rId\($0)\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet\($0).xml\"/>"
            }.joined()
            + "<Relationship Id=\"rId\(count + 1)\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>"
            + "</Relationships>"
    }

    /// Cell styles by index: 0 plain, 1 title, 2 header, 3 count, 4 money, 5 share, 6 decimal, then the same
    /// four in bold for the totals row (7…10), 11 bold text.
    static let styles =
        header + "<styleSheet xmlns=\"\(mainNamespace)\">"
        + "<numFmts count=\"1\"><numFmt numFmtId=\"164\" formatCode=\"0.0\"/></numFmts>"
        + "<fonts count=\"3\"><font><sz val=\"11\"/><name val=\"Calibri\"/></font><font><b/><sz val=\"11\"/><name val=\"Calibri\"/></font>"
        + "<font><b/><sz val=\"14\"/><name val=\"Calibri\"/></font></fonts>"
        + "<fills count=\"3\"><fill><patternFill patternType=\"none\"/></fill><fill><patternFill patternType=\"gray125\"/></fill>"
        + "<fill><patternFill patternType=\"solid\"><fgColor rgb=\"FFDCE6F1\"/><bgColor indexed=\"64\"/></patternFill></fill></fills>"
        + "<borders count=\"2\"><border><left/><right/><top/><bottom/><diagonal/></border>"
        + "<border><left style=\"thin\"/><right style=\"thin\"/><top style=\"thin\"/><bottom style=\"thin\"/><diagonal/></border></borders>"
        + "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>"
        + "<cellXfs count=\"12\">"
        + "<xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>"
        + "<xf numFmtId=\"0\" fontId=\"2\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/>"
        + "<xf numFmtId=\"0\" fontId=\"1\" fillId=\"2\" borderId=\"1\" xfId=\"0\" applyFont=\"1\" applyFill=\"1\" applyBorder=\"1\" applyAlignment=\"1\"><alignment wrapText=\"1\" vertical=\"top\"/></xf>"
        + "<xf numFmtId=\"3\" fontId=\"0\" fillId=\"0\" borderId=\"1\" xfId=\"0\" applyNumberFormat=\"1\" applyBorder=\"1\"/>"
        + "<xf numFmtId=\"4\" fontId=\"0\" fillId=\"0\" borderId=\"1\" xfId=\"0\" applyNumberFormat=\"1\" applyBorder=\"1\"/>"
        + "<xf numFmtId=\"9\" fontId=\"0\" fillId=\"0\" borderId=\"1\" xfId=\"0\" applyNumberFormat=\"1\" applyBorder=\"1\"/>"
        + "<xf numFmtId=\"164\" fontId=\"0\" fillId=\"0\" borderId=\"1\" xfId=\"0\" applyNumberFormat=\"1\" applyBorder=\"1\"/>"
        + "<xf numFmtId=\"3\" fontId=\"1\" fillId=\"0\" borderId=\"1\" xfId=\"0\" applyNumberFormat=\"1\" applyFont=\"1\" applyBorder=\"1\"/>"
        + "<xf numFmtId=\"4\" fontId=\"1\" fillId=\"0\" borderId=\"1\" xfId=\"0\" applyNumberFormat=\"1\" applyFont=\"1\" applyBorder=\"1\"/>"
        + "<xf numFmtId=\"9\" fontId=\"1\" fillId=\"0\" borderId=\"1\" xfId=\"0\" applyNumberFormat=\"1\" applyFont=\"1\" applyBorder=\"1\"/>"
        + "<xf numFmtId=\"164\" fontId=\"1\" fillId=\"0\" borderId=\"1\" xfId=\"0\" applyNumberFormat=\"1\" applyFont=\"1\" applyBorder=\"1\"/>"
        + "<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"1\" xfId=\"0\" applyFont=\"1\" applyBorder=\"1\"/>"
        + "</cellXfs><cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles></styleSheet>"

    static func style(_ format: Format, bold: Bool) -> Int {
        let base: Int
        switch format {
        case .count: base = 3
        case .money: base = 4
        case .share: base = 5
        case .decimal: base = 6
        }
        return bold ? base + 4 : base
    }

    /// A1 column letters: 0 → A, 25 → Z, 26 → AA.
    public static func column(_ index: Int) -> String {
        var number = index + 1
        var letters = ""
        while number > 0 {
            let remainder = (number - 1) % 26
            letters = String(UnicodeScalar(UInt8(65 + remainder))) + letters
            number = (number - 1) / 26
        }
        return letters
    }

    /// The header row is the third: the title and the period above it; everything under it scrolls.
    static let headerRow = 3

    static func worksheet(_ sheet: Sheet) -> String {
        let columns = max(sheet.headers.count, sheet.rows.map(\.count).max() ?? 0, 1)
        var widths = Array(repeating: 8.0, count: columns)
        for (index, header) in sheet.headers.enumerated() { widths[index] = max(widths[index], min(Double(header.count) * 0.55 + 2, 22)) }
        for row in sheet.rows + (sheet.total.map { [$0] } ?? []) {
            for (index, cell) in row.enumerated() where index < columns {
                if case .text(let text) = cell { widths[index] = max(widths[index], min(Double(text.count) + 2, 60)) }
                if case .number(let value, _) = cell { widths[index] = max(widths[index], Double(String(format: "%.2f", value).count) + 4) }
            }
        }
        var xml = header + "<worksheet xmlns=\"\(mainNamespace)\" xmlns:r=\"\(relNamespace)\">"
        xml += "<sheetViews><sheetView workbookViewId=\"0\"><pane xSplit=\"1\" ySplit=\"\(headerRow)\" topLeftCell=\"B\(headerRow + 1)\" activePane=\"bottomRight\" state=\"frozen\"/>"
        xml += "<selection pane=\"bottomRight\" activeCell=\"B\(headerRow + 1)\" sqref=\"B\(headerRow + 1)\"/></sheetView></sheetViews>"
        xml += "<sheetFormatPr defaultRowHeight=\"15\"/><cols>"
        for (index, width) in widths.enumerated() {
            xml += "<col min=\"\(index + 1)\" max=\"\(index + 1)\" width=\"\(String(format: "%.1f", width))\" customWidth=\"1\"/>"
        }
        xml += "</cols><sheetData>"
        xml += row(1, [.text(sheet.title)], style: { _ in 1 })
        xml += row(2, [.text(sheet.subtitle)], style: { _ in 0 })
        xml += row(headerRow, sheet.headers.map { .text($0) }, style: { _ in 2 }, height: 45)
        var number = headerRow
        for cells in sheet.rows {
            number += 1
            xml += row(number, cells, style: { cell in
                if case .number(_, let format) = cell { return style(format, bold: false) }
                return 0
            })
        }
        if let total = sheet.total {
            number += 1
            xml += row(number, total, style: { cell in
                if case .number(_, let format) = cell { return style(format, bold: true) }
                return 11
            })
        }
        xml += "</sheetData></worksheet>"
        return xml
    }

    static func row(_ number: Int, _ cells: [Cell], style: (Cell) -> Int, height: Double? = nil) -> String {
        var xml = "<row r=\"\(number)\"" + (height.map { " ht=\"\($0)\" customHeight=\"1\"" } ?? "") + ">"
        for (index, cell) in cells.enumerated() {
            let reference = "\(column(index))\(number)"
            let styleIndex = style(cell)
            switch cell {
            case .empty:
                continue
            case .text(let text):
                xml += "<c r=\"\(reference)\" s=\"\(styleIndex)\" t=\"inlineStr\"><is><t xml:space=\"preserve\">\(XMLText.escape(text))</t></is></c>"
            case .number(let value, _):
                guard value.isFinite else { continue }
                xml += "<c r=\"\(reference)\" s=\"\(styleIndex)\"><v>\(numberText(value))</v></c>"
            }
        }
        return xml + "</row>"
    }

    static func numberText(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    // MARK: CSV

    /// CSV for a spreadsheet in a Russian locale: UTF-8 with a byte-order mark (so Excel reads Cyrillic),
    /// `;` between fields (Excel's list separator there), a decimal comma, CRLF. A text that a spreadsheet
    /// would run as a formula gets a leading apostrophe.
    public static func csv(_ sheet: Sheet) -> Data {
        var lines: [[String]] = [[sheet.title], [sheet.subtitle], sheet.headers]
        for cells in sheet.rows + (sheet.total.map { [$0] } ?? []) {
            lines.append(cells.map(csvText))
        }
        let text = lines.map { $0.map(csvQuote).joined(separator: ";") }.joined(separator: "\r\n") + "\r\n"
        return Data([0xEF, 0xBB, 0xBF]) + Data(text.utf8)
    }

    static func csvText(_ cell: Cell) -> String {
        switch cell {
        case .empty: return ""
        case .text(let text):
            if let first = text.first, "=+-@\t\r".contains(first) { return "'" + text }
            return text
        case .number(let value, let format):
            let text: String
            switch format {
            case .count: text = numberText(value.rounded())
            case .money: text = String(format: "%.2f", value)
            case .share: text = String(format: "%.4f", value)
            case .decimal: text = String(format: "%.1f", value)
            }
            return text.replacingOccurrences(of: ".", with: ",")
        }
    }

    static func csvQuote(_ field: String) -> String {
        guard field.contains(where: { $0 == ";" || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
