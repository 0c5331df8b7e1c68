import Fluent
import Foundation
import Testing
import Vapor

@testable import App
@testable import Domain

@Suite("Portal pages", .serialized)
struct PortalPagesTests {
    @Test func theVersionForTheVisuallyImpairedIsRememberedAndSwitchedOff() async throws {
        try await withApp(demo: false) { app in
            let browser = try Browser(app)
            let plain = try await browser.get("/faq")
            #expect(plain.body.string.contains("<html lang=\"ru\">") && plain.body.string.contains("id=\"a11y-on\""))
            let on = try await browser.get("/a11y?next=" + Browser.encode("/faq?sphere=trade"))
            #expect(on.status == .seeOther && on.headers.first(name: .location) == "/faq?sphere=trade")
            let page = try await browser.get("/faq")
            #expect(page.body.string.contains("class=\"a11y a11y-large a11y-bw\""))
            #expect(page.body.string.contains("id=\"a11y-panel\""))
            _ = try await browser.get("/a11y?size=largest&scheme=wb&images=off&next=/")
            #expect(try await browser.get("/").body.string.contains("class=\"a11y a11y-largest a11y-wb a11y-noimages\""))
            // Only local pages are returned to.
            #expect(try await browser.get("/a11y?size=larger&next=//evil.example").headers.first(name: .location) == "/")
            _ = try await browser.get("/a11y?off=1&next=/")
            #expect(try await browser.get("/").body.string.contains("<html lang=\"ru\">"))
            #expect(browser.cookies[AccessibilitySettings.cookie] == nil)
        }
    }

    @Test func logsNeverHoldTheKeysInPaths() {
        #expect(RequestLoggingMiddleware.redacted("/claims/d/SECRETTOKEN/docx") == "/claims/d/…/docx")
        #expect(RequestLoggingMiddleware.redacted("/api/v1/claims/d/SECRETTOKEN/docx") == "/api/v1/claims/d/…/docx")
        #expect(RequestLoggingMiddleware.redacted("/rate/SECRETTOKEN/5") == "/rate/…/5")
        #expect(RequestLoggingMiddleware.redacted("/claims/defective-refund") == "/claims/defective-refund")
        #expect(RequestLoggingMiddleware.redacted("/") == "/")
    }

    @Test func searchByAnUnknownKindIsABadRequest() async throws {
        try await withApp(demo: false) { app in
            let api = try API(app)
            #expect(try await api.send(.GET, "/api/v1/search?q=x&kind=article'%20OR%201=1").status == .badRequest)
            #expect(try await api.send(.GET, "/api/v1/search?q=" + Browser.encode("возврат") + "&kind=faq").status == .ok)
        }
    }

    @Test func theShippedContentCoversEverySphereAndKindAndIsFound() async throws {
        try await withApp(demo: true) { app in
            let articles = try await Article.query(on: app.db).all()
            let faq = try await FAQEntry.query(on: app.db).all()
            #expect(articles.count >= 15, "\(articles.count) articles")
            #expect(faq.count >= 40, "\(faq.count) FAQ entries")
            #expect(Set(articles.map(\.sphere)) == Set(SphereCode.allCases.map(\.rawValue)))
            #expect(Set(faq.map(\.sphere)) == Set(SphereCode.allCases.map(\.rawValue)))
            #expect(Set(articles.map(\.kind)) == Set(ArticleKind.allCases.map(\.rawValue)))
            #expect(articles.contains { $0.visibility == "internal" }, "law changes and court practice for staff")
            #expect(faq.allSatisfy { !$0.references.isEmpty }, "every answer cites the law")
            // Every link in the content leads somewhere on the portal.
            let slugs = Set(articles.map(\.url))
            let faqSlugs = Set(faq.map(\.slug))
            let linkPattern = #/\]\((/[^)\s]*)\)/#
            for text in articles.map(\.body) + faq.map(\.answer) {
                for match in text.matches(of: linkPattern) {
                    let target = String(match.1)
                    if target.hasPrefix("/kb/") { #expect(slugs.contains(target), "broken link \(target)") }
                    if target.hasPrefix("/faq#") { #expect(faqSlugs.contains(String(target.dropFirst(5))), "broken link \(target)") }
                    if target.hasPrefix("/faq/") { #expect(faqSlugs.contains(String(target.dropFirst(5))), "broken link \(target)") }
                    if target.hasPrefix("/claims/") { #expect(["defective-refund", "defective-replacement", "defective-repair", "return-14-days", "service-defect", "distance-refund", "penalty-delay"].contains(String(target.dropFirst(8))), "broken link \(target)") }
                }
            }

            let browser = try Browser(app)
            let home = try await browser.get("/")
            #expect(home.status == .ok)
            for sphere in SphereCode.allCases { #expect(home.body.string.contains("/kb/\(sphere.rawValue)\"")) }
            for kind in ArticleKind.allCases { #expect(home.body.string.contains("/kb?kind=\(kind.rawValue)\"")) }
            #expect(home.body.string.contains("id=\"make-claim\"") && home.body.string.contains("id=\"consultation\""))
            for sphere in SphereCode.allCases { #expect(try await browser.get("/kb/\(sphere.rawValue)").status == .ok) }
            #expect(try await browser.get("/kb/space").status == .notFound)

            // «вернуть телефон» finds material about «возврат телефонов».
            let found = try await browser.get("/search?q=" + Browser.encode("вернуть телефон"))
            let html = found.body.string
            #expect(html.contains("/kb/trade/") || html.contains("/faq/"), "articles or FAQ are found")
            #expect(html.contains("<mark>"))
        }
    }
}
