@testable import AdaptorServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Matryoshka
import Testing
import _TestSupport

/// The routes in process (HummingbirdTesting's router client), with a stand-in upstream that is a Swift value.
/// The same server over a socket with the real `openai` client is `Tests/Server/serve_with_openai_client.py`.
@Suite struct ServerRoutesTests {
    /// Embeds text `i` (by its first character's code) as a fixed row, or fails like an upstream would.
    struct StandIn: TextEmbedder {
        var failure: APIError?
        var width = 6

        func embed(_ input: EmbeddingInput) async throws(APIError) -> (vectors: [[Float]], usage: Usage) {
            if let failure { throw failure }
            let seeds: [Int] = switch input {
            case let .texts(texts): texts.map { Int($0.unicodeScalars.first?.value ?? 0) }
            case let .tokens(tokens): tokens.map { $0[0] }
            }
            let rows = seeds.map { seed in (0 ..< width).map { Float(sin(Double(seed + 7 * $0))) } }
            return (rows, Usage(promptTokens: seeds.count * 2, totalTokens: seeds.count * 2))
        }
    }

    static let quiet: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    static let corpus = Fixtures.randomMatrix(rows: 12, columns: 6, seed: 9)

    /// The router of a server over the 6-d fixture model, twelve documents in memory, at most four inputs.
    func server(upstream: StandIn? = StandIn(), key: String? = nil, maxBody: Int = 1 << 20,
                transform: (any EmbeddingTransform)? = nil) throws -> Router<BasicRequestContext> {
        let transform = try transform ?? Fixtures.smallModel()
        let state = APIState(embedder: Embedder(transform), upstream: upstream, modelName: "matryoshka",
                             limits: RequestLimits(maxBodyBytes: maxBody, maxInputs: 4), work: HeavyWork(concurrency: 1, queueLength: 8),
                             metrics: ServerMetrics(), logger: Self.quiet)
        let index = try EmbeddingIndex(corpus: Self.corpus, pipeline: EmbeddingPipeline(transform))
        return buildRouter(state: state, backend: MemorySearch(ids: (0 ..< 12).map { "doc\($0)" }, index: index,
                                                               shortlistDimensions: [2]), apiKey: key)
    }

