/// One parameter a component takes: its key, its default as it would be written on the command
/// line, and what it means (what `loop list` shows).
public struct ParameterSpec: Equatable, Sendable {
    public var key: String
    public var defaultValue: String
    public var help: String

    public init(_ key: String, default defaultValue: String, _ help: String) {
        self.key = key
        self.defaultValue = defaultValue
        self.help = help
    }
}
