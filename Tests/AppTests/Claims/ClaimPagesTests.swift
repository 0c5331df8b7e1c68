import Fluent
import Foundation
import Testing
import Vapor
import ZIPFoundation

@testable import App
@testable import Domain

@Suite("Claims", .serialized)
struct ClaimPagesTests {
    /// The region's 19 February 2026, noon: the worked example of domain.md.
    static let february19 = Date(timeIntervalSince1970: 1_771_491_600)

    static func penaltyForm(inn: String = "7707083893") -> [(String, String)] {
        [
            ("consumerName", "Иванова Мария Сергеевна"), ("consumerAddress", "г. Волгоград, ул. Мира, д. 1, кв. 2"),
            ("consumerPhone", "+7 917 123-45-67"), ("sellerName", "ООО «Техномир»"), ("sellerINN", inn),
            ("sellerAddress", "г. Волгоград, пр. Ленина, д. 10"), ("item", "смартфон Model X"), ("purchaseDate", "2026-01-15"),
            ("price", "40 000"), ("receipt", "кассовый чек № 123 от 15.01.2026"), ("penaltyBase", "goods"),
            ("demandKind", "replacement"), ("demandDate", "2026-02-02"), ("claimDate", "2026-02-19"),
        ]
    }

    static func token(_ location: String?) throws -> String {
        let location = try #require(location)
        #expect(location.hasPrefix("/claims/d/"))
        return String(location.dropFirst("/claims/d/".count))
    }

    static func unzip(_ data: Data) throws -> [String: String] {
        let archive = try Archive(data: data, accessMode: .read)
        var parts: [String: String] = [:]
        for entry in archive {
            var bytes = Data()
            _ = try archive.extract(entry) { bytes.append($0) }
            parts[entry.path] = String(decoding: bytes, as: UTF8.self)
        }
        return parts
    }

    @Test func aClaimIsComposedWithThePenaltyAndDownloadedAsDocx() async throws {
        try await withApp(demo: true) { app in
            app.clock = AppClock { Self.february19 }
            let browser = try Browser(app)
            let list = try await browser.get("/claims")
            #expect(list.status == .ok)
            for type in ClaimType.allCases {
                #expect(list.body.string.contains("/claims/\(type.rawValue)\""))
                #expect(try await browser.get("/claims/\(type.rawValue)").status == .ok)
            }
            #expect(try await browser.get("/claims/unknown").status == .notFound)

            let composed = try await browser.post("/claims/penalty-delay", form: Self.penaltyForm())
            #expect(composed.status == .seeOther, "\(composed.body.string.prefix(2000))")
            let token = try Self.token(composed.location)
            let page = try await browser.get("/claims/d/\(token)")
            #expect(page.status == .ok)
            let html = page.body.string
            #expect(html.contains("ООО «Техномир»") || html.contains("ООО &#171;Техномир&#187;") || html.contains("Техномир"))
            #expect(html.contains("С 10.02.2026 по 19.02.2026"), "the penalty runs from the day after the 7-day term")
            #expect(html.contains("4\u{A0}000,00\u{A0}₽"), "10 days × 400 ₽")
            #expect(html.contains("ст. 23"))
            #expect(page.headers.first(name: "Referrer-Policy") == "no-referrer")

            let docx = try await browser.get("/claims/d/\(token)/docx")
            #expect(docx.status == .ok)
            #expect(docx.headers.contentType?.subType == "vnd.openxmlformats-officedocument.wordprocessingml.document")
            #expect(docx.headers.first(name: .contentDisposition)?.contains(".docx") == true)
            let parts = try Self.unzip(Data(buffer: docx.body))
            #expect(Set(parts.keys).isSuperset(of: ["[Content_Types].xml", "word/document.xml", "word/styles.xml", "_rels/.rels"]))
            let xml = try #require(parts["word/document.xml"])
            #expect(xml.contains("Техномир") && xml.contains("4\u{A0}000,00") && xml.contains("ст. 23"))

            // An unknown link is nobody's claim.
            #expect(try await browser.get("/claims/d/\(String(repeating: "x", count: 43))").status == .notFound)
            #expect(try await browser.get("/claims/d/\(String(repeating: "x", count: 43))/docx").status == .notFound)
            // The form can be opened again with the answers.
            #expect(try await browser.get("/claims/penalty-delay?from=\(token)").body.string.contains("смартфон Model X"))
        }
    }

