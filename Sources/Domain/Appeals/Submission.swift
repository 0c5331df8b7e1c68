import Foundation

/// What arrives from any channel before it becomes an appeal: the card of product.md §4.
public struct AppealDraft: Sendable, Hashable {
    public var subcategoryCode: String?
    public var surname: String?
    public var name: String?
    public var patronymic: String?
    public var birthDate: Date?
    public var sex: String?
    public var phone: String?
    public var email: String?
    public var locality: String?
    public var conflictName: String?
    public var conflictINN: String?
    public var conflictAddress: String?
    public var subject: String?
    public var actionsTaken: String?
    public var desiredResult: String?
    public var text: String?
    public var problemAddress: String?
    public var territoryID: UUID?
    public var answers: [String: String]
    public var consent: Bool

    public init(
        subcategoryCode: String? = nil, surname: String? = nil, name: String? = nil, patronymic: String? = nil,
        birthDate: Date? = nil, sex: String? = nil, phone: String? = nil, email: String? = nil, locality: String? = nil,
        conflictName: String? = nil, conflictINN: String? = nil, conflictAddress: String? = nil, subject: String? = nil,
        actionsTaken: String? = nil, desiredResult: String? = nil, text: String? = nil, problemAddress: String? = nil,
        territoryID: UUID? = nil, answers: [String: String] = [:], consent: Bool = false
    ) {
        self.subcategoryCode = subcategoryCode
        self.surname = surname
        self.name = name
        self.patronymic = patronymic
        self.birthDate = birthDate
        self.sex = sex
        self.phone = phone
        self.email = email
        self.locality = locality
        self.conflictName = conflictName
        self.conflictINN = conflictINN
        self.conflictAddress = conflictAddress
        self.subject = subject
        self.actionsTaken = actionsTaken
        self.desiredResult = desiredResult
        self.text = text
        self.problemAddress = problemAddress
        self.territoryID = territoryID
        self.answers = answers
        self.consent = consent
    }
}

/// A draft that passed every rule that needs no database.
public struct ValidAppeal: Sendable, Hashable {
    public var subcategoryCode: String
    public var applicant: PersonName
    public var birthDate: Date?
    public var sex: Sex?
    public var phone: PhoneNumber?
    public var email: EmailAddress?
    public var locality: String?
    public var conflictName: String?
    public var conflictINN: String?
    public var conflictAddress: String?
    public var subject: String?
    public var actionsTaken: String?
    public var desiredResult: String?
    public var text: String
    public var problemAddress: String?
    public var territoryID: UUID
    public var answers: [String: String]
}

public enum AppealRules {
    public static let maximumText = 5000
    public static let maximumField = 500

