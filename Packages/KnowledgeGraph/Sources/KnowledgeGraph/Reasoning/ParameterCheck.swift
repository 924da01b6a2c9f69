/// Throws `invalidParameter` naming the parameter (by its `dataset.json` key) and why, so every
/// generator states its limits the same way before doing any work.
func requireParameter(_ ok: Bool, _ name: String, _ reason: @autoclosure () -> String) throws {
    if !ok { throw KnowledgeGraphError.invalidParameter(name, reason: reason()) }
}
