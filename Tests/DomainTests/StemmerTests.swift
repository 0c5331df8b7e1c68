import Foundation
import Testing

@testable import Domain

@Suite("Russian stemmer")
struct StemmerTests {
    /// Pairs from the published Snowball sample vocabulary and its output.
    @Test func stemsAsSnowballDoes() {
        let pairs = [
            ("важная", "важн"), ("важнее", "важн"), ("важнейшие", "важн"), ("важности", "важност"), ("важностью", "важност"),
            ("валандался", "валанда"), ("телефонов", "телефон"), ("телефоны", "телефон"), ("телефон", "телефон"),
            ("возврата", "возврат"), ("товаров", "товар"), ("претензию", "претенз"), ("потребителей", "потребител"),
            ("вернуть", "вернут"), ("ёлка", "елк"), ("в", "в"), ("iphone", "iphone"),
        ]
        for (word, stem) in pairs { #expect(RussianStemmer.stem(word) == stem, "\(word)") }
    }
}

@Suite("Search text")
struct SearchTextTests {
    @Test func inflectionsAndSynonymsMeetOnOneTerm() {
        let document = Set(SearchText.stems("Возврат денег за телефон ненадлежащего качества"))
        let query = SearchText.queryTerms("вернуть телефоны")
        #expect(query.count == 2)
        #expect(SearchText.matched(query, in: document) == 2)
        #expect(SearchText.matched(SearchText.queryTerms("починить смартфон"), in: Set(SearchText.stems("Ремонт телефона"))) == 2)
        #expect(SearchText.queryTerms("в на за и") == [], "stop words only")
        #expect(SearchText.queryTerms("?!…—;") == [], "punctuation only")
        #expect(SearchText.queryTerms(String(repeating: "возврат ", count: 2000)) == ["возврат"], "a long paste is cut and deduplicated")
        #expect(SearchText.words("Ёлка, iPhone 15!") == ["елка", "iphone", "15"])
    }

    @Test func snippetsMarkTheMatchingWords() {
        let text = "Продавец обязан вернуть деньги за телефоны с недостатками в течение десяти дней (ст. 22 ЗоЗПП)."
        let snippet = SearchText.snippet(text, terms: SearchText.queryTerms("возврат телефона"), open: "<mark>", close: "</mark>")
        #expect(snippet.contains("<mark>вернуть</mark>"))
        #expect(snippet.contains("<mark>телефоны</mark>"))
        #expect(!snippet.contains("<mark>деньги</mark>"))
        let escaped = SearchText.snippet("<b>телефон</b>", terms: ["телефон"], open: "[", close: "]") {
            $0.replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        #expect(escaped == "&lt;b&gt;[телефон]&lt;/b&gt;")
    }
}
