import NIOCore
import NIOHTTPTypes

/// The per-connection deadlines and the drain on close, one handler on each connection's pipeline (after the HTTP
/// codec, before Hummingbird's own connection handler):
///
/// - **idle**: a connection with no request under way (from its opening, and after each response) is closed after
///   `idleTimeout`; a client that trickles a request's head byte by byte never completes a head, so this closes it too;
/// - **request**: a request whose head and body are not all read within `requestTimeout` of its head is closed;
/// - **drain**: a close asked for while response bytes are still queued (Hummingbird closes a connection right after
///   its last response on a graceful shutdown) waits until they are written, up to `drainTimeout`, so a large answer
///   in flight at SIGTERM reaches its client whole.
///
/// Each close it makes is counted by `closed(reason)` (`idle`, `slow_request`, `drain_timeout`).
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let idleTimeout: TimeAmount
    let requestTimeout: TimeAmount
    let drainTimeout: TimeAmount
    let closed: @Sendable (String) -> Void
    private var deadline: Scheduled<Void>?
    private var pendingWrites = 0
    private var waitingClose: (mode: CloseMode, promise: EventLoopPromise<Void>?)?

    init(idleTimeout: TimeAmount, requestTimeout: TimeAmount, drainTimeout: TimeAmount,
         closed: @escaping @Sendable (String) -> Void) {
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        self.drainTimeout = drainTimeout
        self.closed = closed
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context, after: idleTimeout, reason: "idle") }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context, after: idleTimeout, reason: "idle")
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: arm(context, after: requestTimeout, reason: "slow_request")
        case .body: break
        case .end: disarm()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let isEnd: Bool
        if case .end = unwrapOutboundIn(data) { isEnd = true } else { isEnd = false }
        pendingWrites += 1
        let written = promise ?? context.eventLoop.makePromise()
        written.futureResult.assumeIsolatedUnsafeUnchecked().whenComplete { _ in
            self.pendingWrites -= 1
            if self.pendingWrites == 0, let close = self.waitingClose {
                self.waitingClose = nil
                self.disarm()
                context.close(mode: close.mode, promise: close.promise)
            }
        }
        context.write(data, promise: written)
        if isEnd { arm(context, after: idleTimeout, reason: "idle") }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard pendingWrites > 0, waitingClose == nil else {
            context.close(mode: mode, promise: promise)
            return
        }
        waitingClose = (mode, promise)
        context.flush()
        arm(context, after: drainTimeout, reason: "drain_timeout")
    }

    /// Replaces the deadline: after `delay`, close the connection (counted as `reason`).
    private func arm(_ context: ChannelHandlerContext, after delay: TimeAmount, reason: String) {
        disarm()
        deadline = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: delay) {
            self.deadline = nil
            self.closed(reason)
            let waiting = self.waitingClose
            self.waitingClose = nil
            self.pendingWrites = 0
            context.close(mode: waiting?.mode ?? .all, promise: waiting?.promise)
        }
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
    }
}

@available(*, unavailable)
extension ConnectionGuard: Sendable {}
