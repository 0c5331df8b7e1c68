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

}
