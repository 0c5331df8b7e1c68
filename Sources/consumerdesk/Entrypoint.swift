import App
import Foundation
import Logging
import Vapor

/// `consumerdesk serve` (the default), `consumerdesk migrate`, `consumerdesk create-admin`,
/// `consumerdesk backup DIR`, `consumerdesk restore DIR`, …
/// Configuration comes only from environment variables (README «Configuration»).
@main
enum Entrypoint {
    static func main() async throws {
        var env = try Environment.detect()
        try LoggingSystem.bootstrap(from: &env)
        let app = try await Application.make(env)
        do {
            let config = try AppConfig.fromEnvironment()
            // Backup and restore work on the files without starting the application.
            if let status = await BackupTool.run(CommandLine.arguments, config: config, logger: app.logger) {
                try await app.asyncShutdown()
                exit(status)
            }
            try await configure(app, config)
            registerCommands(app)
            try await app.execute()
        } catch {
            // A failed command (bad input file, database down) ends with a message and exit status 1,
            // not a crash report.
            app.logger.error("\(String(describing: error))")
            try? await app.asyncShutdown()
            exit(1)
        }
        try await app.asyncShutdown()
    }
}
