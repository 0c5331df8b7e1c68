import Foundation

/// A claim as an Office Open XML word-processing package (.docx), as data: the parts and their paths.
/// The App zips them (ZIPFoundation), `[Content_Types].xml` first as the convention asks. Only what Word,
/// LibreOffice and Google Docs need: content types, relationships, the document, its styles, and core
/// properties.
public enum DocxPackage {
    /// The parts of the package. `created` stamps the core properties; by default the claim's date at
    /// midnight UTC, so the same claim always gives the same bytes.
    public static func files(for document: ClaimDocument, created: Date? = nil) -> [(path: String, data: Data)] {
        let stamp = created.map(w3cdtf) ?? "\(document.date)T00:00:00Z"
        return [
            ("[Content_Types].xml", contentTypes),
            ("_rels/.rels", packageRelationships),
            ("word/document.xml", documentXML(document)),
            ("word/styles.xml", styles),
            ("word/_rels/document.xml.rels", documentRelationships),
            ("docProps/core.xml", coreProperties(title: document.title + " " + document.subtitle, created: stamp)),
        ].map { (path: $0.0, data: Data($0.1.utf8)) }
    }

    /// «pretenziya-2026-02-19.docx»: ASCII, so no browser or mail client mangles it.
    public static func suggestedFileName(for document: ClaimDocument) -> String {
        "pretenziya-\(document.type.rawValue)-\(document.date).docx"
    }

    static let header = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
    static let wordNamespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

    static let contentTypes =
        header + """
            <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
            <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
            <Default Extension="xml" ContentType="application/xml"/>\
            <Override PartName="/word/document.xml" \
            ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>\
            <Override PartName="/word/styles.xml" \
            ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>\
            <Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>\
            </Types>
            """

    static let packageRelationships =
        header + """
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
            <Relationship Id="rId1" \
            Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
            Target="word/document.xml"/>\
            <Relationship Id="rId2" \
            Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" \
            Target="docProps/core.xml"/>\
            </Relationships>
            """

    // Styles are found through this relationship: without it Word ignores styles.xml.
    static let documentRelationships =
        header + """
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
            <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" \
            Target="styles.xml"/>\
            </Relationships>
            """

    /// Times New Roman 12 pt, which every office suite has with Cyrillic, as Russian official letters use.
    static let styles =
        header + """
            <w:styles xmlns:w="\(wordNamespace)">\
            <w:docDefaults><w:rPrDefault><w:rPr>\
            <w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="Times New Roman" w:cs="Times New Roman"/>\
            <w:sz w:val="24"/><w:szCs w:val="24"/><w:lang w:val="ru-RU" w:eastAsia="ru-RU" w:bidi="ar-SA"/>\
            </w:rPr></w:rPrDefault>\
            <w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr></w:pPrDefault>\
            </w:docDefaults>\
            <w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/>\
            <w:pPr><w:spacing w:after="120"/></w:pPr>\
            <w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:cs="Times New Roman"/>\
            <w:sz w:val="24"/><w:szCs w:val="24"/></w:rPr></w:style>\
            <w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/>\
            <w:next w:val="Normal"/><w:qFormat/>\
            <w:pPr><w:keepNext/><w:spacing w:before="360" w:after="0"/><w:jc w:val="center"/></w:pPr>\
            <w:rPr><w:b/><w:bCs/><w:sz w:val="28"/><w:szCs w:val="28"/></w:rPr></w:style>\
            <w:style w:type="paragraph" w:styleId="Subtitle"><w:name w:val="Subtitle"/><w:basedOn w:val="Normal"/>\
            <w:next w:val="Normal"/><w:qFormat/>\
            <w:pPr><w:keepNext/><w:spacing w:after="240"/><w:jc w:val="center"/></w:pPr>\
            <w:rPr><w:b/><w:bCs/></w:rPr></w:style>\
            </w:styles>
            """

    static func coreProperties(title: String, created: String) -> String {
        header + """
            <cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" \
            xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" \
            xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\
            <dc:title>\(XMLText.escape(title))</dc:title><dc:creator>ConsumerDesk</dc:creator>\
            <dcterms:created xsi:type="dcterms:W3CDTF">\(created)</dcterms:created>\
            <dcterms:modified xsi:type="dcterms:W3CDTF">\(created)</dcterms:modified>\
            </cp:coreProperties>
            """
    }

