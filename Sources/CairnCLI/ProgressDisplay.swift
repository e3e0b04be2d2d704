import Cairn
import Foundation
import Synchronization

/// A live progress line on stderr (terminal only): files and bytes done of
/// the estimated total, the current rate and the time left; then the phase
/// that follows reading, by name. CAIRN_PROGRESS_INTERVAL (seconds) sets
/// how often it is redrawn (tests use a short one).
final class ProgressDisplay: Sendable {
  private let progress: BackupProgress
  private let running = Mutex(true)

  init(progress: BackupProgress, verb: String = "reading", unit: String = "files") {
    self.progress = progress
    let interval =
      ProcessInfo.processInfo.environment["CAIRN_PROGRESS_INTERVAL"].flatMap(Double.init).map { max($0, 0.001) } ?? 0.5
    let started = Date()
    let thread = Thread { [self] in
      var last = (time: started, bytes: UInt64(0))
      var rate = 0.0
      while self.running.withLock({ $0 }) {
        Thread.sleep(forTimeInterval: interval)
        let reading = progress.read()
        let now = Date()
        let interval = now.timeIntervalSince(last.time)
        if interval > 0 {
          let instant = Double(reading.bytesDone &- last.bytes) / interval
          rate = rate == 0 ? instant : 0.7 * rate + 0.3 * instant
        }
        last = (now, reading.bytesDone)
        guard self.running.withLock({ $0 }) else { break }
        Terminal.status(Self.line(reading, rate: rate, verb: verb, unit: unit))
      }
    }
    thread.start()
  }

  static func line(_ reading: BackupProgress.Reading, rate: Double, verb: String = "reading", unit: String = "files")
    -> String
  {
    if reading.phase == .publishing {
      return "publishing: \(reading.filesDone) files, \(Terminal.bytes(reading.bytesDone)) read; "
        + "writing the manifest, making objects durable, saving the snapshot"
    }
    var text = "\(verb) \(unit) \(reading.filesDone)"
    if reading.filesTotal > 0 { text += "/\(reading.filesTotal)" }
    text += "  \(Terminal.bytes(reading.bytesDone))"
    if reading.bytesTotal > 0 { text += "/\(Terminal.bytes(reading.bytesTotal))" }
    text += "  \(Terminal.bytes(UInt64(max(rate, 0))))/s"
    if reading.bytesTotal > reading.bytesDone && rate > 1 {
      let seconds = Int(Double(reading.bytesTotal - reading.bytesDone) / rate)
      text += String(format: "  ETA %d:%02d", seconds / 60, seconds % 60)
    }
    return text
  }

  /// Clears the line so that a warning can be printed in its place.
  func clear() { Terminal.status("") }

  func stop() {
    running.withLock { $0 = false }
    Terminal.status("")
  }
}
