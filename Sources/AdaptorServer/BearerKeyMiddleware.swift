import Hummingbird

/// `Authorization: Bearer <key>` on every request when a key is set (401 with OpenAI's error object otherwise).
struct BearerKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let key: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let key {
            let given = request.headers[.authorization]
            guard let given, given.hasPrefix("Bearer "), constantTimeEqual(String(given.dropFirst(7)), key) else {
                throw APIError(status: .unauthorized, message: given == nil
                               ? "Missing bearer key: send 'Authorization: Bearer <key>'."
                               : "Incorrect bearer key.", type: "authentication_error",
                               code: given == nil ? "missing_api_key" : "invalid_api_key")
            }
        }
        return try await next(request, context)
    }
}

/// Whether two strings are equal, in time that depends only on their lengths.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    guard x.count == y.count else { return false }
    return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
}
