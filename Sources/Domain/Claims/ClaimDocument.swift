/// A claim as a document: structured content, so the App can render it as HTML, as DOCX
/// (`DocxPackage`) or as plain text (`plainText`) from one source. Paragraph texts are complete Russian
/// sentences; numbering of demands and attachments is added by the renderers.
public struct ClaimDocument: Sendable, Hashable, Codable {
    public var type: ClaimType
    /// To the seller: name, ИНН/ОГРН, address. Set right-aligned.
    public var addressee: [String]
    /// From the consumer: name, address, phone, email. Set right-aligned below the addressee.
    public var sender: [String]
    /// «ПРЕТЕНЗИЯ».
    public var title: String
    /// «о замене товара ненадлежащего качества».
    public var subtitle: String
    /// What was bought, when, for how much, what went wrong, the earlier demand.
    public var facts: [String]
    public var legalBasisHeading: String
    /// One paragraph per citation.
    public var legalBasis: [String]
    public var citations: [ClaimCitation]
    /// «На основании изложенного ТРЕБУЮ:».
    public var demandHeading: String
    /// The demands, unnumbered.
    public var demands: [String]
    /// Where to pay, when the consumer gave bank details.
    public var payment: String?
    /// Penalty, court, fine, moral damages, state fee; the request for a written answer.
    public var warning: [String]
    public var attachmentsHeading: String
    /// Unnumbered; empty when there is nothing to attach.
    public var attachments: [String]
    public var date: LocalDate
    /// «____________ / Иванов И. И.».
    public var signature: String

    public init(_ claim: Claim) {
        type = claim.type
        title = ClaimTexts.title
        subtitle = ClaimTexts.subtitle(claim.type, demand: claim.demand, base: claim.penaltyBase)
        legalBasisHeading = ClaimTexts.legalBasisHeading
        demandHeading = ClaimTexts.demandHeading
        attachmentsHeading = ClaimTexts.attachmentsHeading
        date = claim.claimDate
        signature = ClaimTexts.signatureBlank + " / " + Self.initials(claim.consumer.name)

        addressee = [ClaimTexts.to(claim.seller.name)]
        if let ids = ClaimTexts.identifiers(inn: claim.seller.inn, ogrn: claim.seller.ogrn) { addressee.append(ids) }
        addressee.append(ClaimTexts.address(claim.seller.address))
        sender = [ClaimTexts.from(claim.consumer.name), ClaimTexts.address(claim.consumer.address)]
        if let phone = claim.consumer.phone { sender.append(ClaimTexts.phone(Self.format(phone))) }
        if let email = claim.consumer.email { sender.append(ClaimTexts.email(email.value)) }

        citations = Self.citations(claim)
        legalBasis = citations.map(ClaimTexts.basis)
        facts = Self.facts(claim)
        demands = Self.demands(claim)
        // Bank details only where money is demanded: a repair claim has nothing to transfer.
        payment = claim.asksForMoney ? claim.bankDetails.map(ClaimTexts.payment) : nil

        warning = []
        // A first demand warns of the penalty its delay will cost; a claim that already counts one says so
        // in its demands instead.
        if let base = claim.penaltyBase, claim.penalty == nil, claim.type != .penaltyDelay {
            warning.append(ClaimTexts.penaltyWarning(base))
        }
        warning.append(ClaimTexts.courtWarning)
        warning.append(ClaimTexts.answerRequest)

        attachments = []
        if let receipt = claim.receipt { attachments.append(ClaimTexts.attachmentReceipt(receipt)) }
        if let demandDate = claim.demandDate {
            attachments.append(ClaimTexts.attachmentEarlierDemand(demandDate.dotted))
        }
        if claim.repairCostKopecks != nil { attachments.append(ClaimTexts.attachmentRepairCosts) }
    }

    /// «1. …», as printed.
    public var numberedDemands: [String] { Self.numbered(demands) }
    public var numberedAttachments: [String] { Self.numbered(attachments) }

    /// The whole claim as plain text, blocks separated by blank lines: for attaching the claim's text to an
    /// appeal and for the search index.
    public var plainText: String {
        var blocks = [addressee.joined(separator: "\n"), sender.joined(separator: "\n"), title + "\n" + subtitle]
        blocks += facts
        blocks.append(([legalBasisHeading] + legalBasis).joined(separator: "\n"))
        blocks.append(([demandHeading] + numberedDemands).joined(separator: "\n"))
        if let payment { blocks.append(payment) }
        blocks += warning
        if !attachments.isEmpty { blocks.append(([attachmentsHeading] + numberedAttachments).joined(separator: "\n")) }
        blocks.append(date.dotted + "\n" + signature)
        return blocks.joined(separator: "\n\n") + "\n"
    }

    static func numbered(_ items: [String]) -> [String] {
        items.enumerated().map { "\($0.offset + 1). \($0.element)" }
    }

