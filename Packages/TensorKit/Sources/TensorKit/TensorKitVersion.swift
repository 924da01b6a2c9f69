/// TensorKit's version (also in its README and CHANGELOG), for `loop --version`.
public enum TensorKitVersion {
    public static let current = "0.9.0"
}
