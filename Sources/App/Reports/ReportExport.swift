import Domain
import Fluent
import Foundation
import Vapor

/// The official report and the deadline-compliance report for a period and scope, as tables, and as
/// XLSX (Office Open XML, zipped with ZIPFoundation) or CSV — no hand work (issue 8 item 4).
enum ReportExport {
    enum Kind: String, CaseIterable, Sendable {
        case official
        case compliance
    }

    enum FileFormat: String, CaseIterable, Sendable {
        case xlsx, csv

        var contentType: String {
            switch self {
            case .xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            case .csv: "text/csv; charset=utf-8"
            }
        }
    }

    /// Both reports as spreadsheet sheets.
    static func sheets(_ ask: StatRequest, app: Application, now: Date) async throws -> [Spreadsheet.Sheet] {
        let overview = try await StatisticsService.overview(ask, app: app, now: now)
        let names = try await StatNames.load(on: app.db)
        let official = StatisticsService.officialTable(overview.report, names: names, ask: nil)
        let compliance = overview.dashboard.sections.first { $0.id == "compliance" }?.table ?? StatTable(headers: [], rows: [], total: nil)
        let subtitle = "\(ask.scopeName); период с \(russianDate(ask.period.from)) по \(russianDate(ask.period.to))"
        return [
            sheet(official, name: "Сведения", title: "Сведения о работе по защите прав потребителей", subtitle: subtitle),
            sheet(compliance, name: "Сроки", title: "Соблюдение сроков рассмотрения по организациям", subtitle: subtitle),
        ]
    }

    static func sheet(_ table: StatTable, name: String, title: String, subtitle: String) -> Spreadsheet.Sheet {
        Spreadsheet.Sheet(
            name: name, title: title, subtitle: subtitle, headers: table.headers, rows: table.rows.map { $0.map(\.spreadsheet) },
            total: table.total.map { $0.map(\.spreadsheet) })
    }

    static func file(_ sheets: [Spreadsheet.Sheet], format: FileFormat, kind: Kind?, created: Date) throws -> Data {
        switch format {
        case .xlsx:
            return try xlsx(sheets, created: created)
        case .csv:
            let chosen = kind == .compliance ? sheets.last : sheets.first
            return Spreadsheet.csv(chosen ?? Spreadsheet.Sheet(name: "", title: "", subtitle: "", headers: [], rows: [], total: nil))
        }
    }

    static func xlsx(_ sheets: [Spreadsheet.Sheet], created: Date) throws -> Data {
        try ZipPackage.data(Spreadsheet.xlsx(sheets, created: created), created: created)
    }

    /// «svedeniya-2026-01-01-2026-03-31.xlsx»: ASCII, so no browser or mail client mangles it.
    static func fileName(_ period: StatPeriod, format: FileFormat, kind: Kind?) -> String {
        let stem = format == .csv && kind == .compliance ? "sroki" : "svedeniya"
        return "\(stem)-\(period.from)-\(period.to).\(format.rawValue)"
    }

    static func russianDate(_ date: LocalDate) -> String {
        String(format: "%02d.%02d.%04d", date.day, date.month, date.year)
    }

    static func response(_ data: Data, format: FileFormat, fileName: String) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "application", subType: "octet-stream")
        headers.replaceOrAdd(name: .contentType, value: format.contentType)
        headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(fileName)\"")
        headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return Response(status: .ok, headers: headers, body: .init(data: data))
    }

    /// `GET …/report.xlsx` and `…/report.csv?table=compliance`.
    @Sendable
    static func download(_ request: Request, format: FileFormat) async throws -> Response {
        _ = try request.requireUser()
        let ask = try await StatRequest.of(request)
        var kind: Kind?
        if let raw = (try? request.query.get(String.self, at: "table"))?.nonBlank {
            guard let value = Kind(rawValue: raw) else { throw ValidationFailure([FieldError("table", .invalidValue)]) }
            kind = value
        }
        let sheets = try await sheets(ask, app: request.application, now: request.now)
        let data = try file(sheets, format: format, kind: kind, created: request.now)
        return response(data, format: format, fileName: fileName(ask.period, format: format, kind: kind))
    }
}
