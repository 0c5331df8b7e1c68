/// RFC 4180 CSV: comma-separated, fields with commas, quotes or line breaks in double quotes, quotes
/// doubled inside. Excel's UTF-8 byte-order mark is skipped. Rows keep the line they start on, so
/// validation errors can name it.
public enum CSV {
    public struct Row: Sendable, Hashable {
        public var line: Int
        public var fields: [String]
    }

    public struct ParseError: Error, Sendable, Hashable {
        public var line: Int
        public var message: String
    }

    public static func parse(_ text: String) throws(ParseError) -> [Row] {
        var rows: [Row] = []
        var field = ""
        var fields: [String] = []
        var line = 1
        var rowLine = 1
        var inQuotes = false
        var fieldStarted = false
        var iterator = Array(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text).makeIterator()
        var pending: Character? = nil

        func next() -> Character? {
            if let value = pending {
                pending = nil
                return value
            }
            return iterator.next()
        }

        while let character = next() {
            if inQuotes {
                if character == "\"" {
                    if let following = next() {
                        if following == "\"" {
                            field.append("\"")
                        } else {
                            inQuotes = false
                            pending = following
                        }
                    } else {
                        inQuotes = false
                    }
                } else {
                    if character == "\n" || character == "\r\n" { line += 1 }
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"" where !fieldStarted:
                inQuotes = true
                fieldStarted = true
            case ",":
                fields.append(field)
                field = ""
                fieldStarted = false
            case "\n", "\r\n", "\r":
                fields.append(field)
                if !(fields.count == 1 && fields[0].isEmpty) { rows.append(Row(line: rowLine, fields: fields)) }
                fields = []
                field = ""
                fieldStarted = false
                line += 1
                rowLine = line
            default:
                if character == "\"" { throw ParseError(line: line, message: "unexpected quote inside an unquoted field") }
                field.append(character)
                fieldStarted = true
            }
        }
        if inQuotes { throw ParseError(line: rowLine, message: "a quoted field is not closed") }
        if fieldStarted || !fields.isEmpty {
            fields.append(field)
            rows.append(Row(line: rowLine, fields: fields))
        }
        return rows
    }

    public static func render(_ rows: [[String]]) -> String {
        rows.map { row in row.map(quote).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    static func quote(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
            || field.hasPrefix(" ") || field.hasSuffix(" ")
        else { return field }
        return "\"" + field.replacing("\"", with: "\"\"") + "\""
    }
}
