#!/usr/bin/python3
"""Reference vectors for tests/models/pytorch_parity_test.cpp, made with
Debian's PyTorch: the loss and parameter gradients of our LeNet-5 (docs/models.md) and
AlexNet (67x67 input, 10 classes, dropout off) on deterministic weights and
inputs that the C++ test rebuilds from the same formulas.

  /usr/bin/python3 tests/data/make_model_vectors.py > tests/data/model_vectors.json
"""
import json
import math

import torch
import torch.nn as nn

torch.set_num_threads(1)


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, 2),
        nn.Conv2d(6, 16, 5), nn.Sigmoid(), nn.AvgPool2d(2, 2), nn.Flatten(),
        nn.Linear(400, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10))


def alexnet(side, classes):
    # PyTorch divides alpha by size: our alpha 1e-4 becomes 1e-4 * 5.
    lrn = lambda: nn.LocalResponseNorm(5, alpha=1e-4 * 5, beta=0.75, k=2.0)
    s = (side - 11) // 4 + 1
    for _ in range(3):
        s = (s - 3) // 2 + 1
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2), nn.Flatten(),
        nn.Linear(256 * s * s, 4096), nn.ReLU(), nn.Linear(4096, 4096), nn.ReLU(),
        nn.Linear(4096, classes))


# The formulas the C++ test repeats (in double, then rounded to float).
def fill_parameters(model):
    for p_index, p in enumerate(model.parameters()):
        n = p.numel()
        fan_in = p.shape[1] * (p[0, 0].numel() if p.dim() == 4 else 1) if p.dim() > 1 else 1
        scale = 1.0 / math.sqrt(fan_in) if p.dim() > 1 else 0.1
        j = torch.arange(n, dtype=torch.float64)
        values = scale * torch.sin(0.7 * j + 0.3 * p_index)
        with torch.no_grad():
            p.copy_(values.reshape(p.shape).to(torch.float32))


def inputs(batch, channels, side, input_scale=1.0):
    j = torch.arange(batch * channels * side * side, dtype=torch.float64)
    return (input_scale * torch.sin(0.05 * j)).reshape(batch, channels, side, side).to(torch.float32)


def vectors(model, shape, input_scale, labels):
    x = inputs(*shape, input_scale)
    fill_parameters(model)
    loss = nn.functional.cross_entropy(model(x), torch.tensor(labels))
    loss.backward()
    grads = []
    for p in model.parameters():
        g = p.grad.reshape(-1).to(torch.float64)
        picks = [int(i) for i in torch.linspace(0, g.numel() - 1, 7).round().long()]
        grads.append({"shape": list(p.shape), "norm": float(g.norm()),
                      "picks": picks, "values": [float(g[i]) for i in picks]})
    return {"loss": float(loss), "labels": labels, "input_scale": input_scale, "input_shape": list(x.shape), "gradients": grads}


out = {
    "generator": "tests/data/make_model_vectors.py, torch " + torch.__version__,
    "lenet5": vectors(lenet5(), (4, 1, 28), 1.0, [3, 1, 4, 1]),
    # Large inputs make the LRN denominators matter (alpha * sum of squares ~ k).
    "alexnet": vectors(alexnet(67, 10), (2, 3, 67), 20.0, [7, 2]),
}
print(json.dumps(out, indent=1))
