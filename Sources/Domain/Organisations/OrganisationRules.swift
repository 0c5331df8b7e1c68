/// Taxpayer number (ИНН): 10 digits for organisations, 12 for individuals and sole traders, with
/// the check digits defined by the Federal Tax Service (приказ ФНС, алгоритм контрольных разрядов).
public enum INN {
    public static func isValid(_ raw: String) -> Bool {
        let digits = raw.compactMap { $0.wholeNumberValue }
        guard digits.count == raw.count else { return false }
        func check(_ weights: [Int], _ count: Int) -> Int {
            (zip(weights, digits.prefix(count)).map { $0 * $1 }.reduce(0, +) % 11) % 10
        }
        switch digits.count {
        case 10:
            return check([2, 4, 10, 3, 5, 9, 4, 6, 8], 9) == digits[9]
        case 12:
            return check([7, 2, 4, 10, 3, 5, 9, 4, 6, 8], 10) == digits[10]
                && check([3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8], 11) == digits[11]
        default:
            return false
        }
    }
}

/// What an administrator submits to create or change an organisation.
public struct OrganisationDraft: Sendable, Hashable {
    public var name: String?
    public var shortName: String?
    public var kind: String?
    public var parentID: OrganisationID?
    public var inn: String?
    public var email: String?
    public var phone: String?
    public var address: String?

    public init(
        name: String?, shortName: String?, kind: String?, parentID: OrganisationID?, inn: String?, email: String?,
        phone: String?, address: String?
    ) {
        self.name = name
        self.shortName = shortName
        self.kind = kind
        self.parentID = parentID
        self.inn = inn
        self.email = email
        self.phone = phone
        self.address = address
    }
}

public struct ValidOrganisation: Sendable, Hashable {
    public var name: String
    public var shortName: String
    public var kind: OrganisationKind
    public var parentID: OrganisationID?
    public var inn: String?
    public var email: EmailAddress?
    public var phone: PhoneNumber?
    public var address: String?
}

public enum OrganisationRules {
    static let maximumNameLength = 300

    /// Checks a draft against the tree: the parent exists, suits the kind, and (for an existing
    /// organisation `id`) the move creates no cycle. `kindOf` answers the kind of a known organisation.
    public static func validate(
        _ draft: OrganisationDraft, id: OrganisationID?, tree: OrganisationTree,
        kindOf: (OrganisationID) -> OrganisationKind?, childKinds: [OrganisationKind] = []
    ) throws(ValidationFailure) -> ValidOrganisation {
        var errors = FieldErrors()
        let name = draft.name?.nonBlank
        if name == nil { errors.add("name", .required) } else if name!.count > maximumNameLength { errors.add("name", .tooLong) }
        let shortName = draft.shortName?.nonBlank ?? name
        if let shortName, shortName.count > 120 { errors.add("shortName", .tooLong) }
        let kind = draft.kind.flatMap(OrganisationKind.init(rawValue:))
        if draft.kind?.nonBlank == nil { errors.add("kind", .required) } else if kind == nil { errors.add("kind", .invalidValue) }

        if let parentID = draft.parentID {
            if let parentKind = kindOf(parentID) {
                if let kind, !kind.allowedParents.contains(parentKind) { errors.add("parentId", .invalidParent) }
                if let id, tree.wouldCreateCycle(moving: id, under: parentID) { errors.add("parentId", .cycle) }
            } else {
                errors.add("parentId", .notFound)
            }
        } else if let kind, !kind.allowedParents.isEmpty {
            errors.add("parentId", .required)
        }
        // A change of kind must still suit the organisations already below.
        if let kind, childKinds.contains(where: { !$0.allowedParents.contains(kind) }) {
            errors.add("kind", .invalidParent)
        }

        let inn = draft.inn?.nonBlank
        if let inn, !INN.isValid(inn) { errors.add("inn", .invalidINN) }
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
        let address = draft.address?.nonBlank
        if let address, address.count > 500 { errors.add("address", .tooLong) }
        try errors.throwIfAny()
        return ValidOrganisation(
            name: name!, shortName: shortName!, kind: kind!, parentID: draft.parentID, inn: inn, email: email,
            phone: phone, address: address)
    }
}
