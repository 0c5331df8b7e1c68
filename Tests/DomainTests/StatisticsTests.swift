import Foundation
import Testing

@testable import Domain

@Suite("Statistics rules")
struct StatisticsRuleTests {
    let calendar = ProductionCalendar(years: [])

    func at(_ year: Int, _ month: Int, _ day: Int, _ hour: Int) -> Date {
        calendar.start(of: LocalDate(year, month, day)).addingTimeInterval(TimeInterval(hour * 3600))
    }

    @Test func companiesAreOneWhateverTheLegalFormAndQuotes() {
        #expect(StatContribution.companyKey(inn: nil, name: "ООО \"Ромашка\"") == "name:ромашка")
        #expect(StatContribution.companyKey(inn: nil, name: "Ромашка, ООО") == "name:ромашка")
        #expect(StatContribution.companyKey(inn: nil, name: "Общество с ограниченной ответственностью «Ромашка»") == "name:ромашка")
        #expect(StatContribution.companyKey(inn: nil, name: "ИП Ёлкин А. В.") == "name:елкин а в")
        #expect(StatContribution.companyKey(inn: "7707083893", name: "Сбер") == "inn:7707083893")
        // A wrong check digit is not a taxpayer number: the name decides.
        #expect(StatContribution.companyKey(inn: "7707083894", name: "ПАО Сбербанк") == "name:сбербанк")
        #expect(StatContribution.companyKey(inn: nil, name: " «ООО» ") == nil)
        #expect(StatContribution.normalisedLocality("г. Волжский") == "волжский")
        #expect(StatContribution.normalisedLocality("ВОЛЖСКИЙ Г") == "волжский")
        #expect(StatContribution.normalisedLocality("х. Ёлкин") == "елкин")
    }

    @Test func anAppealContributesOncePerDimensionOnTheRightDays() {
        let org = UUID()
        let person = UUID()
        let facts = AppealFacts(
            registeredAt: at(2026, 1, 31, 23), organisation: org, status: .closed, channel: .portal, sphere: "trade",
            categoryCode: "trade", subcategoryCode: "trade-refund-defective", territory: UUID(), locality: "г. Волжский",
            conflictINN: "7707083893", outcome: .satisfied, help: .court, moneyReturned: 10_000, answeredAt: at(2026, 2, 2, 1),
            answerDueAt: at(2026, 2, 1, 0), extended: true, postponements: 3, rating: 4, ratedAt: at(2026, 2, 3, 10),
            executor: person, assignedAt: at(2026, 2, 1, 9))
        let out = StatContribution.of(facts, calendar: calendar)
        let byDimension = Dictionary(grouping: out, by: \.key.dimension)
        #expect(Set(byDimension.keys) == Set(StatDimension.allCases))
        #expect(byDimension.values.allSatisfy { $0.count == 1 })
        let contact = out.first { $0.key.dimension == .contact }!
        #expect(contact.key.value == "appeal|trade|court|satisfied")
        #expect(contact.value == StatAmount(count: 1, amount: 10_000))
        #expect(contact.key.day == LocalDate(2026, 1, 31))
        let answer = out.first { $0.key.dimension == .answer }!
        // 26 hours after registration, after the due moment: late, on its second day.
        #expect(answer.key.value == "late|2")
        #expect(answer.value.seconds == 26 * 3600)
        #expect(answer.key.day == LocalDate(2026, 2, 2))
        #expect(out.first { $0.key.dimension == .rating }!.key.day == LocalDate(2026, 2, 3))
        #expect(out.first { $0.key.dimension == .postponed }!.value == StatAmount(count: 1, amount: 3))
        #expect(out.allSatisfy { $0.key.organisation == org })
    }

