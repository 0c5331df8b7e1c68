import Foundation

/// The municipal rating: the region ranks its municipalities' consumer-rights work for a period from the
/// register's own figures. Each indicator is scaled across the municipalities (the best gets 1, the
/// weakest 0), the scaled values are weighed, and the score is their weighted mean in points out of 100.
public enum MunicipalRating {
    public enum Indicator: String, Sendable, Hashable, Codable, CaseIterable {
        /// Contacts per 10,000 residents: how many people the work reaches.
        case reach
        /// Answers given within the term, of all answers given in the period.
        case onTime = "on_time"
        /// Mean of the citizens' 1–5 ratings.
        case satisfaction
        /// Disputes settled in the consumer's favour (fully or partly), of all disputes settled.
        case favour
        /// Money returned to consumers per contact, roubles.
        case money
        /// Events the municipality organised or co-organised that took place.
        case events
    }

    /// What the register holds for one municipality in a period.
    public struct Figures: Sendable, Hashable {
        public var population: Int?
        public var contacts: Int
        public var answered: Int
        public var answeredOnTime: Int
        public var ratingSum: Int
        public var ratings: Int
        /// Contacts resolved fully or partly for the consumer.
        public var favourable: Int
        /// Contacts whose dispute was settled either way (satisfied, partly, not satisfied).
        public var settled: Int
        /// Kopecks returned to consumers.
        public var money: Int
        public var events: Int

        public init(
            population: Int? = nil, contacts: Int = 0, answered: Int = 0, answeredOnTime: Int = 0, ratingSum: Int = 0, ratings: Int = 0,
            favourable: Int = 0, settled: Int = 0, money: Int = 0, events: Int = 0
        ) {
            self.population = population
            self.contacts = contacts
            self.answered = answered
            self.answeredOnTime = answeredOnTime
            self.ratingSum = ratingSum
            self.ratings = ratings
            self.favourable = favourable
            self.settled = settled
            self.money = money
            self.events = events
        }

        /// Nothing at all to judge by.
        public var isEmpty: Bool { contacts == 0 && answered == 0 && ratings == 0 && events == 0 }

        /// The indicator's value, or nil when the register has nothing to compute it from.
        public func value(_ indicator: Indicator) -> Double? {
            switch indicator {
            case .reach:
                guard let population, population > 0 else { return nil }
                return Double(contacts) * 10_000 / Double(population)
            case .onTime: return answered > 0 ? Double(answeredOnTime) / Double(answered) : nil
            case .satisfaction: return ratings > 0 ? Double(ratingSum) / Double(ratings) : nil
            case .favour: return settled > 0 ? Double(favourable) / Double(settled) : nil
            case .money: return contacts > 0 ? Double(money) / Double(contacts * 100) : nil
            case .events: return Double(events)
            }
        }
    }

    public struct Weights: Sendable, Hashable, Codable {
        public var values: [String: Double]

        public init(_ values: [Indicator: Double]) {
            self.values = Dictionary(uniqueKeysWithValues: values.map { ($0.key.rawValue, $0.value) })
        }

        public subscript(_ indicator: Indicator) -> Double { values[indicator.rawValue] ?? 0 }

        public static let standard = Weights([.reach: 1, .onTime: 2, .satisfaction: 2, .favour: 2, .money: 1, .events: 1])

        public static let maxWeight = 100.0

