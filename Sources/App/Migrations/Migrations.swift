import Fluent
import SQLKit
import Vapor

/// The one place migrations are registered, in order. A landed migration is never edited:
/// a change is always a new file with the next number.
enum Migrations {
    static func register(on app: Application) {
        app.migrations.add(M0001CreateTerritoriesAndSpheres())
        app.migrations.add(M0002CreateOrganisations())
        app.migrations.add(M0003CreateUsersAndRoles())
        app.migrations.add(M0004CreateSessions())
        app.migrations.add(M0005CreateAPITokens())
        app.migrations.add(M0006CreateEmailConfirmations())
        app.migrations.add(M0007CreateSignInFailures())
        app.migrations.add(M0008CreateMailOutbox())
        app.migrations.add(M0009UniquePlatformGrants())
        app.migrations.add(M0010CreateClassifier())
        app.migrations.add(M0011CreateRoutingRules())
        app.migrations.add(M0012CreateAppeals())
        app.migrations.add(M0013CreateAppealAttachments())
        app.migrations.add(M0014AppealProcessing())
        app.migrations.add(M0015CreateSearchIndex())
        app.migrations.add(M0016CreateKnowledgeBase())
        app.migrations.add(M0017SearchFTSKeys())
        app.migrations.add(M0018CreateClaimDrafts())
        app.migrations.add(M0019CreateBotTraining())
        app.migrations.add(M0020CreateChat())
        app.migrations.add(M0021CreateBotMenu())
        app.migrations.add(M0022CreateStatistics())
        app.migrations.add(M0023CreateReportArchive())
        app.migrations.add(M0024StatisticsChangeRows())
        app.migrations.add(M0025StatisticsDays())
        app.migrations.add(M0026CreatePartnerApps())
        app.migrations.add(M0027CreateWidgetSites())
        app.migrations.add(M0028CreateWebhooks())
        app.migrations.add(M0029CreateExternalSignIn())
        app.migrations.add(M0030CreateExternalSignUps())
        app.migrations.add(M0031CreateNews())
        app.migrations.add(M0032CreateEvents())
        app.migrations.add(M0033CreateMunicipalRating())
        app.migrations.add(M0034CreateIdempotentRequests())
        app.migrations.add(M0035CreatePersonalDataReads())
    }
}

extension Error {
    /// A constraint refused the write: usually a unique index and a race with another request that the
    /// checks before it lost. Callers re-check the clash before blaming the input.
    var isUniqueViolation: Bool {
        (self as? any DatabaseError)?.isConstraintFailure ?? false
    }
}

extension Database {
    /// Fluent's schema builder cannot create plain (non-unique) indexes; SQLKit can, on both engines.
    func createIndex(_ name: String, on table: String, columns: [String]) async throws {
        guard let sql = self as? any SQLDatabase else { return }
        var builder = sql.create(index: name).on(table)
        for column in columns { builder = builder.column(column) }
        try await builder.run()
    }
}
