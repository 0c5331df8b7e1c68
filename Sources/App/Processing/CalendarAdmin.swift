import Domain
import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// A year of the production calendar as an administrator saved it; it replaces the shipped year.
final class CalendarYearRow: Model, @unchecked Sendable {
    static let schema = "calendar_years"

    @ID(custom: "year", generatedBy: .user) var id: Int?
    @Field(key: "days_off") var daysOffJSON: String
    @Field(key: "working_days") var workingDaysJSON: String
    @OptionalField(key: "updated_by") var updatedBy: UUID?
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    var year: ProductionCalendar.Year? {
        guard let id,
            let off = try? JSONDecoder().decode([LocalDate].self, from: Data(daysOffJSON.utf8)),
            let working = try? JSONDecoder().decode([LocalDate].self, from: Data(workingDaysJSON.utf8))
        else { return nil }
        return ProductionCalendar.Year(year: id, daysOff: off, workingDays: working)
    }
}

/// The calendar deadlines are counted on: the shipped years (Resources/Calendar) with the years
/// administrators edited or imported on top. Reloaded after every change and every minute, so all nodes
/// follow an edit.
final class CalendarStore: Sendable {
    let timeZone: TimeZone
    private let shipped: [ProductionCalendar.Year]
    private let current: NIOLockedValueBox<ProductionCalendar>

    init(shipped: ProductionCalendar) {
        timeZone = shipped.timeZone
        self.shipped = shipped.years.values.sorted { $0.year < $1.year }
        current = NIOLockedValueBox(shipped)
    }

    var calendar: ProductionCalendar { current.withLockedValue { $0 } }

    func reload(on db: any Database) async throws {
        let edited = try await CalendarYearRow.query(on: db).all().compactMap(\.year)
        var years = Dictionary(shipped.map { ($0.year, $0) }, uniquingKeysWith: { a, _ in a })
        for year in edited where ProductionCalendar.check(year).isEmpty { years[year.year] = year }
        let calendar = ProductionCalendar(years: Array(years.values), timeZone: timeZone)
        current.withLockedValue { $0 = calendar }
    }

    func isEdited(_ year: Int, on db: any Database) async throws -> Bool {
        try await CalendarYearRow.find(year, on: db) != nil
    }
}

extension Application {
    private struct CalendarStoreKey: StorageKey { typealias Value = CalendarStore }

    /// Set up once in `configure`, before any request can arrive.
    var calendarStore: CalendarStore {
        get { configured(CalendarStoreKey.self) }
        set { storage[CalendarStoreKey.self] = newValue }
    }

    /// Working days and holidays for deadlines, as they are now.
    var productionCalendar: ProductionCalendar { calendarStore.calendar }
}

