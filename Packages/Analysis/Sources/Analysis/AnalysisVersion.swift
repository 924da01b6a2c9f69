/// This package's version (see CHANGELOG.md).
public enum AnalysisVersion {
    public static let current = "0.3.0"
}
