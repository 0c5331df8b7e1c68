/// Password rules (one place): long enough, not trivially guessable, not the login itself.
public enum PasswordRules {
    public static let minimumLength = 8
    public static let maximumLength = 128

    /// Passwords people pick first; refusing them costs nothing and stops the laziest guessing.
    static let common: Set<String> = [
        "password", "password1", "password123", "qwerty123", "qwertyuiop1", "12345678a", "1q2w3e4r",
        "1q2w3e4r5t", "qwerty12", "a1234567", "abc12345", "iloveyou1", "admin123", "welcome1",
        "passw0rd", "zaq12wsx", "1qaz2wsx", "parol123", "йцукен123", "пароль123", "пароль1",
    ]

    public static func check(_ password: String, login: [String], field: String = "password") -> [FieldError] {
        var errors: [FieldError] = []
        if password.count < minimumLength {
            errors.append(FieldError(field, .passwordTooShort))
        } else if password.count > maximumLength {
            errors.append(FieldError(field, .passwordTooLong))
        }
        let hasLetter = password.contains { $0.isLetter }
        let hasDigit = password.contains { $0.isNumber }
        if !hasLetter || !hasDigit {
            errors.append(FieldError(field, .passwordNeedsLetterAndDigit))
        }
        let lowered = password.lowercased()
        if common.contains(lowered) {
            errors.append(FieldError(field, .passwordTooCommon))
        }
        for value in login {
            let key = value.lowercased()
            if key.count >= 4, lowered.contains(key) {
                errors.append(FieldError(field, .passwordContainsLogin))
                break
            }
        }
        return errors
    }
}

/// A person's name as the law wants it on an appeal (59-ФЗ ст. 7): surname and name required,
/// patronymic if any.
public struct PersonName: Sendable, Hashable, Codable {
    public var surname: String
    public var name: String
    public var patronymic: String?

    public init(surname: String, name: String, patronymic: String?) {
        self.surname = surname
        self.name = name
        self.patronymic = patronymic
    }

    public var full: String { [surname, name, patronymic].compactMap { $0 }.joined(separator: " ") }
    public var short: String { "\(surname) \(name)" }

    static let maximumLength = 100

    /// Letters (Cyrillic or Latin), spaces, hyphens and apostrophes: «Салтыков-Щедрин», «д'Артаньян».
    static func isPlausible(_ text: String) -> Bool {
        text.count <= maximumLength && text.contains { $0.isLetter }
            && text.allSatisfy { $0.isLetter || $0 == " " || $0 == "-" || $0 == "'" || $0 == "’" || $0 == "." }
    }

    /// Checks the three parts and collects errors under their field names.
    public static func validate(
        surname: String?, name: String?, patronymic: String?, into errors: inout FieldErrors
    ) -> PersonName? {
        let surname = surname?.nonBlank
        let name = name?.nonBlank
        let patronymic = patronymic?.nonBlank
        for (field, value, required) in [("surname", surname, true), ("name", name, true), ("patronymic", patronymic, false)] {
            guard let value else {
                if required { errors.add(field, .required) }
                continue
            }
            if value.count > maximumLength {
                errors.add(field, .tooLong)
            } else if !isPlausible(value) {
                errors.add(field, .invalidName)
            }
        }
        guard let surname, let name, !errors.has("surname"), !errors.has("name"), !errors.has("patronymic") else {
            return nil
        }
        return PersonName(surname: surname, name: name, patronymic: patronymic)
    }
}

/// What a citizen fills in to register (by email or by phone, or both).
public struct RegistrationInput: Sendable {
    public var surname: String?
    public var name: String?
    public var patronymic: String?
    public var email: String?
    public var phone: String?
    public var password: String?
    public var passwordConfirm: String?
    public var consent: Bool

    public init(
        surname: String?, name: String?, patronymic: String?, email: String?, phone: String?,
        password: String?, passwordConfirm: String?, consent: Bool
    ) {
        self.surname = surname
        self.name = name
        self.patronymic = patronymic
        self.email = email
        self.phone = phone
        self.password = password
        self.passwordConfirm = passwordConfirm
        self.consent = consent
    }
}

/// A registration that passed every rule that needs no database.
public struct ValidRegistration: Sendable, Hashable {
    public var name: PersonName
    public var email: EmailAddress?
    public var phone: PhoneNumber?
    public var password: String
}

public enum Registration {
    /// Every field is checked so the form shows all problems at once.
    /// `requireConfirmation` is false for API clients, which confirm the password on their side.
    public static func validate(
        _ input: RegistrationInput, requireConfirmation: Bool
    ) throws(ValidationFailure) -> ValidRegistration {
        var errors = FieldErrors()
        let name = PersonName.validate(
            surname: input.surname, name: input.name, patronymic: input.patronymic, into: &errors)

        var email: EmailAddress?
        if let raw = input.email?.nonBlank {
            email = EmailAddress(raw)
            if email == nil { errors.add("email", .invalidEmail) }
        }
        var phone: PhoneNumber?
        if let raw = input.phone?.nonBlank {
            phone = PhoneNumber(raw)
            if phone == nil { errors.add("phone", .invalidPhone) }
        }
        if input.email?.nonBlank == nil && input.phone?.nonBlank == nil {
            errors.add("email", .emailOrPhoneRequired)
        }

        let password = input.password ?? ""
        if password.isEmpty {
            errors.add("password", .required)
        } else {
            let logins = [email?.value.split(separator: "@").first.map(String.init), phone?.value]
                .compactMap { $0 }
            for error in PasswordRules.check(password, login: logins) { errors.add(error.field, error.code) }
            if requireConfirmation, input.passwordConfirm != password {
                errors.add("passwordConfirm", .passwordMismatch)
            }
        }
        if !input.consent {
            errors.add("consent", .consentRequired)
        }
        try errors.throwIfAny()
        // `name` is non-nil here: PersonName.validate returns nil only together with an error.
        return ValidRegistration(name: name!, email: email, phone: phone, password: password)
    }
}
