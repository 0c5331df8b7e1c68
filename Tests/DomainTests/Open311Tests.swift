import Foundation
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

@testable import Domain

@Suite("Open311 rules")
struct Open311RuleTests {
    @Test func parametersDecodeAsFormsDoAndEmptyMeansAbsent() {
        let parameters = Open311.Parameters(
            "service_code=trade&description=%D0%A7%D0%B0%D0%B9%D0%BD%D0%B8%D0%BA+%D1%81%D0%BB%D0%BE%D0%BC%D0%B0%D0%BD"
                + "&lat=&attribute%5BpurchaseDate%5D=2026-11-01&attribute[claimFiled]=%D0%B4%D0%B0&jurisdiction_id=+")
        #expect(parameters["service_code"] == "trade")
        #expect(parameters["description"] == "Чайник сломан")
        #expect(parameters["lat"] == nil && parameters["jurisdiction_id"] == nil)
        #expect(parameters.attributes == ["purchaseDate": "2026-11-01", "claimFiled": "да"])
        #expect(!parameters.malformed)
        #expect(Open311.Parameters("a=%ZZ").malformed)
    }

    @Test func formatsStatusesAndTimes() {
        #expect(Open311.Format.split("services.xml")! == ("services", .xml))
        #expect(Open311.Format.split("34-2026-000001.JSON")! == ("34-2026-000001", .json))
        #expect(Open311.Format.split("services.csv") == nil && Open311.Format.split("services") == nil)
        #expect(Open311.status(.moderation) == "open" && Open311.status(.postponed) == "open")
        #expect(Open311.status(.answered) == "closed" && Open311.status(.rejected) == "closed")
        #expect(Set(Open311.statuses("closed")!) == [.answered, .closed, .rejected])
        #expect(Open311.statuses("pending") == nil)
        let moment = Date(timeIntervalSince1970: 1_795_430_000)
        #expect(Open311.datetime(moment, in: TimeZone(identifier: "Europe/Volgograd")!) == "2026-11-23T13:33:20+03:00")
        #expect(Open311.parseDatetime("2026-11-23T10:33:20Z") == moment)
        #expect(Open311.parseDatetime("2026-11-23T13:33:20.000+03:00") == moment)
        #expect(Open311.parseDatetime("2026-11-23") == nil)
    }

    @Test func pointsAndAddressesArePlacedInTerritories() {
        let city = UUID(), town = UUID(), district = UUID()
        let centres = [
            Open311.Centre(id: city, latitude: 48.708, longitude: 44.513), Open311.Centre(id: town, latitude: 50.083, longitude: 45.407),
        ]
        #expect(Open311.nearest(latitude: 48.75, longitude: 44.6, among: centres) == city)
        #expect(Open311.nearest(latitude: 50.0, longitude: 45.3, among: centres) == town)
        #expect(Open311.nearest(latitude: 55.75, longitude: 37.62, among: centres) == nil)
        #expect(abs(Open311.kilometres(48.708, 44.513, 50.083, 45.407) - 166) < 3)
        let named = [(id: city, name: "Город-герой Волгоград"), (id: town, name: "Город Камышин"), (id: district, name: "Камышинский муниципальный район")]
        #expect(Open311.place(address: "г. Волгоград, пр. Ленина, 1", among: named) == city)
        #expect(Open311.place(address: "Волгограде, ул. Мира", among: named) == city)
        #expect(Open311.place(address: "город Камышин", among: named) == town)
        #expect(Open311.place(address: "Камышинский район, село Лебяжье", among: named) == district)
        #expect(Open311.place(address: "ул. Неизвестная", among: named) == nil)
    }

    @Test func documentsAreWellFormedWhateverTheText() throws {
        let request = Open311.ServiceRequest(
            id: "34-2026-000001", status: "open", serviceName: "Возврат <денег> & «прочее»", serviceCode: "trade",
            description: "строка\u{0001}с управляющим символом", requested: Date(timeIntervalSince1970: 0))
        let xml = Open311.requests([request], zone: TimeZone(identifier: "UTC")!, as: .xml).body
        #expect(xml.contains("<service_name>Возврат &lt;денег&gt; &amp; «прочее»</service_name>"))
        #expect(xml.contains("<description>строкас управляющим символом</description>"))
        #expect(xml.contains("<lat/>"))
        let parser = XMLParser(data: Data(xml.utf8))
        #expect(parser.parse())
        let json = Open311.requests([request], zone: TimeZone(identifier: "UTC")!, as: .json).body
        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        #expect(decoded.first?["requested_datetime"] as? String == "1970-01-01T00:00:00Z")
        #expect(decoded.first?["lat"] is NSNull)
        let errors = Open311.errors(Open311.Failure(400, ["a", "b"]), as: .json).body
        #expect(errors == #"[{"code":400,"description":"a"},{"code":400,"description":"b"}]"#)
    }
}
