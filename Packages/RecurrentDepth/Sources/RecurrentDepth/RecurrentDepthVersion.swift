/// This package's version (see CHANGELOG.md).
public enum RecurrentDepthVersion {
    public static let current = "0.7.0"
}
