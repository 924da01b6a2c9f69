/// KnowledgeGraph's version (also in its README and CHANGELOG), for `loop --version` and `dataset.json`.
public enum KnowledgeGraphVersion {
    public static let current = "0.3.0"
}
