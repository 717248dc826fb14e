/// The toolkit's version, recorded in the model files and reports it writes.
public let matryoshkaLibraryVersion = "0.2.0"