    @Test func anUnansweredAppealHasNoHelpNorMoneyYet() {
        var facts = AppealFacts(
            registeredAt: at(2026, 3, 1, 10), organisation: nil, status: .inWork, channel: .hotline, sphere: nil,
            categoryCode: "roads", subcategoryCode: "roads-potholes", territory: UUID(), outcome: .satisfied, help: .claimHelp,
            moneyReturned: 500, answerDueAt: at(2026, 3, 10, 0))
        var out = StatContribution.of(facts, calendar: calendar)
        #expect(out.first { $0.key.dimension == .contact }?.key.value == "appeal|other|-|in_work")
        #expect(out.first { $0.key.dimension == .contact }?.value.amount == 0)
        #expect(!out.keys.contains { $0.dimension == .answer })
        facts.status = .rejected
        out = StatContribution.of(facts, calendar: calendar)
        #expect(out.first { $0.key.dimension == .contact }?.key.value == "appeal|other|-|rejected")
        // Explained: no money even if some was typed.
        facts.status = .answered
        facts.outcome = .explained
        facts.answeredAt = at(2026, 3, 2, 10)
        out = StatContribution.of(facts, calendar: calendar)
        #expect(out.first { $0.key.dimension == .contact }?.key.value == "appeal|other|claim_help|explained")
        #expect(out.first { $0.key.dimension == .contact }?.value.amount == 0)
        // A redirect is its own result.
        facts.help = .redirect
        out = StatContribution.of(facts, calendar: calendar)
        #expect(out.first { $0.key.dimension == .contact }?.key.value == "appeal|other|redirect|redirected")
    }

    @Test func periodsSplitIntoWholeMonthsAndDays() throws {
        let q1 = StatPeriod.quarter(year: 2026, 1)
        #expect(q1.split.months == StatMonth(year: 2026, month: 1)...StatMonth(year: 2026, month: 3))
        #expect(q1.split.head == nil && q1.split.tail == nil)
        #expect(q1.previous == StatPeriod.quarter(year: 2025, 4))
        let odd = try StatPeriod(from: LocalDate(2026, 1, 20), to: LocalDate(2026, 4, 10))
        #expect(odd.split.months == StatMonth(year: 2026, month: 2)...StatMonth(year: 2026, month: 3))
        #expect(odd.split.head == LocalDate(2026, 1, 20)...LocalDate(2026, 1, 31))
        #expect(odd.split.tail == LocalDate(2026, 4, 1)...LocalDate(2026, 4, 10))
        #expect(odd.previous.to == LocalDate(2026, 1, 19))
        #expect(odd.previous.days == odd.days)
        let inside = try StatPeriod(from: LocalDate(2026, 2, 3), to: LocalDate(2026, 2, 27))
        #expect(inside.split.months == nil)
        #expect(inside.split.head == LocalDate(2026, 2, 3)...LocalDate(2026, 2, 27))
        // Leap February is a whole month.
        #expect(try StatPeriod(from: LocalDate(2028, 2, 1), to: LocalDate(2028, 2, 29)).isWholeMonths)
        #expect(throws: StatPeriod.Problem.endBeforeStart) { try StatPeriod(from: LocalDate(2026, 2, 3), to: LocalDate(2026, 2, 2)) }
        #expect(throws: StatPeriod.Problem.tooLong) { try StatPeriod(from: LocalDate(2020, 1, 1), to: LocalDate(2025, 1, 1)) }
        #expect(try StatPeriod(from: LocalDate(2020, 1, 1), to: LocalDate(2024, 12, 31)).days == 1827)
    }

    @Test func complianceSatisfactionHotspotsAndLoad() throws {
        var compliance = Compliance()
        for (value, count) in [("on_time|1", 5), ("on_time|3", 3), ("late|31", 2)] {
            compliance.add(answer: value, StatAmount(count: count, seconds: count * 86_400))
        }
        #expect(compliance.answered == 10)
        #expect(compliance.onTimeShare == 0.8)
        #expect(compliance.p90Days == 31)
        #expect(compliance.percentileDays(0.8) == 3)
        #expect(compliance.meanDays == 1)
        #expect(Compliance().p90Days == nil)

        var satisfaction = Satisfaction()
        for (score, count) in [("5", 2), ("1", 1), ("2", 1), ("9", 4)] { satisfaction.add(score: score, StatAmount(count: count)) }
        #expect(satisfaction.count == 4)
        #expect(satisfaction.mean == 13.0 / 4)
        #expect(satisfaction.lowShare == 0.5)

        let now: [String: StatAmount] = ["a": .init(count: 5), "b": .init(count: 5), "c": .init(count: 1), "d": .init(count: 0)]
        let before: [String: StatAmount] = ["a": .init(count: 5), "b": .init(count: 1), "e": .init(count: 7)]
        #expect(Hotspot.frequent(now, previous: before, top: 2).map(\.value) == ["a", "b"])
        #expect(Hotspot.growing(now, previous: before, top: 5).map(\.value) == ["b", "c"])
        #expect(Hotspot.growing(now, previous: before, top: 5).first?.growthShare == 4)

        let period = try StatPeriod(from: LocalDate(2026, 3, 2), to: LocalDate(2026, 3, 8))
        let load = LoadFigures.make(["p1": .init(count: 10), "p2": .init(count: 5)], period: period, calendar: calendar)
        #expect(load.workingDays == 5)
        #expect(load.people.map(\.perWorkingDay) == [2, 1])
        #expect(load.spread == 2)
    }
}

