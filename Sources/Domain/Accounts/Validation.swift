/// Why one input field was refused. The codes are stable; the texts (Russian for people, English for
/// the API) live in the app's strings table.
public enum FieldErrorCode: String, Sendable, Codable, Hashable {
    case required
    case tooLong
    case invalidEmail
    case invalidPhone
    case invalidName
    case passwordTooShort
    case passwordTooLong
    case passwordNeedsLetterAndDigit
    case passwordTooCommon
    case passwordContainsLogin
    case passwordMismatch
    case consentRequired
    case emailTaken
    case phoneTaken
    case emailOrPhoneRequired
    case invalidValue
    case notFound
    case cycle
    case taken
    case dateInFuture
    case retired
    case fileTooLarge
    case fileType
    case tooManyFiles
    case idempotencyMismatch
    case invalidINN
    case invalidParent
    /// Someone changed the record since the person loaded it.
    case staleVersion
    /// The applicant left no way to reach them.
    case noContact
    case dateNotAhead
    /// Past a legal deadline (a postponement beyond the answer term).
    case beyondDeadline
    case outOfRange
    /// Fair load found no present specialist with room for more.
    case nobodyAvailable
    /// Not a calendar date.
    case invalidDate
    /// Not a sum of roubles above zero and within reason (claims: up to 100 million).
    case invalidAmount
    /// An ОГРН or ОГРНИП with a wrong length or check digit.
    case invalidOGRN
    /// A date before the purchase (or contract) it follows.
    case beforePurchase
    /// A consumer's legal window has closed (return within 14 days, distance selling, warranty).
    case termExpired
    /// The demand needs a significant defect (technically complex goods after 15 days, refusing a service).
    case needsSignificantDefect
    /// The seller's term has not ended yet, so no penalty is due.
    case notYetOverdue
    /// An agreed repair term above the legal 45 days.
    case repairTermTooLong
    /// Money returned with an outcome under which nothing comes back (not satisfied, explained, redirected).
    case notForOutcome
    /// A period that ends before it starts.
    case endBeforeStart
    /// A period longer than the statistics allow (5 years).
    case periodTooLong
    /// An event that ends before (or when) it starts.
    case endsBeforeStarts
    /// A sign-up for an event that is over, cancelled or not published.
    case eventClosed
    /// A second sign-up for one event with the same email or phone.
    case alreadySignedUp
    /// An event's capacity below the number of people it has already confirmed.
    case belowSignedUp
    /// A link that is not an http(s) address.
    case invalidLink
    /// A count that is not a whole number within its bounds (capacity, attendees).
    case invalidCount
    /// Attendees counted for an event that has not ended yet.
    case eventNotHeld
    /// A rating weight that is not a number from 0 to 100.
    case invalidWeight
    /// Rating weights that are all zero.
    case allWeightsZero
    /// A population that is not a whole number of residents.
    case invalidPopulation
    /// Organisers none of which is within the editor's reach.
    case notYourOrganisation
    /// Unpublishing an event people have signed up for.
    case eventHasSignUps
}

public struct FieldError: Sendable, Hashable, Codable {
    public var field: String
    public var code: FieldErrorCode

    public init(_ field: String, _ code: FieldErrorCode) {
        self.field = field
        self.code = code
    }
}

/// Input that failed validation, field by field. Nothing is saved when this is thrown.
public struct ValidationFailure: Error, Sendable, Hashable {
    public var errors: [FieldError]

    public init(_ errors: [FieldError]) { self.errors = errors }

    /// True when every error is a clash with someone else's write (the API answers 409 rather than 422 then).
    public var isConflictOnly: Bool {
        !errors.isEmpty && errors.allSatisfy { $0.code == .emailTaken || $0.code == .phoneTaken || $0.code == .staleVersion }
    }
}

/// Collects field errors while a form is checked, so the person sees all of them at once.
public struct FieldErrors: Sendable {
    public private(set) var errors: [FieldError] = []

    public init() {}

    public mutating func add(_ field: String, _ code: FieldErrorCode) {
        errors.append(FieldError(field, code))
    }

    public func has(_ field: String) -> Bool { errors.contains { $0.field == field } }

    public func throwIfAny() throws(ValidationFailure) {
        if !errors.isEmpty { throw ValidationFailure(errors) }
    }
}
