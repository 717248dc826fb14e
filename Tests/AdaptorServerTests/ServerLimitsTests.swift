@testable import AdaptorServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Matryoshka
import Testing
import _TestSupport

/// What a hostile or careless client cannot do to the server: grow its memory, take more than a request's share of
/// work or answer, slip booleans in as numbers, get a silent zero vector, or read a secret.
@Suite struct ServerLimitsTests {
    /// An upstream that records what it was sent and answers fixed rows (or zeros).
    final class Recorder: TextEmbedder, @unchecked Sendable {
        var inputs: [EmbeddingInput] = []
        let zero: Bool

        init(zero: Bool = false) { self.zero = zero }

        func embed(_ input: EmbeddingInput) async throws(APIError) -> (vectors: [[Float]], usage: Usage) {
            inputs.append(input)
            return ((0 ..< input.count).map { i in (0 ..< 6).map { zero ? 0 : Float(i + $0 + 1) } }, Usage(promptTokens: 1, totalTokens: 1))
        }
    }

    func router(upstream: (any TextEmbedder)? = nil, limits: RequestLimits = RequestLimits(maxInputs: 8),
                work: HeavyWork = HeavyWork(concurrency: 1, queueLength: 8)) throws -> Router<BasicRequestContext> {
        var quiet = Logger(label: "test")
        quiet.logLevel = .critical
        let transform = IdentityTransform(dimension: 6)
        let state = APIState(embedder: Embedder(transform, cachedSizes: 3), upstream: upstream, modelName: "t", limits: limits,
                             work: work, metrics: ServerMetrics(), logger: quiet)
        let corpus = Fixtures.randomMatrix(rows: 20, columns: 6, seed: 4)
        let index = try EmbeddingIndex(corpus: corpus, pipeline: EmbeddingPipeline(transform))
        return buildRouter(state: state, backend: MemorySearch(ids: (0 ..< 20).map { "d\($0)" }, index: index), apiKey: nil)
    }

