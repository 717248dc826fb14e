import Foundation
import Hummingbird
import Matryoshka

/// An error in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, with its HTTP status.
///
/// Statuses: 400 bad request (wrong field types, `dimensions` out of range, empty or too many inputs), 401 missing
/// or wrong bearer key, 404 unknown route, 413 body over the limit, 502 upstream failure (its status in the
/// message), 504 upstream timeout.
public struct APIError: HTTPResponseError, Equatable {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// What went wrong, for a person.
    public var message: String
    /// OpenAI's error type: `invalid_request_error`, `authentication_error`, `upstream_error`, `server_error`.
    public var type: String
    /// The request field at fault, if one is.
    public var param: String?
    /// A short machine-readable code, if any.
    public var code: String?

    public init(status: HTTPResponse.Status, message: String, type: String, param: String? = nil, code: String? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    /// 400 with `invalid_request_error`.
    public static func invalid(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: code)
    }

    /// A vector whose embedding has no direction or is not finite: 400 naming `input` for a client's vectors, 502 for
    /// an upstream's (`status`).
    static func noDirection(_ error: PipelineError, status: HTTPResponse.Status) -> APIError {
        let (row, what, code): (Int, String, String) = switch error {
        case let .noDirection(row, size): (row, "its size-\(size) embedding is all zeros: it has no direction", "no_direction")
        case let .notFinite(row, size): (row, "its size-\(size) embedding is not finite", "not_finite")
        case let .sizeOutOfRange(size, output): (0, "size \(size) is outside 1...\(output)", "invalid_size")
        }
        if status == .badGateway {
            return APIError(status: .badGateway, message: "The upstream embedding service returned a vector (input \(row)) "
                            + "that cannot be embedded: \(what).", type: "upstream_error", code: "upstream_malformed")
        }
        return APIError(status: .badRequest, message: "Input \(row) cannot be embedded: \(what).", type: "invalid_request_error",
                        param: "input", code: code)
    }

    struct Body: Encodable {
        struct Inner: Encodable {
            var message: String
            var type: String
            var param: String?
            var code: String?

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(message, forKey: .message)
                try container.encode(type, forKey: .type)
                try container.encode(param, forKey: .param)  // null, not absent, as OpenAI does
                try container.encode(code, forKey: .code)
            }

            enum CodingKeys: String, CodingKey { case message, type, param, code }
        }

        var error: Inner
    }

    /// The JSON body.
    public var body: Data {
        (try? JSONEncoder().encode(Body(error: .init(message: message, type: type, param: param, code: code)))) ?? Data()
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