    static func w3cdtf(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    // MARK: The document

    /// The text width of an A4 page with the margins below, in twentieths of a point: where the
    /// signature's right tab stops.
    static let textWidth = 11_906 - 1_701 - 850

    enum Alignment: String {
        case left, right, center
        case justified = "both"
    }

    static func documentXML(_ document: ClaimDocument) -> String {
        var body = ""
        for line in document.addressee { body += paragraph(line, alignment: .right) }
        body += paragraph("", alignment: .right)
        for line in document.sender { body += paragraph(line, alignment: .right) }
        body += paragraph(document.title, style: "Title")
        body += paragraph(document.subtitle, style: "Subtitle")
        for fact in document.facts { body += paragraph(fact, alignment: .justified, firstLine: true, after: 120) }
        body += paragraph(document.legalBasisHeading, alignment: .left, bold: true, keepNext: true, after: 60)
        for basis in document.legalBasis {
            body += paragraph(basis, alignment: .justified, firstLine: true, after: 120)
        }
        body += paragraph(document.demandHeading, alignment: .left, bold: true, keepNext: true, after: 60)
        for demand in document.numberedDemands {
            body += paragraph(demand, alignment: .justified, firstLine: true, after: 60)
        }
        if let payment = document.payment {
            body += paragraph(payment, alignment: .justified, firstLine: true, after: 120)
        }
        for warning in document.warning {
            body += paragraph(warning, alignment: .justified, firstLine: true, after: 120)
        }
        if !document.attachments.isEmpty {
            body += paragraph(document.attachmentsHeading, alignment: .left, bold: true, keepNext: true, after: 60)
            for attachment in document.numberedAttachments { body += paragraph(attachment, alignment: .left, after: 0) }
        }
        // Date on the left, signature on the right, on one line: a right-aligned tab stop at the margin.
        body +=
            "<w:p><w:pPr><w:tabs><w:tab w:val=\"right\" w:pos=\"\(textWidth)\"/></w:tabs>"
            + "<w:spacing w:before=\"480\"/></w:pPr>" + runs(document.date.dotted + "\t" + document.signature)
            + "</w:p>"
        return header + "<w:document xmlns:w=\"\(wordNamespace)\"><w:body>" + body
            + "<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/>"
            + "<w:pgMar w:top=\"1134\" w:right=\"850\" w:bottom=\"1134\" w:left=\"1701\" w:header=\"709\" w:footer=\"709\" w:gutter=\"0\"/>"
            + "</w:sectPr></w:body></w:document>"
    }

    /// One paragraph. The properties are written in the order the schema requires (pStyle, keepNext,
    /// spacing, ind, jc), which strict readers check.
    static func paragraph(
        _ text: String, style: String? = nil, alignment: Alignment? = nil, bold: Bool = false, keepNext: Bool = false,
        firstLine: Bool = false, after: Int? = nil
    ) -> String {
        var properties = ""
        if let style { properties += "<w:pStyle w:val=\"\(style)\"/>" }
        if keepNext { properties += "<w:keepNext/>" }
        if let after {
            properties += "<w:spacing w:after=\"\(after)\"/>"
        } else if style == nil {
            properties += "<w:spacing w:after=\"0\"/>"
        }
        if firstLine { properties += "<w:ind w:firstLine=\"709\"/>" }
        if let alignment { properties += "<w:jc w:val=\"\(alignment.rawValue)\"/>" }
        let pPr = properties.isEmpty ? "" : "<w:pPr>\(properties)</w:pPr>"
        return "<w:p>\(pPr)\(runs(text, bold: bold))</w:p>"
    }

    /// Text as runs: a line break becomes `<w:br/>` and a tab `<w:tab/>`, since Word shows both as a plain
    /// space inside `<w:t>`.
    static func runs(_ text: String, bold: Bool = false) -> String {
        let clean = XMLText.allowed(text).replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(
            of: "\r", with: "\n")
        guard !clean.isEmpty else { return "" }
        var content = ""
        var chunk = ""
        func flush() {
            if !chunk.isEmpty { content += "<w:t xml:space=\"preserve\">\(XMLText.escape(chunk))</w:t>" }
            chunk = ""
        }
        for character in clean {
            switch character {
            case "\n":
                flush()
                content += "<w:br/>"
            case "\t":
                flush()
                content += "<w:tab/>"
            default:
                chunk.append(character)
            }
        }
        flush()
        return "<w:r>" + (bold ? "<w:rPr><w:b/><w:bCs/></w:rPr>" : "") + content + "</w:r>"
    }
}
