import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

/// The monitoring endpoint (`settings.http`): an ``HTTPServer`` serving ``MonitoringRoutes`` (GET and
/// HEAD only; see there for the routes). Binds `127.0.0.1:9800` by default.
///
/// ```swift
/// let samples = SampleCollection(retention: configuration.settings.http.retention)
/// let routes = MonitoringRoutes(metrics: registry, samples: samples, health: { engine.health() })
/// let monitoring = try MonitoringServer(configuration: configuration.settings.http, routes: routes)
/// group.addTask { try await monitoring.run() }
/// ```
public final class MonitoringServer: Service {
    /// The routes, usable without sockets.
    public let routes: MonitoringRoutes
    private let http: HTTPServer

    /// - Parameters:
    ///   - server: address, limits and timeouts of the HTTP server.
    ///   - routes: what is served (metrics registry, samples, health provider).
    ///   - logger: for the HTTP server.
    ///   - clock: for the HTTP server's timeouts.
    public init(
        server: HTTPServerConfiguration,
        routes: MonitoringRoutes,
        logger: Logger = Logger(component: "monitoring", handler: NoOpLogHandler()),
        clock: any TimeSource = SystemClock()
    ) {
        self.routes = routes
        self.http = HTTPServer(configuration: server, logger: logger, clock: clock) { routes.handle($0) }
    }

    /// Builds the server `settings.http` describes. Throws when `listen` is not `host:port` or is disabled
    /// (nil): do not create a monitoring server when `settings.http.listen` is `""`.
    public convenience init(
        configuration: MonitoringConfiguration,
        routes: MonitoringRoutes,
        logger: Logger = Logger(component: "monitoring", handler: NoOpLogHandler()),
        clock: any TimeSource = SystemClock()
    ) throws(HTTPServerError) {
        guard let listen = configuration.listen else {
            throw HTTPServerError(
                code: .invalidListenAddress,
                message: "the monitoring endpoint is disabled (settings.http.listen is \"\"); do not start it")
        }
        self.init(server: try HTTPServerConfiguration(listen: listen), routes: routes, logger: logger, clock: clock)
    }

    /// Binds and starts serving; returns the bound port (useful with port 0).
    @discardableResult
    public func start() throws(HTTPServerError) -> Int { try http.start() }

    /// The port listened on, nil before ``start()`` and after the server stopped.
    public var boundPort: Int? { http.boundPort }

    /// Connection and request counters of the HTTP server.
    public var statistics: HTTPServerStatistics { http.statistics }

    /// Serves until the task is cancelled, then closes the listener and every connection.
    public func run() async throws { try await http.run() }

    /// Stops serving; ``run()`` returns once every connection is closed.
    public func stop() { http.stop() }
}
