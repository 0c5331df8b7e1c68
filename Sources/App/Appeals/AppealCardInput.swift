import Crypto
import Domain
import Foundation
import Vapor

/// The appeal card as both the API (JSON) and the portal form (URL-encoded) send it.
struct AppealCardInput: Content {
    /// JSON sends `true`/`false`; a ticked checkbox sends its value ("1"), an unticked one nothing.
    struct Flag: Codable {
        var value: Bool

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let bool = try? container.decode(Bool.self) {
                value = bool
            } else {
                value = !(try container.decode(String.self)).isEmpty
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(value)
        }
    }

    var subcategoryCode: String?
    var territoryId: String?
    var text: String?
    var surname: String?
    var name: String?
    var patronymic: String?
    var birthDate: String?
    var sex: String?
    var phone: String?
    var email: String?
    var locality: String?
    var conflictName: String?
    var conflictInn: String?
    var conflictAddress: String?
    var subject: String?
    var actionsTaken: String?
    var desiredResult: String?
    var problemAddress: String?
    var answers: [String: String]?
    var consent: Flag?
    var channel: String?
    /// Multipart `attachments[]` parts (the form's file input, or an app's upload).
    var attachments: [File]?
    /// The link token of a claim composed on the portal, attached as its DOCX (the portal form only).
    var claim: String?
    /// The consultation this appeal is made from (an operator's «В обращение»).
    var chat: String?

    /// Files actually chosen: an empty file input still sends one nameless, empty part.
    var files: [AppealService.IncomingFile] {
        (attachments ?? []).filter { !($0.filename.isEmpty && $0.data.readableBytes == 0) }
            .map { AppealService.IncomingFile(fileName: $0.filename, data: $0.data) }
    }

    /// What was asked, for Idempotency-Key replays: independent of key order and whitespace, so a
    /// client that re-serialises the same request on retry still matches; files count by content.
    var fingerprint: String {
        var card = self
        card.attachments = nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = (try? encoder.encode(card)) ?? Data()
        for file in files { data.append(contentsOf: Array(SHA256.hash(data: file.data.readableBytesView).hex.utf8)) }
        return SHA256.hash(data: data).hex
    }

    var parsedBirthDate: Date? { birthDate?.nonBlank.flatMap(ISODate.parse) }
    var parsedTerritoryID: UUID? { territoryId?.nonBlank.flatMap(UUID.init(uuidString:)) }

    /// The draft for intake; applicant fields left out are taken from `defaults` (the citizen's account).
    func draft(defaults: User?) -> AppealDraft {
        AppealDraft(
            subcategoryCode: subcategoryCode, surname: surname ?? defaults?.surname, name: name ?? defaults?.name,
            patronymic: patronymic ?? defaults?.patronymic, birthDate: parsedBirthDate, sex: sex,
            phone: phone ?? defaults?.phone, email: email ?? defaults?.email, locality: locality,
            conflictName: conflictName, conflictINN: conflictInn, conflictAddress: conflictAddress, subject: subject,
            actionsTaken: actionsTaken, desiredResult: desiredResult, text: text, problemAddress: problemAddress,
            territoryID: parsedTerritoryID, answers: answers ?? [:], consent: consent?.value ?? false)
    }
}