    /// «Иванов Иван Иванович» → «Иванов И. И.»: the surname in full, the rest as initials.
    static func initials(_ name: String) -> String {
        let words = name.split(whereSeparator: \.isWhitespace)
        guard let surname = words.first else { return name }
        let rest = words.dropFirst().compactMap { $0.first.map { "\($0)." } }
        return ([String(surname)] + rest).joined(separator: " ")
    }

    /// +79171234567 → «+7 917 123-45-67».
    static func format(_ phone: PhoneNumber) -> String {
        let digits = Array(phone.value.dropFirst(2))
        guard digits.count == 10 else { return phone.value }
        let text = String(digits)
        func slice(_ from: Int, _ to: Int) -> Substring {
            text[text.index(text.startIndex, offsetBy: from)..<text.index(text.startIndex, offsetBy: to)]
        }
        return "+7 \(slice(0, 3)) \(slice(3, 6))-\(slice(6, 8))-\(slice(8, 10))"
    }

    // MARK: Building the parts

    static func citations(_ claim: Claim) -> [ClaimCitation] {
        var list: [ClaimCitation]
        switch claim.type {
        case .defectiveRefund: list = [.art18, .art19, .art22, .art23]
        case .defectiveReplacement: list = [.art18, .art19, .art21, .art23]
        case .defectiveRepair:
            list = [.art18, .art19, .art20] + (claim.demand == .repairCosts ? [.art22] : []) + [.art23]
        case .return14Days: list = [.art25]
        case .serviceDefect: list = [.art29] + (claim.demand == .repair ? [.art30] : []) + [.art31, .art28penalty]
        case .distanceRefund: list = [.art26_1]
        case .penaltyDelay:
            guard let base = claim.penaltyBase else { return [] }
            let rule = claim.demand.term(under: base)
            switch base {
            case .goods: list = [rule.citation, .art23]
            case .prepayment: list = [.art23_1]
            case .service:
                list = rule.citation == .art28term ? [.art28term, .art28penalty] : [rule.citation, .art28penalty]
            }
        }
        if claim.technicallyComplex, claim.type == .defectiveRefund || claim.type == .defectiveReplacement {
            list.insert(.technicallyComplexList, at: 1)
        }
        return list
    }

    static func facts(_ claim: Claim) -> [String] {
        let price = Money.format(kopecks: claim.priceKopecks)
        let bought = claim.purchaseDate.dotted
        let service = claim.penaltyBase == .service
        var facts: [String] = []

        switch (claim.type, claim.penaltyBase) {
        case (.serviceDefect, _), (.penaltyDelay, .service):
            facts.append(ClaimTexts.contracted(bought, item: claim.item, price: price))
        case (.distanceRefund, _):
            facts.append(ClaimTexts.orderedAtDistance(bought, item: claim.item, price: price))
        case (.penaltyDelay, .prepayment):
            facts.append(ClaimTexts.prepaid(bought, item: claim.item, price: price))
        default:
            facts.append(ClaimTexts.bought(bought, item: claim.item, price: price))
        }
        if let receipt = claim.receipt { facts.append(ClaimTexts.receipt(receipt)) }

        switch claim.type {
        case .distanceRefund:
            if let handover = claim.handoverDate {
                facts.append(
                    ClaimTexts.handedOver(handover.dotted) + " " + ClaimTexts.noticeGiven(claim.returnNoticeGiven))
                facts.append(ClaimTexts.unusedDistance)
                if let last = claim.windowLastDay {
                    facts.append(ClaimTexts.distanceWindow(lastDay: last.dotted, noticeGiven: claim.returnNoticeGiven))
                }
            } else {
                facts.append(ClaimTexts.notHandedOver + " " + ClaimTexts.beforeHandover)
            }
        case .serviceDefect:
            if let handover = claim.handoverDate { facts.append(ClaimTexts.accepted(handover.dotted)) }
        case .defectiveRefund, .defectiveReplacement, .defectiveRepair:
            if let handover = claim.handoverDate, handover != claim.purchaseDate {
                facts.append(ClaimTexts.handedOver(handover.dotted))
            }
        case .return14Days:
            facts.append(ClaimTexts.notFit + " " + ClaimTexts.unused)
            if let last = claim.windowLastDay { facts.append(ClaimTexts.within14Days(lastDay: last.dotted)) }
        case .penaltyDelay:
            break
        }

        if let defect = claim.defect, let found = claim.defectFoundDate {
            var sentences = [ClaimTexts.defectFound(found.dotted, defect, service: claim.type == .serviceDefect)]
            if let months = claim.warrantyMonths {
                sentences.append(ClaimTexts.withinWarranty(months: months, service: claim.type == .serviceDefect))
            } else {
                sentences.append(ClaimTexts.withinTwoYears(service: claim.type == .serviceDefect))
            }
            if claim.technicallyComplex, claim.type == .defectiveRefund || claim.type == .defectiveReplacement {
                sentences.append(ClaimTexts.technicallyComplex)
                if let last = claim.windowLastDay { sentences.append(ClaimTexts.within15Days(lastDay: last.dotted)) }
            }
            if claim.significantDefect {
                sentences.append(ClaimTexts.significant(service: claim.type == .serviceDefect))
            }
            facts.append(sentences.joined(separator: " "))
        }

        if let base = claim.penaltyBase {
            let rule = claim.demand.term(under: base)
            var sentences: [String] = []
            if let demandDate = claim.demandDate {
                sentences.append(
                    ClaimTexts.earlierDemand(
                        demandDate.dotted, about: ClaimTexts.about(claim.demand, base), service: service))
            }
            if let days = claim.termDays, let end = claim.termEnd {
                switch (rule.start, base, claim.penalty != nil) {
                case (.contract, .prepayment, _):
                    sentences.insert(ClaimTexts.deliveryMissed(days: days, lastDay: end.dotted), at: 0)
                case (.contract, _, _):
                    sentences.insert(ClaimTexts.serviceTermMissed(days: days, lastDay: end.dotted), at: 0)
                case (.demand, _, true):
                    sentences.append(
                        ClaimTexts.termExpired(
                            days: days, article: rule.citation.article, lastDay: end.dotted, service: service))
                case (.demand, _, false):
                    sentences.append(
                        ClaimTexts.termRunning(days: days, article: rule.citation.article, lastDay: end.dotted))
                }
            }
            if !sentences.isEmpty { facts.append(sentences.joined(separator: " ")) }
        }

        if let text = claim.facts {
            facts += text.components(separatedBy: "\n").compactMap(\.nonBlank)
        }
        return facts
    }

