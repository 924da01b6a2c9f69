/// A user-facing error: the message is all the user sees; `status` is the exit status
/// (`ExitStatus`; bad input unless said otherwise).
public struct CLIError: Error, CustomStringConvertible {
    public let description: String
    public let status: Int32
    public init(_ message: String, status: Int32 = 64) {
        description = message
        self.status = status
    }
}
