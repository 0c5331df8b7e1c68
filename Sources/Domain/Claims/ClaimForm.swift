import Foundation

/// The claim form as submitted: every value a raw, optional string, so each bad answer is reported
/// against its own field. Blank strings count as absent. Field names are `ClaimField`'s raw values.
public struct ClaimInput: Sendable, Hashable, Codable {
    public var consumerName: String?
    public var consumerAddress: String?
    public var consumerPhone: String?
    public var consumerEmail: String?
    public var sellerName: String?
    /// Optional; checked against the ФНС checksum when given.
    public var sellerINN: String?
    /// Optional ОГРН (13 digits) or ОГРНИП (15 digits); checked when given.
    public var sellerOGRN: String?
    public var sellerAddress: String?
    /// The goods, or the work or service.
    public var item: String?
    /// `yyyy-mm-dd` (also accepted: `dd.mm.yyyy`): the purchase, the prepayment or the contract.
    public var purchaseDate: String?
    /// When the goods were handed over (delivery), or the work accepted.
    public var handoverDate: String?
    /// Roubles: «40000», «40 000», «40000,50», «40000.50».
    public var price: String?
    /// The proof of payment, as text: «кассовый чек № 123 от 01.02.2026».
    public var receipt: String?
    /// Months of warranty from handover; blank or 0 for none (then the law's two years apply).
    public var warrantyMonths: String?
    public var defect: String?
    public var defectFoundDate: String?
    /// Checkboxes: «on», «true», «1» or «yes» are true; blank, «off», «false», «0» or «no» false.
    public var technicallyComplex: String?
    public var significantDefect: String?
    /// Whether the written notice of the return terms was given at delivery (ст. 26.1): 7 days, else 3 months.
    public var returnNoticeGiven: String?
    /// What a repair or service claim demands (`ClaimDemand` raw value); blank for a free repair.
    public var remedy: String?
    /// Days: an agreed repair term, a delivery or work term of the contract, or the term set for fixing.
    public var agreedTerm: String?
    /// Roubles the repair cost, for the remedy `repair-costs`.
    public var repairCost: String?
    public var substituteWanted: String?
    /// `goods`, `prepayment` or `service` (`PenaltyBase`).
    public var penaltyBase: String?
    /// The earlier demand that was not met (`ClaimDemand` raw value), for a penalty claim.
    public var demandKind: String?
    /// When the earlier demand was handed to the seller.
    public var demandDate: String?
    public var facts: String?
    public var bankDetails: String?
    /// The claim's date; blank for today.
    public var claimDate: String?

    public init() {}

    /// A form posted as name → value pairs.
    public init(_ values: [ClaimField: String]) {
        for (field, value) in values { self[field] = value }
    }

    public subscript(field: ClaimField) -> String? {
        get {
            switch field {
            case .consumerName: consumerName
            case .consumerAddress: consumerAddress
            case .consumerPhone: consumerPhone
            case .consumerEmail: consumerEmail
            case .sellerName: sellerName
            case .sellerINN: sellerINN
            case .sellerOGRN: sellerOGRN
            case .sellerAddress: sellerAddress
            case .item: item
            case .purchaseDate: purchaseDate
            case .handoverDate: handoverDate
            case .price: price
            case .receipt: receipt
            case .warrantyMonths: warrantyMonths
            case .defect: defect
            case .defectFoundDate: defectFoundDate
            case .technicallyComplex: technicallyComplex
            case .significantDefect: significantDefect
            case .returnNoticeGiven: returnNoticeGiven
            case .remedy: remedy
            case .agreedTerm: agreedTerm
            case .repairCost: repairCost
            case .substituteWanted: substituteWanted
            case .penaltyBase: penaltyBase
            case .demandKind: demandKind
            case .demandDate: demandDate
            case .facts: facts
            case .bankDetails: bankDetails
            case .claimDate: claimDate
            }
        }
        set {
            switch field {
            case .consumerName: consumerName = newValue
            case .consumerAddress: consumerAddress = newValue
            case .consumerPhone: consumerPhone = newValue
            case .consumerEmail: consumerEmail = newValue
            case .sellerName: sellerName = newValue
            case .sellerINN: sellerINN = newValue
            case .sellerOGRN: sellerOGRN = newValue
            case .sellerAddress: sellerAddress = newValue
            case .item: item = newValue
            case .purchaseDate: purchaseDate = newValue
            case .handoverDate: handoverDate = newValue
            case .price: price = newValue
            case .receipt: receipt = newValue
            case .warrantyMonths: warrantyMonths = newValue
            case .defect: defect = newValue
            case .defectFoundDate: defectFoundDate = newValue
            case .technicallyComplex: technicallyComplex = newValue
            case .significantDefect: significantDefect = newValue
            case .returnNoticeGiven: returnNoticeGiven = newValue
            case .remedy: remedy = newValue
            case .agreedTerm: agreedTerm = newValue
            case .repairCost: repairCost = newValue
            case .substituteWanted: substituteWanted = newValue
            case .penaltyBase: penaltyBase = newValue
            case .demandKind: demandKind = newValue
            case .demandDate: demandDate = newValue
            case .facts: facts = newValue
            case .bankDetails: bankDetails = newValue
            case .claimDate: claimDate = newValue
            }
        }
    }
}

