import ArgumentParser
import Cairn
import Logging

extension OperationLog {
  /// Runs `body` between a start line and an end line carrying the exit
  /// status; a failure is logged with its message before it propagates.
  func operation<T>(_ name: String, _ metadata: Logger.Metadata = [:], _ body: () async throws -> T) async throws -> T {
    info("\(name) started", metadata)
    do {
      let value = try await body()
      info("\(name) finished", ["status": "0"])
      await flush()
      return value
    } catch let exit as ExitCode {
      info("\(name) finished", ["status": "\(exit.rawValue)"])
      await flush()
      throw exit
    } catch  where Interruption.signal != nil {
      let signal = Interruption.signal ?? 0
      Terminal.error("cairn: \(name) interrupted by \(Interruption.name(of: signal))")
      self.error("\(name) interrupted", ["signal": "\(Interruption.name(of: signal))"])
      let exit = Interruption.exitCode(for: signal)
      info("\(name) finished", ["status": "\(exit.rawValue)"])
      throw exit
    } catch {
      self.error("\(name) failed", ["error": "\(error)"])
      info("\(name) finished", ["status": "1"])
      await flush()
      throw error
    }
  }
}
