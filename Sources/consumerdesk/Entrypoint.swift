import App
import Logging
import Vapor

/// `consumerdesk serve` (the default), `consumerdesk migrate`, `consumerdesk create-admin`, …
/// Configuration comes only from environment variables (README «Configuration»).
@main
enum Entrypoint {
    static func main() async throws {
        var env = try Environment.detect()
        try LoggingSystem.bootstrap(from: &env)
        let app = try await Application.make(env)
        do {
            let config = try AppConfig.fromEnvironment()
            try await configure(app, config)
            registerCommands(app)
            try await app.execute()
        } catch {
            app.logger.report(error: error)
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }
}
