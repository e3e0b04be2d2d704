import ArgumentParser
import Cairn
import CairnS3
import Foundation

/// What the terminal shows of a backup job: its events as they happen, then
/// its outcome, and the exit status (3 when files could not be read).
struct JobPrinter: Sendable {
  let output: OutputOptions
  let display: ProgressDisplay?

  /// Shows one event while the job runs.
  func show(_ event: BackupJob.Event) {
    switch event {
    case .fileSkipped(let problem):
      display?.clear()
      Terminal.error("warning: \(problem)")
    case .waitingForLock(let message):
      if Terminal.isInteractive { Terminal.error(message) }
    case .snapshotSaved(let result):
      display?.stop()
      for warning in result.warnings { Terminal.error("warning: \(warning)") }
      if output.showsSummary {
        for note in result.notes { Terminal.error("note: \(note)") }
        print(Summary.backup(result.record))
      }
    case .hookFailed(let failure):
      Terminal.error("error: \(failure)")
    }
  }

  /// Prints what the job did; throws exit status 3 when files were left out.
  func finish(_ outcome: BackupJob.Outcome) throws {
    switch outcome {
    case .notDue(let newest, let interval):
      if output.showsSummary { print("backup not due: newest snapshot \(newest.id) is younger than \(interval) h") }
      if output.json { print(try Terminal.json(NotDueOutput(due: false, newest: newest.id))) }
    case .saved(let run):
      var json = BackupOutput(snapshot: run.backup.record, problems: run.backup.problems.map(\.description))
      if let retention = run.retention {
        for warning in retention.clockWarnings { Terminal.error("warning: \(warning)") }
        json.forget = ForgetOutput(plan: retention.plan, dryRun: false)
        json.gc = retention.collected
        if output.showsSummary {
          print(Summary.retention(retention.plan, dryRun: false))
          print(Summary.garbageCollection(retention.collected))
        }
      }
      json.requests = RequestCounts.of(run.repository)
      if let requests = json.requests, output.verbose && !output.json { print("S3 requests: \(requests)") }
      if output.json { print(try Terminal.json(json)) }
      let problems = run.backup.problems.count
      if problems > 0 {
        Terminal.error("warning: \(problems) file(s) could not be backed up; see the warnings above")
      }
    }
    if outcome.exitStatus != 0 { throw ExitCode(outcome.exitStatus) }
  }
}
