import LoopCLI

LoopCLI.main(registry: .standard)
