import LoopCLI
import CustomProbe

LoopCLI.main(registry: .withCustomProbe)
