import Foundation

/// Reading and writing the classifier as JSON (nested, the shipped format) and CSV (one row per
/// subcategory, for spreadsheets). Both parse into a `ClassifierSpec` and are validated alike; errors
/// carry line numbers.
public enum ClassifierFormat: String, Sendable, CaseIterable {
    case json, csv

    public func parse(_ data: Data) throws(ClassifierImportFailure) -> ClassifierSpec {
        switch self {
        case .json: try ClassifierJSON.parse(data)
        case .csv: try ClassifierCSV.parse(String(decoding: data, as: UTF8.self))
        }
    }

    public func render(_ spec: ClassifierSpec) -> Data {
        switch self {
        case .json: ClassifierJSON.render(spec)
        case .csv: Data(ClassifierCSV.render(spec).utf8)
        }
    }
}

public enum ClassifierJSON {
    public static func parse(_ data: Data) throws(ClassifierImportFailure) -> ClassifierSpec {
        let spec: ClassifierSpec
        do {
            spec = try JSONDecoder().decode(ClassifierSpec.self, from: data)
        } catch let error as DecodingError {
            throw ClassifierImportFailure([issue(for: error, in: data)])
        } catch {
            throw ClassifierImportFailure([ClassifierIssue(line: nil, path: "", code: .malformedFile, value: "\(error)")])
        }
        let lines = codeLines(String(decoding: data, as: UTF8.self))
        let issues = ClassifierValidation.validate(spec, lineOf: { lines[$0] })
        if !issues.isEmpty { throw ClassifierImportFailure(issues) }
        return spec
    }

    public static func render(_ spec: ClassifierSpec) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(spec)) ?? Data()
    }

    /// Line of the first `"code": "<value>"` for every value: enough to point at the item an error is in.
    static func codeLines(_ text: String) -> [String: Int] {
        var result: [String: Int] = [:]
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var rest = Substring(line)
            while let range = rest.range(of: "\"code\"") {
                rest = rest[range.upperBound...].drop(while: { $0 == " " || $0 == ":" || $0 == "\t" })
                guard rest.first == "\"" else { continue }
                let value = rest.dropFirst().prefix(while: { $0 != "\"" })
                if result[String(value)] == nil { result[String(value)] = index + 1 }
                rest = rest.dropFirst(value.count + 1)
            }
        }
        return result
    }

    static func issue(for error: DecodingError, in data: Data) -> ClassifierIssue {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
                .trimmingPrefix(".").description
        }
        switch error {
        case .keyNotFound(let key, let context):
            return ClassifierIssue(line: nil, path: path(context) + "." + key.stringValue, code: .missingColumn, value: key.stringValue)
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return ClassifierIssue(line: nil, path: path(context), code: .malformedFile, value: context.debugDescription)
        case .dataCorrupted(let context):
            let code: ClassifierIssue.Code = context.codingPath.isEmpty ? .malformedFile : .badCode
            return ClassifierIssue(line: nil, path: path(context), code: code, value: context.debugDescription)
        @unknown default:
            return ClassifierIssue(line: nil, path: "", code: .malformedFile, value: "\(error)")
        }
    }
}

/// CSV columns, one row per subcategory; a category's name and sphere repeat on each of its rows.
/// Keywords are separated by `|`; questions are a JSON array in one cell.
public enum ClassifierCSV {
    public static let columns = [
        "category_code", "category_name", "sphere", "subcategory_code", "subcategory_name", "kind", "answer_days",
        "day_type", "coordination_days", "moderation_days", "fast_track", "keywords", "questions",
    ]

