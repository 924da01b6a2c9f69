// A small end-to-end use of TensorKit: fit a two-layer MLP with a GELU to a random linear map
// plus noise, with AdamW, a warmup-then-decay schedule and gradient clipping; print the loss as
// it falls, then save the weights to a safetensors file and read them back.
import Foundation
import TensorKit

var rng = RandomGenerator(seed: 7)
let inputs = 32, hidden = 64, outputs = 8, samples = 512
let x = Tensor.randomNormal([samples, inputs], using: &rng)
let truth = Tensor.randomNormal([inputs, outputs], std: 0.3, using: &rng)
let y = Tensor.matmul(x, truth) + Tensor.randomNormal([samples, outputs], std: 0.01, using: &rng)

let w1 = Tensor.randomNormal([inputs, hidden], std: 0.1, using: &rng, requiresGrad: true)
let b1 = Tensor.zeros([hidden], requiresGrad: true)
let w2 = Tensor.randomNormal([hidden, outputs], std: 0.1, using: &rng, requiresGrad: true)
let b2 = Tensor.zeros([outputs], requiresGrad: true)
let parameters = [w1, b1, w2, b2]
let optimizer = AdamW(parameters: parameters, learningRate: 1e-2, weightDecay: 0)
let steps = 400
let schedule = LinearWarmupDecay(peak: 1e-2, warmupSteps: 20, totalSteps: steps)

let start = Date()
for step in 0..<steps {
    let prediction = Tensor.matmul((Tensor.matmul(x, w1) + b1).gelu(), w2) + b2
    let loss = ((prediction - y).squared()).mean()
    optimizer.zeroGrad()
    loss.backward()
    clipGradientNorm(parameters, maxNorm: 1)
    optimizer.learningRate = schedule.learningRate(at: step)
    optimizer.step()
    if step % 50 == 0 || step == steps - 1 {
        print("step \(step)  loss \(String(format: "%.5f", loss.item))  lr \(String(format: "%.4f", optimizer.learningRate))")
    }
}
print("\(steps) steps in \(String(format: "%.2f", Date().timeIntervalSince(start))) s on \(Backends.current.name) backend")

let url = FileManager.default.temporaryDirectory.appendingPathComponent("tensorkit-example.safetensors")
try SafeTensorsArchive(tensors: ["w1": w1, "b1": b1, "w2": w2, "b2": b2]).write(to: url)
let reloaded = try SafeTensorsArchive(contentsOf: url)
print("saved and reloaded \(reloaded.entries.count) tensors from \(url.path); w1 identical: \(try reloaded.tensor("w1").scalars == w1.scalars)")
