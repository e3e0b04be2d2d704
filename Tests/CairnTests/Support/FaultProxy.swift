import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

@testable import CairnS3

/// A fault-injecting HTTP proxy for the S3 tests: listens on
/// 127.0.0.1:random, forwards each request to the upstream server (the test
/// gateway), and on the requests it was told to spoil, drops the
/// connection, answers an error itself, or waits first.
///
/// It speaks HTTP/1.1 on both sides (NIO's codecs), one request at a time
/// per connection, as the client sends them, so that "the n-th request" is
/// well defined.
final class FaultProxy: Sendable {
  enum Fault: Sendable, Equatable {
    /// Close the connection without forwarding the request.
    case drop
    /// Forward the request, then close the connection instead of answering
    /// (the server did the work; the client cannot know).
    case dropAfterForwarding
    /// Answer with this status and S3 error code without forwarding.
    case status(Int, code: String)
    /// Wait, then forward.
    case delay(Duration)
    /// Answer a DeleteObjects request, without forwarding it, with 200 and a
    /// per-key error of this code for every key in it (as Ceph's gateway
    /// does for a delete that races a rewrite of the key).
    case deleteKeyError(code: String)

    static let internalError = Fault.status(500, code: "InternalError")
    static let slowDown = Fault.status(503, code: "SlowDown")
  }

  /// Which requests to spoil, shared by the connections.
  private final class Plan: Sendable {
    struct State {
      var seen = 0
      /// Faults by request number (1-based, counted from the start).
      var planned: [Int: Fault] = [:]
      /// A fault for every request from now on, until cleared.
      var always: Fault?
    }
    let state = Mutex(State())

    /// Counts a request and says how to spoil it, if at all.
    func next() -> Fault? {
      state.withLock { state in
        state.seen += 1
        return state.planned.removeValue(forKey: state.seen) ?? state.always
      }
    }
  }

  private let plan = Plan()
  private let upstreamHost: String
  private let upstreamPort: Int
  let port: Int
  private let server: Task<Void, Never>
  /// The proxy's tasks run here, never on the cooperative pool: a test that
  /// runs `cairn` through the proxy blocks a pool thread while it waits, and
  /// on a two-core machine the other may be blocked the same way.
  private let executor: DedicatedThreadExecutor

  /// The proxy's endpoint, to use instead of the upstream's.
  var endpoint: String { "http://127.0.0.1:\(port)" }

  /// Requests received so far.
  var requestCount: Int { plan.state.withLock { $0.seen } }

  /// Starts a proxy in front of `upstream` (`http://host:port`).
  init(upstream: String) async throws {
    var rest = Substring(upstream)
    if rest.hasPrefix("http://") { rest = rest.dropFirst(7) }
    rest = rest.prefix { $0 != "/" }
    let parts = rest.split(separator: ":")
    upstreamHost = String(parts[0])
    upstreamPort = parts.count > 1 ? Int(parts[1]) ?? 80 : 80

    let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .bind(host: "127.0.0.1", port: 0) { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
          return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
            wrappingChannelSynchronously: channel)
        }
      }
    port = listener.channel.localAddress?.port ?? 0
    let host = upstreamHost
    let upstreamPort = upstreamPort
    let plan = plan
    let executor = DedicatedThreadExecutor(name: "FaultProxy")
    self.executor = executor
    server = Task(executorPreference: executor) {
      try? await listener.executeThenClose { connections in
        await withDiscardingTaskGroup { group in
          do {
            for try await connection in connections {
              group.addTask {
                await Self.serve(connection, upstreamHost: host, upstreamPort: upstreamPort, plan: plan)
              }
            }
          } catch {}
          group.cancelAll()
        }
      }
    }
  }

  /// Spoils the requests `after` + 1 … `after` + `count` from now (the next one by default).
  func inject(_ fault: Fault, count: Int = 1, after: Int = 0) {
    plan.state.withLock { state in
      for offset in 0..<count { state.planned[state.seen + after + 1 + offset] = fault }
    }
  }

  /// Spoils every request from now on (nil: none).
  func always(_ fault: Fault?) {
    plan.state.withLock { $0.always = fault }
  }

  func shutdown() async {
    server.cancel()
    await server.value
    executor.stop()
  }

  private static func serve(
    _ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, upstreamHost: String,
    upstreamPort: Int, plan: Plan
  ) async {
    try? await connection.executeThenClose { input, output in
      let upstream = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: upstreamHost, port: upstreamPort) { channel in
          channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHTTPClientHandlers()
            return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
              wrappingChannelSynchronously: channel)
          }
        }
      try await upstream.executeThenClose { upstreamInput, upstreamOutput in
        var answers = upstreamInput.makeAsyncIterator()
        var head: HTTPRequestHead?
        var body = ByteBuffer()
        for try await part in input {
          switch part {
          case .head(let requestHead):
            head = requestHead
            body.clear()
          case .body(var chunk):
            body.writeBuffer(&chunk)
          case .end:
            guard let requestHead = head else { continue }
            let fault = plan.next()
            switch fault {
            case .drop:
              return
            case .status(let status, let code):
              let xml =
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>\(code)</Code>"
                + "<Message>injected by the test proxy</Message></Error>"
              try await answer(status, xml: xml, withBody: requestHead.method != .HEAD, to: output)
              continue
            case .deleteKeyError(let code):
              let keys = S3XML.values("Key", in: Substring(String(buffer: body)))
              let errors = keys.map {
                "<Error><Key>\(S3XML.escape($0))</Key><Code>\(code)</Code><Message>injected</Message></Error>"
              }
              let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><DeleteResult>\(errors.joined())</DeleteResult>"
              try await answer(200, xml: xml, withBody: true, to: output)
              continue
            case .delay(let duration):
              try await Task.sleep(for: duration)
            case .dropAfterForwarding, nil:
              break
            }
            try await upstreamOutput.write(.head(requestHead))
            if body.readableBytes > 0 { try await upstreamOutput.write(.body(.byteBuffer(body))) }
            try await upstreamOutput.write(.end(nil))
            var finished = false
            while !finished, let answer = try await answers.next() {
              if fault == .dropAfterForwarding {
                if case .end = answer { return }
                continue
              }
              switch answer {
              case .head(let responseHead): try await output.write(.head(responseHead))
              case .body(let chunk): try await output.write(.body(.byteBuffer(chunk)))
              case .end(let trailers):
                try await output.write(.end(trailers))
                finished = true
              }
            }
            if !finished { return }  // the server closed the connection
          }
        }
      }
    }
  }

  /// Answers a request itself, without forwarding it.
  private static func answer(
    _ status: Int, xml: String, withBody: Bool, to output: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
  ) async throws {
    var headers = HTTPHeaders()
    headers.add(name: "content-type", value: "application/xml")
    headers.add(name: "content-length", value: String(xml.utf8.count))
    try await output.write(
      .head(HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)))
    if withBody { try await output.write(.body(.byteBuffer(ByteBuffer(string: xml)))) }
    try await output.write(.end(nil))
  }
}