/// A claim that passed every check: typed values, the seller's term, and the penalty to date.
public struct Claim: Sendable, Hashable, Codable {
    public struct Consumer: Sendable, Hashable, Codable {
        public var name: String
        public var address: String
        public var phone: PhoneNumber?
        public var email: EmailAddress?
    }

    public struct Seller: Sendable, Hashable, Codable {
        public var name: String
        public var inn: String?
        public var ogrn: String?
        public var address: String
    }

    public var type: ClaimType
    public var consumer: Consumer
    public var seller: Seller
    public var item: String
    public var purchaseDate: LocalDate
    public var handoverDate: LocalDate?
    /// The price of the goods or work, or the prepayment (penalty base `prepayment`).
    public var priceKopecks: Int
    public var receipt: String?
    public var warrantyMonths: Int?
    public var defect: String?
    public var defectFoundDate: LocalDate?
    public var technicallyComplex: Bool
    public var significantDefect: Bool
    public var returnNoticeGiven: Bool
    /// What this claim demands; for a penalty claim, the earlier demand that was not met.
    public var demand: ClaimDemand
    /// What a penalty is computed on; nil where the claim carries none (ст. 25, 26.1).
    public var penaltyBase: PenaltyBase?
    public var agreedTerm: Int?
    public var repairCostKopecks: Int?
    public var substituteWanted: Bool
    public var demandDate: LocalDate?
    public var facts: String?
    public var bankDetails: String?
    public var claimDate: LocalDate
    /// The term this claim gives for its main demand, in days from its receipt; nil for «without delay»
    /// (a repair with no agreed term).
    public var sellerTermDays: Int?
    /// The last day of the consumer's own window (14 days, 7 days or 3 months, 15 days for technically
    /// complex goods), where one applies.
    public var windowLastDay: LocalDate?
    /// The term of the earlier demand (or of the contract) and its last day, where known.
    public var termDays: Int?
    public var termEnd: LocalDate?
    /// The penalty up to `claimDate`, when that term has passed.
    public var penalty: PenaltyResult?
    /// Short Russian remarks for the person preparing the claim (windows, the penalty to date).
    public var notes: [String]

    public var document: ClaimDocument { ClaimDocument(self) }

    /// Whether the claim asks the seller to pay: a refund, a reimbursement, or a penalty.
    public var asksForMoney: Bool {
        if penalty != nil { return true }
        switch demand {
        case .refund, .priceReduction, .repairCosts, .prepaymentRefund: return true
        case .replacement, .repair, .delivery, .serviceTerm: return false
        }
    }
}

public enum ClaimForm {
    static let maximumName = 100
    static let maximumLine = 300
    static let maximumAddress = 500
    static let maximumText = 5_000
    static let maximumTermDays = 3_650
    static let maximumWarrantyMonths = 1_200
    /// ст. 20 п. 1: an agreed repair term may not exceed 45 days.
    static let maximumRepairDays = 45