    /// Checks a draft against the card's rules and the subcategory's extra questions. 59-ФЗ ст. 7: a
    /// surname and an address for the answer (email, or a phone for the hotline) are required.
    public static func validate(
        _ draft: AppealDraft, questions: [ExtraQuestion], today: Date
    ) throws(ValidationFailure) -> ValidAppeal {
        var errors = FieldErrors()
        if draft.subcategoryCode?.nonBlank == nil { errors.add("subcategoryCode", .required) }
        let name = PersonName.validate(surname: draft.surname, name: draft.name, patronymic: draft.patronymic, into: &errors)
        var email: EmailAddress?
        if let raw = draft.email?.nonBlank {
            email = EmailAddress(raw)
            if email == nil { errors.add("email", .invalidEmail) }
        }
        var phone: PhoneNumber?
        if let raw = draft.phone?.nonBlank {
            phone = PhoneNumber(raw)
            if phone == nil { errors.add("phone", .invalidPhone) }
        }
        if draft.email?.nonBlank == nil && draft.phone?.nonBlank == nil { errors.add("email", .emailOrPhoneRequired) }
        if let birth = draft.birthDate {
            if birth > today { errors.add("birthDate", .dateInFuture) }
            else if birth < today.addingTimeInterval(-130 * 365.25 * 86400) { errors.add("birthDate", .invalidValue) }
        }
        var sex: Sex?
        if let raw = draft.sex?.nonBlank {
            sex = Sex(rawValue: raw)
            if sex == nil { errors.add("sex", .invalidValue) }
        }
        let text = draft.text?.nonBlank
        if text == nil { errors.add("text", .required) } else if text!.count > maximumText { errors.add("text", .tooLong) }
        if let text, hasControlCharacters(text) { errors.add("text", .invalidValue) }
        func optional(_ field: String, _ value: String?, limit: Int = maximumField) -> String? {
            guard let value = value?.nonBlank else { return nil }
            if value.count > limit { errors.add(field, .tooLong) }
            if hasControlCharacters(value) { errors.add(field, .invalidValue) }
            return value
        }
        let locality = optional("locality", draft.locality)
        let conflictName = optional("conflictName", draft.conflictName)
        let conflictAddress = optional("conflictAddress", draft.conflictAddress)
        let subject = optional("subject", draft.subject)
        let actionsTaken = optional("actionsTaken", draft.actionsTaken, limit: maximumText)
        let desiredResult = optional("desiredResult", draft.desiredResult, limit: maximumText)
        let problemAddress = optional("problemAddress", draft.problemAddress)
        let inn = draft.conflictINN?.nonBlank
        if let inn, !INN.isValid(inn) { errors.add("conflictInn", .invalidINN) }
        if draft.territoryID == nil { errors.add("territoryId", .required) }
        if !draft.consent { errors.add("consent", .consentRequired) }
        let answers = validateAnswers(draft.answers, questions: questions, into: &errors)
        try errors.throwIfAny()
        return ValidAppeal(
            subcategoryCode: draft.subcategoryCode!, applicant: name!, birthDate: draft.birthDate, sex: sex, phone: phone,
            email: email, locality: locality, conflictName: conflictName, conflictINN: inn, conflictAddress: conflictAddress,
            subject: subject, actionsTaken: actionsTaken, desiredResult: desiredResult, text: text!,
            problemAddress: problemAddress, territoryID: draft.territoryID!, answers: answers)
    }

    /// Characters no form can type and no answer letter may carry: C0 controls other than tab and line
    /// breaks, and DEL. NUL above all, which PostgreSQL refuses in text.
    static func hasControlCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains(where: isControlCharacter)
    }

    static func isControlCharacter(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value < 0x20 && scalar != "\n" && scalar != "\r" && scalar != "\t") || scalar.value == 0x7F
    }

    /// Answers keyed by question code, typed by the question; unknown codes are dropped.
    static func validateAnswers(
        _ answers: [String: String], questions: [ExtraQuestion], into errors: inout FieldErrors
    ) -> [String: String] {
        var result: [String: String] = [:]
        for question in questions {
            let field = "answers.\(question.code)"
            guard let value = answers[question.code]?.nonBlank else {
                if question.required { errors.add(field, .required) }
                continue
            }
            switch question.type {
            case .text:
                if value.count > maximumField { errors.add(field, .tooLong) }
                if hasControlCharacters(value) { errors.add(field, .invalidValue) }
            case .number:
                if Double(value.replacing(",", with: ".").replacing(" ", with: "")) == nil { errors.add(field, .invalidValue) }
            case .date:
                if ISODate.parse(value) == nil { errors.add(field, .invalidValue) }
            case .yesno:
                if !["yes", "no", "да", "нет"].contains(value.lowercased()) { errors.add(field, .invalidValue) }
            case .choice:
                if !(question.options ?? []).contains(value) { errors.add(field, .invalidValue) }
            }
            result[question.code] = value
        }
        return result
    }
}

/// `YYYY-MM-DD` dates as forms and the API send them, read as UTC midnight.
public enum ISODate {
    public static func parse(_ text: String) -> Date? {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, let year = Int(parts[0]), let month = Int(parts[1]),
            let day = Int(parts[2]), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: year, month: month, day: day)
        guard let date = calendar.date(from: components), calendar.component(.day, from: date) == day else { return nil }
        return date
    }
}
