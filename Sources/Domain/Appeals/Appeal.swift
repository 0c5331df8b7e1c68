import Foundation

public typealias AppealID = UUID

/// Where an appeal came from (product.md §4). Every appeal records one.
public enum IntakeChannel: String, Sendable, Codable, CaseIterable, Hashable {
    case portal, widget, api, hotline, reception, chat, open311, `import`
}

/// The lifecycle states of product.md §4. Intake covers the first three; processing adds the rest.
public enum AppealStatus: String, Sendable, Codable, CaseIterable, Hashable {
    case moderation
    case rejected
    case coordination
    case inWork = "in_work"
    case postponed
    case answerReview = "answer_review"
    case answered
    case closed
}

/// Lawful grounds not to answer in substance (59-ФЗ ст. 11), plus the product's duplicate mark.
/// domain.md §1.
public enum RejectReason: String, Sendable, Codable, CaseIterable, Hashable {
    case noNameOrAddress = "no_name_or_address"
    case courtDecision = "court_decision"
    case abusive
    case unreadable
    case noSubstance = "no_substance"
    case repeated
    case answerPublished = "answer_published"
    case secret
    case duplicate
}

public enum Sex: String, Sendable, Codable, CaseIterable, Hashable {
    case male, female
}

/// A human-readable registration number: region code, year, sequence — `34-2026-000123`, easy to
/// read over the phone and sortable within a year.
public struct RegistrationNumber: Sendable, Hashable, Codable, CustomStringConvertible {
    public var region: Int
    public var year: Int
    public var sequence: Int

    public init(region: Int, year: Int, sequence: Int) {
        self.region = region
        self.year = year
        self.sequence = sequence
    }

    public var description: String {
        let regionText = region < 10 ? "0\(region)" : String(region)
        let sequenceText = String(sequence)
        return "\(regionText)-\(year)-\(String(repeating: "0", count: max(0, 6 - sequenceText.count)))\(sequenceText)"
    }

    public init?(_ text: String) {
        let parts = text.trimmingWhitespace().split(separator: "-")
        guard parts.count == 3, let region = Int(parts[0]), let year = Int(parts[1]), let sequence = Int(parts[2]),
            parts[1].count == 4, sequence > 0
        else { return nil }
        self.init(region: region, year: year, sequence: sequence)
    }
}