    /// Checks a claim form against the consumer law, reporting every bad field at once. `today` is the
    /// region's date (no date may be later; the claim's date defaults to it). With `calendar`, terms that
    /// end on a day off move to the next working day (ГК РФ ст. 193); without it, calendar days only.
    public static func check(
        _ input: ClaimInput, type: ClaimType, today: LocalDate, calendar: ProductionCalendar? = nil
    ) throws(ValidationFailure) -> Claim {
        switch evaluate(input, type: type, today: today, calendar: calendar) {
        case .accepted(let claim): return claim
        case .refused(let errors, _): throw ValidationFailure(errors.errors)
        }
    }

    /// For a refused form, Russian sentences that say more than the error code's text, by field name:
    /// the dates a window closed on, what else the law allows. Empty when the form passes.
    public static func explanations(
        _ input: ClaimInput, type: ClaimType, today: LocalDate, calendar: ProductionCalendar? = nil
    ) -> [String: String] {
        switch evaluate(input, type: type, today: today, calendar: calendar) {
        case .accepted: [:]
        case .refused(_, let explanations): explanations
        }
    }

    enum Outcome {
        case accepted(Claim)
        case refused(FieldErrors, [String: String])
    }

    // One pass computes both the errors and their explanations, so they cannot disagree.
    static func evaluate(_ input: ClaimInput, type: ClaimType, today: LocalDate, calendar: ProductionCalendar?)
        -> Outcome
    {
        var errors = FieldErrors()
        var explanations: [String: String] = [:]
        let asked = Set(type.fields)

        func fail(_ field: ClaimField, _ code: FieldErrorCode, _ explanation: String? = nil) {
            // One error per field: the first problem is the one to fix.
            guard !errors.has(field.rawValue) else { return }
            errors.add(field.rawValue, code)
            if let explanation { explanations[field.rawValue] = explanation }
        }
        // Only the fields this template asks for are read: a value left over from another template is ignored.
        func raw(_ field: ClaimField) -> String? {
            guard asked.contains(field) else { return nil }
            guard var value = input[field].map(cleaned)?.nonBlank else {
                if type.requiredFields.contains(field) { fail(field, .required) }
                return nil
            }
            // A one-line value goes into the middle of a sentence: a pasted line break would split it.
            if field.kind != .multiline {
                value = String(value.map { $0 == "\n" || $0 == "\t" ? " " : $0 })
            }
            return value
        }
        func text(_ field: ClaimField, max: Int) -> String? {
            guard let value = raw(field) else { return nil }
            if value.count > max {
                fail(field, .tooLong)
                return nil
            }
            return value
        }
        func date(_ field: ClaimField, notAfter limit: LocalDate) -> LocalDate? {
            guard let value = raw(field) else { return nil }
            guard let date = parseDate(value) else {
                fail(field, .invalidDate)
                return nil
            }
            if date > limit {
                fail(field, .dateInFuture)
                return nil
            }
            return date
        }
        func money(_ field: ClaimField) -> Int? {
            guard let value = raw(field) else { return nil }
            guard let kopecks = Money.parseKopecks(value), kopecks > 0, kopecks <= Money.maximumKopecks else {
                fail(field, .invalidAmount)
                return nil
            }
            return kopecks
        }
        func flag(_ field: ClaimField) -> Bool {
            guard let value = raw(field)?.lowercased() else { return false }
            switch value {
            case "on", "true", "1", "yes", "да": return true
            case "off", "false", "0", "no", "нет": return false
            default:
                fail(field, .invalidValue)
                return false
            }
        }
        func whole(_ field: ClaimField, _ range: ClosedRange<Int>) -> Int? {
            guard let value = raw(field) else { return nil }
            guard value.count <= 6, value.allSatisfy(\.isASCIIDigit), let number = Int(value), range.contains(number)
            else {
                fail(field, .invalidValue)
                return nil
            }
            return number
        }

        // The claim's date bounds every other date: nothing it describes can be later than the claim.
        var claimDate = today
        if let value = raw(.claimDate) {
            if let date = parseDate(value) {
                if date > today { fail(.claimDate, .dateInFuture) } else { claimDate = date }
            } else {
                fail(.claimDate, .invalidDate)
            }
        }

        let consumerName = text(.consumerName, max: maximumName)
        if let consumerName, !PersonName.isPlausible(consumerName) { fail(.consumerName, .invalidName) }
        let consumerAddress = text(.consumerAddress, max: maximumAddress)
        var phone: PhoneNumber?
        if let value = raw(.consumerPhone) {
            phone = PhoneNumber(value)
            if phone == nil { fail(.consumerPhone, .invalidPhone) }
        }
        var email: EmailAddress?
        if let value = raw(.consumerEmail) {
            email = EmailAddress(value)
            if email == nil { fail(.consumerEmail, .invalidEmail) }
        }
        let sellerName = text(.sellerName, max: maximumLine)
        // Numbers are often copied with spaces from a printed receipt.
        let inn = raw(.sellerINN).map { $0.filter { !$0.isWhitespace } }
        if let inn, !INN.isValid(inn) { fail(.sellerINN, .invalidINN) }
        let ogrn = raw(.sellerOGRN).map { $0.filter { !$0.isWhitespace } }
        if let ogrn, !OGRN.isValid(ogrn) { fail(.sellerOGRN, .invalidOGRN) }
        let sellerAddress = text(.sellerAddress, max: maximumAddress)

        let item = text(.item, max: maximumAddress)
        let purchaseDate = date(.purchaseDate, notAfter: claimDate)
        let handoverDate = date(.handoverDate, notAfter: claimDate)
        let price = money(.price)
        let receipt = text(.receipt, max: maximumLine)
        // 0 months is «no warranty»: the law's two years apply, as for a blank field.
        let warrantyMonths = whole(.warrantyMonths, 0...maximumWarrantyMonths).flatMap { $0 == 0 ? nil : $0 }
        let defect = text(.defect, max: maximumText)
        let defectFoundDate = date(.defectFoundDate, notAfter: claimDate)
        let technicallyComplex = flag(.technicallyComplex)
        let significantDefect = flag(.significantDefect)
        let returnNoticeGiven = flag(.returnNoticeGiven)
        let substituteWanted = flag(.substituteWanted)
        let demandDate = date(.demandDate, notAfter: claimDate)
        let agreedTerm = whole(.agreedTerm, 1...maximumTermDays)
        let repairCost = money(.repairCost)
        let facts = text(.facts, max: maximumText)
        let bankDetails = text(.bankDetails, max: maximumAddress)

        if let purchaseDate {
            for (field, date) in [
                (ClaimField.handoverDate, handoverDate), (.defectFoundDate, defectFoundDate), (.demandDate, demandDate),
            ] {
                if let date, date < purchaseDate { fail(field, .beforePurchase) }
            }
        }

        // What the claim demands, and what a penalty for its delay is a percentage of.
        var demand = ClaimDemand.refund
        var base: PenaltyBase?
        switch type {
        case .defectiveRefund:
            base = .goods
        case .defectiveReplacement:
            demand = .replacement
            base = .goods
        case .defectiveRepair, .serviceDefect:
            base = type == .serviceDefect ? .service : .goods
            demand = type.remedies[0]
            if let value = raw(.remedy) {
                if let chosen = ClaimDemand(rawValue: value), type.remedies.contains(chosen) {
                    demand = chosen
                } else {
                    fail(.remedy, .invalidValue)
                }
            }
            if demand == .repairCosts, repairCost == nil { fail(.repairCost, .required) }
        case .return14Days, .distanceRefund:
            break
        case .penaltyDelay:
            if let value = raw(.penaltyBase) {
                base = PenaltyBase(rawValue: value)
                if base == nil { fail(.penaltyBase, .invalidValue) }
            }
            if let value = raw(.demandKind) {
                if let chosen = ClaimDemand(rawValue: value), base?.demandKinds.contains(chosen) ?? true {
                    demand = chosen
                } else {
                    fail(.demandKind, .invalidValue)
                }
            }
        }
        if base == .goods, demand == .repair, let agreedTerm, agreedTerm > maximumRepairDays {
            fail(.agreedTerm, .repairTermTooLong)
        }

        var windowLastDay: LocalDate?
        var notes: [String] = []
        let start = handoverDate ?? purchaseDate

        // Defects count within the warranty, or two years without one (ст. 19 п. 1, ст. 29 п. 3), from
        // handover. The end is a date, not a term to act by, so ГК ст. 193 does not move it.
        if [.defectiveRefund, .defectiveReplacement, .defectiveRepair, .serviceDefect].contains(type),
            let start, let defectFoundDate
        {
            let end = ClaimTerms.adding(months: warrantyMonths ?? 24, to: start)
            if defectFoundDate > end {
                fail(
                    .defectFoundDate, .termExpired,
                    ClaimTexts.warrantyExpired(
                        lastDay: end.dotted, months: warrantyMonths, service: type == .serviceDefect))
            }
        }

        // Technically complex goods: refund or replacement freely within 15 days of handover, later only
        // for a significant defect (ст. 18 п. 1). An earlier demand made within the 15 days keeps the right.
        if technicallyComplex, type == .defectiveRefund || type == .defectiveReplacement, let start {
            let last = ClaimTerms.lastDay(after: start, days: 15, calendar: calendar)
            if (demandDate ?? claimDate) <= last {
                windowLastDay = last
            } else if !significantDefect {
                fail(
                    .significantDefect, .needsSignificantDefect,
                    ClaimTexts.technicallyComplexExpired(lastDay: last.dotted))
            }
        }
        if type == .serviceDefect, demand == .refund, !significantDefect {
            fail(.significantDefect, .needsSignificantDefect, ClaimTexts.serviceRefundNeedsSignificant)
        }

        // Non-defective goods: 14 days not counting the day of purchase (ст. 25 п. 1).
        if type == .return14Days, let purchaseDate {
            let last = ClaimTerms.lastDay(after: purchaseDate, days: 14, calendar: calendar)
            windowLastDay = last
            if claimDate > last { fail(.purchaseDate, .termExpired, ClaimTexts.returnExpired(lastDay: last.dotted)) }
        }

        // Distance selling: any time before handover; after it 7 days, or 3 months without the written
        // notice of the return terms (ст. 26.1 п. 4).
        if type == .distanceRefund, let handoverDate {
            let last =
                returnNoticeGiven
                ? ClaimTerms.lastDay(after: handoverDate, days: 7, calendar: calendar)
                : ClaimTerms.lastDay(after: handoverDate, months: 3, calendar: calendar)
            windowLastDay = last
            if claimDate > last {
                fail(
                    .handoverDate, .termExpired,
                    ClaimTexts.distanceExpired(lastDay: last.dotted, noticeGiven: returnNoticeGiven))
            }
        }

        // The term of the earlier demand (or of the contract), and the penalty once it has passed.
        var termDays: Int?
        var termEnd: LocalDate?
        var penalty: PenaltyResult?
        if let base, !errors.has(ClaimField.demandKind.rawValue) {
            let rule = demand.term(under: base)
            let isPenaltyClaim = type == .penaltyDelay
            // A service claim's own fixing term is the consumer's to set (ст. 30); 10 days unless given.
            termDays = rule.days ?? agreedTerm ?? (type == .serviceDefect && demand == .repair ? 10 : nil)
            if isPenaltyClaim, termDays == nil, !errors.has(ClaimField.agreedTerm.rawValue) {
                fail(.agreedTerm, .required)
            }
            let termStart = rule.start == .demand ? demandDate : purchaseDate
            if isPenaltyClaim, rule.start == .demand, demandDate == nil, !errors.has(ClaimField.demandDate.rawValue) {
                fail(.demandDate, .required)
            }
            if let termStart, let termDays {
                let end = ClaimTerms.lastDay(after: termStart, days: termDays, calendar: calendar)
                termEnd = end
                if let price {
                    let result = Penalty.compute(base: base, priceKopecks: price, termEnd: end, until: claimDate)
                    if result.isOverdue {
                        penalty = result
                    } else if isPenaltyClaim {
                        fail(
                            rule.start == .demand ? .demandDate : .agreedTerm, .notYetOverdue,
                            ClaimTexts.notYetOverdue(lastDay: end.dotted, firstDay: end.adding(days: 1).dotted))
                    }
                }
            }
        }

        guard errors.errors.isEmpty, let consumerName, let consumerAddress, let sellerName, let sellerAddress,
            let item, let purchaseDate, let price
        else { return .refused(errors, explanations) }

        let sellerTermDays: Int? =
            switch (type, demand) {
            case (.defectiveReplacement, _): 7
            case (.defectiveRepair, .repair): agreedTerm
            case (.serviceDefect, .repair): agreedTerm ?? 10
            case (.return14Days, _): 3
            default: 10
            }
        if let windowLastDay { notes.append(ClaimTexts.windowNote(lastDay: windowLastDay.dotted)) }
        // The form cannot tell whether the goods are on the Government's list; the person preparing it can.
        if type == .return14Days { notes.append(ClaimTexts.nonReturnableNote) }
        if let penalty {
            notes.append(
                ClaimTexts.penaltyNote(total: Money.format(kopecks: penalty.totalKopecks), until: penalty.to.dotted))
        }
        let claim = Claim(
            type: type,
            consumer: Claim.Consumer(name: consumerName, address: consumerAddress, phone: phone, email: email),
            seller: Claim.Seller(name: sellerName, inn: inn, ogrn: ogrn, address: sellerAddress),
            item: item, purchaseDate: purchaseDate, handoverDate: handoverDate, priceKopecks: price, receipt: receipt,
            warrantyMonths: warrantyMonths, defect: defect, defectFoundDate: defectFoundDate,
            technicallyComplex: technicallyComplex, significantDefect: significantDefect,
            returnNoticeGiven: returnNoticeGiven, demand: demand, penaltyBase: base, agreedTerm: agreedTerm,
            repairCostKopecks: demand == .repairCosts ? repairCost : nil,
            substituteWanted: substituteWanted && type == .defectiveRepair && demand == .repair,
            demandDate: demandDate, facts: facts, bankDetails: bankDetails, claimDate: claimDate,
            sellerTermDays: sellerTermDays, windowLastDay: windowLastDay, termDays: termDays, termEnd: termEnd,
            penalty: penalty, notes: notes)
        return .accepted(claim)
    }