    public static func parse(_ text: String) throws(ClassifierImportFailure) -> ClassifierSpec {
        let rows: [CSV.Row]
        do {
            rows = try CSV.parse(text)
        } catch {
            throw ClassifierImportFailure([ClassifierIssue(line: error.line, path: "", code: .malformedFile, value: error.message)])
        }
        guard let header = rows.first else {
            throw ClassifierImportFailure([ClassifierIssue(line: 1, path: "", code: .emptyClassifier)])
        }
        let names = header.fields.map { $0.trimmingWhitespace().lowercased() }
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated() { index[name] = position }
        let missing = columns.filter { index[$0] == nil && $0 != "questions" && $0 != "keywords" }
        if !missing.isEmpty {
            throw ClassifierImportFailure(missing.map { ClassifierIssue(line: 1, path: $0, code: .missingColumn, value: $0) })
        }

        var issues: [ClassifierIssue] = []
        var categories: [CategorySpec] = []
        var categoryLine: [String: Int] = [:]
        var lines: [String: Int] = [:]
        for row in rows.dropFirst() {
            func cell(_ column: String) -> String {
                guard let position = index[column], position < row.fields.count else { return "" }
                return row.fields[position].trimmingWhitespace()
            }
            func number(_ column: String, default value: Int) -> Int {
                let raw = cell(column)
                if raw.isEmpty { return value }
                guard let parsed = Int(raw) else {
                    issues.append(ClassifierIssue(line: row.line, path: column, code: .badNumber, value: raw))
                    return value
                }
                return parsed
            }
            let categoryCode = cell("category_code")
            let sphereText = cell("sphere")
            let sphere = sphereText.isEmpty ? nil : sphereText
            let kindText = cell("kind")
            let kind = kindText.isEmpty ? AppealKind.appeal : AppealKind(rawValue: kindText)
            if kind == nil { issues.append(ClassifierIssue(line: row.line, path: "kind", code: .unknownKind, value: kindText)) }
            var fastTrack = false
            switch cell("fast_track").lowercased() {
            case "", "0", "false", "no", "нет": fastTrack = false
            case "1", "true", "yes", "да": fastTrack = true
            default: issues.append(ClassifierIssue(line: row.line, path: "fast_track", code: .badBoolean, value: cell("fast_track")))
            }
            let defaults = SubcategorySpec.defaultTerm(kind: kind ?? .appeal, fastTrack: fastTrack)
            let dayText = cell("day_type")
            let dayType = dayText.isEmpty ? defaults.type : DayType(rawValue: dayText)
            if dayType == nil { issues.append(ClassifierIssue(line: row.line, path: "day_type", code: .unknownDayType, value: dayText)) }
            var questions: [ExtraQuestion] = []
            let questionText = cell("questions")
            if !questionText.isEmpty {
                do {
                    questions = try JSONDecoder().decode([ExtraQuestion].self, from: Data(questionText.utf8))
                } catch {
                    issues.append(ClassifierIssue(line: row.line, path: "questions", code: .badQuestion, value: questionText))
                }
            }
            let subcategory = SubcategorySpec(
                code: cell("subcategory_code"), name: cell("subcategory_name"), kind: kind ?? .appeal,
                answerDays: number("answer_days", default: defaults.days), dayType: dayType ?? defaults.type,
                coordinationDays: number("coordination_days", default: ClassifierDefaults.coordinationDays),
                moderationDays: number("moderation_days", default: ClassifierDefaults.moderationDays),
                fastTrack: fastTrack,
                keywords: cell("keywords").split(separator: "|").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty },
                questions: questions)
            if lines[subcategory.code] == nil { lines[subcategory.code] = row.line }
            if let position = categories.firstIndex(where: { $0.code == categoryCode }) {
                if categories[position].name != cell("category_name") || categories[position].sphere != sphere {
                    issues.append(ClassifierIssue(line: row.line, path: "category_name", code: .inconsistentCategory, value: categoryCode))
                }
                categories[position].subcategories.append(subcategory)
            } else {
                categoryLine[categoryCode] = row.line
                categories.append(CategorySpec(code: categoryCode, name: cell("category_name"), sphere: sphere, subcategories: [subcategory]))
            }
        }
        let spec = ClassifierSpec(categories: categories)
        // Category codes and subcategory codes live in one namespace for line lookup; categories first.
        issues += ClassifierValidation.validate(spec, lineOf: { lines[$0] ?? categoryLine[$0] })
        if !issues.isEmpty {
            throw ClassifierImportFailure(issues.sorted { ($0.line ?? 0) < ($1.line ?? 0) })
        }
        return spec
    }

    public static func render(_ spec: ClassifierSpec) -> String {
        var rows = [columns]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for category in spec.categories {
            for sub in category.subcategories {
                let questions = sub.questions.isEmpty
                    ? "" : String(decoding: (try? encoder.encode(sub.questions)) ?? Data(), as: UTF8.self)
                rows.append([
                    category.code, category.name, category.sphere ?? "", sub.code, sub.name, sub.kind.rawValue,
                    String(sub.answerDays), sub.dayType.rawValue, String(sub.coordinationDays), String(sub.moderationDays),
                    sub.fastTrack ? "true" : "false", sub.keywords.joined(separator: "|"), questions,
                ])
            }
        }
        return CSV.render(rows)
    }
}
