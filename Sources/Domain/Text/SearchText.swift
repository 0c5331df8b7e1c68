import Foundation

/// Russian text as search sees it: words, their Snowball stems, stop words left out, and the few
/// consumer-law words that mean the same while sharing no stem («вернуть» and «возврат», «починить» and
/// «ремонт»). Documents and queries go through the same steps, so «вернуть телефон» finds «Возврат
/// денег за телефон».
public enum SearchText {
    /// Longer queries are cut: nobody types more, and a 10,000-character paste must stay cheap.
    public static let maxQueryLength = 200

    /// Lower-case words of letters and digits (`ё` read as `е`).
    public static func words(_ text: String) -> [String] {
        var result: [String] = []
        var word = String.UnicodeScalarView()
        func flush() {
            if !word.isEmpty { result.append(String(word)) }
            word = String.UnicodeScalarView()
        }
        for scalar in text.lowercased().unicodeScalars {
            if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                word.append(scalar == "ё" ? "е" : scalar)
            } else {
                flush()
            }
        }
        flush()
        return result
    }

    /// The stems a document is found by, in order, stop words left out.
    public static func stems(_ text: String) -> [String] {
        words(text).compactMap { word in
            guard word.unicodeScalars.count > 1 || word.unicodeScalars.first.map({ ("0"..."9").contains($0) }) == true,
                !stopWords.contains(word)
            else { return nil }
            return canonical(RussianStemmer.stem(word))
        }
    }

    /// The terms of a query: each a stem (already mapped to its synonym group's representative),
    /// without repeats; at most `maxQueryLength` characters are read.
    public static func queryTerms(_ query: String) -> [String] {
        var seen: Set<String> = []
        return stems(String(query.prefix(maxQueryLength))).filter { seen.insert($0).inserted }
    }

    /// How many of the query's terms the document's stems contain.
    public static func matched(_ terms: [String], in document: Set<String>) -> Int {
        terms.reduce(0) { $0 + (document.contains($1) ? 1 : 0) }
    }

    /// A stem's representative: words of one synonym group index and query as the same term.
    static func canonical(_ stem: String) -> String { synonyms[stem] ?? stem }

    /// Groups of stems that mean the same to someone asking about consumer rights. The first stem of a
    /// group stands for all of it. Stems are this stemmer's output (see RussianStemmer).
    static let synonymGroups: [[String]] = [
        ["возврат", "вернут", "верн", "вернул", "возвращен", "возвраща"],
        ["замен", "зам", "обм", "обмен", "обменя"],
        ["ремонт", "отремонтирова", "почин", "починк"],
        ["деньг", "денег", "денежн"],
        ["телефон", "смартфон"],
        ["недостатк", "недостаток", "неисправн", "бракова", "брак", "дефект"],
        ["неустойк", "пен"],
    ]

    static let synonyms: [String: String] = {
        var map: [String: String] = [:]
        for group in synonymGroups { for stem in group.dropFirst() { map[stem] = group[0] } }
        return map
    }()

    /// Words too common to tell documents apart (prepositions, conjunctions, pronouns, particles).
    static let stopWords: Set<String> = [
        "а", "в", "во", "и", "к", "о", "с", "у", "я", "на", "за", "не", "ни", "по", "со", "об", "обо", "от", "до", "для",
        "из", "изо", "без", "под", "над", "при", "про", "что", "как", "или", "но", "же", "ли", "бы", "то", "это", "мне",
        "меня", "мой", "моя", "мое", "мои", "мою", "моего", "моей", "он", "она", "оно", "они", "его", "ее", "их", "вы",
        "мы", "нам", "нас", "вас", "вам", "ты", "так", "уже", "еще", "все", "всё", "если", "чтобы", "когда", "где",
    ]

    /// A piece of `text` around the first words that match `terms`, with those words marked by
    /// `open`/`close` (HTML callers pass tags and escape the rest themselves via `escape`).
    public static func snippet(
        _ text: String, terms: [String], length: Int = 200, open: String = "«", close: String = "»",
        escape: (String) -> String = { $0 }
    ) -> String {
        let wanted = Set(terms)
        // Split into runs of word and non-word characters, keeping everything; only as far as a snippet can
        // reach, so a long document costs no more than a short one.
        var pieces: [(text: String, isWord: Bool)] = []
        var current = ""
        var currentIsWord = false
        var read = 0
        var stopped = false
        for character in text {
            let isWord = character.isLetter || character.isNumber
            if isWord != currentIsWord, !current.isEmpty {
                pieces.append((current, currentIsWord))
                current = ""
                if read > scanLimit {
                    stopped = true
                    break
                }
            }
            currentIsWord = isWord
            current.append(character)
            read += 1
        }
        if !stopped, !current.isEmpty { pieces.append((current, currentIsWord)) }
        // Each distinct word is stemmed once, and only until the window is known.
        var memo: [String: Bool] = [:]
        func isHit(_ index: Int) -> Bool {
            let piece = pieces[index]
            guard piece.isWord else { return false }
            if let known = memo[piece.text] { return known }
            let hit = wanted.contains(canonical(RussianStemmer.stem(piece.text.lowercased().replacingOccurrences(of: "ё", with: "е"))))
            memo[piece.text] = hit
            return hit
        }
        let firstHit = pieces.indices.first(where: isHit)
        // Start a few words before the first hit, stop at `length` characters.
        var start = max(0, (firstHit ?? 0) - 8)
        while start > 0, !pieces[start].isWord { start -= 1 }
        var result = start > 0 ? "…" : ""
        var used = 0
        var index = start
        while index < pieces.count, used < length {
            let piece = pieces[index]
            result += isHit(index) ? open + escape(piece.text) + close : escape(piece.text)
            used += piece.text.count
            index += 1
        }
        if index < pieces.count || stopped { result += "…" }
        return result
    }

    /// How far into a document (in characters) a snippet looks for the first match.
    static let scanLimit = 4000
}
