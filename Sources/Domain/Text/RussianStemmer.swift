/// The Snowball Russian stemmer (https://snowballstem.org/algorithms/russian/stemmer.html), written
/// from the algorithm's description for search: «телефонов», «телефоны» and «телефон» share the stem
/// «телефон». Checked against the reference implementation (PyPI `snowballstemmer`) in
/// Tests/e2e/test_stemmer_reference.py over more than 20,000 word forms.
///
/// Words are expected in lower case; `ё` is read as `е`. Anything without Russian vowels is returned as is.
public enum RussianStemmer {
    public static func stem(_ word: String) -> String {
        var letters = Array(word.unicodeScalars.map { $0 == "ё" ? "е" : $0 })
        guard letters.count > 1 else { return String(String.UnicodeScalarView(letters)) }
        let (rv, r2) = regions(letters)
        guard rv < letters.count else { return String(String.UnicodeScalarView(letters)) }
        var word = Word(letters: letters, limit: rv)

        // Step 1: a perfective gerund; otherwise a reflexive ending, then an adjectival, verb or noun ending.
        if !word.removePerfectiveGerund() {
            _ = word.remove(longestOf: reflexive)
            if !word.removeAdjectival(), !word.remove(groupOne: verbOne, groupTwo: verbTwo) {
                _ = word.remove(longestOf: noun)
            }
        }
        // Step 2: a final «и».
        _ = word.remove(longestOf: finalI)
        // Step 3: a derivational ending «ост(ь)» lying in R2.
        if let match = word.longest(of: derivational), word.letters.count - match.count >= r2 {
            word.letters.removeLast(match.count)
        }
        // Step 4: «нн» → «н»; or a superlative then «нн» → «н»; or a final «ь».
        if let match = word.longest(of: tidy) {
            if match.count > 1 {
                word.letters.removeLast(match.count)
                if word.endsWithDoubleN { word.letters.removeLast() }
            } else if match == ["н"] {
                if word.endsWithDoubleN { word.letters.removeLast() }
            } else {
                word.letters.removeLast()
            }
        }
        letters = word.letters
        return String(String.UnicodeScalarView(letters))
    }

    static let vowels: Set<Unicode.Scalar> = ["а", "е", "и", "о", "у", "ы", "э", "ю", "я"]

    /// RV: after the first vowel. R2: R1 (after the first non-vowel following a vowel) applied twice.
    static func regions(_ letters: [Unicode.Scalar]) -> (rv: Int, r2: Int) {
        let end = letters.count
        func pastVowel(from start: Int) -> Int? {
            var index = start
            while index < end, !vowels.contains(letters[index]) { index += 1 }
            return index < end ? index + 1 : nil
        }
        func pastConsonant(from start: Int) -> Int? {
            var index = start
            while index < end, vowels.contains(letters[index]) { index += 1 }
            return index < end ? index + 1 : nil
        }
        guard let rv = pastVowel(from: 0) else { return (end, end) }
        guard let r1 = pastConsonant(from: rv), let vowel = pastVowel(from: r1), let r2 = pastConsonant(from: vowel) else {
            return (rv, end)
        }
        return (rv, r2)
    }

    /// A word being stemmed: only its part after RV may lose letters.
    struct Word {
        var letters: [Unicode.Scalar]
        let limit: Int

        /// The longest of `suffixes` the word ends with inside RV.
        func longest(of suffixes: [[Unicode.Scalar]]) -> [Unicode.Scalar]? {
            var best: [Unicode.Scalar]?
            for suffix in suffixes where suffix.count > (best?.count ?? 0) && letters.count - suffix.count >= limit {
                if letters.suffix(suffix.count).elementsEqual(suffix) { best = suffix }
            }
            return best
        }

        mutating func remove(longestOf suffixes: [[Unicode.Scalar]]) -> Bool {
            guard let match = longest(of: suffixes) else { return false }
            letters.removeLast(match.count)
            return true
        }

        /// Snowball's rule for two groups: the longest ending of either wins; an ending of group one must
        /// follow «а» or «я» (inside RV), which stays.
        mutating func remove(groupOne: [[Unicode.Scalar]], groupTwo: [[Unicode.Scalar]]) -> Bool {
            guard let match = longest(of: groupOne + groupTwo) else { return false }
            if groupTwo.contains(match) {
                letters.removeLast(match.count)
                return true
            }
            let before = letters.count - match.count - 1
            guard before >= limit, letters[before] == "а" || letters[before] == "я" else { return false }
            letters.removeLast(match.count)
            return true
        }

        mutating func removePerfectiveGerund() -> Bool {
            remove(groupOne: RussianStemmer.gerundOne, groupTwo: RussianStemmer.gerundTwo)
        }

        /// An adjective ending, then (optionally) a participle ending before it.
        mutating func removeAdjectival() -> Bool {
            guard remove(longestOf: RussianStemmer.adjective) else { return false }
            _ = remove(groupOne: RussianStemmer.participleOne, groupTwo: RussianStemmer.participleTwo)
            return true
        }

        var endsWithDoubleN: Bool {
            letters.count - 2 >= limit && letters[letters.count - 1] == "н" && letters[letters.count - 2] == "н"
        }
    }

    private static func list(_ words: String) -> [[Unicode.Scalar]] {
        words.split(separator: " ").map { Array($0.unicodeScalars) }
    }

    static let gerundOne = list("в вши вшись")
    static let gerundTwo = list("ив ивши ившись ыв ывши ывшись")
    static let adjective = list("ее ие ые ое ими ыми ей ий ый ой ем им ым ом его ого ему ому их ых ую юю ая яя ою ею")
    static let participleOne = list("ем нн вш ющ щ")
    static let participleTwo = list("ивш ывш ующ")
    static let reflexive = list("ся сь")
    static let verbOne = list("ла на ете йте ли й л ем н ло но ет ют ны ть ешь нно")
    static let verbTwo = list("ила ыла ена ейте уйте ите или ыли ей уй ил ыл им ым ен ило ыло ено ят ует уют ит ыт ены ить ыть ишь ую ю")
    static let noun = list("а ев ов ие ье е иями ями ами еи ии и ией ей ой ий й иям ям ием ем ам ом о у ах иях ях ы ь ию ью ю ия ья я")
    static let derivational = list("ост ость")
    static let finalI = list("и")
    static let tidy = list("ейше ейш н ь")
}
