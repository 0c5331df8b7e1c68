/// What a penalty (неустойка) is a percentage of, which sets its daily rate and its cap.
public enum PenaltyBase: String, CaseIterable, Sendable, Codable {
    /// Missing the terms of ст. 20–22 for goods: 1 % of the price a day, no cap (ст. 23 п. 1).
    case goods
    /// Prepaid goods not delivered on time: 0.5 % of the prepayment a day, at most the prepayment (ст. 23.1 п. 3).
    case prepayment
    /// Missing a work or service term: 3 % of the price a day, at most the price (ст. 28 п. 5, ст. 31 п. 3).
    case service

    /// Hundredths of a percent of the base, per day: integers keep kopecks exact.
    public var basisPointsPerDay: Int {
        switch self {
        case .goods: 100
        case .prepayment: 50
        case .service: 300
        }
    }

    /// Whether the law caps the total at the base itself.
    public var isCapped: Bool { self != .goods }

    /// The earlier demands whose delay this base covers, in the order a form offers them.
    public var demandKinds: [ClaimDemand] {
        switch self {
        case .goods: [.replacement, .refund, .priceReduction, .repair, .repairCosts]
        case .prepayment: [.delivery, .prepaymentRefund]
        case .service: [.serviceTerm, .repair, .repairCosts, .priceReduction, .refund]
        }
    }

    public var title: String { ClaimTexts.title(self) }
}

/// A penalty computed for a period: `from` is the day after the seller's term ended, `to` the day it is
/// computed for, both counted. When the term has not ended yet, `days` is 0 and `to` is before `from`.
public struct PenaltyResult: Sendable, Hashable, Codable {
    public var base: PenaltyBase
    /// The price or prepayment the percentage is taken of.
    public var baseKopecks: Int
    public var from: LocalDate
    public var to: LocalDate
    public var days: Int
    /// One day's penalty, rounded to the kopeck (for the text; the total is rounded once, not per day).
    public var perDayKopecks: Int
    public var totalKopecks: Int
    /// The legal maximum, for the capped bases.
    public var capKopecks: Int?
    /// Whether the cap cut the total.
    public var capped: Bool

    public var isOverdue: Bool { days > 0 }
}

public enum Penalty {
    /// The penalty for the days after `termEnd` up to and including `until`. Pure arithmetic on kopecks:
    /// the exact total (price × rate × days) is rounded half up once, so fractions of a kopeck never add
    /// up day by day; then the cap, where the law sets one. `priceKopecks` must not be negative.
    public static func compute(base: PenaltyBase, priceKopecks: Int, termEnd: LocalDate, until: LocalDate)
        -> PenaltyResult
    {
        precondition(priceKopecks >= 0, "a price is never negative")
        let from = termEnd.adding(days: 1)
        let days = max(0, until.dayNumber - termEnd.dayNumber)
        let rate = base.basisPointsPerDay
        let perDay = roundedShare(priceKopecks, rate)
        let cap = base.isCapped ? priceKopecks : nil
        let total: Int
        let capped: Bool
        if let cap, days * rate >= 10_000 {
            // 100 % of the base or more: the cap decides (and an absurd product never overflows).
            total = cap
            capped = days * rate > 10_000
        } else {
            total = roundedShare(priceKopecks, days * rate)
            capped = false
        }
        return PenaltyResult(
            base: base, baseKopecks: priceKopecks, from: from, to: until, days: days, perDayKopecks: perDay,
            totalKopecks: total, capKopecks: cap, capped: capped)
    }

    /// `kopecks × basisPoints / 10 000`, rounded half up; saturates rather than traps on absurd inputs.
    static func roundedShare(_ kopecks: Int, _ basisPoints: Int) -> Int {
        let (product, overflow) = kopecks.multipliedReportingOverflow(by: basisPoints)
        if overflow { return Int.max }
        return product / 10_000 + (product % 10_000 >= 5_000 ? 1 : 0)
    }
}
