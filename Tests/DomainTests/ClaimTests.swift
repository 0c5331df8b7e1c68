import Foundation
import Testing

@testable import Domain

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite("Consumer claims")
struct ClaimTests {
    static func day(_ text: String) -> LocalDate { LocalDate(iso: text)! }

    /// A complete form for `type`: the purchase of a 40 000 ₽ smartphone on 1 March 2026, claimed on
    /// 5 March. Tests change what they are about.
    static func input(_ type: ClaimType, _ changes: [ClaimField: String] = [:]) -> ClaimInput {
        var values: [ClaimField: String] = [
            .consumerName: "Иванов Иван Иванович", .consumerAddress: "400005, г. Волгоград, ул. Мира, д. 1, кв. 2",
            .consumerPhone: "8 (917) 123-45-67", .consumerEmail: "ivanov@mail.ru",
            .sellerName: "ООО «Ромашка»", .sellerINN: "7707083893", .sellerOGRN: "1027700132195",
            .sellerAddress: "400066, г. Волгоград, пр. Ленина, д. 10",
            .item: "смартфон Vertex X1", .purchaseDate: "2026-03-01", .price: "40 000",
            .receipt: "кассовый чек № 123 от 01.03.2026", .claimDate: "2026-03-05",
        ]
        switch type {
        case .defectiveRefund, .defectiveReplacement, .defectiveRepair, .serviceDefect:
            values[.defect] = "не включается"
            values[.defectFoundDate] = "2026-03-04"
        case .distanceRefund:
            values[.handoverDate] = "2026-03-03"
        case .penaltyDelay:
            values[.penaltyBase] = "goods"
            values[.demandKind] = "replacement"
            values[.demandDate] = "2026-02-02"
            values[.purchaseDate] = "2026-01-20"
            values[.claimDate] = "2026-02-19"
        case .return14Days:
            break
        }
        for (field, value) in changes { values[field] = value }
        return ClaimInput(values)
    }

    static let today = day("2026-06-30")

    static func check(_ type: ClaimType, _ changes: [ClaimField: String] = [:], calendar: ProductionCalendar? = nil)
        throws -> Claim
    {
        try ClaimForm.check(input(type, changes), type: type, today: today, calendar: calendar)
    }

    /// The errors of a refused form, as (field, code) pairs; empty when it passes.
    static func errors(_ type: ClaimType, _ changes: [ClaimField: String] = [:], calendar: ProductionCalendar? = nil)
        -> [FieldError]
    {
        do {
            _ = try ClaimForm.check(input(type, changes), type: type, today: today, calendar: calendar)
            return []
        } catch {
            return error.errors
        }
    }

    // A calendar without published years: the Labour Code's holidays and weekends, enough for ГК ст. 193.
    static let calendar = ProductionCalendar(years: [])

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

    @Suite("Form checks")
    struct FormChecks {
        @Test func aCompleteFormPasses() throws {
            for type in ClaimType.allCases {
                let claim = try check(type)
                #expect(claim.type == type)
                #expect(claim.priceKopecks == 4_000_000)
                #expect(claim.seller.inn == "7707083893")
                #expect(claim.consumer.phone?.value == "+79171234567")
            }
        }

        @Test func reportsEveryMissingFieldAtOnce() {
            let found = Set(
                errors(
                    .defectiveRefund,
                    [
                        .consumerName: "", .consumerAddress: " ", .sellerName: "", .sellerAddress: "", .item: "",
                        .price: "",
                        .purchaseDate: "", .defect: "", .defectFoundDate: "",
                    ]
                ).map(\.field))
            #expect(
                found == [
                    "consumerName", "consumerAddress", "sellerName", "sellerAddress", "item", "price", "purchaseDate",
                    "defect", "defectFoundDate",
                ])
        }

