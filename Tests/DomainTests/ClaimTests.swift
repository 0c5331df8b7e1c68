import Foundation
import Testing

@testable import Domain

@Suite("Consumer claims")
struct ClaimTests {
    static func day(_ text: String) -> LocalDate { LocalDate(iso: text)! }

    @Suite("Identifiers")
    struct Identifiers {
        @Test func innChecksumsFromTheDomainNotes() {
            #expect(INN.isValid("7707083893"))
            #expect(INN.isValid("500100732259"))
            #expect(!INN.isValid("7707083894"))
            #expect(!INN.isValid("500100732258"))
        }

        @Test func ogrnAndOgrnipChecksums() {
            #expect(OGRN.isValid("1027700132195"))
            #expect(!OGRN.isValid("1027700132196"))
            #expect(OGRN.isValid("304500116000016"), "ОГРНИП: 15 digits, mod 13")
            #expect(!OGRN.isValid("304500116000017"))
            #expect(!OGRN.isValid("102770013219"), "12 digits")
            #expect(!OGRN.isValid("10277001321 5"))
            #expect(!OGRN.isValid("１０２７７００１３２１９５"), "full-width digits are not a number on a form")
        }
    }

    @Suite("Money")
    struct Sums {
        @Test func parsesRoublesAsPeopleTypeThem() {
            #expect(Money.parseKopecks("40000") == 4_000_000)
            #expect(Money.parseKopecks("40 000") == 4_000_000)
            #expect(Money.parseKopecks("40\u{00A0}000") == 4_000_000)
            #expect(Money.parseKopecks("40000,50") == 4_000_050)
            #expect(Money.parseKopecks("40000.50") == 4_000_050)
            #expect(Money.parseKopecks("40000,5") == 4_000_050)
            #expect(Money.parseKopecks("40 000 ₽") == 4_000_000)
            #expect(Money.parseKopecks("1 234 567,89") == 123_456_789)
        }

        @Test func refusesWhatIsNotASum() {
            for text in ["-40000", "abc", "", "40,000.50", "4 00", "1,234", "40000,", ",50", "1e5", "40 000,505"] {
                #expect(Money.parseKopecks(text) == nil, "\(text)")
            }
        }

        @Test func formatsTheRussianWay() {
            #expect(Money.format(kopecks: 400_000) == "4\u{00A0}000,00\u{00A0}₽")
            #expect(Money.format(kopecks: 5) == "0,05\u{00A0}₽")
            #expect(Money.format(kopecks: 4_000_050) == "40\u{00A0}000,50\u{00A0}₽")
            #expect(Money.format(kopecks: 100_000_000_00) == "100\u{00A0}000\u{00A0}000,00\u{00A0}₽")
        }
    }

    @Suite("Terms")
    struct Terms {
        @Test func daysStartTheDayAfterTheEvent() {
            #expect(ClaimTerms.lastDay(after: day("2026-03-01"), days: 14) == day("2026-03-15"))
            #expect(ClaimTerms.days(from: day("2026-03-01"), to: day("2026-03-15")) == 14)
        }

        @Test func monthsEndOnTheSameDateOrTheMonthsLastDay() {
            #expect(ClaimTerms.lastDay(after: day("2026-03-01"), months: 3) == day("2026-06-01"))
            #expect(ClaimTerms.lastDay(after: day("2026-01-31"), months: 1) == day("2026-02-28"))
            #expect(ClaimTerms.lastDay(after: day("2024-02-29"), months: 12) == day("2025-02-28"))
            #expect(ClaimTerms.lastDay(after: day("2025-11-30"), months: 3) == day("2026-02-28"))
        }

        @Test func aTermEndingOnADayOffMovesToTheNextWorkingDay() {
            // ГК ст. 193 with a calendar: Sunday 15 March 2026 → Monday 16 March; without one, no move.
            let calendar = ProductionCalendar(years: [])
            #expect(ClaimTerms.lastDay(after: day("2026-03-01"), days: 14, calendar: calendar) == day("2026-03-16"))
            // Sunday 8 March, and Monday 9 March is the holiday moved from it → Tuesday 10 March.
            #expect(ClaimTerms.lastDay(after: day("2026-03-01"), days: 7, calendar: calendar) == day("2026-03-10"))
            #expect(ClaimTerms.lastDay(after: day("2026-03-08"), months: 3, calendar: calendar) == day("2026-06-08"))
            #expect(ClaimTerms.lastDay(after: day("2026-03-07"), months: 3, calendar: calendar) == day("2026-06-08"))
        }
    }

    @Suite("Penalty")
    struct Penalties {
        @Test func reproducesTheWorkedCheck() {
            // domain.md §4: 40 000 ₽, replacement demanded 02.02.2026, 7 days → term ends 09.02.2026;
            // from 10.02.2026 to 19.02.2026, both counted: 10 days × 400 ₽ = 4 000 ₽.
            let termEnd = ClaimTerms.lastDay(after: day("2026-02-02"), days: 7)
            #expect(termEnd == day("2026-02-09"))
            let result = Penalty.compute(
                base: .goods, priceKopecks: 4_000_000, termEnd: termEnd, until: day("2026-02-19"))
            #expect(result.from == day("2026-02-10"))
            #expect(result.to == day("2026-02-19"))
            #expect(result.days == 10)
            #expect(result.perDayKopecks == 40_000)
            #expect(result.totalKopecks == 400_000)
            #expect(!result.capped)
            #expect(result.capKopecks == nil)
        }

