import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// A stored report of a closed period.
final class ArchivedReport: Model, @unchecked Sendable {
    static let schema = "report_archive"

    @ID(key: .id) var id: UUID?
    @Field(key: "organisation_id") var organisationID: UUID
    @Field(key: "period_kind") var periodKind: String
    @Field(key: "period_from") var periodFrom: String
    @Field(key: "period_to") var periodTo: String
    @Field(key: "format") var format: String
    @Field(key: "file_name") var fileName: String
    @Field(key: "content") var content: Data
    @Field(key: "size") var size: Int
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// The monthly job: when a month closes, its reports (and the quarter's and the year's when those close
/// too) are made for the region and for every active organisation (with those below it), as XLSX and
/// CSV, and kept. Runs daily at 03:00 in the region; a period already archived is skipped, so a missed
/// night is made up the next.
enum ReportArchive {
    static let job = "report-archive"
    static let hour = 3

    enum PeriodKind: String, CaseIterable {
        case month, quarter, year

        var title: String {
            switch self {
            case .month: "Месяц"
            case .quarter: "Квартал"
            case .year: "Год"
            }
        }
    }

    static func nextRun(after now: Date, calendar: ProductionCalendar) -> Date {
        let today = calendar.localDate(of: now)
        let atToday = calendar.start(of: today).addingTimeInterval(TimeInterval(hour * 3600))
        return atToday > now ? atToday : calendar.start(of: today.adding(days: 1)).addingTimeInterval(TimeInterval(hour * 3600))
    }

    /// The periods that closed with the last month before `today`.
    static func closedPeriods(today: LocalDate) -> [(PeriodKind, StatPeriod)] {
        let month = StatMonth(today).previous
        var out: [(PeriodKind, StatPeriod)] = [(.month, .month(month))]
        if month.month % 3 == 0 { out.append((.quarter, .quarter(year: month.year, month.month / 3))) }
        if month.month == 12 { out.append((.year, .year(month.year))) }
        return out
    }

    @discardableResult
    static func runIfDue(app: Application, node: String, now: Date) async throws -> Int? {
        let calendar = app.productionCalendar
        try await ScheduledJobs.ensure(job, firstRun: nextRun(after: now, calendar: calendar), on: app.db)
        guard try await ScheduledJobs.claim(job, node: node, now: now, on: app.db) else { return nil }
        let made = try await archive(app: app, now: now)
        try await ScheduledJobs.finish(
            job, node: node, now: now, next: nextRun(after: now, calendar: calendar), result: "\(made) files", on: app.db)
        return made
    }

