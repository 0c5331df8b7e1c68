/// The claim (претензия) templates a consumer can fill in: one per remedy of the consumer law
/// (Закон РФ № 2300-1 «О защите прав потребителей», domain.md §4). The raw values are stable codes for
/// URLs and storage.
public enum ClaimType: String, CaseIterable, Sendable, Codable {
    /// Refund for defective goods (ст. 18, 22).
    case defectiveRefund = "defective-refund"
    /// Replacement of defective goods (ст. 18, 21).
    case defectiveReplacement = "defective-replacement"
    /// Free repair, or reimbursing what a repair cost (ст. 18, 20, 22).
    case defectiveRepair = "defective-repair"
    /// Exchange or return of non-defective goods within 14 days (ст. 25).
    case return14Days = "return-14-days"
    /// Defective work or service (ст. 29, 31).
    case serviceDefect = "service-defect"
    /// Refusal of goods bought at a distance (ст. 26.1).
    case distanceRefund = "distance-refund"
    /// Penalty for a missed term (ст. 23, 23.1, 28 п. 5).
    case penaltyDelay = "penalty-delay"

    public var title: String { ClaimTexts.title(self) }
    /// One line for the list of templates.
    public var summary: String { ClaimTexts.summary(self) }
    /// The seller's legal term, in words, with its variants (a check, out of stock, an agreed repair term).
    public var termNote: String { ClaimTexts.termNote(self) }

    /// The seller's term for meeting this claim's demand, in calendar days from the day it is made: the
    /// common case. Repair is the legal maximum for an agreed term (ст. 20 п. 1); a repair reimbursement
    /// is 10 days (ст. 22), see `Claim.sellerTermDays`. For a penalty the law sets no term of payment, and
    /// the claim asks for 10 days, as for money under ст. 22.
    public var sellerTermDays: Int {
        switch self {
        case .defectiveRefund: 10
        case .defectiveReplacement: 7
        case .defectiveRepair: 45
        case .return14Days: 3
        case .serviceDefect: 10
        case .distanceRefund: 10
        case .penaltyDelay: 10
        }
    }

    /// The input fields the form shows for this template, in order.
    public var fields: [ClaimField] {
        let parties: [ClaimField] = [
            .consumerName, .consumerAddress, .consumerPhone, .consumerEmail,
            .sellerName, .sellerINN, .sellerOGRN, .sellerAddress,
        ]
        let purchase: [ClaimField] = [.item, .purchaseDate, .handoverDate, .price, .receipt]
        let defect: [ClaimField] = [.warrantyMonths, .defect, .defectFoundDate]
        let closing: [ClaimField] = [.facts, .bankDetails, .claimDate]
        switch self {
        case .defectiveRefund:
            return parties + purchase + defect + [.technicallyComplex, .significantDefect, .demandDate] + closing
        case .defectiveReplacement:
            // Bank details too: a replacement claim may carry a penalty for an earlier, unmet demand.
            return parties + purchase + defect + [.technicallyComplex, .significantDefect, .demandDate] + closing
        case .defectiveRepair:
            return parties + purchase + defect + [.remedy, .agreedTerm, .repairCost, .substituteWanted, .demandDate]
                + closing
        case .return14Days:
            return parties + [.item, .purchaseDate, .price, .receipt] + closing
        case .serviceDefect:
            return parties + purchase + defect + [.significantDefect, .remedy, .agreedTerm, .repairCost, .demandDate]
                + closing
        case .distanceRefund:
            return parties + purchase + [.returnNoticeGiven] + closing
        case .penaltyDelay:
            return parties + [
                .item, .purchaseDate, .price, .receipt, .penaltyBase, .demandKind, .demandDate, .agreedTerm,
            ]
                + closing
        }
    }

    /// Fields that are always required. Some others become required by another answer: `repairCost` for
    /// the remedy `repair-costs`; for a penalty, `demandDate` when the term runs from a demand and
    /// `agreedTerm` when it is an agreed one (see `PenaltyBase.demandKinds`). `claimDate` defaults to today.
    public var requiredFields: Set<ClaimField> {
        var required: Set<ClaimField> = [.consumerName, .consumerAddress, .sellerName, .sellerAddress, .item, .price]
        required.insert(.purchaseDate)
        switch self {
        case .defectiveRefund, .defectiveReplacement, .defectiveRepair, .serviceDefect:
            required.formUnion([.defect, .defectFoundDate])
        case .penaltyDelay:
            required.formUnion([.penaltyBase, .demandKind])
        case .return14Days, .distanceRefund:
            break
        }
        return required
    }

    /// Every article a claim of this type may cite; a document cites those that apply to its answers.
    public var citations: [ClaimCitation] {
        switch self {
        case .defectiveRefund: [.art18, .art19, .art22, .art23]
        case .defectiveReplacement: [.art18, .art19, .art21, .art23]
        case .defectiveRepair: [.art18, .art19, .art20, .art22, .art23]
        case .return14Days: [.art25]
        case .serviceDefect: [.art29, .art30, .art31, .art28penalty]
        case .distanceRefund: [.art26_1]
        case .penaltyDelay: [.art23, .art23_1, .art28penalty]
        }
    }