    func post(_ router: Router<BasicRequestContext>, _ path: String, _ body: String) async throws -> (Int, [String: Any]) {
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: path, method: .post, body: ByteBuffer(string: body)) { response in
                (Int(response.status.code), (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:])
            }
        }
    }

    func error(_ json: [String: Any]) -> [String: Any] { json["error"] as? [String: Any] ?? [:] }

    @Test(arguments: [
        ("/v1/adapt", #"{"input": [[1, 2, 3, 4, 5, 6]], "dimensions": true}"#, "dimensions"),
        ("/v1/adapt", #"{"input": [[true, 2, 3, 4, 5, 6]]}"#, "input"),
        ("/v1/search", #"{"vector": [[1, 2, 3, 4, 5, 6]], "k": true}"#, "k"),
        ("/v1/embeddings", #"{"input": [[1, true]]}"#, "input"),
        ("/v1/embeddings", #"{"input": [[1, -2]]}"#, "input"),
    ])
    func booleansAreNotNumbers(path: String, body: String, param: String) async throws {
        let (status, json) = try await post(try router(upstream: Recorder()), path, body)
        #expect(status == 400 && error(json)["param"] as? String == param, "\(body)")
    }

    /// Token arrays go to the upstream as they came, as OpenAI's API takes them.
    @Test func tokenArraysArePassedUpstream() async throws {
        let recorder = Recorder()
        let (status, json) = try await post(try router(upstream: recorder), "/v1/embeddings", #"{"input": [[101, 7592], [3]]}"#)
        #expect(status == 200 && (json["data"] as? [Any])?.count == 2)
        #expect(recorder.inputs == [.tokens([[101, 7592], [3]])])
        _ = try await post(try router(upstream: recorder), "/v1/embeddings", #"{"input": [42, 43]}"#)
        #expect(recorder.inputs.last == .tokens([[42, 43]]))
    }

    /// Huge and tiny vectors have a direction; a vector whose embedding has none is refused on every route, as a 400
    /// from a client and a 502 from the upstream.
    @Test func noSilentZeroVectors() async throws {
        let server = try router(upstream: Recorder())
        let (huge, unit) = try await post(server, "/v1/adapt", #"{"input": [[1e30, 1e30, 1e30, 1e30, 0, 0]], "dimensions": 2}"#)
        let vector = ((unit["data"] as? [[String: Any]])?.first?["embedding"] as? [Double]) ?? []
        #expect(huge == 200 && vector.count == 2 && vector.allSatisfy { abs($0 - 0.7071067) < 1e-6 })
        let (tiny, _) = try await post(server, "/v1/adapt", #"{"input": [[1e-45, 0, 0, 0, 0, 0]], "dimensions": 1}"#)
        #expect(tiny == 200)
        let (flat, refusal) = try await post(server, "/v1/adapt", #"{"input": [[0, 0, 5, 6, 7, 8]], "dimensions": 2}"#)
        #expect(flat == 400 && error(refusal)["code"] as? String == "no_direction")
        let (searched, _) = try await post(server, "/v1/search", #"{"vector": [[0, 0, 0, 0, 0, 1]], "k": 1}"#)
        #expect(searched == 200, "the full size has a direction")
        let (upstreamZero, upstreamRefusal) = try await post(try router(upstream: Recorder(zero: true)), "/v1/embeddings",
                                                             #"{"input": "a"}"#)
        #expect(upstreamZero == 502 && error(upstreamRefusal)["code"] as? String == "upstream_malformed")
    }

    /// An answer larger than the limits is refused before any work: results (queries × k) and numbers (inputs × m).
    @Test func answersAreBounded() async throws {
        let server = try router(limits: RequestLimits(maxInputs: 8, maxResponseValues: 20, maxResults: 10))
        let eight = (0 ..< 8).map { _ in "[1, 2, 3, 4, 5, 6]" }.joined(separator: ",")
        let (search, searchJSON) = try await post(server, "/v1/search", #"{"vector": [\#(eight)], "k": 2}"#)
        #expect(search == 400 && error(searchJSON)["code"] as? String == "response_too_large")
        let (adapt, adaptJSON) = try await post(server, "/v1/adapt", #"{"input": [\#(eight)], "dimensions": 3}"#)
        #expect(adapt == 400 && error(adaptJSON)["code"] as? String == "response_too_large")
        #expect(try await post(server, "/v1/adapt", #"{"input": [\#(eight)], "dimensions": 2}"#).0 == 200)
        let expensive = try router(limits: RequestLimits(maxInputs: 8, maxRequestFLOP: 100))
        let (cost, costJSON) = try await post(expensive, "/v1/search", #"{"vector": [[1, 2, 3, 4, 5, 6]]}"#)
        #expect(cost == 400 && error(costJSON)["code"] as? String == "request_too_expensive")
    }

    /// The pipelines of the last sizes asked for are kept, no more.
    @Test func pipelineCacheIsBounded() async throws {
        let embedder = Embedder(IdentityTransform(dimension: 6), cachedSizes: 3)
        for m in 1 ... 6 { _ = try embedder.pipeline(m) }
        let memo = Memo<Int, Int>(capacity: 3)
        for key in [1, 2, 3, 1, 4] { _ = memo.value(key) { key * 10 } }
        #expect(memo.count == 3)
        var made = false
        _ = memo.value(1) { made = true; return 0 }
        #expect(!made, "1 was used recently, so 2 was dropped instead")
        _ = memo.value(2) { made = true; return 20 }
        #expect(made)
    }

    /// Heavy work runs off the request threads, a bounded number at a time; beyond the queue it is refused with 503.
    @Test func heavyWorkIsQueuedThenRefused() async throws {
        let work = HeavyWork(concurrency: 1, queueLength: 1)
        let gate = DispatchSemaphore(value: 0)
        let running = Task { try await work.run { () throws(APIError) in gate.wait(); return 1 } }
        while work.load.running == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let waiting = Task { try await work.run { () throws(APIError) in 2 } }
        while work.load.waiting == 0 { try await Task.sleep(for: .milliseconds(5)) }
        await #expect(throws: APIError.self) { try await work.run { () throws(APIError) in 3 } }
        gate.signal()
        let first = try await running.value, second = try await waiting.value
        #expect(first == 1 && second == 2)
        #expect(work.load.running == 0 && work.load.waiting == 0)
    }

    /// The base URL's query is kept in the endpoint and hidden in logs; errors never carry source paths or keys.
    @Test func upstreamURLsAndMessagesKeepSecrets() throws {
        let azure = try UpstreamURL("https://user:pw@example.test/openai/v1?api-version=2024-02-01&token=s3cret")
        #expect(azure.endpoint.absoluteString == "https://user:pw@example.test/openai/v1/embeddings?api-version=2024-02-01&token=s3cret")
        #expect(azure.redacted == "https://user:***@example.test/openai/v1?api-version=2024-02-01&token=***")
        #expect(throws: ServerConfigurationError.self) { try UpstreamURL("ftp://example.test/v1") }
        #expect(throws: ServerConfigurationError.self) { try UpstreamURL("not a url") }
        #expect(throws: ServerConfigurationError.self) { try UpstreamURL("http:///v1") }
        struct TLSFailure: Error, CustomStringConvertible {
            var description: String { "handshakeFailed(sslError([error:1000007d:SSL routines:CERTIFICATE_VERIFY_FAILED at /home/build/ssl/handshake.cc:393]))" }
        }
        let plain = OpenAIUpstream.plainDescription(of: TLSFailure())
        #expect(!plain.contains("/home/build") && plain.contains("CERTIFICATE_VERIFY_FAILED"), "\(plain)")
    }
}
