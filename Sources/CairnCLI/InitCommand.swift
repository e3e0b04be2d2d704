import ArgumentParser
import Cairn

struct InitCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "init", abstract: "Create a new, empty repository.")

  @OptionGroup var repository: RepositoryOptions

  @Option(help: "Block size in bytes, 65536 to 16777216; files are split into blocks of this size.")
  var blockSize: Int = RepositoryConfig.defaultBlockSize

  func run() async throws {
    let path = try repository.repositoryPath()
    let created = try await Repository.initialize(at: path, options: Repository.Options(blockSize: blockSize))
    print("created repository '\(path)' (id \(created.config.id), block size \(created.config.blockSize))")
  }
}
