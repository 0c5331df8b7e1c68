/// What an administrator submits to add or rename a territory.
public struct TerritoryDraft: Sendable, Hashable {
    public var code: String?
    public var name: String?
    public var kind: String?
    public var parentKind: TerritoryKind??

    /// `parentKind` is `nil` when no parent was given, `.some(nil)` when the given parent does not exist.
    public init(code: String?, name: String?, kind: String?, parentKind: TerritoryKind??) {
        self.code = code
        self.name = name
        self.kind = kind
        self.parentKind = parentKind
    }
}

public struct ValidTerritory: Sendable, Hashable {
    public var code: String
    public var name: String
    public var kind: TerritoryKind
}

extension TerritoryKind {
    /// A region is a root; okrugs and districts lie in a region; settlements in a district or okrug.
    public var allowedParents: Set<TerritoryKind> {
        switch self {
        case .region: []
        case .urbanOkrug, .municipalDistrict: [.region]
        case .settlement: [.municipalDistrict, .urbanOkrug]
        }
    }
}

public enum TerritoryRules {
    public static func validate(_ draft: TerritoryDraft) throws(ValidationFailure) -> ValidTerritory {
        var errors = FieldErrors()
        let code = draft.code?.nonBlank?.lowercased()
        if let code {
            let allowed = code.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" }
            if !allowed || code.count > 64 { errors.add("code", .invalidValue) }
        } else {
            errors.add("code", .required)
        }
        let name = draft.name?.nonBlank
        if name == nil { errors.add("name", .required) } else if name!.count > 200 { errors.add("name", .tooLong) }
        let kind = draft.kind.flatMap(TerritoryKind.init(rawValue:))
        if draft.kind?.nonBlank == nil { errors.add("kind", .required) } else if kind == nil { errors.add("kind", .invalidValue) }
        switch draft.parentKind {
        case .none:
            if let kind, !kind.allowedParents.isEmpty { errors.add("parentId", .required) }
        case .some(.none):
            errors.add("parentId", .notFound)
        case .some(.some(let parentKind)):
            if let kind, !kind.allowedParents.contains(parentKind) { errors.add("parentId", .invalidParent) }
        }
        try errors.throwIfAny()
        return ValidTerritory(code: code!, name: name!, kind: kind!)
    }
}
