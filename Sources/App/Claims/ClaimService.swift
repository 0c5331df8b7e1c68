import Domain
import Fluent
import Foundation
import NIOCore
import Vapor

/// A composed claim, kept behind its link (`/claims/d/<token>`).
/// Fluent models are reference types that the framework mutates; they never cross tasks here.
final class ClaimDraft: Model, @unchecked Sendable {
    static let schema = "claim_drafts"

    @ID(key: .id) var id: UUID?
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "type") var type: String
    @Field(key: "input") var inputJSON: String
    @OptionalField(key: "owner_id") var ownerID: UUID?
    @Field(key: "created_at") var createdAt: Date

    init() {}

    var input: ClaimInput {
        (try? JSONDecoder().decode(ClaimInput.self, from: Data(inputJSON.utf8))) ?? ClaimInput()
    }
}

/// Composing claims: the law's checks (Domain `ClaimForm`), keeping the result behind a link, and the
/// document as DOCX. The document is made again from the stored form each time, so a fix in the
/// wording reaches every claim not yet downloaded.
enum ClaimService {
    static let keepDays = 30

    struct Composed {
        var claim: Claim
        var token: String
    }

    /// The region's date: a claim is dated and checked by the day where the consumer lives.
    static func today(_ request: Request) -> LocalDate {
        request.application.productionCalendar.localDate(of: request.now)
    }

    /// Checks the form and, when the law is satisfied, stores it and returns the link's token.
    static func compose(_ raw: ClaimInput, type: ClaimType, owner: UUID?, on request: Request) async throws -> Composed {
        // Only what this template asks for is kept: the API could send every field, and it is personal data.
        var input = ClaimInput()
        for field in type.fields { input[field] = raw[field].map { String($0.prefix(5000)) } }
        let claim = try ClaimForm.check(input, type: type, today: today(request), calendar: request.application.productionCalendar)
        let token = Secrets.randomToken()
        let draft = ClaimDraft()
        draft.tokenHash = Secrets.hash(token)
        draft.type = type.rawValue
        draft.inputJSON = String(decoding: try JSONEncoder().encode(input), as: UTF8.self)
        draft.ownerID = owner
        draft.createdAt = request.now
        try await draft.create(on: request.db)
        return Composed(claim: claim, token: token)
    }

    /// The stored claim behind a link, checked again as of the day it was composed.
    static func find(token: String, on request: Request) async throws -> (draft: ClaimDraft, claim: Claim)? {
        guard token.count >= 20, token.count <= 100,
            let draft = try await ClaimDraft.query(on: request.db).filter(\.$tokenHash == Secrets.hash(token)).first(),
            let type = ClaimType(rawValue: draft.type)
        else { return nil }
        let composedOn = request.application.productionCalendar.localDate(of: draft.createdAt)
        guard let claim = try? ClaimForm.check(draft.input, type: type, today: composedOn, calendar: request.application.productionCalendar)
        else { return nil }
        return (draft, claim)
    }

    /// The Office Open XML package, zipped (deflate) in memory.
    static func docx(_ document: ClaimDocument, created: Date) throws -> Data {
        try ZipPackage.data(DocxPackage.files(for: document, created: created), created: created)
    }

    /// The claim as an appeal attachment (a file the portal made, so its kind is known).
    static func attachment(_ claim: Claim, created: Date) throws -> AppealService.IncomingFile {
        let document = claim.document
        return AppealService.IncomingFile(
            fileName: DocxPackage.suggestedFileName(for: document), data: ByteBuffer(data: try docx(document, created: created)),
            madeHere: .docx)
    }

    static func removeOld(on db: any Database, now: Date) async throws {
        try await ClaimDraft.query(on: db).filter(\.$createdAt < now.addingTimeInterval(-Double(keepDays) * 24 * 3600)).delete()
    }
}
