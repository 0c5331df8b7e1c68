import Domain
import Fluent
import Vapor

/// Reference data every installation needs: the nine spheres and the region's territories.
/// Loading is idempotent: rows are matched by code, so a restart adds only what is missing.
enum ReferenceData {
    static let spheres: [(SphereCode, String)] = [
        (.trade, "Торговля"),
        (.catering, "Общественное питание"),
        (.householdServices, "Бытовое обслуживание населения"),
        (.housing, "Жилищно-коммунальные услуги"),
        (.communications, "Услуги связи"),
        (.transport, "Транспортные услуги"),
        (.financialServices, "Финансовые услуги"),
        (.medicalServices, "Медицинские услуги"),
        (.tourism, "Туристические услуги"),
    ]

    /// The demo region, Волгоградская область, with a handful of its municipalities.
    static let region = (code: "vlg", name: "Волгоградская область")
    static let territories: [(code: String, name: String, kind: TerritoryKind)] = [
        ("vlg-volgograd", "Город-герой Волгоград", .urbanOkrug),
        ("vlg-volzhsky", "Город Волжский", .urbanOkrug),
        ("vlg-kamyshin", "Город Камышин", .urbanOkrug),
        ("vlg-mikhaylovka", "Город Михайловка", .urbanOkrug),
        ("vlg-gorodishchensky", "Городищенский муниципальный район", .municipalDistrict),
        ("vlg-sredneakhtubinsky", "Среднеахтубинский муниципальный район", .municipalDistrict),
        ("vlg-leninsky", "Ленинский муниципальный район", .municipalDistrict),
        ("vlg-bykovsky", "Быковский муниципальный район", .municipalDistrict),
        ("vlg-kamyshinsky", "Камышинский муниципальный район", .municipalDistrict),
    ]

    /// Approximate centres (latitude, longitude) of the demo territories: a point reported over Open311 is
    /// placed in the territory with the nearest centre.
    static let centres: [String: (latitude: Double, longitude: Double)] = [
        "vlg": (49.60, 44.20),
        "vlg-volgograd": (48.708, 44.513),
        "vlg-volzhsky": (48.786, 44.752),
        "vlg-kamyshin": (50.083, 45.407),
        "vlg-mikhaylovka": (50.061, 43.238),
        "vlg-gorodishchensky": (48.85, 44.30),
        "vlg-sredneakhtubinsky": (48.63, 44.98),
        "vlg-leninsky": (48.69, 45.20),
        "vlg-bykovsky": (49.63, 45.37),
        "vlg-kamyshinsky": (50.30, 45.05),
    ]

    static func load(on db: any Database) async throws {
        try await db.transaction { db in
            let existingSpheres = Set(try await Sphere.query(on: db).all().map(\.code))
            for (position, (code, name)) in spheres.enumerated() where !existingSpheres.contains(code.rawValue) {
                try await Sphere(code: code.rawValue, name: name, position: position + 1).create(on: db)
            }
            let existingTerritories = try await Territory.query(on: db).all()
            var byCode = Dictionary(uniqueKeysWithValues: existingTerritories.map { ($0.code, $0) })
            if byCode[region.code] == nil {
                let territory = Territory(code: region.code, name: region.name, kind: .region, parentID: nil)
                territory.latitude = centres[region.code]?.latitude
                territory.longitude = centres[region.code]?.longitude
                try await territory.create(on: db)
                byCode[region.code] = territory
            }
            let regionID = try byCode[region.code]!.requireID()
            for item in territories where byCode[item.code] == nil {
                let territory = Territory(code: item.code, name: item.name, kind: item.kind, parentID: regionID)
                territory.latitude = centres[item.code]?.latitude
                territory.longitude = centres[item.code]?.longitude
                try await territory.create(on: db)
            }
        }
    }
}
