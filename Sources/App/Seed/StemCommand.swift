import Domain
import Foundation
import Vapor

/// `consumerdesk stem`: reads words, one per line, and prints their Russian stems — the search's own
/// stemmer, for checking it against the reference implementation and for looking at what it does.
struct StemCommand: AsyncCommand {
    struct Signature: CommandSignature {}

    var help: String { "Prints the Russian stem of each word read from standard input (one per line)" }

    func run(using context: CommandContext, signature: Signature) async throws {
        var output = ""
        while let line = readLine(strippingNewline: true) {
            output += RussianStemmer.stem(line.lowercased())
            output += "\n"
            if output.utf8.count > 1 << 16 {
                FileHandle.standardOutput.write(Data(output.utf8))
                output = ""
            }
        }
        FileHandle.standardOutput.write(Data(output.utf8))
    }
}
