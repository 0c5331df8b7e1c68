import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// `consumerdesk report --from 2026-01-01 --to 2026-03-31 --format xlsx`: the official report and the
/// deadline compliance for any period, written to a file, for the region or one organisation.
struct ReportCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "from", help: "First day, YYYY-MM-DD (default: the current quarter)") var from: String?
        @Option(name: "to", help: "Last day, YYYY-MM-DD") var to: String?
        @Option(name: "format", help: "xlsx (default) or csv") var format: String?
        @Option(name: "table", help: "For CSV: official (default) or compliance") var table: String?
        @Option(name: "organisation", help: "An organisation's id: its figures with those below it (default: the region)")
        var organisation: String?
        @Option(name: "output", help: "File to write (default: svedeniya-FROM-TO.xlsx in the current directory)") var output: String?
    }

    var help: String { "Writes the official report («сведения о работе по защите прав потребителей») for a period" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard let format = ReportExport.FileFormat(rawValue: signature.format ?? "xlsx") else {
            context.console.error("format: use xlsx or csv")
            throw ValidationFailure([FieldError("format", .invalidValue)])
        }
        var kind: ReportExport.Kind?
        if let raw = signature.table {
            guard let value = ReportExport.Kind(rawValue: raw) else {
                context.console.error("table: use official or compliance")
                throw ValidationFailure([FieldError("table", .invalidValue)])
            }
            kind = value
        }
        let now = app.clock.now()
        let organisations = try await Organisation.query(on: app.db).all()
        let ask: StatRequest
        do {
            ask = try StatRequest.resolve(
                from: signature.from, to: signature.to, organisation: signature.organisation, reach: .region,
                organisations: organisations, today: app.productionCalendar.localDate(of: now))
        } catch let failure as ValidationFailure {
            for error in failure.errors { context.console.error("\(error.field): \(Strings.en(error.code))") }
            throw failure
        } catch AppError.notFound {
            context.console.error("organisation: no such organisation")
            throw AppError.notFound
        }
        let sheets = try await ReportExport.sheets(ask, app: app, now: now)
        let data = try ReportExport.file(sheets, format: format, kind: kind, created: now)
        let path = signature.output ?? ReportExport.fileName(ask.period, format: format, kind: kind)
        try data.write(to: URL(fileURLWithPath: path))
        context.console.success("Wrote \(path) (\(data.count) bytes): \(ask.scopeName), \(ask.period.from) – \(ask.period.to).")
    }
}

/// `consumerdesk statistics-fold`: folds every pending change into the statistics now, with progress —
/// after a bulk load or a restore, rather than leaving it to the server's background fold.
struct StatisticsFoldCommand: AsyncCommand {
    struct Signature: CommandSignature {}

    var help: String { "Folds all pending appeal and contact changes into the statistics' monthly sums" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let folded = try await StatisticsStore.foldAll(app: context.application)
        context.console.success("Folded \(folded.count) changes in \(String(format: "%.1f", folded.seconds)) s.")
    }
}

extension StatisticsStore {
    /// Everything pending, with a progress bar on standard error.
    static func foldAll(app: Application) async throws -> (count: Int, seconds: Double) {
        let started = Date()
        let pending = try await pending(on: app.db)
        var folded = 0
        while true {
            let step = try await fold(app: app, maxBatches: 1, batchSize: 20_000)
            if step == 0 { break }
            folded += step
            DemoLoadCommand.progress(min(folded, max(pending, 1)), of: max(pending, 1), since: started)
        }
        if folded > 0 { FileHandle.standardError.write(Data("\n".utf8)) }
        if let sql = app.db as? any SQLDatabase { try await sql.raw("ANALYZE").run() }
        return (folded, Date().timeIntervalSince(started))
    }
}