@Suite("Spreadsheets and charts")
struct SpreadsheetTests {
    @Test func columnsSheetNamesAndCSV() {
        #expect(Spreadsheet.column(0) == "A")
        #expect(Spreadsheet.column(25) == "Z")
        #expect(Spreadsheet.column(26) == "AA")
        #expect(Spreadsheet.column(701) == "ZZ")
        #expect(Spreadsheet.sheetName("Отчёт: [1/2]?") == "Отчёт 12")
        #expect(Spreadsheet.sheetName(String(repeating: "я", count: 40)).count == 31)
        let sheet = Spreadsheet.Sheet(
            name: "Лист", title: "Заголовок", subtitle: "Период", headers: ["Имя", "Число"],
            rows: [[.text("=HYPERLINK(\"x\")"), .number(1234.5, .money)], [.text("Ромашка; ООО"), .number(3, .count)]],
            total: [.text("Итого"), .number(0.875, .share)])
        let csv = Spreadsheet.csv(sheet)
        #expect(Array(csv.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let text = String(decoding: csv.dropFirst(3), as: UTF8.self)
        #expect(text == "Заголовок\r\nПериод\r\nИмя;Число\r\n\"'=HYPERLINK(\"\"x\"\")\";1234,50\r\n\"Ромашка; ООО\";3\r\nИтого;0,8750\r\n")
        let parts = Spreadsheet.xlsx([sheet], created: Date(timeIntervalSince1970: 0))
        #expect(parts.first?.path == "[Content_Types].xml")
        let xml = String(decoding: parts.first { $0.path == "xl/worksheets/sheet1.xml" }!.data, as: UTF8.self)
        #expect(xml.contains("<c r=\"B4\" s=\"4\"><v>1234.5</v></c>"))
        #expect(xml.contains("<c r=\"B6\" s=\"9\"><v>0.875</v></c>"))
        #expect(xml.contains("&quot;x&quot;"))
    }

    @Test func chartsCarryATextAlternativeAndEscapeLabels() {
        let svg = Charts.bars(
            id: "c1", title: "Сферы", description: "Торговля: 5.",
            bars: [.init(label: "<script>", value: 5, display: "5", link: "/stats/appeals?a=1&b=2")])
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"c1\""))
        #expect(svg.contains("aria-labelledby=\"c1-title c1-desc\""))
        #expect(svg.contains("<desc id=\"c1-desc\">Торговля: 5.</desc>"))
        #expect(!svg.contains("<script>"))
        #expect(svg.contains("href=\"/stats/appeals?a=1&amp;b=2\""))
        #expect(Charts.bars(id: "c2", title: "t", description: "d", bars: []).contains("Нет данных за период"))
        #expect(Charts.niceMaximum(7) == 10)
        #expect(Charts.niceMaximum(230) == 250)
        #expect(Charts.heat(0, maximum: 10) == 0)
        #expect(Charts.heat(1, maximum: 10) == 1)
        #expect(Charts.heat(10, maximum: 10) == 9)
        #expect(Charts.formatCount(1_234_567) == "1\u{202F}234\u{202F}567")
        let line = Charts.line(id: "l", title: "t", description: "d", categories: ["a", "b", "c"], values: [0.5, nil, 1])
        #expect(line.contains("<path class=\"chart-line\" d=\"M"))
        #expect(line.components(separatedBy: "<circle").count == 3)
    }
}