        @Test func prepaymentIsHalfAPercentCappedAtThePrepayment() {
            let end = day("2026-01-31")
            let ten = Penalty.compute(
                base: .prepayment, priceKopecks: 1_000_000, termEnd: end, until: end.adding(days: 10))
            #expect(ten.perDayKopecks == 5_000)
            #expect(ten.totalKopecks == 50_000)
            let exactlyAll = Penalty.compute(
                base: .prepayment, priceKopecks: 1_000_000, termEnd: end, until: end.adding(days: 200))
            #expect(exactlyAll.totalKopecks == 1_000_000)
            #expect(!exactlyAll.capped, "200 days × 0.5 % is the prepayment itself, not more")
            let beyond = Penalty.compute(
                base: .prepayment, priceKopecks: 1_000_000, termEnd: end, until: end.adding(days: 250))
            #expect(beyond.totalKopecks == 1_000_000)
            #expect(beyond.capped)
            #expect(beyond.capKopecks == 1_000_000)
        }

        @Test func serviceIsThreePercentCappedAtThePrice() {
            let end = day("2026-03-10")
            let short = Penalty.compute(base: .service, priceKopecks: 500_000, termEnd: end, until: end.adding(days: 5))
            #expect(short.perDayKopecks == 15_000)
            #expect(short.totalKopecks == 75_000)
            let long = Penalty.compute(base: .service, priceKopecks: 500_000, termEnd: end, until: end.adding(days: 40))
            #expect(long.days == 40)
            #expect(long.totalKopecks == 500_000)
            #expect(long.capped)
        }

        @Test func nothingIsDueBeforeTheTermEnds() {
            let end = day("2026-02-09")
            let onTheLastDay = Penalty.compute(base: .goods, priceKopecks: 4_000_000, termEnd: end, until: end)
            #expect(onTheLastDay.days == 0)
            #expect(onTheLastDay.totalKopecks == 0)
            #expect(!onTheLastDay.isOverdue)
            let before = Penalty.compute(
                base: .service, priceKopecks: 4_000_000, termEnd: end, until: day("2026-02-01"))
            #expect(before.days == 0)
            #expect(before.totalKopecks == 0)
        }

        @Test func roundsOnceNotPerDay() {
            // 0.5 % of 333,33 ₽ is 1,66665 ₽ a day; three days are 4,99995 ₽ → 5,00 ₽, not 3 × 1,67 ₽.
            let end = day("2026-02-09")
            let result = Penalty.compute(
                base: .prepayment, priceKopecks: 33_333, termEnd: end, until: end.adding(days: 3))
            #expect(result.perDayKopecks == 167)
            #expect(result.totalKopecks == 500)
        }
    }

    @Suite("Templates")
    struct Templates {
        @Test func theSevenCodes() {
            #expect(
                ClaimType.allCases.map(\.rawValue) == [
                    "defective-refund", "defective-replacement", "defective-repair", "return-14-days", "service-defect",
                    "distance-refund", "penalty-delay",
                ])
        }

        @Test func requiredFieldsAreAmongTheFieldsShown() {
            for type in ClaimType.allCases {
                #expect(type.requiredFields.isSubset(of: Set(type.fields)), "\(type)")
                #expect(Set(type.fields).count == type.fields.count, "\(type) lists a field twice")
                #expect(!type.title.isEmpty && !type.summary.isEmpty && !type.termNote.isEmpty)
                #expect(type.fields.allSatisfy { !type.label(for: $0).isEmpty })
            }
        }

        @Test func sellersTermsFollowTheLaw() {
            #expect(ClaimType.defectiveRefund.sellerTermDays == 10)
            #expect(ClaimType.defectiveReplacement.sellerTermDays == 7)
            #expect(ClaimType.defectiveRepair.sellerTermDays == 45)
            #expect(ClaimType.return14Days.sellerTermDays == 3)
            #expect(ClaimType.serviceDefect.sellerTermDays == 10)
            #expect(ClaimType.distanceRefund.sellerTermDays == 10)
            #expect(ClaimType.defectiveReplacement.termNote.contains("20 дней"))
        }

        @Test func choicesForThePenaltyAreGroupedByBase() {
            let kinds = ClaimType.penaltyDelay.choices(for: .demandKind)
            #expect(kinds.contains { $0.value == "replacement" && $0.group == "goods" })
            #expect(kinds.contains { $0.value == "delivery" && $0.group == "prepayment" })
            #expect(kinds.contains { $0.value == "service-term" && $0.group == "service" })
            #expect(
                ClaimType.penaltyDelay.choices(for: .penaltyBase).map(\.value) == ["goods", "prepayment", "service"])
            #expect(ClaimType.defectiveRepair.choices(for: .remedy).map(\.value) == ["repair", "repair-costs"])
            #expect(ClaimType.return14Days.choices(for: .remedy).isEmpty)
        }
    }

}
