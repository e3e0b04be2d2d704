import Foundation
import Testing

@testable import Cairn

@Suite struct PasswordSourceTests {
  private func source(file: String? = nil, command: String? = nil, environment: [String: String] = [:])
    -> PasswordSource
  {
    var source = PasswordSource(passwordFile: file, passwordCommand: command, environment: environment)
    source.mayPrompt = false
    return source
  }

  private func writeFile(_ contents: String) throws -> String {
    let path = NSTemporaryDirectory() + "cairn-password-\(UUID().uuidString)"
    try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
    return path
  }

  @Test func fileStripsOneTrailingNewline() throws {
    for (contents, expected) in [
      ("secret\n", "secret"), ("secret", "secret"), ("secret\r\n", "secret"),
      ("two words \n\n", "two words \n"), (" spaced ", " spaced "),
    ] {
      let path = try writeFile(contents)
      defer { try? FileManager.default.removeItem(atPath: path) }
      #expect(try source(file: path).password() == expected)
    }
  }

  @Test func orderOfSources() throws {
    let path = try writeFile("from-file\n")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let environment = [
      "CAIRN_PASSWORD_FILE": path, "CAIRN_PASSWORD_COMMAND": "echo from-env-command", "CAIRN_PASSWORD": "from-env",
    ]
    #expect(try source(command: "echo explicit-command", environment: environment).password() == "explicit-command")
    #expect(try source(file: path, command: "echo x", environment: environment).password() == "from-file")
    #expect(try source(environment: environment).password() == "from-file")
    var withoutFile = environment
    withoutFile["CAIRN_PASSWORD_FILE"] = nil
    #expect(try source(environment: withoutFile).password() == "from-env-command")
    #expect(try source(environment: ["CAIRN_PASSWORD": "from-env"]).password() == "from-env")
  }

  @Test func commandFirstLineAndFailures() throws {
    #expect(try source(command: "printf 'first\\nsecond\\n'").password() == "first")
    let failed = #expect(throws: CairnError.self) { try source(command: "echo out; exit 3").password() }
    #expect(failed?.message == "password command 'echo out; exit 3' failed with exit status 3")
    let empty = #expect(throws: CairnError.self) { try source(command: "true").password() }
    #expect(empty?.message.contains("printed no password") == true)
  }

  @Test func missingOrEmptyFile() throws {
    let missing = #expect(throws: CairnError.self) { try source(file: "/nonexistent/cairn-password").password() }
    #expect(missing?.message.contains("'/nonexistent/cairn-password'") == true)
    let path = try writeFile("\n")
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(throws: CairnError.self) { try source(file: path).password() }
  }

  @Test func nothingGivenAndNoTerminal() {
    let error = #expect(throws: CairnError.self) { try source().password() }
    #expect(error?.message == "a password is needed: give --password-file, --password-command or CAIRN_PASSWORD")
  }
}
