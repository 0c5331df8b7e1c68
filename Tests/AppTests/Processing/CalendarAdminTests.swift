import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import Domain

@Suite("Production calendar administration", .serialized)
struct CalendarAdminTests {
    @Test func anAdminEditsAYearAndDeadlinesFollow() async throws {
        try await withApp(demo: true) { app in
            let calendar = app.productionCalendar
            // 29.12.2027 (Wednesday) + 1 working day = 30.12 while the shipped year stands.
            let start = calendar.start(of: LocalDate(2027, 12, 29)).addingTimeInterval(3600)
            #expect(calendar.localDate(of: calendar.due(from: start, days: 1, type: .working)) == LocalDate(2027, 12, 30))

            let browser = try Browser(app)
            try await browser.signIn("admin@consumerdesk.test")
            var page = try await browser.get("/admin/calendar?year=2027")
            #expect(page.status == .ok)
            #expect(page.body.string.contains("2027-02-20"), "the transferred working Saturday is listed")
            let shippedDaysOff = try #require(calendar.years[2027]).daysOff.map(\.description)

            // A weekend is not a day off to add: refused, nothing saved.
            page = try await browser.post(
                "/admin/calendar", form: [("year", "2027"), ("daysOff", (shippedDaysOff + ["2027-12-25"]).joined(separator: "\n")), ("workingDays", "2027-02-20")])
            #expect(page.status == .unprocessableEntity)
            #expect(page.body.string.contains("суббота или воскресенье"))
            #expect(try await CalendarYearRow.query(on: app.db).count() == 0)
            page = try await browser.post("/admin/calendar", form: [("year", "2027"), ("daysOff", "30.02.2027"), ("workingDays", "")])
            #expect(page.status == .unprocessableEntity)

            // 30.12.2027 becomes a day off (written as 30.12.2027): the term moves to 31.12 → 03.01.2028 … per the fallback.
            page = try await browser.post(
                "/admin/calendar", form: [("year", "2027"), ("daysOff", (shippedDaysOff + ["30.12.2027"]).joined(separator: "\n")), ("workingDays", "2027-02-20")])
            #expect(page.status == .seeOther)
            let edited = app.productionCalendar
            #expect(!edited.isWorkingDay(LocalDate(2027, 12, 30)))
            #expect(edited.isWorkingDay(LocalDate(2027, 2, 20)))
            #expect(edited.localDate(of: edited.due(from: start, days: 1, type: .working)) == LocalDate(2028, 1, 10),
                    "31.12 is off too, then the New Year holidays of the labour code")

            // Importing 2028 as a file.
            var form = Multipart()
            form.files = [.init(
                field: "file", filename: "2028.json", contentType: "application/json",
                data: Data(#"{"years":[{"year":2028,"daysOff":["2028-01-03","2028-01-04","2028-01-05","2028-01-06","2028-01-07"],"workingDays":[]}]}"#.utf8))]
            let imported = try await browser.postMultipart("/admin/calendar/import", form)
            #expect(imported.status == .seeOther, "\(imported.body.string.prefix(400))")
            #expect(!app.productionCalendar.isWorkingDay(LocalDate(2028, 1, 7)))
            #expect(app.productionCalendar.isWorkingDay(LocalDate(2028, 1, 10)))
            var bad = Multipart()
            bad.files = [.init(field: "file", filename: "x.json", contentType: "application/json", data: Data("{\"years\": 5}".utf8))]
            #expect(try await browser.postMultipart("/admin/calendar/import", bad).status == .unprocessableEntity)

            // Only administrators.
            let coordinator = try Browser(app)
            try await coordinator.signIn("coordinator@consumerdesk.test")
            #expect(try await coordinator.get("/admin/calendar").status == .forbidden)
        }
    }
}
