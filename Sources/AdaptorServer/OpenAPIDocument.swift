/// The OpenAPI 3.1 description of every route, served at `GET /openapi.yaml`. Kept in the source (not a resource
/// bundle) so that a copied executable still serves it; `Tests/Server/serve_with_openai_client.py` checks the live
/// server's answers against it.
let openAPIDocument = #"""
openapi: 3.1.0
info:
  title: matryoshka serve
  version: "1"
  description: >-
    Shrinkable embeddings: OpenAI-compatible /v1/embeddings with `dimensions` (texts through an upstream embedding
    service, their vectors adapted), /v1/adapt (vectors in, embeddings out) and /v1/search over a corpus in memory
    or in PostgreSQL + pgvector. The size-m embedding is the first m coordinates of the adapted vector, re-normalised.
    Errors are OpenAI's error object.
servers:
  - url: http://127.0.0.1:8080
paths:
  /health:
    get:
      summary: What the server serves
      responses:
        "200":
          description: The server is up.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Health"}
  /metrics:
    get:
      summary: Prometheus metrics (text exposition format)
      responses:
        "200":
          description: Request counts and latencies, upstream latencies and errors.
          content:
            text/plain: {schema: {type: string}}
  /openapi.yaml:
    get:
      summary: This document
      responses:
        "200":
          description: The OpenAPI document.
          content:
            application/yaml: {schema: {type: string}}
  /v1/embeddings:
    post:
      summary: Embed texts (OpenAI's embeddings API, with `dimensions`)
      security: [{bearer: []}, {}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/EmbeddingsRequest"}
      responses:
        "200": {$ref: "#/components/responses/EmbeddingList"}
        "400": {$ref: "#/components/responses/Error"}
        "401": {$ref: "#/components/responses/Error"}
        "413": {$ref: "#/components/responses/Error"}
        "501": {$ref: "#/components/responses/Error"}
        "502": {$ref: "#/components/responses/Error"}
        "503": {$ref: "#/components/responses/Error"}
        "504": {$ref: "#/components/responses/Error"}
  /v1/adapt:
    post:
      summary: Embed raw vectors
      security: [{bearer: []}, {}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/AdaptRequest"}
      responses:
        "200": {$ref: "#/components/responses/EmbeddingList"}
        "400": {$ref: "#/components/responses/Error"}
        "401": {$ref: "#/components/responses/Error"}
        "413": {$ref: "#/components/responses/Error"}
        "503": {$ref: "#/components/responses/Error"}
  /v1/search:
    post:
      summary: Search the corpus with query texts or raw query vectors
      security: [{bearer: []}, {}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/SearchRequest"}
      responses:
        "200":
          description: Per query, its best documents with cosine scores, best first.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/SearchResponse"}
        "400": {$ref: "#/components/responses/Error"}
        "401": {$ref: "#/components/responses/Error"}
        "413": {$ref: "#/components/responses/Error"}
        "501": {$ref: "#/components/responses/Error"}
        "502": {$ref: "#/components/responses/Error"}
        "503": {$ref: "#/components/responses/Error"}
        "504": {$ref: "#/components/responses/Error"}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  responses:
    EmbeddingList:
      description: One embedding per input, in order.
      content:
        application/json:
          schema: {$ref: "#/components/schemas/EmbeddingList"}
    Error:
      description: >-
        OpenAI's error object. 400: a bad field (named in param), or an answer over the server's limits (code
        response_too_large, request_too_expensive); 401: the bearer key; 413: the body over its limit; 501: no upstream
        or no corpus; 502: the upstream or the database failed; 503: too many heavy requests at once (server_busy),
        retry shortly; 504: the upstream's timeout.
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Error"}
  schemas:
    Dimensions:
      type: integer
      minimum: 1
      description: The size m of the embeddings (default the full output dimension).
    EncodingFormat:
      type: string
      enum: [float, base64]
      description: float (JSON numbers) or base64 (little-endian float32 bytes; with an output_dtype, its bytes).
    OutputDType:
      type: string
      enum: [float, int8, uint8, binary, ubinary]
      description: >-
        Voyage AI's convention. float - the unit embedding; int8 - each coordinate's level on its corpus range less
        128; uint8 - the level 0-255; binary - the signs after each coordinate's corpus median, packed eight to a byte
        as numpy.packbits does, each byte less 128; ubinary - the same bytes unsigned. Calibrated by fit and stored in
        the model.
    Vector:
      oneOf:
        - type: array
          items: {type: number}
        - type: string
          description: base64 of little-endian float32 values
    Texts:
      description: One text, or several; or token ids (one array, or an array of arrays), passed to the upstream as they are.
      oneOf:
        - type: string
          minLength: 1
        - type: array
          minItems: 1
          items: {type: string, minLength: 1}
        - $ref: "#/components/schemas/Tokens"
        - type: array
          minItems: 1
          items: {$ref: "#/components/schemas/Tokens"}
    Tokens:
      type: array
      minItems: 1
      items: {type: integer, minimum: 0, maximum: 2147483647}
    EmbeddingsRequest:
      type: object
      additionalProperties: false
      required: [input]
      properties:
        input: {$ref: "#/components/schemas/Texts"}
        model: {type: string}
        encoding_format: {$ref: "#/components/schemas/EncodingFormat"}
        dimensions: {$ref: "#/components/schemas/Dimensions"}
        output_dtype: {$ref: "#/components/schemas/OutputDType"}
        user: {type: string}
    AdaptRequest:
      type: object
      additionalProperties: false
      required: [input]
      properties:
        input:
          oneOf:
            - $ref: "#/components/schemas/Vector"
            - type: array
              minItems: 1
              items: {$ref: "#/components/schemas/Vector"}
        model: {type: string}
        encoding_format: {$ref: "#/components/schemas/EncodingFormat"}
        dimensions: {$ref: "#/components/schemas/Dimensions"}
        output_dtype: {$ref: "#/components/schemas/OutputDType"}
    SearchRequest:
      type: object
      additionalProperties: false
      description: Exactly one of input (query texts, through the upstream) and vector (raw query vectors).
      properties:
        input: {$ref: "#/components/schemas/Texts"}
        vector:
          oneOf:
            - $ref: "#/components/schemas/Vector"
            - type: array
              minItems: 1
              items: {$ref: "#/components/schemas/Vector"}
        k: {type: integer, minimum: 1, maximum: 1000, description: "Documents per query (default 10)."}
        shortlist_dimension: {type: integer, minimum: 1, description: "Funnel: shortlist on the first m' coordinates."}
        shortlist_size: {type: integer, minimum: 1, maximum: 100000, description: "Funnel: shortlist length K >= k (a server holding codes, serve --precision: how many the full vectors re-score)."}
        model: {type: string}
    EmbeddingList:
      type: object
      required: [object, data, model, usage]
      properties:
        object: {const: list}
        data:
          type: array
          items:
            type: object
            required: [object, index, embedding]
            properties:
              object: {const: embedding}
              index: {type: integer, minimum: 0}
              embedding: {$ref: "#/components/schemas/Vector"}
        model: {type: string}
        usage:
          type: object
          required: [prompt_tokens, total_tokens]
          properties:
            prompt_tokens: {type: integer, minimum: 0}
            total_tokens: {type: integer, minimum: 0}
    SearchResponse:
      type: object
      additionalProperties: false
      required: [object, data, model, k]
      properties:
        object: {const: list}
        data:
          type: array
          items:
            type: object
            additionalProperties: false
            required: [object, index, results]
            properties:
              object: {const: search_result}
              index: {type: integer, minimum: 0}
              results:
                type: array
                items:
                  type: object
                  additionalProperties: false
                  required: [id, score]
                  properties:
                    id: {type: string}
                    score: {type: number}
        model: {type: string}
        k: {type: integer, minimum: 1}
        shortlist_dimension: {type: integer, minimum: 1}
        shortlist_size: {type: integer, minimum: 1}
        table: {type: string}
        dimension: {type: integer, minimum: 1}
    Health:
      type: object
      additionalProperties: false
      required: [status, model, dimension, upstream, corpus_documents, table]
      properties:
        status: {const: ok}
        model: {type: string}
        dimension: {type: integer, minimum: 1}
        upstream: {type: boolean}
        corpus_documents: {type: integer, minimum: 0}
        table: {type: [string, "null"]}
    Error:
      type: object
      additionalProperties: false
      required: [error]
      properties:
        error:
          type: object
          additionalProperties: false
          required: [message, type, param, code]
          properties:
            message: {type: string}
            type: {type: string}
            param: {type: [string, "null"]}
            code: {type: [string, "null"]}
"""#
