/// At most `limit` holders at a time; the others wait in order of arrival.
actor AsyncLimiter {
  private let limit: Int
  private var inUse = 0
  private var waiting: [CheckedContinuation<Void, Never>] = []
  private var head = 0

  init(limit: Int) {
    self.limit = max(1, limit)
  }

  func acquire() async {
    if inUse < limit {
      inUse += 1
      return
    }
    await withCheckedContinuation { waiting.append($0) }
  }

  func release() {
    if head < waiting.count {
      let next = waiting[head]
      head += 1
      if head > 64 && head * 2 > waiting.count {
        waiting.removeFirst(head)
        head = 0
      }
      next.resume()  // the slot passes to the waiter
    } else {
      inUse -= 1
    }
  }

}
