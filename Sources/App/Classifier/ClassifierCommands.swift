import Domain
import Fluent
import Foundation
import Vapor

/// `consumerdesk classifier-import FILE`: replaces the classifier from a CSV or JSON file (by its
/// extension); errors are printed with their line numbers and nothing is applied.
struct ClassifierImportCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "file", help: "Path to a .csv or .json classifier file") var file: String
    }

    var help: String { "Imports the classifier from a CSV or JSON file" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let url = URL(fileURLWithPath: signature.file)
        let data = try Data(contentsOf: url)
        let format: ClassifierFormat = url.pathExtension.lowercased() == "csv" ? .csv : .json
        do {
            let spec = try format.parse(data)
            let report = try await ClassifierService.apply(
                spec, source: "cli:\(format.rawValue)", userID: nil, on: app.db, now: app.clock.now())
            try await SearchIndex.reindexTopics(on: app.db, now: app.clock.now())
            context.console.success(
                "Imported: categories +\(report.categoriesCreated) ~\(report.categoriesUpdated) -\(report.categoriesRetired), "
                    + "subcategories +\(report.subcategoriesCreated) ~\(report.subcategoriesUpdated) -\(report.subcategoriesRetired)")
        } catch let failure as ClassifierImportFailure {
            for issue in failure.issues {
                context.console.error(
                    "\(issue.line.map { "line \($0): " } ?? "")\(issue.path): \(Strings.en(issue.code))"
                        + (issue.value.isEmpty ? "" : " (\(issue.value.prefix(80)))"))
            }
            throw failure
        }
    }
}

/// `consumerdesk classifier-export [--format csv|json] [--output FILE]`.
struct ClassifierExportCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "format", help: "csv or json (default json)") var format: String?
        @Option(name: "output", help: "File to write (default: standard output)") var output: String?
    }

    var help: String { "Exports the current classifier as CSV or JSON" }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard let format = ClassifierFormat(rawValue: signature.format ?? "json") else {
            context.console.error("--format must be csv or json")
            throw AppError.badRequest("bad format")
        }
        let data = format.render(try await ClassifierService.current(on: context.application.db))
        if let output = signature.output {
            try data.write(to: URL(fileURLWithPath: output))
            context.console.success("Written \(output)")
        } else {
            context.console.output(String(decoding: data, as: UTF8.self).consoleText(), newLine: true)
        }
    }
}
