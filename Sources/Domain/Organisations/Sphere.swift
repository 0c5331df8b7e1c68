/// The nine consumer-rights spheres of the seeds (product.md §3). Spheres organise the knowledge
/// base, the classifier and an organisation's responsibilities; the codes are stable identifiers.
public enum SphereCode: String, Sendable, Codable, CaseIterable {
    case trade
    case catering
    case householdServices = "household_services"
    case housing
    case communications
    case transport
    case financialServices = "financial_services"
    case medicalServices = "medical_services"
    case tourism
}

/// Kinds of territory: the region, its municipal districts and urban okrugs, and settlements in them.
public enum TerritoryKind: String, Sendable, Codable, CaseIterable {
    case region
    case urbanOkrug = "urban_okrug"
    case municipalDistrict = "municipal_district"
    case settlement
}
