import Domain
import Foundation
import Vapor

/// `/rate/:token/:score`: the links of the answer email. The page records the score as soon as it opens
/// (a script posts it; without scripts one button does), so a mail scanner that fetches links records
/// nothing; then the citizen may add a comment.
struct RatingController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("rate", ":token", ":score", use: confirm)
        routes.post("rate", ":token", use: rate)
        routes.post("rate", ":token", "comment", use: comment)
    }

    struct Page: Encodable {
        var layout: Layout
        var token: String
        var score: Int
        var number: String?
        var state: String
        var message: String?
        var errors: [String: String]
    }

    @Sendable
    func confirm(request: Request) async throws -> Response {
        let token = request.parameters.get("token") ?? ""
        guard let score = request.parameters.get("score").flatMap(Int.init), (1...5).contains(score) else { throw AppError.notFound }
        let row = try await RatingService.find(token, on: request.db)
        let state = row.score == nil ? (row.usedAt == nil ? "confirm" : "expired") : (row.comment == nil ? "rated" : "done")
        return try await request.render(
            "desk/rate",
            Page(
                layout: await Layout.make(for: request, title: "Оценка ответа"), token: token, score: row.score ?? score,
                number: row.appeal.number, state: state == "expired" ? "refused" : state,
                message: state == "expired" ? Self.expired : nil, errors: [:]))
    }

    static let expired = "Эта ссылка относится к прежнему ответу. Оценить новый ответ можно по ссылке из последнего письма."

    struct RateInput: Content {
        var score: Int?
    }

    @Sendable
    func rate(request: Request) async throws -> Response {
        let token = request.parameters.get("token") ?? ""
        let input = try request.content.decode(RateInput.self)
        let layout = await Layout.make(for: request, title: "Оценка ответа")
        do {
            let outcome = try await RatingService.rate(token: token, score: input.score, on: request)
            let (score, number) =
                switch outcome {
                case .recorded(let score, let number), .alreadyRated(let score, let number): (score, number)
                }
            return try await request.render(
                "desk/rate", Page(layout: layout, token: token, score: score, number: number, state: "rated", message: nil, errors: [:]))
        } catch let error as AppError {
            guard case .conflict = error else { throw error }
            return try await request.render(
                "desk/rate",
                Page(
                    layout: layout, token: token, score: input.score ?? 0, number: nil, state: "refused",
                    message: "Ответ уже оценён: по одной ссылке принимается одна оценка.", errors: [:]),
                status: .conflict)
        } catch is RatingService.Expired {
            return try await request.render(
                "desk/rate",
                Page(layout: layout, token: token, score: input.score ?? 0, number: nil, state: "refused", message: Self.expired, errors: [:]),
                status: .conflict)
        } catch is LifecycleRefusal {
            return try await request.render(
                "desk/rate",
                Page(
                    layout: layout, token: token, score: input.score ?? 0, number: nil, state: "refused",
                    message: "Оценить этот ответ уже нельзя: обращение рассматривается повторно.", errors: [:]),
                status: .conflict)
        }
    }

    struct CommentInput: Content {
        var comment: String?
    }

    @Sendable
    func comment(request: Request) async throws -> Response {
        let token = request.parameters.get("token") ?? ""
        let input = try request.content.decode(CommentInput.self)
        let layout = await Layout.make(for: request, title: "Оценка ответа")
        let row = try await RatingService.find(token, on: request.db)
        do {
            _ = try await RatingService.comment(token: token, text: input.comment, on: request)
            return try await request.render(
                "desk/rate",
                Page(layout: layout, token: token, score: row.score ?? 0, number: row.appeal.number, state: "done", message: nil, errors: [:]))
        } catch let failure as ValidationFailure {
            return try await request.render(
                "desk/rate",
                Page(
                    layout: layout, token: token, score: row.score ?? 0, number: row.appeal.number, state: "rated", message: nil,
                    errors: FormErrors.russian(failure)),
                status: .unprocessableEntity)
        }
    }
}