        @Test func refusesAFuturePurchaseDate() {
            #expect(
                errors(.defectiveRefund, [.purchaseDate: "2026-03-06"]).contains(
                    FieldError("purchaseDate", .dateInFuture)))
            #expect(errors(.defectiveRefund, [.claimDate: "2026-07-01"]) == [FieldError("claimDate", .dateInFuture)])
        }

        @Test func refusesDatesThatAreNotDates() {
            #expect(
                errors(.defectiveRefund, [.purchaseDate: "2026-02-30"]) == [FieldError("purchaseDate", .invalidDate)])
            #expect(errors(.defectiveRefund, [.purchaseDate: "вчера"]) == [FieldError("purchaseDate", .invalidDate)])
            #expect(errors(.defectiveRefund, [.purchaseDate: "01.03.2026"]).isEmpty, "typed the Russian way")
        }

        @Test func refusesBadPrices() throws {
            for price in ["-40000", "0", "сорок тысяч", "100 000 000,01", "1e9"] {
                #expect(errors(.defectiveRefund, [.price: price]) == [FieldError("price", .invalidAmount)], "\(price)")
            }
            #expect(errors(.defectiveRefund, [.price: "100 000 000"]).isEmpty)
            #expect(try check(.defectiveRefund, [.price: "40000,50"]).priceKopecks == 4_000_050)
        }

        @Test func refusesABadINNOrOGRN() throws {
            #expect(errors(.defectiveRefund, [.sellerINN: "7707083894"]) == [FieldError("sellerINN", .invalidINN)])
            #expect(
                errors(.defectiveRefund, [.sellerOGRN: "1027700132196"]) == [FieldError("sellerOGRN", .invalidOGRN)])
            #expect(errors(.defectiveRefund, [.sellerINN: "", .sellerOGRN: ""]).isEmpty, "both are optional")
            #expect(
                try check(.defectiveRefund, [.sellerINN: "500100732259", .sellerOGRN: "304500116000016"]).seller.ogrn
                    == "304500116000016")
        }

        @Test func refusesAHandoverBeforeThePurchase() {
            #expect(
                errors(.defectiveRefund, [.handoverDate: "2026-02-28"]) == [FieldError("handoverDate", .beforePurchase)]
            )
        }

        @Test func oneLineFieldsLoseTheirLineBreaks() throws {
            let claim = try check(
                .defectiveRefund, [.item: "смартфон\r\nVertex X1", .facts: "первая строка\r\nвторая"])
            #expect(claim.item == "смартфон Vertex X1")
            #expect(claim.facts == "первая строка\nвторая")
            #expect(claim.document.facts.suffix(2) == ["первая строка", "вторая"])
        }

        @Test func refusesBadContactsAndFlags() {
            #expect(errors(.defectiveRefund, [.consumerPhone: "12345"]) == [FieldError("consumerPhone", .invalidPhone)])
            #expect(
                errors(.defectiveRefund, [.consumerEmail: "ivanov@"]) == [FieldError("consumerEmail", .invalidEmail)])
            #expect(
                errors(.defectiveRefund, [.significantDefect: "maybe"]) == [
                    FieldError("significantDefect", .invalidValue)
                ])
            #expect(
                errors(.defectiveRefund, [.consumerName: "Иванов 123"]) == [FieldError("consumerName", .invalidName)])
        }

        @Test func returnWithin14DaysNotCountingThePurchaseDay() throws {
            // Bought on 1 March: day 14 is 15 March, still in time; on 16 March the window has closed.
            let lastDay = try check(.return14Days, [.claimDate: "2026-03-15"])
            #expect(lastDay.windowLastDay == day("2026-03-15"))
            #expect(errors(.return14Days, [.claimDate: "2026-03-16"]) == [FieldError("purchaseDate", .termExpired)])
            let explanation = ClaimForm.explanations(
                input(.return14Days, [.claimDate: "2026-03-16"]), type: .return14Days, today: today)
            #expect(
                explanation["purchaseDate"]
                    == "Срок для возврата товара надлежащего качества — 14 дней, не считая дня покупки; он истёк 15.03.2026."
            )
        }

        @Test func aWindowEndingOnADayOffMovesWithTheCalendar() {
            // 15 March 2026 is a Sunday: with the calendar (ГК ст. 193) the last day is Monday 16 March.
            #expect(errors(.return14Days, [.claimDate: "2026-03-16"], calendar: calendar).isEmpty)
            #expect(
                errors(.return14Days, [.claimDate: "2026-03-17"], calendar: calendar) == [
                    FieldError("purchaseDate", .termExpired)
                ])
        }

        @Test func distanceSellingSevenDaysWithTheNoticeThreeMonthsWithout() throws {
            let notice: [ClaimField: String] = [.handoverDate: "2026-03-01", .returnNoticeGiven: "on"]
            #expect(errors(.distanceRefund, notice.merging([.claimDate: "2026-03-08"]) { $1 }).isEmpty)
            #expect(
                errors(.distanceRefund, notice.merging([.claimDate: "2026-03-09"]) { $1 })
                    == [FieldError("handoverDate", .termExpired)])
            let none: [ClaimField: String] = [.handoverDate: "2026-03-01", .returnNoticeGiven: ""]
            #expect(
                try check(.distanceRefund, none.merging([.claimDate: "2026-06-01"]) { $1 }).windowLastDay
                    == day("2026-06-01"))
            #expect(
                errors(.distanceRefund, none.merging([.claimDate: "2026-06-02"]) { $1 })
                    == [FieldError("handoverDate", .termExpired)])
            #expect(errors(.distanceRefund, [.handoverDate: ""]).isEmpty, "before handover, at any time")
        }

        @Test func technicallyComplexGoodsAfter15DaysNeedASignificantDefect() throws {
            let complex: [ClaimField: String] = [
                .technicallyComplex: "on", .handoverDate: "2026-03-01", .defectFoundDate: "2026-03-10",
            ]
            // Handed over on 1 March: day 15 is 16 March.
            #expect(errors(.defectiveRefund, complex.merging([.claimDate: "2026-03-16"]) { $1 }).isEmpty)
            #expect(
                errors(.defectiveReplacement, complex.merging([.claimDate: "2026-03-17"]) { $1 })
                    == [FieldError("significantDefect", .needsSignificantDefect)])
            let explanation = ClaimForm.explanations(
                input(.defectiveRefund, complex.merging([.claimDate: "2026-03-17"]) { $1 }), type: .defectiveRefund,
                today: today)
            #expect(explanation["significantDefect"]?.contains("16.03.2026") == true)
            #expect(
                errors(
                    .defectiveRefund, complex.merging([.claimDate: "2026-03-17", .significantDefect: "true"]) { $1 }
                ).isEmpty)
            #expect(
                errors(.defectiveRefund, complex.merging([.claimDate: "2026-03-20", .demandDate: "2026-03-12"]) { $1 })
                    .isEmpty,
                "demanded within the 15 days")
            #expect(
                errors(.defectiveRepair, complex.merging([.claimDate: "2026-04-20"]) { $1 }).isEmpty,
                "a repair is always open")
        }

        @Test func defectsCountWithinTheWarrantyOrTwoYears() {
            let old: [ClaimField: String] = [.purchaseDate: "2024-01-10", .claimDate: "2026-03-05"]
            #expect(errors(.defectiveRepair, old.merging([.defectFoundDate: "2026-01-10"]) { $1 }).isEmpty)
            #expect(
                errors(.defectiveRepair, old.merging([.defectFoundDate: "2026-01-11"]) { $1 })
                    == [FieldError("defectFoundDate", .termExpired)])
            #expect(
                errors(.defectiveRepair, old.merging([.defectFoundDate: "2025-01-11", .warrantyMonths: "12"]) { $1 })
                    == [FieldError("defectFoundDate", .termExpired)])
            #expect(
                errors(.defectiveRepair, old.merging([.defectFoundDate: "2026-03-01", .warrantyMonths: "36"]) { $1 })
                    .isEmpty)
            #expect(
                errors(.defectiveRepair, [.defectFoundDate: "2026-02-27"]) == [
                    FieldError("defectFoundDate", .beforePurchase)
                ])
        }

        @Test func repairTermsAndCosts() throws {
            #expect(errors(.defectiveRepair, [.agreedTerm: "60"]) == [FieldError("agreedTerm", .repairTermTooLong)])
            #expect(errors(.defectiveRepair, [.agreedTerm: "две недели"]) == [FieldError("agreedTerm", .invalidValue)])
            #expect(errors(.defectiveRepair, [.remedy: "repair-costs"]) == [FieldError("repairCost", .required)])
            #expect(errors(.defectiveRepair, [.remedy: "refund"]) == [FieldError("remedy", .invalidValue)])
            let costs = try check(.defectiveRepair, [.remedy: "repair-costs", .repairCost: "3 500"])
            #expect(costs.repairCostKopecks == 350_000)
            #expect(costs.sellerTermDays == 10)
            #expect(try check(.defectiveRepair, [.agreedTerm: "30"]).sellerTermDays == 30)
            #expect(try check(.defectiveRepair).sellerTermDays == nil, "without an agreed term: without delay")
        }

        @Test func refusingAServiceNeedsASignificantDefect() {
            #expect(
                errors(.serviceDefect, [.remedy: "refund"]) == [
                    FieldError("significantDefect", .needsSignificantDefect)
                ])
            #expect(errors(.serviceDefect, [.remedy: "refund", .significantDefect: "on"]).isEmpty)
        }

        @Test func thePenaltyOfTheWorkedCheckThroughTheForm() throws {
            let claim = try check(.penaltyDelay)
            #expect(claim.termEnd == day("2026-02-09"))
            #expect(claim.penalty?.from == day("2026-02-10"))
            #expect(claim.penalty?.days == 10)
            #expect(claim.penalty?.totalKopecks == 400_000)
            #expect(claim.notes.contains("Неустойка на 19.02.2026 — 4\u{00A0}000,00\u{00A0}₽."))
        }

        @Test func aPenaltyClaimNeedsAnOverdueTerm() {
            #expect(errors(.penaltyDelay, [.claimDate: "2026-02-09"]) == [FieldError("demandDate", .notYetOverdue)])
            let explanation = ClaimForm.explanations(
                input(.penaltyDelay, [.claimDate: "2026-02-09"]), type: .penaltyDelay, today: today)
            #expect(explanation["demandDate"]?.contains("10.02.2026") == true)
            #expect(errors(.penaltyDelay, [.demandDate: ""]) == [FieldError("demandDate", .required)])
            #expect(errors(.penaltyDelay, [.demandKind: "delivery"]) == [FieldError("demandKind", .invalidValue)])
            #expect(errors(.penaltyDelay, [.demandKind: "repair"]) == [FieldError("agreedTerm", .required)])
        }

        @Test func prepaymentAndServicePenaltiesRunFromTheContractTerm() throws {
            // Prepaid 50 000 ₽ on 20 January for delivery within 10 days: due by 30 January; 31 Jan–19 Feb is 20 days.
            let prepaid = try check(
                .penaltyDelay,
                [
                    .penaltyBase: "prepayment", .demandKind: "delivery", .agreedTerm: "10", .demandDate: "",
                    .price: "50000",
                ])
            #expect(prepaid.termEnd == day("2026-01-30"))
            #expect(prepaid.penalty?.days == 20)
            #expect(prepaid.penalty?.totalKopecks == 500_000, "0.5 % × 50 000 ₽ × 20 days = 5 000 ₽")
            // A 10 000 ₽ service due in 5 days, 25 January: 25 days late × 3 % = 75 % of the price.
            let service = try check(
                .penaltyDelay,
                [
                    .penaltyBase: "service", .demandKind: "service-term", .agreedTerm: "5", .price: "10000",
                ])
            #expect(service.penalty?.totalKopecks == 750_000)
            let capped = try check(
                .penaltyDelay,
                [
                    .penaltyBase: "service", .demandKind: "service-term", .agreedTerm: "5", .price: "10000",
                    .claimDate: "2026-03-31",
                ])
            #expect(capped.penalty?.totalKopecks == 1_000_000)
            #expect(capped.penalty?.capped == true)
        }

        @Test func aRepeatedDemandCarriesItsPenalty() throws {
            // Refund demanded on 2 March, 10 days → 12 March; claimed again on 20 March: 8 days × 400 ₽.
            let claim = try check(
                .defectiveRefund, [.defectFoundDate: "2026-03-02", .demandDate: "2026-03-02", .claimDate: "2026-03-20"])
            #expect(claim.penalty?.totalKopecks == 320_000)
            let running = try check(.defectiveRefund, [.defectFoundDate: "2026-03-02", .demandDate: "2026-03-02"])
            #expect(running.penalty == nil)
            #expect(running.termEnd == day("2026-03-12"))
        }
    }

    @Suite("Documents")
    struct Documents {
        /// The articles each template must cite.
        static let articles: [ClaimType: [String]] = [
            .defectiveRefund: ["ст. 18", "ст. 22"], .defectiveReplacement: ["ст. 18", "ст. 21"],
            .defectiveRepair: ["ст. 18", "ст. 20"], .return14Days: ["ст. 25"], .serviceDefect: ["ст. 29", "ст. 31"],
            .distanceRefund: ["ст. 26.1"], .penaltyDelay: ["ст. 23"],
        ]

        @Test(arguments: ClaimType.allCases)
        func everyTemplateCitesItsArticles(type: ClaimType) throws {
            let document = try check(type).document
            let text = document.plainText
            for article in Self.articles[type]! {
                #expect(document.citations.contains { $0.article.hasSuffix(article) }, "\(type): \(article)")
                #expect(text.contains(article + " Закона РФ от 07.02.1992 № 2300-1 «О защите прав потребителей»"))
            }
            #expect(text.contains("ООО «Ромашка»"))
            #expect(text.contains("ИНН 7707083893, ОГРН 1027700132195"))
            #expect(text.contains("ПРЕТЕНЗИЯ"))
            #expect(text.contains("ТРЕБУЮ:\n1. "))
            #expect(text.contains("п. 6 ст. 13"))
            #expect(text.contains("ст. 15"))
            #expect(text.contains("ст. 17"))
            #expect(text.contains("____________ / Иванов И. И."))
            #expect(text.contains("Телефон: +7 917 123-45-67"))
            #expect(!document.demands.isEmpty && !document.facts.isEmpty && !document.subtitle.isEmpty)
        }

        @Test func aRefundDocumentSaysWhatWasBoughtAndWhatIsDemanded() throws {
            let document = try check(.defectiveRefund).document
            #expect(document.addressee.first == "Кому: ООО «Ромашка»")
            #expect(document.sender.first == "От: Иванов Иван Иванович")
            #expect(
                document.facts[0]
                    == "01.03.2026 у продавца приобретён товар: смартфон Vertex X1, стоимостью 40\u{00A0}000,00\u{00A0}₽."
            )
            #expect(document.facts.contains("Оплата подтверждается документом: кассовый чек № 123 от 01.03.2026."))
            #expect(
                document.facts.contains { $0.hasPrefix("04.03.2026 в товаре обнаружен недостаток: не включается.") })
            #expect(
                document.numberedDemands[0]
                    == "1. Принять отказ от исполнения договора купли-продажи и вернуть уплаченную за товар сумму 40\u{00A0}000,00\u{00A0}₽ в течение 10 дней со дня предъявления настоящей претензии (ст. 22 Закона)."
            )
            #expect(document.warning[0].contains("1 % цены товара"))
            #expect(
                document.numberedAttachments == ["1. Копия документа об оплате (кассовый чек № 123 от 01.03.2026)."])
            #expect(document.date == day("2026-03-05"))
            #expect(document.plainText.contains("05.03.2026\n____________ / Иванов И. И."))
        }

        @Test func thePenaltyDocumentStatesTheWorkedCheck() throws {
            let document = try check(.penaltyDelay).document
            let text = document.plainText
            #expect(text.contains("02.02.2026 продавцу предъявлено требование о замене товара."))
            #expect(text.contains("истёк 09.02.2026"))
            #expect(document.demands[0] == "Незамедлительно удовлетворить требование о замене товара от 02.02.2026.")
            #expect(
                document.demands[1]
                    == "Выплатить в течение 10 дней со дня предъявления настоящей претензии неустойку за период с 10.02.2026 по 19.02.2026 (10 дней) в размере 4\u{00A0}000,00\u{00A0}₽ из расчёта 1 % цены товара (400,00\u{00A0}₽) за каждый день просрочки (п. 1 ст. 23 Закона)."
            )
            #expect(document.demands[2].contains("начиная с 20.02.2026 по день фактического удовлетворения требования"))
        }

        @Test func aCappedPenaltyStopsAccruing() throws {
            let document = try check(
                .penaltyDelay,
                [
                    .penaltyBase: "service", .demandKind: "service-term", .agreedTerm: "5", .price: "10000",
                    .claimDate: "2026-03-31",
                ]
            ).document
            #expect(document.demands.count == 2)
            #expect(document.demands[1].contains("в размере 10\u{00A0}000,00\u{00A0}₽"))
            #expect(document.demands[1].contains("за каждый день просрочки, но не более цены работы (услуги)"))
            #expect(document.citations.map(\.article) == ["п. 1 ст. 28", "п. 5 ст. 28"])
        }

        @Test func bankDetailsOnlyWhereMoneyIsDemanded() throws {
            let details: [ClaimField: String] = [.bankDetails: "р/с 40817810000000000001, ПАО Сбербанк"]
            #expect(try check(.defectiveRefund, details).document.payment?.contains("40817810000000000001") == true)
            #expect(try check(.defectiveRepair, details).document.payment == nil, "a free repair pays nothing")
            #expect(try check(.penaltyDelay, details).document.payment != nil, "the penalty is money")
        }

        @Test func aReturnNotesTheGovernmentsListOfNonReturnableGoods() throws {
            #expect(try check(.return14Days).notes.contains { $0.contains("№ 2463") })
        }

        @Test func russianPluralsOfDays() {
            #expect(ClaimTexts.daysWord(1) == "день")
            #expect(ClaimTexts.daysWord(3) == "дня")
            #expect(ClaimTexts.daysWord(10) == "дней")
            #expect(ClaimTexts.daysWord(11) == "дней")
            #expect(ClaimTexts.daysWord(21) == "день")
            #expect(ClaimTexts.daysWord(45) == "дней")
        }
    }

    @Suite("DOCX")
    struct Docx {
        static func part(_ files: [(path: String, data: Data)], _ path: String) -> String? {
            files.first { $0.path == path }.map { String(decoding: $0.data, as: UTF8.self) }
        }

        static func isWellFormed(_ xml: String) -> Bool {
            let parser = XMLParser(data: Data(xml.utf8))
            parser.shouldProcessNamespaces = true
            return parser.parse()
        }

        @Test func producesTheMinimalPackage() throws {
            let files = DocxPackage.files(for: try check(.defectiveRefund).document)
            #expect(
                files.map(\.path) == [
                    "[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/styles.xml",
                    "word/_rels/document.xml.rels", "docProps/core.xml",
                ])
            for file in files {
                #expect(Self.isWellFormed(String(decoding: file.data, as: UTF8.self)), "\(file.path)")
            }
            let core = try #require(Self.part(files, "docProps/core.xml"))
            #expect(core.contains("<dc:creator>ConsumerDesk</dc:creator>"))
            #expect(
                core.contains(#"<dcterms:created xsi:type="dcterms:W3CDTF">2026-03-05T00:00:00Z</dcterms:created>"#))
            let styles = try #require(Self.part(files, "word/styles.xml"))
            #expect(styles.contains(#"w:ascii="Times New Roman""#))
            #expect(styles.contains(#"w:styleId="Title""#))
            #expect(Self.part(files, "word/_rels/document.xml.rels")?.contains("styles.xml") == true)
        }

        @Test func theDocumentCarriesTheSellerTheAmountAndTheArticles() throws {
            let document = try check(.defectiveRefund).document
            let xml = try #require(Self.part(DocxPackage.files(for: document), "word/document.xml"))
            #expect(Self.isWellFormed(xml))
            #expect(xml.contains("ООО «Ромашка»"))
            #expect(xml.contains("40\u{00A0}000,00\u{00A0}₽"))
            #expect(xml.contains("ст. 18 Закона РФ от 07.02.1992 № 2300-1"))
            #expect(xml.contains("ст. 22 Закона РФ"))
            #expect(xml.contains(#"<w:jc w:val="right"/>"#), "the addressee block")
            #expect(xml.contains(#"<w:pStyle w:val="Title"/>"#))
            #expect(xml.contains(#"<w:jc w:val="both"/>"#), "justified paragraphs")
            #expect(xml.contains("1. Принять отказ"))
        }

        @Test func escapesMarkupAndDropsControlCharacters() throws {
            let hostile = "<script>alert(\"x\") & 'y'</script>\u{0001}\u{0008}\u{FFFF} ок"
            let document = try check(
                .defectiveRefund, [.item: hostile, .sellerName: "ООО \"Б&К\" <Ltd>", .facts: "строка 1\nстрока\t2"]
            ).document
            let files = DocxPackage.files(for: document)
            for file in files {
                #expect(Self.isWellFormed(String(decoding: file.data, as: UTF8.self)), "\(file.path)")
            }
            let xml = try #require(Self.part(files, "word/document.xml"))
            #expect(!xml.contains("<script>"))
            #expect(xml.contains("&lt;script&gt;alert(&quot;x&quot;) &amp; &apos;y&apos;&lt;/script&gt;"))
            #expect(xml.contains("ООО &quot;Б&amp;К&quot; &lt;Ltd&gt;"))
            #expect(!xml.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
            #expect(!xml.contains("\u{FFFF}"))
            #expect(xml.contains("строка 1"))
            #expect(xml.contains("строка</w:t><w:tab/><w:t xml:space=\"preserve\">2"))
            // The claim's own title goes through the same escaping into the core properties.
            let hostileNames = DocxPackage.coreProperties(title: "a<b & \"c\"", created: "2026-03-05T00:00:00Z")
            #expect(Self.isWellFormed(hostileNames))
            #expect(XMLText.escape("<&>\"'") == "&lt;&amp;&gt;&quot;&apos;")
        }

        @Test func lineBreaksAndTabsBecomeWordMarkup() {
            #expect(
                DocxPackage.runs("a\nb\tc")
                    == #"<w:r><w:t xml:space="preserve">a</w:t><w:br/><w:t xml:space="preserve">b</w:t><w:tab/><w:t xml:space="preserve">c</w:t></w:r>"#
            )
            #expect(DocxPackage.runs("") == "")
        }
    }
}
