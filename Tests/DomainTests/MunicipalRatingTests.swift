import Foundation
import Testing

@testable import Domain

@Suite("Municipal rating")
struct MunicipalRatingTests {
    let v = UUID(), z = UUID(), g = UUID(), empty = UUID()

    /// The figures of the app test's fixture (see MunicipalRatingPageTests), worked by hand:
    /// reach V 0.3 Z 0.4 G — → V 0 Z 1 G 0; on time V ½ Z 1 → V 0 Z 1; satisfaction 4 and 4 → both 1;
    /// favour V ½ Z 1 G 1 → V 0 Z 1 G 1; money V 3333.33 Z 1500 G 500 ₽ → V 1 Z 1000/2833.33 G 0;
    /// events V 0 Z 1 G 0. Weighted 1-2-2-2-1-1 (9): V 3/9 → 33.33; Z (1+2+2+2+0.3529+1)/9 → 92.81;
    /// G 2/9 → 22.22.
    var fixture: [(id: UUID, name: String, figures: MunicipalRating.Figures)] {
        [
            (v, "Волгоград", .init(population: 100_000, contacts: 3, answered: 2, answeredOnTime: 1, ratingSum: 8, ratings: 2, favourable: 1, settled: 2, money: 1_000_000)),
            (z, "Волжский", .init(population: 50_000, contacts: 2, answered: 2, answeredOnTime: 2, ratingSum: 8, ratings: 2, favourable: 2, settled: 2, money: 300_000, events: 1)),
            (g, "Городище", .init(population: nil, contacts: 1, favourable: 1, settled: 1, money: 50_000)),
            (empty, "Без данных", .init(population: 10_000)),
        ]
    }

    @Test func ranksMatchTheHandCount() {
        let rows = MunicipalRating.rank(fixture, weights: .standard)
        #expect(rows.map(\.name) == ["Волжский", "Волгоград", "Городище", "Без данных"])
        #expect(rows.map(\.score) == [92.81, 33.33, 22.22, nil])
        #expect(rows.map(\.rank) == [1, 2, 3, nil])
        #expect(rows[0].values[.money] == 1500)
        #expect(rows[2].values[.reach] == .some(nil), "no population: no data for the reach")
        #expect(rows.allSatisfy { $0.change == nil }, "no previous period given")
    }

    @Test func theChangeComparesWithThePreviousPeriodsRanks() {
        let previous: [UUID: MunicipalRating.Figures] = [
            g: .init(contacts: 1, answered: 1, answeredOnTime: 1, ratingSum: 5, ratings: 1, favourable: 1, settled: 1),
            v: .init(contacts: 1, answered: 1, answeredOnTime: 0),
        ]
        let rows = MunicipalRating.rank(fixture, weights: .standard, previous: previous)
        let change = Dictionary(uniqueKeysWithValues: rows.map { ($0.name, $0.change) })
        #expect(change["Городище"] == .some(-2), "first before, third now")
        #expect(change["Волгоград"] == .some(0), "second before and now")
        #expect(change["Волжский"] == .some(nil), "no rank before")
    }

    @Test func equalScoresShareARankAndOtherWeightsReorder() {
        let twins: [(id: UUID, name: String, figures: MunicipalRating.Figures)] = [
            (v, "Б", .init(contacts: 1, answered: 1, answeredOnTime: 1)), (z, "А", .init(contacts: 2, answered: 2, answeredOnTime: 2)),
            (g, "В", .init(contacts: 1, answered: 1, answeredOnTime: 0)),
        ]
        let rows = MunicipalRating.rank(twins, weights: MunicipalRating.Weights([.onTime: 1]))
        #expect(rows.map(\.rank) == [1, 1, 3] && rows.map(\.name) == ["А", "Б", "В"])
        // Only the events count: Волжский alone held one.
        let events = MunicipalRating.rank(fixture, weights: MunicipalRating.Weights([.events: 1]))
        #expect(events.map(\.rank) == [1, 2, 2, nil] && events.first?.name == "Волжский")
    }

    /// 3 333,33 ₽ from one contact and 16 666,65 ₽ from five are the same money per contact.
    @Test func theSameFigureReachedTwoWaysIsEqual() {
        let rows = MunicipalRating.rank(
            [(v, "А", .init(contacts: 1, money: 333_333)), (z, "Б", .init(contacts: 5, money: 1_666_665))],
            weights: MunicipalRating.Weights([.money: 1]))
        #expect(rows.map(\.rank) == [1, 1])
    }

    @Test func badWeightsAndPopulationsAreNamed() {
        func codes(_ raw: [MunicipalRating.Indicator: String]) -> [String: FieldErrorCode] {
            do {
                _ = try MunicipalRating.Weights.validate(raw)
                return [:]
            } catch {
                return Dictionary(error.errors.map { ($0.field, $0.code) }, uniquingKeysWith: { a, _ in a })
            }
        }
        let zeros = Dictionary(uniqueKeysWithValues: MunicipalRating.Indicator.allCases.map { ($0, "0") })
        #expect(codes(zeros) == ["weights": .allWeightsZero])
        var negative = zeros
        negative[.onTime] = "-1"
        negative[.money] = "abc"
        #expect(codes(negative) == ["weight-on_time": .invalidWeight, "weight-money": .invalidWeight])
        var fine = zeros
        fine[.favour] = "2,5"
        #expect(codes(fine) == [:])
        #expect((try? MunicipalRating.Weights.validate(fine))?[.favour] == 2.5)
        #expect((try? MunicipalRating.population("1 018 000", field: "p")) == .some(1_018_000))
        #expect((try? MunicipalRating.population("", field: "p")) == .some(nil))
        #expect((try? MunicipalRating.population("-5", field: "p")) == nil)
        #expect((try? MunicipalRating.population("много", field: "p")) == nil)
    }
}
