import Foundation

/// The chat-bot's free-text answers (issue 7): a question is matched to the FAQ entry it most likely asks,
/// by BM25 over each entry's question and the phrasings specialists taught it, with the portal's Russian
/// stems and synonyms plus the bot's own editable synonyms. It answers only when it is sure enough;
/// otherwise it says it is not sure and offers an operator or an appeal, and the question goes to the
/// training queue.
public struct BotMatcher: Sendable {
    /// What the bot can answer with: an FAQ entry, found by its question and the phrasings it was taught.
    public struct Entry: Sendable, Hashable {
        public var id: String
        public var question: String
        public var phrasings: [String]

        public init(id: String, question: String, phrasings: [String] = []) {
            self.id = id
            self.question = question
            self.phrasings = phrasings
        }
    }

    public struct Match: Sendable, Hashable {
        public var entryID: String
        public var score: Double
        /// The share of the question's weight (IDF) found in the entry: 1 when every word matched.
        public var confidence: Double
    }

    public enum Answer: Sendable, Hashable {
        case sure(Match)
        /// Nothing matched well enough; the best guesses, if any, for a «может быть, вы имели в виду».
        case unsure([Match])
    }

    /// Below this share of the question's weight, the bot does not answer.
    public var threshold: Double
    /// Extra word groups specialists add («маркетплейс» = «интернет-магазин»): each word's stem stands for
    /// the group's first.
    public let synonyms: [String: String]

    private let documents: [(id: String, terms: [String: Int], length: Int)]
    private let documentFrequency: [String: Int]
    private let averageLength: Double

    static let k1 = 1.2
    static let b = 0.75

    public init(entries: [Entry], synonymGroups: [[String]] = [], threshold: Double = 0.6) {
        self.threshold = threshold
        var map: [String: String] = [:]
        for group in synonymGroups {
            let stems = group.flatMap { SearchText.stems($0) }
            guard let head = stems.first else { continue }
            for stem in stems.dropFirst() where stem != head { map[stem] = head }
        }
        synonyms = map
        // One document per entry: its question and every taught phrasing.
        var documents: [(id: String, terms: [String: Int], length: Int)] = []
        var frequency: [String: Int] = [:]
        for entry in entries {
            let terms = ([entry.question] + entry.phrasings).flatMap { SearchText.stems($0) }.map { map[$0] ?? $0 }
            var counts: [String: Int] = [:]
            for term in terms { counts[term, default: 0] += 1 }
            for term in counts.keys { frequency[term, default: 0] += 1 }
            documents.append((entry.id, counts, terms.count))
        }
        self.documents = documents
        documentFrequency = frequency
        averageLength = documents.isEmpty ? 1 : Double(documents.map(\.length).reduce(0, +)) / Double(documents.count)
    }

    /// The question's terms, each once, with the bot's synonyms applied.
    public func terms(of question: String) -> [String] {
        var seen = Set<String>()
        return SearchText.queryTerms(question).map { synonyms[$0] ?? $0 }.filter { seen.insert($0).inserted }
    }

    func idf(_ term: String) -> Double {
        let n = Double(documents.count)
        let df = Double(documentFrequency[term] ?? 0)
        return log(1 + (n - df + 0.5) / (df + 0.5))
    }

    /// The best entries for a question, best first.
    public func matches(_ question: String, limit: Int = 3) -> [Match] {
        let terms = terms(of: question)
        guard !terms.isEmpty, !documents.isEmpty else { return [] }
        // A word no entry contains says little about which entry is meant («хочу», «подскажите») but does
        // say the question may be about something else: it weighs half as much as the rarest known word.
        let weights = terms.map { documentFrequency[$0] == nil ? idf($0) / 2 : idf($0) }
        let total = weights.reduce(0, +)
        guard total > 0 else { return [] }
        var results: [Match] = []
        for document in documents {
            var score = 0.0
            var found = 0.0
            for (term, weight) in zip(terms, weights) {
                guard let tf = document.terms[term] else { continue }
                let f = Double(tf)
                let norm = Self.k1 * (1 - Self.b + Self.b * Double(document.length) / averageLength)
                score += weight * f * (Self.k1 + 1) / (f + norm)
                found += weight
            }
            if score > 0 { results.append(Match(entryID: document.id, score: score, confidence: found / total)) }
        }
        return Array(results.sorted { $0.score != $1.score ? $0.score > $1.score : $0.entryID < $1.entryID }.prefix(limit))
    }

    public func answer(_ question: String) -> Answer {
        let found = matches(question)
        if let best = found.first, best.confidence >= threshold { return .sure(best) }
        return .unsure(found)
    }
}
