/// A directory descriptor shared by the restorer and the writes in flight
/// below it; closed when the last of them lets go.
final class DirectoryHandle: @unchecked Sendable {
  // @unchecked: the descriptor is immutable; *at calls on it are thread-safe.
  let descriptor: Int32
  init(descriptor: Int32) { self.descriptor = descriptor }
  deinit { SystemCalls.close(descriptor) }
}
