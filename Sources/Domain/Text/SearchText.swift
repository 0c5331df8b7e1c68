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
        // A Russian Snowball stem is a beginning of its word, so a word that starts with none of the stems
        // that stand for the wanted terms cannot match, and is not stemmed at all.
        let prefixes = Array(Set(wanted.flatMap { term in [term] + synonyms.filter { $0.value == term }.map(\.key) }))
        // Most words fail on their first letter: only those are lower-cased and compared.
        let firstLetters = Set(prefixes.compactMap { $0.unicodeScalars.first })
        var memo: [String: Bool] = [:]
        func isHit(_ word: Substring) -> Bool {
            guard let first = word.unicodeScalars.first,
                firstLetters.contains(first) || first.properties.lowercaseMapping.unicodeScalars.first.map(firstLetters.contains) == true
                    || (first == "Ё" || first == "ё")
            else { return false }
            let lower = normalized(word)
            guard prefixes.contains(where: { lower.utf8.starts(with: $0.utf8) }) else { return false }
            if let known = memo[lower] { return known }
            let hit = wanted.contains(canonical(RussianStemmer.stem(lower)))
            memo[lower] = hit
            return hit
        }
        // Runs of word and non-word characters, read only as far as the snippet reaches: up to the first
        // match (at most `scanLimit` characters in), then `length` characters of window.
        var pieces: [(text: Substring, isWord: Bool, size: Int)] = []
        var firstHit: Int?
        var read = 0
        // By Unicode scalars, not Characters: grapheme breaking costs more than everything else here, and
        // the word characters of Russian text are single scalars.
        let scalars = text.unicodeScalars
        func isWordScalar(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) }
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let isWord = isWordScalar(scalars[index])
            var end = index
            var size = 0
            while end < scalars.endIndex, isWordScalar(scalars[end]) == isWord {
                end = scalars.index(after: end)
                size += 1
            }
            pieces.append((text[index..<end], isWord, size))
            read += size
            index = end
            if firstHit == nil, isWord, isHit(pieces[pieces.count - 1].text) { firstHit = pieces.count - 1 }
            if let hit = firstHit {
                let from = max(0, hit - 8)
                if pieces[from...].reduce(0, { $0 + $1.size }) >= length { break }
            } else if read > scanLimit {
                break
            }
        }
        let more = index < scalars.endIndex
        // Start a few words before the first hit, stop at `length` characters.
        var start = max(0, (firstHit ?? 0) - 8)
        while start > 0, !pieces[start].isWord { start -= 1 }
        var result = start > 0 ? "…" : ""
        var used = 0
        var position = start
        while position < pieces.count, used < length {
            let piece = pieces[position]
            let shown = escape(String(piece.text))
            result += piece.isWord && isHit(piece.text) ? open + shown + close : shown
            used += piece.size
            position += 1
        }
        if position < pieces.count || more { result += "…" }
        return result
    }

    /// Lower case with `ё` read as `е`, as `words` does.
    static func normalized(_ word: Substring) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in word.lowercased().unicodeScalars { scalars.append(scalar == "ё" ? "е" : scalar) }
        return String(scalars)
    }

    /// How far into a document (in characters) a snippet looks for the first match.
    static let scanLimit = 4000
}
