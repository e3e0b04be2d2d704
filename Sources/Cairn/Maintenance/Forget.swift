/// Removes snapshot records; their space comes back with gc.
public struct Forget: Sendable {
  let repository: Repository

  public init(repository: Repository) { self.repository = repository }

  /// Removes what `plan` removes, each removal durable before the next.
  /// Differentials go first, before any full, so a crash in between never
  /// leaves a differential without its base.
  public func run(_ plan: RetentionPlan) async throws {
    let differentials = plan.removed.filter { $0.kind == .differential }
    let fulls = plan.removed.filter { $0.kind == .full }
    for batch in [differentials, fulls] where !batch.isEmpty {
      for record in batch {
        try await repository.deleteSnapshots([record.id])
        await CrashPoint.reachSuspending("forget.delete")
      }
    }
  }
}
