import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

@Suite("Classifier", .serialized)
struct ClassifierAppTests {
    @Test func theShippedClassifierCoversEverySphereAndTheGeneralCategories() async throws {
        try await withApp { app in
            let spec = try await API(app).send(.GET, "/api/v1/classifier").content.decode(ClassifierSpec.self)
            #expect(spec.categories.count >= 25)
            #expect(spec.subcategoryCount >= 200)
            let spheres = Set(spec.categories.compactMap(\.sphere))
            #expect(spheres == Set(SphereCode.allCases.map(\.rawValue)))
            #expect(spec.categories.filter { $0.sphere == nil }.count >= 16)
            let fast = spec.categories.flatMap(\.subcategories).filter(\.fastTrack)
            #expect(fast.count >= 5)
            #expect(fast.allSatisfy { $0.answerDays <= 5 && $0.dayType == .working })
            #expect(try await ClassifierChange.query(on: app.db).count() == spec.categories.count + spec.subcategoryCount)
        }
    }

    @Test func anImportUpdatesRetiresAndKeepsHistory() async throws {
        try await withApp(demo: true) { app in
            let api = try await API.signedIn(app, "admin@consumerdesk.test")
            let csv = try await api.send(.GET, "/api/v1/classifier/export?format=csv")
            #expect(csv.status == .ok)
            #expect(csv.headers.first(name: .contentDisposition)?.contains(".csv") == true)
            var spec = try ClassifierCSV.parse(csv.body.string)
            let renamed = spec.categories[0].subcategories[0].code
            spec.categories[0].subcategories[0].name += " (уточнено)"
            let removed = spec.categories[0].subcategories.removeLast().code

            let response = try await api.tester.sendRequest(
                .POST, "/api/v1/classifier/import?format=csv",
                headers: ["Authorization": "Bearer \(api.token!)", "Content-Type": "text/csv"],
                body: ByteBuffer(string: ClassifierCSV.render(spec)))
            #expect(response.status == .ok)
            let report = try response.content.decode(ClassifierService.ImportReport.self)
            #expect(report.subcategoriesUpdated == 1)
            #expect(report.subcategoriesRetired == 1)
            #expect(report.subcategoriesCreated == 0)

            let changed = try #require(try await Subcategory.query(on: app.db).filter(\.$code == renamed).first())
            #expect(changed.version == 2)
            #expect(changed.name.hasSuffix("(уточнено)"))
            let retired = try #require(try await Subcategory.query(on: app.db).filter(\.$code == removed).first())
            #expect(retired.isRetired, "kept for the appeals filed under it")
            let history = try await api.send(.GET, "/api/v1/classifier/history?code=\(renamed)").content
                .decode([ClassifierAPIController.ChangeDTO].self)
            #expect(history.map(\.action) == ["updated", "created"])
            #expect(history.first?.before?.contains("(уточнено)") == false)
            #expect(history.first?.after?.contains("(уточнено)") == true)
            let current = try await API(app).send(.GET, "/api/v1/classifier").content.decode(ClassifierSpec.self)
            #expect(!current.categories.flatMap(\.subcategories).contains { $0.code == removed })
        }
    }

    @Test func aBadFileIsRefusedWithLineNumbersAndChangesNothing() async throws {
        try await withApp(demo: true) { app in
            let api = try await API.signedIn(app, "admin@consumerdesk.test")
            let before = try await Subcategory.query(on: app.db).count()
            let csv = ClassifierCSV.columns.joined(separator: ",") + "\n"
                + "trade,Торговля,trade,trade-x,Новая,appeal,45,calendar,1,1,false,,\n"
                + "trade,Торговля,trade,BAD,Плохая,appeal,30,calendar,1,1,false,,\n"
            let response = try await api.tester.sendRequest(
                .POST, "/api/v1/classifier/import?format=csv",
                headers: ["Authorization": "Bearer \(api.token!)", "Content-Type": "text/csv"], body: ByteBuffer(string: csv))
            #expect(response.status == .unprocessableEntity)
            let body = try response.content.decode(APIErrorBody.self)
            #expect(body.issues?.map(\.line) == [2, 3])
            #expect(body.reason.contains("line 2"))
            #expect(try await Subcategory.query(on: app.db).count() == before)
            #expect(try await Subcategory.query(on: app.db).filter(\.$isRetired == true).count() == 0)
        }
    }

    @Test func onlyPlatformAdminsImport() async throws {
        try await withApp(demo: true) { app in
            for login in ["admin.volgograd@consumerdesk.test", "moderator@consumerdesk.test"] {
                let api = try await API.signedIn(app, login)
                let response = try await api.tester.sendRequest(
                    .POST, "/api/v1/classifier/import?format=json",
                    headers: ["Authorization": "Bearer \(api.token!)", "Content-Type": "application/json"],
                    body: ByteBuffer(string: "{}"))
                #expect(response.status == .forbidden, "\(login)")
            }
            let anonymous = try await API(app).send(.GET, "/api/v1/classifier/export")
            #expect(anonymous.status == .unauthorized)
        }
    }

    @Test func theAdminPageUploadsAFileAndShowsErrorsInRussian() async throws {
        try await withApp(demo: true) { app in
            let browser = try Browser(app)
            try await browser.signIn("admin@consumerdesk.test")
            let page = try await browser.get("/admin/classifier")
            #expect(page.status == .ok)
            #expect(page.body.string.contains("Ямы, выбоины") || page.body.string.contains("Фаст-трек"))
            let json = try await browser.get("/admin/classifier/export/json")
            var spec = try ClassifierJSON.parse(Data(json.body.string.utf8))
            spec.categories[1].name = "Общепит"
            let ok = try await browser.upload(
                "/admin/classifier/import", field: "file", filename: "classifier.json", contentType: "application/json",
                data: ClassifierJSON.render(spec))
            #expect(ok.status == .ok)
            #expect(ok.body.string.contains("Классификатор загружен"))
            let bad = try await browser.upload(
                "/admin/classifier/import", field: "file", filename: "bad.csv", contentType: "text/csv",
                data: Data("category_code,name\nx,y\n".utf8))
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.body.string.contains("Нет обязательного столбца"))
        }
    }
}
