/// Primary state registration number: ОГРН of an organisation (13 digits) or ОГРНИП of a sole trader
/// (15 digits). The last digit checks the others: the preceding digits as one number, mod 11 for ОГРН
/// or mod 13 for ОГРНИП, then mod 10 — so a mistyped number is caught before it lands in a claim.
public enum OGRN {
    public static func isValid(_ raw: String) -> Bool {
        // ASCII only: Character.wholeNumberValue would also read Arabic-Indic or full-width digits.
        let digits = raw.compactMap { $0.isASCII ? $0.wholeNumberValue : nil }
        guard digits.count == raw.count, let last = digits.last else { return false }
        let modulus: Int
        switch digits.count {
        case 13: modulus = 11
        case 15: modulus = 13
        default: return false
        }
        // 14 digits fit an Int comfortably.
        let body = digits.dropLast().reduce(0) { $0 * 10 + $1 }
        return body % modulus % 10 == last
    }

    /// «ОГРН» or «ОГРНИП», by length: a claim names the register the number belongs to.
    static func label(_ number: String) -> String { number.count == 15 ? "ОГРНИП" : "ОГРН" }
}
