/// Text inside XML 1.0. The claim form drops what XML cannot carry as it reads the input, so the plain
/// text and the DOCX of a claim say the same; the DOCX writer escapes and filters again for its own safety.
public enum XMLText {
    /// The characters XML 1.0 allows (§2.2): tab, line feed, carriage return, and the rest of Unicode
    /// except other C0 controls, surrogates and U+FFFE/U+FFFF. A parser refuses a document with any other,
    /// even escaped.
    public static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }

    public static func allowed(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter(isAllowed)))
    }

    /// Escapes markup characters, quotes included so the same text is safe in attribute values; drops
    /// characters XML cannot carry.
    public static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars where isAllowed(scalar) {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
