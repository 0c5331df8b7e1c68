import Foundation

/// Sign-in through an OpenID Connect provider (modelled on ЕСИА, «Госуслуги»): the rules that need no
/// server — which claims make a citizen, and when a token's times are acceptable.
public enum ExternalSignIn {
    /// A sign-in started and not finished within this is refused (the state is forgotten).
    public static let attemptLifetime: TimeInterval = 10 * 60
    /// Clocks of two servers differ a little: times in a token may be off by this much.
    public static let clockLeeway: TimeInterval = 60

    /// What the provider says about the person (the id_token's claims, completed by userinfo).
    public struct Claims: Sendable, Hashable, Codable {
        public var subject: String
        public var name: String?
        public var givenName: String?
        public var familyName: String?
        public var middleName: String?
        public var email: String?
        public var emailVerified: Bool
        public var phone: String?
        public var snils: String?

        public init(
            subject: String, name: String? = nil, givenName: String? = nil, familyName: String? = nil,
            middleName: String? = nil, email: String? = nil, emailVerified: Bool = false, phone: String? = nil,
            snils: String? = nil
        ) {
            self.subject = subject
            self.name = name
            self.givenName = givenName
            self.familyName = familyName
            self.middleName = middleName
            self.email = email
            self.emailVerified = emailVerified
            self.phone = phone
            self.snils = snils
        }
    }

    /// The person's name for the account. The separate claims win (ЕСИА gives them); otherwise `name`,
    /// which OpenID Connect writes given name first: «Иван Иванов» → surname Иванов, name Иван; three
    /// words are read the Russian way when the last looks like a patronymic («Иван Петрович Сидоров» is
    /// not, «Сидоров Иван Петрович» is). Nil when the provider gave no usable name.
    public static func personName(_ claims: Claims) -> PersonName? {
        func clean(_ text: String?) -> String? {
            guard let text = text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
            return String(text.prefix(PersonName.maximumLength))
        }
        if let family = clean(claims.familyName), let given = clean(claims.givenName) {
            return PersonName(surname: family, name: given, patronymic: clean(claims.middleName))
        }
        guard let full = clean(claims.name) else { return nil }
        let words = full.split(whereSeparator: \.isWhitespace).map(String.init)
        switch words.count {
        case 1: return PersonName(surname: words[0], name: words[0], patronymic: nil)
        case 2: return PersonName(surname: words[1], name: words[0], patronymic: nil)
        default:
            let last = words[words.count - 1].lowercased()
            if ["ович", "евич", "ич", "овна", "евна", "ична", "инична"].contains(where: last.hasSuffix) {
                return PersonName(surname: words[0], name: words[1], patronymic: words[2...].joined(separator: " "))
            }
            return PersonName(
                surname: words[words.count - 1], name: words[0], patronymic: words[1..<(words.count - 1)].joined(separator: " "))
        }
    }

    public enum TimeProblem: Error, Sendable, Equatable {
        case expired, issuedInTheFuture
    }

    /// An id_token is acceptable from its `iat` (with leeway) until its `exp` (with leeway).
    public static func checkTimes(expires: Date, issued: Date?, now: Date) throws(TimeProblem) {
        guard expires.addingTimeInterval(clockLeeway) > now else { throw .expired }
        if let issued, issued.addingTimeInterval(-clockLeeway) > now { throw .issuedInTheFuture }
    }

    /// `11223344595` → `***-***-445 95`: enough for the person to recognise, not enough to copy.
    public static func maskedSNILS(_ digits: String) -> String {
        guard digits.count == 11 else { return "" }
        let tail = Array(digits)
        return "***-***-\(String(tail[6..<9])) \(String(tail[9..<11]))"
    }

    /// `000-000-600 06` → `00000060006`; nil unless 11 digits.
    public static func snils(_ text: String?) -> String? {
        guard let digits = text?.filter(\.isNumber), digits.count == 11 else { return nil }
        return digits
    }
}