    /// The form's label for a field: the same field reads «Дата покупки» for goods and «Дата заключения
    /// договора» for a service.
    public func label(for field: ClaimField) -> String { ClaimTexts.label(field, self) }

    /// The values a choice field offers (`remedy`, `penaltyBase`, `demandKind`), empty for other fields.
    public func choices(for field: ClaimField) -> [ClaimChoice] {
        switch (self, field) {
        case (.defectiveRepair, .remedy), (.serviceDefect, .remedy):
            return remedies.map { ClaimChoice(value: $0.rawValue, label: ClaimTexts.remedyLabel($0, self)) }
        case (.penaltyDelay, .penaltyBase):
            return PenaltyBase.allCases.map { ClaimChoice(value: $0.rawValue, label: $0.title) }
        case (.penaltyDelay, .demandKind):
            return PenaltyBase.allCases.flatMap { base in
                base.demandKinds.map {
                    ClaimChoice(value: $0.rawValue, label: ClaimTexts.demandKindLabel($0, base), group: base.rawValue)
                }
            }
        default:
            return []
        }
    }

    /// What this claim itself may demand, for the templates that offer a choice; the first is the default.
    var remedies: [ClaimDemand] {
        switch self {
        case .defectiveRepair: [.repair, .repairCosts]
        case .serviceDefect: [.repair, .repairCosts, .refund]
        default: []
        }
    }
}

/// A field of the claim form. The raw values are the form's field names and the keys of field errors.
public enum ClaimField: String, CaseIterable, Sendable, Codable {
    case consumerName, consumerAddress, consumerPhone, consumerEmail
    case sellerName, sellerINN, sellerOGRN, sellerAddress
    case item, purchaseDate, handoverDate, price, receipt
    case warrantyMonths, defect, defectFoundDate, technicallyComplex, significantDefect
    case returnNoticeGiven
    case remedy, agreedTerm, repairCost, substituteWanted
    case penaltyBase, demandKind, demandDate
    case facts, bankDetails, claimDate

    /// How the form asks for the value.
    public enum Kind: String, Sendable, Codable {
        case text, multiline, date, money, wholeNumber, checkbox, choice
    }

    public var kind: Kind {
        switch self {
        case .consumerName, .consumerAddress, .consumerPhone, .consumerEmail, .sellerName, .sellerINN, .sellerOGRN,
            .sellerAddress, .item, .receipt:
            .text
        case .defect, .facts, .bankDetails: .multiline
        case .purchaseDate, .handoverDate, .defectFoundDate, .demandDate, .claimDate: .date
        case .price, .repairCost: .money
        case .warrantyMonths, .agreedTerm: .wholeNumber
        case .technicallyComplex, .significantDefect, .returnNoticeGiven, .substituteWanted: .checkbox
        case .remedy, .penaltyBase, .demandKind: .choice
        }
    }

    /// A hint under the field, where the law makes the answer matter; nil where the label says enough.
    public var hint: String? { ClaimTexts.hint(self) }
}

/// One option of a choice field. `group` names the option group (the penalty base of a demand kind).
public struct ClaimChoice: Sendable, Hashable, Codable {
    public var value: String
    public var label: String
    public var group: String?

    public init(value: String, label: String, group: String? = nil) {
        self.value = value
        self.label = label
        self.group = group
    }
}

/// A demand a consumer makes of a seller: what a repair or service claim asks for (`remedy`), or what an
/// earlier, unmet demand asked for (`demandKind` of a penalty claim). Its term depends on the penalty base.
public enum ClaimDemand: String, CaseIterable, Sendable, Codable {
    case replacement
    case refund
    case priceReduction = "price-reduction"
    /// Free repair of goods, or free fixing of a work's defects.
    case repair
    /// Reimbursing what fixing the defects cost the consumer.
    case repairCosts = "repair-costs"
    /// Delivering prepaid goods.
    case delivery
    case prepaymentRefund = "prepayment-refund"
    /// Doing the work or service in the contract's term.
    case serviceTerm = "service-term"
}

/// A legal provision a claim relies on: the reference as it is cited («ст. 22 Закона РФ от 07.02.1992
/// № 2300-1 «О защите прав потребителей»») and what it says in short. The claim's legal basis reads
/// «statement (reference).»: no preposition before the reference, so no Russian case to agree with.
public struct ClaimCitation: Sendable, Hashable, Codable {
    /// «ст. 22», «п. 5 ст. 28»: the short form used inside the text.
    public var article: String
    /// The full reference.
    public var reference: String
    /// What it says: a sentence without its final full stop.
    public var statement: String

    public init(article: String, reference: String, statement: String) {
        self.article = article
        self.reference = reference
        self.statement = statement
    }

    /// The statement as a sentence on its own, for help texts.
    public var sentence: String { statement + "." }
}