    static func demands(_ claim: Claim) -> [String] {
        let price = Money.format(kopecks: claim.priceKopecks)
        // A demand repeated after its term passed is due at once; one still running keeps its last day.
        let term: String
        if claim.type != .penaltyDelay, claim.demandDate != nil, let end = claim.termEnd {
            term = claim.penalty != nil ? ClaimTexts.withoutDelay : ClaimTexts.noLaterThan(end.dotted)
        } else if let days = claim.sellerTermDays {
            term = ClaimTexts.withinDays(days)
        } else {
            term = ClaimTexts.withoutDelay
        }
        let cost = claim.repairCostKopecks.map { Money.format(kopecks: $0) } ?? ""

        var demands: [String] = []
        switch (claim.type, claim.demand) {
        case (.defectiveRefund, _):
            demands.append(ClaimTexts.demandRefund(price, term: term, article: "ст. 22"))
        case (.defectiveReplacement, _):
            demands.append(ClaimTexts.demandReplacement(term: term))
        case (.defectiveRepair, .repairCosts):
            demands.append(ClaimTexts.demandRepairCosts(cost, term: term, article: "ст. 22"))
        case (.defectiveRepair, _):
            demands.append(
                claim.demandDate == nil
                    ? ClaimTexts.demandRepair(days: claim.agreedTerm) : ClaimTexts.demandRepairAgain(term: term))
            if claim.substituteWanted { demands.append(ClaimTexts.demandSubstitute) }
        case (.return14Days, _):
            demands.append(ClaimTexts.demandReturn14(price))
        case (.serviceDefect, .repairCosts):
            demands.append(ClaimTexts.demandRepairCosts(cost, term: term, article: "ст. 29, п. 1 ст. 31"))
        case (.serviceDefect, .refund):
            demands.append(ClaimTexts.demandServiceRefund(price, term: term))
        case (.serviceDefect, _):
            demands.append(ClaimTexts.demandServiceRepair(term: term))
        case (.distanceRefund, _):
            demands.append(ClaimTexts.demandDistance(price, term: term))
        case (.penaltyDelay, .delivery):
            demands.append(ClaimTexts.demandDelivery(term: ClaimTexts.withoutDelay))
        case (.penaltyDelay, .prepaymentRefund):
            demands.append(ClaimTexts.demandPrepaymentRefund(price, term: ClaimTexts.withinDays(10)))
        case (.penaltyDelay, .serviceTerm):
            demands.append(ClaimTexts.demandServiceTerm(term: ClaimTexts.withoutDelay))
        case (.penaltyDelay, let demand):
            let date = claim.demandDate?.dotted ?? ""
            demands.append(
                ClaimTexts.demandSatisfy(about: ClaimTexts.about(demand, claim.penaltyBase), date: date))
        }

        if let penalty = claim.penalty {
            demands.append(
                ClaimTexts.demandPenalty(
                    from: penalty.from.dotted, to: penalty.to.dotted, days: penalty.days,
                    total: Money.format(kopecks: penalty.totalKopecks),
                    perDay: Money.format(kopecks: penalty.perDayKopecks),
                    base: penalty.base, term: ClaimTexts.withinDays(10)))
            // Once the cap is reached there is nothing left to accrue.
            if penalty.capKopecks.map({ penalty.totalKopecks < $0 }) ?? true {
                demands.append(
                    ClaimTexts.demandPenaltyContinues(
                        from: penalty.to.adding(days: 1).dotted, perDay: Money.format(kopecks: penalty.perDayKopecks),
                        cap: penalty.capKopecks.map { Money.format(kopecks: $0) }))
            }
        }
        return demands
    }
}