        /// Each weight a number from 0 to 100 (a comma is a decimal point); not all zero.
        public static func validate(_ raw: [Indicator: String]) throws(ValidationFailure) -> Weights {
            var errors = FieldErrors()
            var values: [Indicator: Double] = [:]
            for indicator in Indicator.allCases {
                let text = (raw[indicator] ?? "").trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: ".")
                guard let value = Double(text), value.isFinite, value >= 0, value <= maxWeight else {
                    errors.add("weight-\(indicator.rawValue)", .invalidWeight)
                    continue
                }
                values[indicator] = value
            }
            if values.count == Indicator.allCases.count && values.values.allSatisfy({ $0 == 0 }) {
                errors.add("weights", .allWeightsZero)
            }
            try errors.throwIfAny()
            return Weights(values)
        }
    }

    /// A municipality's population as typed: empty (unknown) or a whole number of residents.
    public static func population(_ text: String, field: String) throws(ValidationFailure) -> Int? {
        let digits = text.filter { !$0.isWhitespace && $0 != "\u{00A0}" }
        guard !digits.isEmpty else { return nil }
        guard let value = Int(digits), value >= 1, value <= 50_000_000 else {
            throw ValidationFailure([FieldError(field, .invalidPopulation)])
        }
        return value
    }

    public struct Row: Sendable, Hashable {
        public var id: UUID
        public var name: String
        public var figures: Figures
        /// The indicators' values (nil: no data for it).
        public var values: [Indicator: Double?]
        /// 0–100 points, rounded to hundredths; nil when there is no data.
        public var score: Double?
        /// 1 is the best; equal scores share a rank (1, 1, 3). nil: no data.
        public var rank: Int?
        /// Places gained since the previous period (negative: lost); nil when either period has no rank.
        public var change: Int?
    }

    /// Ranks the municipalities. Those with no data at all get no score and no rank, and are listed last.
    public static func rank(
        _ municipalities: [(id: UUID, name: String, figures: Figures)], weights: Weights, previous: [UUID: Figures]? = nil
    ) -> [Row] {
        let current = scores(municipalities.map { ($0.id, $0.figures) }, weights: weights)
        let ranks = competitionRanks(current)
        var before: [UUID: Int] = [:]
        if let previous {
            before = competitionRanks(scores(municipalities.map { ($0.id, previous[$0.id] ?? Figures()) }, weights: weights))
        }
        let rows = municipalities.map { municipality -> Row in
            let rank = ranks[municipality.id]
            return Row(
                id: municipality.id, name: municipality.name, figures: municipality.figures,
                values: Dictionary(uniqueKeysWithValues: Indicator.allCases.map { ($0, municipality.figures.value($0)) }),
                score: current[municipality.id], rank: rank,
                change: rank.flatMap { now in before[municipality.id].map { $0 - now } })
        }
        return rows.sorted { a, b in
            switch (a.rank, b.rank) {
            case let (x?, y?): return x != y ? x < y : a.name < b.name
            case (_?, nil): return true
            case (nil, _?): return false
            case (nil, nil): return a.name < b.name
            }
        }
    }

    /// Points out of 100 for every municipality with data.
    static func scores(_ figures: [(UUID, Figures)], weights: Weights) -> [UUID: Double] {
        let ranked = figures.filter { !$0.1.isEmpty }
        let total = Indicator.allCases.reduce(0) { $0 + weights[$1] }
        guard total > 0 else { return [:] }
        var points: [UUID: Double] = Dictionary(uniqueKeysWithValues: ranked.map { ($0.0, 0) })
        for indicator in Indicator.allCases where weights[indicator] > 0 {
            // Rounded to a millionth first: two ways of arriving at the same figure must not tell apart.
            let values = ranked.compactMap { entry in entry.1.value(indicator).map { (entry.0, ($0 * 1e6).rounded() / 1e6) } }
            guard let low = values.map(\.1).min(), let high = values.map(\.1).max() else { continue }
            for (id, value) in values {
                // Everyone equal: everyone has done as well as the best, unless that is nothing at all.
                let scaled = high > low ? (value - low) / (high - low) : (high > 0 ? 1 : 0)
                points[id, default: 0] += weights[indicator] * scaled
            }
        }
        return points.mapValues { ($0 / total * 100 * 100).rounded() / 100 }
    }

    static func competitionRanks(_ scores: [UUID: Double]) -> [UUID: Int] {
        var ranks: [UUID: Int] = [:]
        for (id, score) in scores { ranks[id] = 1 + scores.values.filter { $0 > score }.count }
        return ranks
    }
}