/// `/admin/calendar`: see a year's days off and transferred working days, edit them, or import one or
/// more years as the calendar file (JSON). The same checks as the shipped file; history in the audit of
/// `updated_by/updated_at`. Appeals keep the deadlines they were given; new terms use the new calendar.
struct CalendarAdminController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let admin = routes.grouped("admin", "calendar")
        admin.get(use: page)
        admin.post(use: save)
        admin.post("import", use: importFile)
    }

    struct Page: Encodable {
        struct Month: Encodable {
            struct Day: Encodable {
                var day: Int
                var off: Bool
                var transferred: Bool
            }

            var title: String
            var lead: Int
            var days: [Day]
        }

        var layout: Layout
        var year: Int
        var years: [Choice]
        var daysOff: String
        var workingDays: String
        var edited: Bool
        var months: [Month]
        var workingDayCount: Int
        var errors: [String: String]
        var hasErrors: Bool
        var problems: [String]
    }

    static var monthNames: [String] { Strings.monthNames }

    static func page(_ request: Request, year: Int, failure: ValidationFailure? = nil, problems: [String] = [], input: (String, String)? = nil)
        async throws -> Page
    {
        let calendar = request.application.productionCalendar
        let published = calendar.years[year]
        var months: [Page.Month] = []
        var count = 0
        for month in 1...12 {
            var days: [Page.Month.Day] = []
            var date = LocalDate(year, month, 1)
            while date.month == month {
                let working = calendar.isWorkingDay(date)
                if working { count += 1 }
                days.append(.init(day: date.day, off: !working, transferred: working && date.isWeekend))
                date = date.adding(days: 1)
            }
            months.append(.init(title: monthNames[month - 1], lead: LocalDate(year, month, 1).weekday - 1, days: days))
        }
        let current = calendar.localDate(of: request.now).year
        return Page(
            layout: await Layout.make(for: request, title: "Производственный календарь \(year)"), year: year,
            years: ((current - 1)...(current + 2)).map { Choice(value: String($0), label: String($0), selected: $0 == year) },
            daysOff: input?.0 ?? published.map { $0.daysOff.map(\.description).joined(separator: "\n") } ?? "",
            workingDays: input?.1 ?? published.map { $0.workingDays.map(\.description).joined(separator: "\n") } ?? "",
            edited: try await request.application.calendarStore.isEdited(year, on: request.db), months: months,
            workingDayCount: count, errors: failure.map(FormErrors.russian) ?? [:], hasErrors: failure != nil || !problems.isEmpty,
            problems: problems)
    }

    static func authorize(_ request: Request) async throws {
        _ = try request.requireUser()
        try await request.authorize(.manageCalendar, in: .platform)
    }

    @Sendable
    func page(request: Request) async throws -> Response {
        try await Self.authorize(request)
        let current = request.application.productionCalendar.localDate(of: request.now).year
        let year = (try? request.query.get(Int.self, at: "year")).flatMap { (2000...2100).contains($0) ? $0 : nil } ?? current
        return try await request.render("admin/calendar", try await Self.page(request, year: year))
    }

    struct Input: Content {
        var year: Int?
        var daysOff: String?
        var workingDays: String?
    }

    static func russian(_ problem: ProductionCalendar.Problem) -> String {
        switch problem {
        case .dateOutsideYear(let date): "\(date): дата другого года"
        case .dayOffOnWeekend(let date): "\(date): суббота или воскресенье и так выходной — укажите только будние дни"
        case .workingDayOnWeekday(let date): "\(date): будний день и так рабочий — в рабочие переносятся только субботы и воскресенья"
        }
    }

    static func store(_ years: [ProductionCalendar.Year], request: Request) async throws {
        let actor = try await request.requireActor()
        let encoder = JSONEncoder()
        try await request.db.transaction { db in
            for year in years {
                let row = try await CalendarYearRow.find(year.year, on: db) ?? CalendarYearRow()
                row.id = year.year
                row.daysOffJSON = String(decoding: try encoder.encode(year.daysOff.sorted()), as: UTF8.self)
                row.workingDaysJSON = String(decoding: try encoder.encode(year.workingDays.sorted()), as: UTF8.self)
                row.updatedBy = actor.userID
                row.updatedAt = request.now
                try await row.save(on: db)
            }
        }
        try await request.application.calendarStore.reload(on: request.db)
    }

    @Sendable
    func save(request: Request) async throws -> Response {
        try await Self.authorize(request)
        let input = try request.content.decode(Input.self)
        guard let year = input.year, (2000...2100).contains(year) else { throw ValidationFailure([FieldError("year", .invalidValue)]) }
        func dates(_ text: String?, field: String) throws -> [LocalDate] {
            let parts = (text ?? "").split(whereSeparator: { $0 == "\n" || $0 == "," || $0 == " " || $0 == "\r" }).map(String.init)
            return try parts.map { part in
                // Both 2026-01-09 and 09.01.2026 are accepted.
                if let date = LocalDate(iso: part) { return date }
                let pieces = part.split(separator: ".").compactMap { Int($0) }
                if pieces.count == 3, let date = LocalDate(iso: String(format: "%04d-%02d-%02d", pieces[2], pieces[1], pieces[0])) { return date }
                throw ValidationFailure([FieldError(field, .invalidValue)])
            }
        }
        let raw = (input.daysOff ?? "", input.workingDays ?? "")
        do {
            let value = ProductionCalendar.Year(
                year: year, daysOff: Array(Set(try dates(input.daysOff, field: "daysOff"))).sorted(),
                workingDays: Array(Set(try dates(input.workingDays, field: "workingDays"))).sorted())
            let problems = ProductionCalendar.check(value)
            guard problems.isEmpty else {
                return try await request.render(
                    "admin/calendar", try await Self.page(request, year: year, problems: problems.map(Self.russian), input: raw),
                    status: .unprocessableEntity)
            }
            try await Self.store([value], request: request)
            return request.seeOther("/admin/calendar?year=\(year)", flash: "Календарь на \(year) год сохранён.")
        } catch let failure as ValidationFailure {
            return try await request.render(
                "admin/calendar", try await Self.page(request, year: year, failure: failure, input: raw), status: .unprocessableEntity)
        }
    }

    @Sendable
    func importFile(request: Request) async throws -> Response {
        try await Self.authorize(request)
        struct Upload: Content { var file: File? }
        let upload = try request.content.decode(Upload.self)
        let year = request.application.productionCalendar.localDate(of: request.now).year
        guard let file = upload.file, file.data.readableBytes > 0 else {
            return try await request.render(
                "admin/calendar", try await Self.page(request, year: year, failure: ValidationFailure([FieldError("file", .required)])),
                status: .unprocessableEntity)
        }
        do {
            let parsed = try ProductionCalendarFile.parse(Data(buffer: file.data), timeZone: request.application.calendarStore.timeZone)
            let years = parsed.years.values.sorted { $0.year < $1.year }
            try await Self.store(years, request: request)
            return request.seeOther(
                "/admin/calendar?year=\(years.first?.year ?? year)",
                flash: "Импортировано: \(years.map { String($0.year) }.joined(separator: ", ")).")
        } catch let failure as ProductionCalendarFile.Failure {
            let problems: [String] =
                switch failure {
                case .malformed: ["Файл не читается как календарь: ожидается JSON вида {\"years\": [{\"year\": 2027, \"daysOff\": [...], \"workingDays\": [...]}]}."]
                case .invalid(let year, let problems): problems.map { "\(year): " + Self.russian($0) }
                }
            return try await request.render(
                "admin/calendar", try await Self.page(request, year: year, problems: problems), status: .unprocessableEntity)
        }
    }
}
