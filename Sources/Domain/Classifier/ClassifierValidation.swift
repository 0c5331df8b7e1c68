/// One problem found in a classifier file, located by line (where the format has lines) and path.
public struct ClassifierIssue: Sendable, Hashable, Codable {
    public enum Code: String, Sendable, Codable {
        case malformedFile, missingColumn, badCode, duplicateCode, emptyName, nameTooLong, unknownSphere
        case unknownKind, unknownDayType, termOutOfRange, formalAppealTooLong, fastTrackTooLong
        case badQuestion, inconsistentCategory, emptyClassifier, emptyCategory, badNumber, badBoolean
        /// An edit made on a copy someone else has changed since.
        case staleVersion
    }

    public var line: Int?
    public var path: String
    public var code: Code
    public var value: String

    public init(line: Int?, path: String, code: Code, value: String = "") {
        self.line = line
        self.path = path
        self.code = code
        self.value = value
    }
}

/// A file that cannot be imported; nothing of it is applied.
public struct ClassifierImportFailure: Error, Sendable, Hashable {
    public var issues: [ClassifierIssue]

    public init(_ issues: [ClassifierIssue]) { self.issues = issues }
}

public enum ClassifierValidation {
    static let sphereCodes = Set(SphereCode.allCases.map(\.rawValue))
    static let maximumTerm = 60

    public static func isValidCode(_ code: String) -> Bool {
        !code.isEmpty && code.count <= 64 && !code.hasPrefix("-") && !code.hasSuffix("-")
            && code.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    /// Checks a whole classifier. `lineOf` locates an item (by its code) in the source, if known.
    public static func validate(_ spec: ClassifierSpec, lineOf: (String) -> Int? = { _ in nil }) -> [ClassifierIssue] {
        var issues: [ClassifierIssue] = []
        if spec.categories.isEmpty { issues.append(ClassifierIssue(line: nil, path: "categories", code: .emptyClassifier)) }
        var categoryCodes: Set<String> = []
        var subcategoryCodes: Set<String> = []
        for (ci, category) in spec.categories.enumerated() {
            let path = "categories[\(ci)]"
            let line = lineOf(category.code)
            func issue(_ code: ClassifierIssue.Code, _ field: String, _ value: String = "", at line: Int? = line, in base: String = path) {
                issues.append(ClassifierIssue(line: line, path: base + "." + field, code: code, value: value))
            }
            if !isValidCode(category.code) { issue(.badCode, "code", category.code) }
            if !categoryCodes.insert(category.code).inserted { issue(.duplicateCode, "code", category.code) }
            checkName(category.name) { issue($0, "name", category.name) }
            if let sphere = category.sphere, !sphereCodes.contains(sphere) { issue(.unknownSphere, "sphere", sphere) }
            if category.subcategories.isEmpty { issue(.emptyCategory, "subcategories") }
            for (si, sub) in category.subcategories.enumerated() {
                let subPath = "\(path).subcategories[\(si)]"
                let subLine = lineOf(sub.code) ?? line
                func subIssue(_ code: ClassifierIssue.Code, _ field: String, _ value: String = "") {
                    issue(code, field, value, at: subLine, in: subPath)
                }
                if !isValidCode(sub.code) { subIssue(.badCode, "code", sub.code) }
                if !subcategoryCodes.insert(sub.code).inserted { subIssue(.duplicateCode, "code", sub.code) }
                checkName(sub.name) { subIssue($0, "name", sub.name) }
                for (field, value) in [("answerDays", sub.answerDays), ("coordinationDays", sub.coordinationDays),
                                       ("moderationDays", sub.moderationDays)]
                where !(1...maximumTerm).contains(value) {
                    subIssue(.termOutOfRange, field, String(value))
                }
                // 59-ФЗ ст. 12: 30 days at most (the one extension is granted per appeal, not here).
                if sub.kind == .appeal, sub.answerDays > ClassifierDefaults.formalAppealDays {
                    subIssue(.formalAppealTooLong, "answerDays", String(sub.answerDays))
                }
                if sub.fastTrack, sub.answerDays > 5 { subIssue(.fastTrackTooLong, "answerDays", String(sub.answerDays)) }
                var questionCodes: Set<String> = []
                for (qi, question) in sub.questions.enumerated() {
                    let field = "questions[\(qi)]"
                    let codeOK = !question.code.isEmpty && question.code.count <= 40
                        && question.code.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }
                    if !codeOK || !questionCodes.insert(question.code).inserted { subIssue(.badQuestion, field + ".code", question.code) }
                    if question.label.trimmingWhitespace().isEmpty || question.label.count > 200 {
                        subIssue(.badQuestion, field + ".label", question.label)
                    }
                    let options = question.options ?? []
                    if question.type == .choice {
                        if options.count < 2 || Set(options).count != options.count { subIssue(.badQuestion, field + ".options") }
                    } else if !options.isEmpty {
                        subIssue(.badQuestion, field + ".options")
                    }
                }
            }
        }
        return issues
    }

    private static func checkName(_ name: String, report: (ClassifierIssue.Code) -> Void) {
        let trimmed = name.trimmingWhitespace()
        if trimmed.isEmpty { report(.emptyName) } else if trimmed.count > 200 { report(.nameTooLong) }
    }
}
