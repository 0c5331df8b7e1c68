/// The Markdown the knowledge base is written in, rendered to HTML that is safe to put on a page
/// whoever wrote the source: every character of the source is escaped, raw HTML shows as text, and
/// links keep only addresses that cannot run code (`/…`, `#…`, `http(s)://…`, `mailto:…`).
///
/// The subset is what editors need for legal explanations: `#`–`####` headings (shown from `<h2>`,
/// the page title being the only `<h1>`), paragraphs, `**bold**`, `*italic*`, `` `code` ``,
/// `[links](/kb/…)`, `-`/`*` and `1.` lists, `>` quotes, fenced code and `---` rules.
public enum Markdown {
    public static func html(_ source: String) -> String {
        var out = ""
        render(blocks(lines(source)), into: &out)
        return out
    }

    /// The words of the document without markup: for search and summaries.
    public static func plainText(_ source: String) -> String {
        var out: [String] = []
        collectText(blocks(lines(source)), into: &out)
        return out.joined(separator: "\n")
    }

    // MARK: Blocks

    indirect enum Block: Equatable {
        case heading(level: Int, text: String)
        case paragraph(String)
        case list(ordered: Bool, items: [String])
        case quote([Block])
        case code(String)
        case rule
    }

    static func lines(_ source: String) -> [String] {
        source.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false).map { line in
                String(line).replacingOccurrences(of: "\t", with: "    ")
            }
    }

    static func blocks(_ lines: [String]) -> [Block] {
        var result: [Block] = []
        var index = 0
        var paragraph: [String] = []

        func flushParagraph() {
            if !paragraph.isEmpty {
                result.append(.paragraph(paragraph.joined(separator: "\n")))
                paragraph = []
            }
        }

        while index < lines.count {
            let line = lines[index]
            let trimmed = line.trimmingSpaces
            if trimmed.isEmpty {
                flushParagraph()
                index += 1
                continue
            }
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                flushParagraph()
                let fence = String(trimmed.prefix(3))
                var code: [String] = []
                index += 1
                while index < lines.count, !lines[index].trimmingSpaces.hasPrefix(fence) {
                    code.append(lines[index])
                    index += 1
                }
                index += 1
                result.append(.code(code.joined(separator: "\n")))
                continue
            }
            if let heading = heading(trimmed) {
                flushParagraph()
                result.append(heading)
                index += 1
                continue
            }
            if isRule(trimmed) {
                flushParagraph()
                result.append(.rule)
                index += 1
                continue
            }
            if trimmed.hasPrefix(">") {
                flushParagraph()
                var quoted: [String] = []
                while index < lines.count, lines[index].trimmingSpaces.hasPrefix(">") {
                    var rest = lines[index].trimmingSpaces.dropFirst()
                    if rest.first == " " { rest = rest.dropFirst() }
                    quoted.append(String(rest))
                    index += 1
                }
                result.append(.quote(blocks(quoted)))
                continue
            }
            if let (ordered, first) = listItem(trimmed) {
                flushParagraph()
                var items = [first]
                index += 1
                while index < lines.count {
                    let next = lines[index]
                    let nextTrimmed = next.trimmingSpaces
                    if nextTrimmed.isEmpty {
                        // A blank line ends the list unless another item of the same kind follows.
                        if index + 1 < lines.count, let (o, _) = listItem(lines[index + 1].trimmingSpaces), o == ordered {
                            index += 1
                            continue
                        }
                        break
                    }
                    if let (o, text) = listItem(nextTrimmed), o == ordered {
                        items.append(text)
                    } else if next.hasPrefix("  ") {
                        items[items.count - 1] += "\n" + nextTrimmed
                    } else {
                        break
                    }
                    index += 1
                }
                result.append(.list(ordered: ordered, items: items))
                continue
            }
            paragraph.append(trimmed)
            index += 1
        }
        flushParagraph()
        return result
    }

    static func heading(_ line: String) -> Block? {
        let hashes = line.prefix { $0 == "#" }.count
        guard (1...6).contains(hashes) else { return nil }
        let rest = line.dropFirst(hashes)
        guard rest.isEmpty || rest.first == " " else { return nil }
        var text = rest.trimmingSpaces
        while text.hasSuffix("#") { text.removeLast() }
        return .heading(level: min(max(hashes, 2), 4), text: text.trimmingSpaces)
    }

    static func isRule(_ line: String) -> Bool {
        let compact = line.filter { $0 != " " }
        guard compact.count >= 3, let first = compact.first, "-*_".contains(first) else { return false }
        return compact.allSatisfy { $0 == first }
    }

    /// `- text`, `* text`, `+ text` or `12. text` / `12) text`.
    static func listItem(_ line: String) -> (ordered: Bool, text: String)? {
        if let first = line.first, "-*+".contains(first), line.dropFirst().first == " " {
            return (false, String(line.dropFirst(2)).trimmingSpaces)
        }
        let digits = line.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 9 else { return nil }
        let rest = line.dropFirst(digits.count)
        guard let marker = rest.first, marker == "." || marker == ")", rest.dropFirst().first == " " else { return nil }
        return (true, String(rest.dropFirst(2)).trimmingSpaces)
    }

    static func render(_ blocks: [Block], into out: inout String) {
        for block in blocks {
            switch block {
            case .heading(let level, let text):
                out += "<h\(level)>" + inline(text) + "</h\(level)>\n"
            case .paragraph(let text):
                out += "<p>" + inline(text).replacingOccurrences(of: "\n", with: " ") + "</p>\n"
            case .list(let ordered, let items):
                let tag = ordered ? "ol" : "ul"
                out += "<\(tag)>\n"
                for item in items { out += "<li>" + inline(item).replacingOccurrences(of: "\n", with: "<br>") + "</li>\n" }
                out += "</\(tag)>\n"
            case .quote(let inner):
                out += "<blockquote>\n"
                render(inner, into: &out)
                out += "</blockquote>\n"
            case .code(let text):
                out += "<pre><code>" + escape(text) + "</code></pre>\n"
            case .rule:
                out += "<hr>\n"
            }
        }
    }

    static func collectText(_ blocks: [Block], into out: inout [String]) {
        for block in blocks {
            switch block {
            case .heading(_, let text), .paragraph(let text): out.append(inlineText(text))
            case .list(_, let items): out.append(contentsOf: items.map(inlineText))
            case .quote(let inner): collectText(inner, into: &out)
            case .code(let text): out.append(text)
            case .rule: break
            }
        }
    }

    // MARK: Inline

    /// Inline markup to HTML. Text is escaped as it is copied; markup only ever adds fixed tags.
    static func inline(_ text: String) -> String {
        var out = ""
        walkInline(Array(text), emit: { out += escape($0) }, tag: { out += $0 })
        return out
    }

    static func inlineText(_ text: String) -> String {
        var out = ""
        walkInline(Array(text), emit: { out += $0 }, tag: { _ in })
        return out
    }

    /// How far a closing marker, bracket or parenthesis is looked for, and how deep markup nests: a
    /// paragraph of 200 KB of `[[[[` or `*a *a` must cost linear time and bounded memory, whoever wrote it.
    static let reach = 600
    static let maxDepth = 6

    private static func walkInline(
        _ chars: [Character], depth: Int = 0, links: Bool = true, emit: (String) -> Void, tag: (String) -> Void
    ) {
        // Too deep: the rest is plain text.
        if depth >= maxDepth {
            emit(String(chars))
            return
        }
        var i = 0
        var plain = ""
        func flush() {
            if !plain.isEmpty { emit(plain); plain = "" }
        }
        while i < chars.count {
            let c = chars[i]
            if c == "\\", i + 1 < chars.count, "\\`*_[]()#+-.!>".contains(chars[i + 1]) {
                plain.append(chars[i + 1])
                i += 2
                continue
            }
            if c == "`", let end = find("`", in: chars, from: i + 1) {
                flush()
                tag("<code>")
                emit(String(chars[(i + 1)..<end]))
                tag("</code>")
                i = end + 1
                continue
            }
            if c == "*" || c == "_" {
                let double = i + 1 < chars.count && chars[i + 1] == c
                let marker = double ? String([c, c]) : String(c)
                let start = i + marker.count
                // Emphasis opens only before a non-space and closes at the same marker after a non-space.
                if start < chars.count, chars[start] != " ",
                    let end = findMarker(marker, in: chars, from: start), end > start
                {
                    flush()
                    tag(double ? "<strong>" : "<em>")
                    walkInline(Array(chars[start..<end]), depth: depth + 1, links: links, emit: emit, tag: tag)
                    tag(double ? "</strong>" : "</em>")
                    i = end + marker.count
                    continue
                }
            }
            // Links do not nest: inside a label, brackets are text.
            if links, c == "[", let close = findBracket(chars, from: i + 1), close + 1 < chars.count, chars[close + 1] == "(",
                let paren = find(")", in: chars, from: close + 2)
            {
                let label = Array(chars[(i + 1)..<close])
                let target = String(chars[(close + 2)..<paren]).trimmingSpaces
                flush()
                if let url = safeURL(target) {
                    let external = url.hasPrefix("http://") || url.hasPrefix("https://")
                    tag("<a href=\"" + escape(url) + "\"" + (external ? " rel=\"noopener nofollow\"" : "") + ">")
                    walkInline(label, depth: depth + 1, links: false, emit: emit, tag: tag)
                    tag("</a>")
                } else {
                    walkInline(label, depth: depth + 1, links: false, emit: emit, tag: tag)
                }
                i = paren + 1
                continue
            }
            plain.append(c)
            i += 1
        }
        flush()
    }

    private static func find(_ target: Character, in chars: [Character], from start: Int) -> Int? {
        var i = start
        while i < min(chars.count, start + reach) {
            if chars[i] == target { return i }
            i += 1
        }
        return nil
    }

    private static func findMarker(_ marker: String, in chars: [Character], from start: Int) -> Int? {
        let m = Array(marker)
        var i = start
        while i + m.count <= min(chars.count, start + reach) {
            if chars[i] == "\\" { i += 2; continue }
            if Array(chars[i..<(i + m.count)]) == m, chars[i - 1] != " " {
                // `**` must not be taken as the closing of a single `*`.
                if m.count == 1, i + 1 < chars.count, chars[i + 1] == m[0] { i += 2; continue }
                return i
            }
            i += 1
        }
        return nil
    }

    private static func findBracket(_ chars: [Character], from start: Int) -> Int? {
        var depth = 0
        var i = start
        while i < min(chars.count, start + reach) {
            switch chars[i] {
            case "[": depth += 1
            case "]":
                if depth == 0 { return i }
                depth -= 1
            default: break
            }
            i += 1
        }
        return nil
    }

    /// Addresses that cannot run code. Anything with another scheme (`javascript:`, `data:`, `vbscript:`,
    /// including ones hidden by case, spaces or control characters) is dropped and the label stays as text.
    public static func safeURL(_ raw: String) -> String? {
        let url = raw.trimmingSpaces
        // Browsers read `\` as `/`, so `/\evil.example` would be another site.
        guard !url.isEmpty, !url.contains("\\"),
            !url.contains(where: { $0.isWhitespace || ($0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } ?? false) })
        else { return nil }
        if url.hasPrefix("//") { return nil }
        if url.hasPrefix("/") || url.hasPrefix("#") || url.hasPrefix("?") { return url }
        let lower = url.lowercased()
        for scheme in ["https://", "http://", "mailto:"] where lower.hasPrefix(scheme) { return url }
        // A relative address without a scheme (`faq`) is fine; one with a colon before any slash is a scheme.
        if let colon = url.firstIndex(of: ":") {
            let slash = url.firstIndex(of: "/") ?? url.endIndex
            if colon < slash { return nil }
        }
        return url
    }

    /// HTML-escapes text for element content and quoted attributes: the one escaping of the app's own
    /// HTML (search snippets included). Text without `& < > " '` is returned as it is.
    public static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        var slice = Substring(self)
        while let first = slice.first, first == " " { slice = slice.dropFirst() }
        while let last = slice.last, last == " " { slice = slice.dropLast() }
        return String(slice)
    }
}