    /// Makes what is missing for the periods that closed before `now`; returns how many files it stored.
    static func archive(app: Application, now: Date) async throws -> Int {
        let calendar = app.productionCalendar
        let organisations = try await Organisation.query(on: app.db).all()
        let active = organisations.filter(\.isActive)
        var made = 0
        for (kind, period) in closedPeriods(today: calendar.localDate(of: now)) {
            for organisation in [nil] + active.map(\.id) {
                let owner = organisation ?? StatisticsStore.noOrganisation
                let existing = try await ArchivedReport.query(on: app.db).filter(\.$organisationID == owner)
                    .filter(\.$periodFrom == period.from.description).filter(\.$periodTo == period.to.description).count()
                guard existing == 0 else { continue }
                let ask = try StatRequest.resolve(
                    from: period.from.description, to: period.to.description, organisation: organisation?.uuidString, reach: .region,
                    organisations: organisations, today: calendar.localDate(of: now))
                let sheets = try await ReportExport.sheets(ask, app: app, now: now)
                var files: [(ReportExport.FileFormat, ReportExport.Kind?, Data)] = [
                    (.xlsx, nil, try ReportExport.file(sheets, format: .xlsx, kind: nil, created: now)),
                ]
                for table in ReportExport.Kind.allCases {
                    files.append((.csv, table, try ReportExport.file(sheets, format: .csv, kind: table, created: now)))
                }
                let stored = files
                try await app.db.transaction { db in
                    for (format, table, data) in stored {
                        let row = ArchivedReport()
                        row.id = UUID()
                        row.organisationID = owner
                        row.periodKind = kind.rawValue
                        row.periodFrom = period.from.description
                        row.periodTo = period.to.description
                        row.format = table.map { "\(format.rawValue)-\($0.rawValue)" } ?? format.rawValue
                        row.fileName = ReportExport.fileName(period, format: format, kind: table)
                        row.content = data
                        row.size = data.count
                        row.createdAt = now
                        try await row.create(on: db)
                    }
                }
                made += files.count
            }
        }
        return made
    }
}

extension PeriodicLifecycle {
    /// Every ten minutes: is the nightly report archive due?
    static var reportArchive: PeriodicLifecycle {
        let node = UUID().uuidString
        return PeriodicLifecycle("Report archive", every: .seconds(600)) { application in
            if let made = try await ReportArchive.runIfDue(app: application, node: node, now: application.clock.now()), made > 0 {
                application.logger.info("Report archive: \(made) files stored")
            }
        }
    }
}

/// Staff download the archived reports their role lets them read.
struct ReportArchiveController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("stats", "archive", use: page)
        routes.get("stats", "archive", ":id", use: download)
    }

    struct Row: Encodable {
        var id: String
        var kind: String
        var period: String
        var organisation: String
        var format: String
        var fileName: String
        var size: String
    }

    struct Page: Encodable {
        var layout: Layout
        var rows: [Row]
    }

    static func visible(_ reach: StatisticsAccess.Reach) -> (UUID) -> Bool {
        switch reach {
        case .none: { _ in false }
        case .region: { _ in true }
        case .organisations(let ids): { ids.contains($0) }
        }
    }

    @Sendable
    func page(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let reach = try await StatisticsController.reach(request)
        guard reach != .none else { throw AppError.forbidden }
        let names = try await StatNames.load(on: request.db)
        let allowed = Self.visible(reach)
        let rows = try await ArchivedReport.query(on: request.db)
            .field(\.$id).field(\.$organisationID).field(\.$periodKind).field(\.$periodFrom).field(\.$periodTo).field(\.$format)
            .field(\.$fileName).field(\.$size)
            .sort(\.$periodFrom, .descending).sort(\.$periodKind).limit(2_000).all()
            .filter { allowed($0.organisationID) }
        return try await request.render(
            "stats/archive",
            Page(
                layout: await Layout.make(for: request, title: "Архив отчётов"),
                rows: rows.map {
                    Row(
                        id: $0.id!.uuidString, kind: ReportArchive.PeriodKind(rawValue: $0.periodKind)?.title ?? $0.periodKind,
                        period: "\($0.periodFrom) — \($0.periodTo)",
                        organisation: $0.organisationID == StatisticsStore.noOrganisation ? "Вся область" : names.organisations[$0.organisationID] ?? "—",
                        format: $0.format.uppercased().replacingOccurrences(of: "-OFFICIAL", with: " (сведения)")
                            .replacingOccurrences(of: "-COMPLIANCE", with: " (сроки)"),
                        fileName: $0.fileName, size: "\(max(1, $0.size / 1024)) КБ")
                }))
    }

    @Sendable
    func download(request: Request) async throws -> Response {
        _ = try request.requireUser()
        let reach = try await StatisticsController.reach(request)
        // Someone who reads no statistics is refused before any report is looked up.
        guard reach != .none else { throw AppError.forbidden }
        guard let report = try await ArchivedReport.find(try request.uuidParameter("id"), on: request.db) else { throw AppError.notFound }
        guard Self.visible(reach)(report.organisationID) else { throw AppError.forbidden }
        let format: ReportExport.FileFormat = report.format.hasPrefix("csv") ? .csv : .xlsx
        return ReportExport.response(report.content, format: format, fileName: report.fileName)
    }
}
