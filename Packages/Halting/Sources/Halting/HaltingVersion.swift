/// Halting's version (also in its README and CHANGELOG), for `loop --version` and reports.
public enum HaltingVersion {
    public static let current = "0.2.0"
}
