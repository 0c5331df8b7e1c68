/// Sums of money in whole kopecks. Integers, never floating point: 0.5 % of a prepayment must come out the
/// same kopeck every time, and a claim states sums a court will recompute.
public enum Money {
    /// The largest sum a claim accepts, 100 million roubles: above it the input is almost surely a typo,
    /// and every penalty computed from it stays far from integer overflow.
    public static let maximumKopecks = 100_000_000 * 100

    /// The separator used in formatted sums: a non-breaking space (U+00A0), both between thousands and
    /// before «₽», so a word processor never wraps «4 000,00 ₽» across lines.
    public static let space: Character = "\u{00A0}"

    /// Roubles as people type them: «40000», «40 000», «40000,50», «40000.50», «40 000 ₽», «40 000 руб.».
    /// Spaces group thousands in threes; a comma or a dot starts one or two kopeck digits. Returns nil for
    /// anything else, negatives included; a zero or too large sum parses, and the form refuses it.
    public static func parseKopecks(_ raw: String) -> Int? {
        var text = raw.trimmingWhitespace()
        for suffix in ["₽", "руб.", "руб", "р."] where text.hasSuffix(suffix) {
            text = String(text.dropLast(suffix.count)).trimmingWhitespace()
            break
        }
        let spaces: Set<Character> = [" ", "\u{00A0}", "\u{202F}", "\u{2009}"]
        let parts = text.split(omittingEmptySubsequences: false) { $0 == "," || $0 == "." }
        guard parts.count <= 2, let whole = parts.first else { return nil }
        let groups = whole.split(omittingEmptySubsequences: false) { spaces.contains($0) }
        guard let head = groups.first, !head.isEmpty else { return nil }
        // «40 000» groups in threes; «4 00 00» is more likely a typo than a sum.
        if groups.count > 1 {
            guard head.count <= 3, groups.dropFirst().allSatisfy({ $0.count == 3 }) else { return nil }
        }
        let roubleDigits = groups.joined()
        // More than 13 digits is far beyond the maximum anyway, and would overflow below.
        guard roubleDigits.count <= 13, roubleDigits.allSatisfy(\.isASCIIDigit), let roubles = Int(roubleDigits) else {
            return nil
        }
        var kopecks = 0
        if parts.count == 2 {
            let fraction = parts[1]
            guard (1...2).contains(fraction.count), fraction.allSatisfy(\.isASCIIDigit), let value = Int(fraction)
            else {
                return nil
            }
            kopecks = fraction.count == 1 ? value * 10 : value
        }
        return roubles * 100 + kopecks
    }

    /// «4 000,00 ₽», with non-breaking spaces (see `space`).
    public static func format(kopecks: Int) -> String {
        let sign = kopecks < 0 ? "-" : ""
        let magnitude = kopecks.magnitude
        let roubles = String(magnitude / 100)
        var grouped = ""
        for (index, digit) in roubles.enumerated() {
            if index > 0, (roubles.count - index) % 3 == 0 { grouped.append(space) }
            grouped.append(digit)
        }
        let cents = magnitude % 100
        return sign + grouped + "," + (cents < 10 ? "0" : "") + String(cents) + String(space) + "₽"
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
