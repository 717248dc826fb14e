// `import Matryoshka` gives the whole library API: the layers below are re-exported, so a caller names one module.
// Each stays its own target (and product) with its own tests; see docs/ARCHITECTURE.md.
@_exported import AdaptorNN
@_exported import AdaptorTraining
@_exported import EmbeddingIO
@_exported import EmbeddingMath
@_exported import RetrievalEvaluation
@_exported import VectorSearch