    func post(_ router: Router<BasicRequestContext>, _ path: String, _ body: String, headers: HTTPFields = [:]) async throws
        -> (status: Int, json: [String: Any])
    {
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
                let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] ?? [:]
                return (Int(response.status.code), object)
            }
        }
    }

    func error(_ json: [String: Any]) -> [String: Any] { json["error"] as? [String: Any] ?? [:] }

    /// `output_dtype` in Voyage's convention: int8 and uint8 levels, binary (offset) and ubinary packed bytes, as
    /// numbers or base64 of the bytes, equal to the library's codes of the unit full vectors; a model without a
    /// calibration refuses them (400, param output_dtype).
    @Test func embeddingsAsCodesInVoyagesConvention() async throws {
        var model = try Fixtures.smallModel()
        let rows = Fixtures.randomMatrix(rows: 40, columns: 6, seed: 21)
        var y = model.apply(rows)
        y.normalizeRows()
        model.calibration = CodeCalibration(unitVectors: y)
        let server = try server(transform: model)
        let raw = Matrix(try await StandIn().embed(.texts(["alpha", "beta"])).vectors)
        var unit = model.apply(raw)
        unit.normalizeRows()
        let int8 = CodeMatrix(encoding: unit, dimension: 6, precision: .int8, calibration: model.calibration)
        let bits = CodeMatrix(encoding: unit, dimension: 6, precision: .binary, calibration: model.calibration)
        func embedding(_ dtype: String, format: String = "float") async throws -> [Any] {
            let (status, json) = try await post(server, "/v1/embeddings",
                                                #"{"input": ["alpha", "beta"], "output_dtype": "\#(dtype)", "encoding_format": "\#(format)"}"#)
            #expect(status == 200)
            return try #require(json["data"] as? [[String: Any]]).map { $0["embedding"]! }
        }
        #expect(try await embedding("int8") as? [[Int]] == [0, 1].map { i in (0 ..< 6).map { Int(Int8(bitPattern: int8.bytes[i * 6 + $0])) } })
        #expect(try await embedding("uint8") as? [[Int]] == [0, 1].map { i in (0 ..< 6).map { int8.level(row: i, coordinate: $0) } })
        #expect(try await embedding("ubinary") as? [[Int]] == [[Int(bits.bytes[0])], [Int(bits.bytes[1])]])
        #expect(try await embedding("binary") as? [[Int]] == [[Int(bits.bytes[0]) - 128], [Int(bits.bytes[1]) - 128]])
        let base64 = try await embedding("ubinary", format: "base64") as? [String]
        #expect(base64 == [Data([bits.bytes[0]]).base64EncodedString(), Data([bits.bytes[1]]).base64EncodedString()])
        let plain = try self.server(upstream: StandIn())
        let (status, json) = try await post(plain, "/v1/embeddings", #"{"input": ["alpha"], "output_dtype": "int8"}"#)
        #expect(status == 400 && error(json)["param"] as? String == "output_dtype")
        let (bad, badJSON) = try await post(server, "/v1/adapt", #"{"input": [[1, 2, 3, 4, 5, 6]], "output_dtype": "int4"}"#)
        #expect(bad == 400 && (error(badJSON)["message"] as? String)?.contains("'output_dtype' must be one of float, int8") == true)
    }

    @Test func embeddingsAreTheAdaptedUpstreamVectorsCutAndRenormalised() async throws {
        let server = try server()
        let (status, json) = try await post(server, "/v1/embeddings", #"{"input": ["alpha", "beta"], "model": "x", "dimensions": 2}"#)
        #expect(status == 200)
        let data = try #require(json["data"] as? [[String: Any]])
        #expect(data.count == 2 && json["object"] as? String == "list")
        let raw = try await StandIn().embed(.texts(["alpha", "beta"])).vectors
        let expected = PrefixInference(model: try Fixtures.smallModel(), dimension: 2).applyNormalized(Matrix(raw))
        for (i, item) in data.enumerated() {
            let vector = try #require(item["embedding"] as? [Double])
            #expect(item["index"] as? Int == i && vector.count == 2)
            #expect(abs(vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
            for j in 0 ..< 2 { #expect(abs(vector[j] - Double(expected[i, j])) < 1e-6) }
        }
        let usage = try #require(json["usage"] as? [String: Any])
        #expect(usage["prompt_tokens"] as? Int == 4 && usage["total_tokens"] as? Int == 4)
    }

    @Test func base64IsLittleEndianFloat32() async throws {
        let server = try server()
        let (_, asFloats) = try await post(server, "/v1/embeddings", #"{"input": "alpha", "dimensions": 6}"#)
        let (status, asBase64) = try await post(server, "/v1/embeddings",
                                               #"{"input": "alpha", "dimensions": 6, "encoding_format": "base64"}"#)
        #expect(status == 200)
        let floats = try #require((asFloats["data"] as? [[String: Any]])?.first?["embedding"] as? [Double])
        let encoded = try #require((asBase64["data"] as? [[String: Any]])?.first?["embedding"] as? String)
        let bytes = try #require(Data(base64Encoded: encoded))
        #expect(bytes.count == 24)
        let decoded = (0 ..< 6).map { i in
            Float(bitPattern: (0 ..< 4).reduce(UInt32(0)) { $0 | UInt32(bytes[i * 4 + $1]) << (8 * $1) })
        }
        #expect(decoded == floats.map { Float($0) })
    }

    @Test(arguments: [
        (#"{"input": []}"#, "input"),
        (#"{"input": ""}"#, "input"),
        (#"{"input": 5}"#, "input"),
        (#"{"input": ["a", "b", "c", "d", "e"]}"#, "input"),
        (#"{"input": "a", "dimensions": 7}"#, "dimensions"),
        (#"{"input": "a", "dimensions": 0}"#, "dimensions"),
        (#"{"input": "a", "dimensions": "8"}"#, "dimensions"),
        (#"{"input": "a", "encoding_format": "int8"}"#, "encoding_format"),
        (#"{"input": "a", "colour": 1}"#, "colour"),
    ])
    func badRequestsGet400WithTheFieldNamed(body: String, param: String) async throws {
        let (status, json) = try await post(try server(), "/v1/embeddings", body)
        #expect(status == 400, "\(body)")
        #expect(error(json)["type"] as? String == "invalid_request_error")
        #expect(error(json)["param"] as? String == param, "\(body)")
        #expect((error(json)["message"] as? String ?? "").isEmpty == false)
    }

    @Test func malformedJSONGets400() async throws {
        let (status, json) = try await post(try server(), "/v1/adapt", #"{"input": [[1, 2"#)
        #expect(status == 400 && error(json)["type"] as? String == "invalid_request_error")
    }

    @Test func theBearerKeyIsCheckedWhenSet() async throws {
        let server = try server(key: "sesame")
        let body = #"{"input": [[1, 0, 0, 0, 0, 0]]}"#
        let (missing, missingJSON) = try await post(server, "/v1/adapt", body)
        #expect(missing == 401 && error(missingJSON)["code"] as? String == "missing_api_key")
        let (wrong, wrongJSON) = try await post(server, "/v1/adapt", body, headers: [.authorization: "Bearer open"])
        #expect(wrong == 401 && error(wrongJSON)["code"] as? String == "invalid_api_key")
        let (right, _) = try await post(server, "/v1/adapt", body, headers: [.authorization: "Bearer sesame"])
        #expect(right == 200)
    }

    @Test func bodiesOverTheLimitGet413() async throws {
        let server = try server(maxBody: 64)
        let (status, json) = try await post(server, "/v1/adapt", #"{"input": [["# + String(repeating: "0.5, ", count: 40) + "1]]}")
        #expect(status == 413 && error(json)["code"] as? String == "request_too_large")
    }

    @Test func upstreamFailuresAre502Or504WithTheirStatus() async throws {
        let failing = StandIn(failure: APIError(status: .badGateway, message: "The upstream embedding service answered 503: busy",
                                                type: "upstream_error", code: "upstream_status"))
        let (status, json) = try await post(try server(upstream: failing), "/v1/embeddings", #"{"input": "a"}"#)
        #expect(status == 502 && (error(json)["message"] as? String ?? "").contains("503"))
        let slow = StandIn(failure: APIError(status: .gatewayTimeout, message: "timed out", type: "upstream_error",
                                             code: "upstream_timeout"))
        #expect(try await post(try server(upstream: slow), "/v1/embeddings", #"{"input": "a"}"#).status == 504)
        let (wrongWidth, widthJSON) = try await post(try server(upstream: StandIn(width: 5)), "/v1/embeddings", #"{"input": "a"}"#)
        #expect(wrongWidth == 502 && error(widthJSON)["code"] as? String == "upstream_dimension")
    }

    @Test func adaptTakesVectorsAsJSONOrBase64() async throws {
        let server = try server()
        let row: [Float] = [0.1, -0.2, 0.3, 0.4, -0.5, 0.6]
        let base64 = Data(Fixtures.float32Bytes(row)).base64EncodedString()
        let (s1, j1) = try await post(server, "/v1/adapt", #"{"input": [[0.1, -0.2, 0.3, 0.4, -0.5, 0.6]], "dimensions": 2}"#)
        let (s2, j2) = try await post(server, "/v1/adapt", #"{"input": ["\#(base64)"], "dimensions": 2}"#)
        #expect(s1 == 200 && s2 == 200)
        let a = try #require((j1["data"] as? [[String: Any]])?.first?["embedding"] as? [Double])
        let b = try #require((j2["data"] as? [[String: Any]])?.first?["embedding"] as? [Double])
        #expect(a == b && a.count == 2)
        let (wrong, json) = try await post(server, "/v1/adapt", #"{"input": [[1, 2, 3]]}"#)
        #expect(wrong == 400 && error(json)["param"] as? String == "input")
        let (nan, _) = try await post(server, "/v1/adapt", #"{"input": [[1, 2, 3, 4, 5, 1e400]]}"#)
        #expect(nan == 400)
    }

    /// Search by vector equals exact search over the adapted corpus, and the funnel with every document
    /// shortlisted equals it too.
    @Test func searchByVectorIsExactAndTheWideFunnelAgrees() async throws {
        let server = try server()
        let query = Self.corpus.row(3).map { String($0) }.joined(separator: ", ")
        let (status, json) = try await post(server, "/v1/search", #"{"vector": [[\#(query)]], "k": 3}"#)
        #expect(status == 200)
        let hits = try #require((json["data"] as? [[String: Any]])?.first?["results"] as? [[String: Any]])
        #expect(hits.count == 3 && hits.first?["id"] as? String == "doc3")
        let (_, funnel) = try await post(server, "/v1/search",
                                         #"{"vector": [[\#(query)]], "k": 3, "shortlist_dimension": 2, "shortlist_size": 12}"#)
        let funnelHits = try #require((funnel["data"] as? [[String: Any]])?.first?["results"] as? [[String: Any]])
        #expect(funnelHits.map { $0["id"] as? String } == hits.map { $0["id"] as? String })
        let (both, _) = try await post(server, "/v1/search", #"{"vector": [[\#(query)]], "input": "a"}"#)
        #expect(both == 400)
        let (tooShort, _) = try await post(server, "/v1/search", #"{"vector": [[\#(query)]], "k": 5, "shortlist_size": 4}"#)
        #expect(tooShort == 400)
        // Only the shortlist sizes built at start can be asked for: memory cannot grow with requests.
        let (unserved, refusal) = try await post(server, "/v1/search", #"{"vector": [[\#(query)]], "shortlist_dimension": 3}"#)
        #expect(unserved == 400 && error(refusal)["param"] as? String == "shortlist_dimension")
    }

    /// `serve --precision`: the corpus held as int8 codes of size 4, re-scored by the full vectors: /v1/search gives
    /// the documents and scores of the library's code index (what `search --precision` prints); a request's
    /// shortlist_size changes K, shortlist_dimension is refused, and without kept full vectors so is shortlist_size.
    @Test func searchOverCodesIsTheCodeIndexsSearch() async throws {
        let transform = try Fixtures.smallModel()
        let calibration = CodeCalibration(unitVectors: transform.apply(Self.corpus).normalizedRows())
        let state = APIState(embedder: Embedder(transform), upstream: nil, modelName: "matryoshka",
                             limits: RequestLimits(maxBodyBytes: 1 << 20, maxInputs: 4), work: HeavyWork(concurrency: 1, queueLength: 8),
                             metrics: ServerMetrics(), logger: Self.quiet)
        let ids = (0 ..< 12).map { "doc\($0)" }
        let index = try EmbeddingCodeIndex(corpus: Self.corpus, pipeline: EmbeddingPipeline(transform, dimension: 4),
                                           precision: .int8, calibration: calibration, rescore: 6)
        let router = buildRouter(state: state, backend: CodeSearch(ids: ids, index: index), apiKey: nil)
        let queries = Fixtures.randomMatrix(rows: 2, columns: 6, seed: 30)
        let body = (0 ..< 2).map { q in "[" + queries.row(q).map { String($0) }.joined(separator: ", ") + "]" }.joined(separator: ", ")
        for size in [6, 3] {
            let (status, json) = try await post(router, "/v1/search", #"{"vector": [\#(body)], "k": 3, "shortlist_size": \#(size)}"#)
            #expect(status == 200)
            let expected = try index.search(queries, k: 3, rescoreSize: size)
            let data = try #require(json["data"] as? [[String: Any]])
            for q in 0 ..< 2 {
                let hits = try #require(data[q]["results"] as? [[String: Any]])
                #expect(hits.map { $0["id"] as? String } == expected.neighbours(of: q).map { ids[$0] })
                #expect(zip(hits, expected.neighbourScores(of: q)).allSatisfy { abs(($0["score"] as? Double ?? 9) - Double($1)) < 1e-6 })
            }
        }
        let (refused, refusal) = try await post(router, "/v1/search", #"{"vector": [\#(body)], "shortlist_dimension": 2}"#)
        #expect(refused == 400 && error(refusal)["param"] as? String == "shortlist_dimension")
        let plain = try EmbeddingCodeIndex(corpus: Self.corpus, pipeline: EmbeddingPipeline(transform, dimension: 4),
                                           precision: .int8, calibration: calibration)
        let noFull = buildRouter(state: state, backend: CodeSearch(ids: ids, index: plain), apiKey: nil)
        let (noRescore, answer) = try await post(noFull, "/v1/search", #"{"vector": [\#(body)], "shortlist_size": 5}"#)
        #expect(noRescore == 400 && error(answer)["param"] as? String == "shortlist_size")
    }

    @Test func healthAndMetricsAnswer() async throws {
        let server = try server()
        _ = try await post(server, "/v1/adapt", #"{"input": [[1, 0, 0, 0, 0, 0]]}"#)
        let app = Application(router: server)
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(json?["dimension"] as? Int == 6 && json?["corpus_documents"] as? Int == 12)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(response.status == .ok && text.contains("# TYPE"))
            }
        }
    }

    /// Without a model the server serves truncation: the re-normalised prefix of the raw vector, and search over the
    /// raw corpus's prefixes.
    @Test func truncationIsServedWithoutAModel() async throws {
        let router = try server(transform: IdentityTransform(dimension: 6))
        let (status, json) = try await post(router, "/v1/adapt", #"{"input": [[3, 4, 0, 0, 0, 1]], "dimensions": 2}"#)
        #expect(status == 200)
        let vector = try #require((json["data"] as? [[String: Any]])?.first?["embedding"] as? [Double])
        #expect(vector.map { Float($0) } == [0.6, 0.8])
        let query = Self.corpus.row(5).map { String($0) }.joined(separator: ", ")
        let (_, found) = try await post(router, "/v1/search", #"{"vector": [[\#(query)]], "k": 1}"#)
        let hits = try #require((found["data"] as? [[String: Any]])?.first?["results"] as? [[String: Any]])
        #expect(hits.first?["id"] as? String == "doc5")
    }

    /// The OpenAPI document is served and names every route the router has.
    @Test func theOpenAPIDocumentIsServed() async throws {
        try await Application(router: try server()).test(.router) { client in
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(response.status == .ok && text.hasPrefix("openapi: 3.1.0"))
                for path in ["/health:", "/metrics:", "/openapi.yaml:", "/v1/embeddings:", "/v1/adapt:", "/v1/search:"] {
                    #expect(text.contains("\n  \(path)\n"), "\(path)")
                }
            }
        }
    }
}
