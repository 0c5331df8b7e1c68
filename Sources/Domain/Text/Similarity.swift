/// Word-level similarity for spotting repeated appeals: Jaccard overlap of word stems (first five
/// letters, which copes with Russian endings well enough for this purpose).
public enum TextSimilarity {
    public static func stems(_ text: String) -> Set<String> {
        var result: Set<String> = []
        var word = ""
        func flush() {
            if word.count >= 3 { result.insert(String(word.prefix(5))) }
            word = ""
        }
        for character in text.lowercased() {
            if character.isLetter || character.isNumber {
                word.append(character == "ё" ? "е" : character)
            } else {
                flush()
            }
        }
        flush()
        return result
    }

    public static func jaccard(_ a: String, _ b: String) -> Double {
        let left = stems(a)
        let right = stems(b)
        guard !left.isEmpty || !right.isEmpty else { return 1 }
        return Double(left.intersection(right).count) / Double(left.union(right).count)
    }

    /// The threshold above which the moderator is shown the earlier appeal.
    public static let duplicateThreshold = 0.6
}
