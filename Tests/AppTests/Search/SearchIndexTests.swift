import Fluent
import Foundation
import Testing
import Vapor

@testable import App
@testable import Domain

@Suite("Search index", .serialized)
struct SearchIndexTests {
    /// The documents this test indexes (the classifier's topics are indexed at start too).
    static let ours = ["article", "faq"]

    @Test func inflectedAndSynonymousQueriesFindRankedDocumentsWithSnippets() async throws {
        try await withApp(demo: false) { app in
            let now = Date()
            try await SearchIndex.upsert(
                kind: "article", ref: "vozvrat-telefona", title: "Возврат телефонов ненадлежащего качества",
                body: "Если в телефоне обнаружен недостаток, продавец обязан вернуть деньги в течение 10 дней (ст. 22 ЗоЗПП).",
                url: "/kb/vozvrat-telefona", now: now, on: app.db)
            try await SearchIndex.upsert(
                kind: "faq", ref: "remont", title: "Сколько длится гарантийный ремонт?",
                body: "Не более 45 дней (ст. 20 ЗоЗПП); телефон на время ремонта можно потребовать на замену.",
                url: "/faq#remont", now: now, on: app.db)
            try await SearchIndex.upsert(
                kind: "article", ref: "zhkh", title: "Перерасчёт платы за отопление", body: "Управляющая компания обязана сделать перерасчёт <b>платы</b>.",
                url: "/kb/zhkh", now: now, on: app.db)

            let hits = try await SearchIndex.search("вернуть телефон", kinds: Self.ours, on: app.db)
            #expect(hits.first?.ref == "vozvrat-telefona", "the title match ranks first: \(hits.map(\.ref))")
            #expect(hits.first?.snippet.contains("<mark>вернуть</mark>") == true)
            #expect(try await SearchIndex.search("починить смартфон", kinds: Self.ours, on: app.db).map(\.ref) == ["remont"])
            #expect(try await SearchIndex.search("перерасчет платы", kinds: ["faq"], on: app.db).isEmpty)
            let zhkh = try await SearchIndex.search("перерасчёт платы", kinds: ["article"], on: app.db)
            #expect(zhkh.map(\.ref) == ["zhkh"])
            #expect(zhkh.first?.snippet.contains("&lt;b&gt;<mark>платы</mark>&lt;/b&gt;") == true, "the body is escaped: \(zhkh.first?.snippet ?? "")")
            // No document has both words: the ones with either are shown.
            #expect(Set(try await SearchIndex.search("телефон отопление", kinds: Self.ours, on: app.db).map(\.ref)).count == 3)
            // Junk and huge queries answer at once with nothing.
            #expect(try await SearchIndex.search("?!… —", on: app.db).isEmpty)
            #expect(try await SearchIndex.search(String(repeating: "ъ", count: 10_000), on: app.db).isEmpty)

            // Re-indexing replaces; removing forgets.
            try await SearchIndex.upsert(
                kind: "faq", ref: "remont", title: "Сроки ремонта", body: "45 дней.", url: "/faq#remont", now: now, on: app.db)
            #expect(try await SearchIndex.search("смартфон", kinds: Self.ours, on: app.db).map(\.ref) == ["vozvrat-telefona"], "the FAQ no longer mentions phones")
            try await SearchIndex.remove(kind: "article", ref: "vozvrat-telefona", on: app.db)
            #expect(try await SearchIndex.search("вернуть телефон", on: app.db).map(\.ref).contains("vozvrat-telefona") == false)
        }
    }
}

@Suite("Portal search", .serialized)
struct PortalSearchTests {
    @Test func theClassifiersTopicsAreSearchableAndFollowItsChanges() async throws {
        try await withApp(demo: true) { app in
            let browser = try Browser(app)
            let page = try await browser.get("/search?q=" + Browser.encode("вернули бракованный телефон"))
            #expect(page.status == .ok)
            #expect(page.body.string.contains("/appeals/new?subcategory=trade-refund-defective"), "inflected words and synonyms")
            #expect(page.body.string.contains("<mark>"))
            let api = try API(app)
            let found = try await api.send(.GET, "/api/v1/search?q=" + Browser.encode("коллекторы звонят ночью")).content
                .decode(SearchController.SearchDTO.self)
            #expect(found.topics.first?.ref == "financial-services-collectors", "\(found.topics.map(\.ref))")
            let junk = try await browser.get("/search?q=" + Browser.encode(String(repeating: "…!", count: 5000)))
            #expect(junk.status == .ok)
            #expect(junk.body.string.contains("search-empty"))

            // An administrator adds a topic: it is found at once.
            let admin = try Browser(app)
            try await admin.signIn("admin@consumerdesk.test")
            let fields: [(String, String)] = [
                ("categoryCode", "trade"), ("code", "trade-gift-cards"), ("name", "Подарочные сертификаты"), ("kind", "appeal"),
                ("answerDays", "30"), ("dayType", "calendar"), ("coordinationDays", "1"), ("moderationDays", "1"),
                ("keywords", "сертификат, подарочная карта"),
            ]
            #expect(try await admin.post("/admin/classifier/items", form: fields).status == .seeOther)
            #expect(try await browser.get("/search?q=" + Browser.encode("подарочной картой")).body.string.contains("trade-gift-cards"))
        }
    }
}
