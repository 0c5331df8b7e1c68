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