    /// `2026-02-19` as forms send it, or `19.02.2026` as people type it.
    static func parseDate(_ text: String) -> LocalDate? {
        if let date = LocalDate(iso: text) { return date }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 2, parts[1].count == 2, parts[2].count == 4 else { return nil }
        return LocalDate(iso: "\(parts[2])-\(parts[1])-\(parts[0])")
    }

    /// XML 1.0 and Word cannot carry most control characters, and `\r\n` from a browser textarea should
    /// read as one line break; tabs and line breaks stay.
    static func cleaned(_ text: String) -> String {
        let unified = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        return String(String.UnicodeScalarView(unified.unicodeScalars.filter(XMLText.isAllowed)))
    }
}

/// How long the seller has for a demand, and from when: the day the demand was made, or the contract.
struct SellerTermRule: Sendable {
    enum Start: Sendable { case demand, contract }
    var start: Start
    /// nil when the term is agreed or set by the consumer (`agreedTerm`).
    var days: Int?
    var citation: ClaimCitation
}

extension ClaimDemand {
    func term(under base: PenaltyBase) -> SellerTermRule {
        switch (base, self) {
        case (.goods, .replacement): SellerTermRule(start: .demand, days: 7, citation: .art21)
        case (.goods, .repair): SellerTermRule(start: .demand, days: nil, citation: .art20)
        case (.goods, _): SellerTermRule(start: .demand, days: 10, citation: .art22)
        case (.prepayment, _): SellerTermRule(start: .contract, days: nil, citation: .art23_1)
        case (.service, .serviceTerm): SellerTermRule(start: .contract, days: nil, citation: .art28term)
        case (.service, .repair): SellerTermRule(start: .demand, days: nil, citation: .art30)
        case (.service, _): SellerTermRule(start: .demand, days: 10, citation: .art31)
        }
    }
}

extension LocalDate {
    /// `19.02.2026`: how dates read in Russian documents.
    public var dotted: String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(day)).\(two(month)).\(year)"
    }
}