    @Test func badInputIsRefusedPerFieldInRussianAndNothingIsKept() async throws {
        try await withApp(demo: true) { app in
            app.clock = AppClock { Self.february19 }
            let browser = try Browser(app)
            let form: [(String, String)] = [
                ("consumerName", "Иванова Мария"), ("consumerAddress", "г. Волгоград"), ("sellerName", "ООО «Ромашка»"),
                ("sellerINN", "7707083894"), ("sellerAddress", "г. Волгоград"), ("item", "куртка"), ("purchaseDate", "2026-03-01"),
                ("price", "-100"),
            ]
            let refused = try await browser.post("/claims/return-14-days", form: form)
            #expect(refused.status == .unprocessableEntity)
            let html = refused.body.string
            for field in ["purchaseDate", "price", "sellerINN"] { #expect(html.contains("id=\"\(field)-error\""), "\(field)") }
            #expect(html.contains(Strings.ru(.invalidINN)))
            #expect(html.contains(Strings.ru(.dateInFuture)))
            #expect(try await ClaimDraft.query(on: app.db).count() == 0)

            // The 14 days of ст. 25 have passed: refused on the date, with the day they ended.
            var late = form
            late.removeAll { ["purchaseDate", "price", "sellerINN"].contains($0.0) }
            late += [("purchaseDate", "2026-01-20"), ("price", "3500"), ("sellerINN", "7707083893")]
            let expired = try await browser.post("/claims/return-14-days", form: late)
            #expect(expired.status == .unprocessableEntity)
            #expect(expired.body.string.contains("id=\"purchaseDate-error\"") && expired.body.string.contains("03.02.2026"))

            // The API answers in English, per field.
            let api = try API(app)
            let response = try await api.send(.POST, "/api/v1/claims/return-14-days", json: ["consumerName": "Иванова", "price": "abc", "purchaseDate": "2030-01-01"])
            #expect(response.status == .unprocessableEntity)
            #expect(response.body.string.contains("\"price\"") && response.body.string.contains("\"purchaseDate\""))
            let types = try await api.send(.GET, "/api/v1/claims").content.decode(ClaimsController.TypeList.self)
            #expect(types.items.map(\.code) == ClaimType.allCases.map(\.rawValue))
        }
    }

    @Test func theAPIComposesAClaimAndItsDocx() async throws {
        try await withApp(demo: true) { app in
            app.clock = AppClock { Self.february19 }
            let api = try API(app)
            var body: [String: String] = [:]
            for (key, value) in Self.penaltyForm() { body[key] = value }
            let response = try await api.send(.POST, "/api/v1/claims/penalty-delay", json: body)
            #expect(response.status == .created, "\(response.body.string)")
            let composed = try response.content.decode(ClaimsController.ComposedDTO.self)
            #expect(composed.penalty?.totalKopecks == 400_000 && composed.penalty?.days == 10)
            #expect(composed.text.contains("ПРЕТЕНЗИЯ"))
            let docx = try await api.send(.GET, composed.docxUrl)
            #expect(docx.status == .ok)
            #expect(try Self.unzip(Data(buffer: docx.body))["word/document.xml"]?.contains("смартфон Model X") == true)
        }
    }

    @Test func aClaimIsAttachedToANewAppeal() async throws {
        try await withApp(demo: true) { app in
            app.clock = AppClock { Self.february19 }
            let citizen = try Browser(app)
            try await citizen.signIn("citizen@consumerdesk.test")
            let form = try await citizen.get("/claims/defective-refund")
            #expect(form.body.string.contains("Иванова Мария Сергеевна"), "the signed-in person's name is filled in")
            let composed = try await citizen.post("/claims/penalty-delay", form: Self.penaltyForm())
            let token = try Self.token(composed.location)
            let document = try await citizen.get("/claims/d/\(token)")
            #expect(document.body.string.contains("/appeals/new?claim=\(token)"))

            let choose = try await citizen.get("/appeals/new?claim=\(token)&q=" + Browser.encode("возврат телефона"))
            #expect(choose.body.string.contains("claim-pending"))
            #expect(choose.body.string.contains("&amp;claim=\(token)"))
            let card = try await citizen.get("/appeals/new?subcategory=trade-refund-defective&claim=\(token)")
            #expect(card.body.string.contains("claim-attached"))
            #expect(card.body.string.contains("value=\"ООО «Техномир»\"") || card.body.string.contains("Техномир"))

            let territory = try #require(try await Territory.query(on: app.db).filter(\.$code == "vlg-volgograd").first()?.id)
            let filed = try await citizen.postMultipart(
                "/appeals",
                Multipart(fields: [
                    ("subcategoryCode", "trade-refund-defective"), ("territoryId", territory.uuidString),
                    ("text", "Продавец не заменил смартфон в срок, претензия приложена."), ("surname", "Иванова"), ("name", "Мария"),
                    ("email", "citizen@consumerdesk.test"), ("answers[purchaseDate]", "2026-01-15"), ("answers[claimFiled]", "да"),
                    ("consent", "1"), ("claim", token),
                ]))
            #expect(filed.status == .seeOther, "\(filed.body.string.prefix(1500))")
            let attachment = try #require(try await AppealAttachment.query(on: app.db).first())
            #expect(attachment.kind == .docx && attachment.fileName.hasSuffix(".docx"))
            let appeal = try #require(try await Appeal.query(on: app.db).first())
            let file = try await citizen.get("/appeals/\(appeal.number)/files/\(try attachment.requireID())")
            #expect(file.status == .ok)
            #expect(try Self.unzip(Data(buffer: file.body))["word/document.xml"]?.contains("Техномир") == true)

            // A forged or expired link is refused on the form, and nothing is filed.
            let forged = try await citizen.postMultipart(
                "/appeals",
                Multipart(fields: [
                    ("subcategoryCode", "trade-refund-defective"), ("territoryId", territory.uuidString), ("text", "Ещё одна жалоба на продавца."),
                    ("surname", "Иванова"), ("name", "Мария"), ("email", "citizen@consumerdesk.test"),
                    ("answers[purchaseDate]", "2026-01-15"), ("answers[claimFiled]", "да"), ("consent", "1"),
                    ("claim", String(repeating: "y", count: 43)),
                ]))
            #expect(forged.status == .unprocessableEntity)
            #expect(forged.body.string.contains("claim-error"))
            #expect(try await Appeal.query(on: app.db).count() == 1)
        }
    }

    @Test func templatesAreFoundBySearch() async throws {
        try await withApp(demo: false) { app in
            let hits = try await SearchIndex.search("неустойка за просрочку", kinds: [SearchIndex.templateKind], on: app.db)
            #expect(hits.contains { $0.url == "/claims/penalty-delay" }, "\(hits.map(\.url))")
            let refund = try await SearchIndex.search("вернуть деньги за некачественный товар", kinds: [SearchIndex.templateKind], on: app.db)
            #expect(refund.contains { $0.url == "/claims/defective-refund" }, "\(refund.map(\.url))")
        }
    }
}
