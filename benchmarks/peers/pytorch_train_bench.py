#!/usr/bin/env python3
"""PyTorch peer benchmark: training throughput of LeNet-5 and AlexNet (docs/models.md, §2).

Trains on synthetic random data (SGD, momentum 0.9, weight decay 5e-4,
softmax cross-entropy) and measures images/s per training step:
W warm-up steps, then N timed steps, repeated R times; the median is reported.

On a GPU (--device cuda), --precision fp32 is true fp32 (TF32 off in cuBLAS
and cuDNN), tf32 is PyTorch's TF32, bf16 is autocast to bfloat16 (fp32
master weights); cudnn.benchmark=True in all three (PyTorch at its fastest,
as convoy measures its convolution algorithms by default).

Examples:
  OMP_WAIT_POLICY=ACTIVE python3 pytorch_train_bench.py --model lenet5 --batch-size 256 --threads 2
  python3 pytorch_train_bench.py --model alexnet --batch-size 128 --device cuda --precision tf32
  OMP_WAIT_POLICY=ACTIVE python3 pytorch_train_bench.py --model alexnet --batch-size 32 \
      --steps 3 --warmup 1 --repeats 3

The last line printed is machine-readable:
  summary model=lenet5 batch=256 threads=2 img_per_s=12345.6 gflops=...
"""
import argparse
import os
import statistics
import sys
import time
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

# Forward FLOPs per image (a multiply-add counts 2), docs/models.md/§2; training ~ 3x forward.
LENET5_FWD_FLOPS = 0.83e6
ALEXNET_FWD_FLOPS_227 = 2.27e9

LENET5_PARAMS = 61706
ALEXNET_PARAMS = 62378344  # 227x227 input, 1000 classes


class LinearViaConv(nn.Linear):
    """nn.Linear computed as a 1x1 convolution (same parameters, same maths).

    Debian's python3-torch is built with BLAS_INFO=generic and links the
    reference BLAS (libblas3), so nn.Linear runs at ~2 GFLOP/s; convolutions
    go through oneDNN. --fc-impl conv routes the fully connected layers
    through oneDNN as well, which is what a PyTorch built with MKL/OpenBLAS
    would get from its GEMM.
    """

    def forward(self, x):
        n = x.shape[0]
        w = self.weight.view(self.out_features, self.in_features, 1, 1)
        y = F.conv2d(x.reshape(n, self.in_features, 1, 1), w, self.bias)
        return y.view(n, self.out_features)


FC = nn.Linear  # set from --fc-impl before the models are built


def lenet5(num_classes=10):
    """docs/models.md: sigmoid LeNet-5 with average pooling, 28x28x1 input."""
    nn_Linear = FC
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, 6, 5, stride=1, padding=2)),
        ("sig1", nn.Sigmoid()),
        ("pool1", nn.AvgPool2d(2, 2)),
        ("conv2", nn.Conv2d(6, 16, 5, stride=1, padding=0)),
        ("sig2", nn.Sigmoid()),
        ("pool2", nn.AvgPool2d(2, 2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn_Linear(400, 120)),
        ("sig3", nn.Sigmoid()),
        ("fc2", nn_Linear(120, 84)),
        ("sig4", nn.Sigmoid()),
        ("fc3", nn_Linear(84, num_classes)),
    ]))


def lrn():
    # docs/models.md: our (k, alpha, beta, n) = (2, 1e-4, 0.75, 5). PyTorch divides
    # alpha by the window size, so pass alpha * window (window = 2*(n//2)+1 = 5).
    n = 5
    window = 2 * (n // 2) + 1
    return nn.LocalResponseNorm(size=window, alpha=1e-4 * window, beta=0.75, k=2.0)


def conv_out(size, k, s, p):
    return (size + 2 * p - k) // s + 1


def alexnet(num_classes=1000, input_size=227):
    """docs/models.md: one-tower AlexNet with LRN after relu1 and relu2, dropout 0.5."""
    s = conv_out(input_size, 11, 4, 0)   # conv1
    s = conv_out(s, 3, 2, 0)             # pool1
    s = conv_out(s, 5, 1, 2)             # conv2
    s = conv_out(s, 3, 2, 0)             # pool2
    s = conv_out(s, 3, 1, 1)             # conv3..5 keep the size
    s = conv_out(s, 3, 2, 0)             # pool5
    flat = 256 * s * s
    nn_Linear = FC
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(3, 96, 11, stride=4, padding=0)),
        ("relu1", nn.ReLU(inplace=True)),
        ("lrn1", lrn()),
        ("pool1", nn.MaxPool2d(3, 2)),
        ("conv2", nn.Conv2d(96, 256, 5, stride=1, padding=2)),
        ("relu2", nn.ReLU(inplace=True)),
        ("lrn2", lrn()),
        ("pool2", nn.MaxPool2d(3, 2)),
        ("conv3", nn.Conv2d(256, 384, 3, stride=1, padding=1)),
        ("relu3", nn.ReLU(inplace=True)),
        ("conv4", nn.Conv2d(384, 384, 3, stride=1, padding=1)),
        ("relu4", nn.ReLU(inplace=True)),
        ("conv5", nn.Conv2d(384, 256, 3, stride=1, padding=1)),
        ("relu5", nn.ReLU(inplace=True)),
        ("pool5", nn.MaxPool2d(3, 2)),
        ("flatten", nn.Flatten()),
        ("fc6", nn_Linear(flat, 4096)),
        ("relu6", nn.ReLU(inplace=True)),
        ("drop6", nn.Dropout(0.5)),
        ("fc7", nn_Linear(4096, 4096)),
        ("relu7", nn.ReLU(inplace=True)),
        ("drop7", nn.Dropout(0.5)),
        ("fc8", nn_Linear(4096, num_classes)),
    ]))


def count_params(model):
    return sum(p.numel() for p in model.parameters())


def param_groups(model, weight_decay):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if name.endswith("bias") else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0}]


def build(args):
    if args.model == "lenet5":
        size = args.input_size or 28
        classes = args.num_classes or 10
        model = lenet5(classes)
        in_ch = 1
        if size == 28 and classes == 10:
            n = count_params(model)
            assert n == LENET5_PARAMS, f"LeNet-5 has {n} parameters, expected {LENET5_PARAMS}"
        # FLOPs scale with the spatial area only for the conv part; the table
        # in docs/models.md is at 28x28, which is the only size the FC layer accepts.
        fwd_flops = LENET5_FWD_FLOPS
    else:
        size = args.input_size or 227
        classes = args.num_classes or 1000
        model = alexnet(classes, size)
        in_ch = 3
        if size == 227 and classes == 1000:
            n = count_params(model)
            assert n == ALEXNET_PARAMS, f"AlexNet has {n} parameters, expected {ALEXNET_PARAMS}"
        # Scale the 227x227 figure approximately by the conv1 output area.
        base = conv_out(227, 11, 4, 0) ** 2
        fwd_flops = ALEXNET_FWD_FLOPS_227 * conv_out(size, 11, 4, 0) ** 2 / base
    return model, in_ch, size, classes, fwd_flops


def per_layer_profile(model, opt, x, y, steps):
    """Best-effort per-layer forward/backward wall time via module hooks.

    Forward time: pre-hook -> forward hook. Backward time: the time between
    a module's output gradient arriving (tensor hook on its output) and its
    input gradient being produced (tensor hook on its input); for the first
    layer, whose input needs no gradient, until loss.backward() returns.
    Timings of tiny layers are approximate (hook overhead ~ tens of us).
    """
    fwd = OrderedDict((name, 0.0) for name, _ in model.named_children())
    bwd = OrderedDict((name, 0.0) for name, _ in model.named_children())
    marks = {}
    handles = []
    pending = set()  # layers whose backward ends with loss.backward()

    def make_hooks(name, module):
        def pre(mod, inp):
            marks[("f", name)] = time.perf_counter()
            # Record when the gradient wrt this module's input is produced.
            t = inp[0]
            if t.requires_grad:
                pending.discard(name)
                def ghook(g, name=name):
                    t0 = marks.get(("b", name))
                    if t0 is not None:
                        bwd[name] += time.perf_counter() - t0
                    return None
                t.register_hook(ghook)

        def post(mod, inp, out):
            if not inp[0].requires_grad:
                pending.add(name)
            fwd[name] += time.perf_counter() - marks[("f", name)]
            if out.requires_grad:
                def ohook(g, name=name):
                    marks[("b", name)] = time.perf_counter()
                    return None
                out.register_hook(ohook)
            return None
        return pre, post

    for name, module in model.named_children():
        # In-place ReLU would make the output hook clash with the input; use
        # out-of-place during profiling.
        if isinstance(module, nn.ReLU):
            module.inplace = False
        pre, post = make_hooks(name, module)
        handles.append(module.register_forward_pre_hook(pre))
        handles.append(module.register_forward_hook(post))

    t_total = 0.0
    for _ in range(steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        pending.clear()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        t_end = time.perf_counter()
        for name in pending:
            if ("b", name) in marks:
                bwd[name] += t_end - marks[("b", name)]
        marks.clear()
        opt.step()
        t_total += time.perf_counter() - t0
    for h in handles:
        h.remove()

    print()
    print(f"per-layer times (ms per step, mean of {steps} steps, hooks)")
    print(f"{'layer':<10} {'forward':>10} {'backward':>10} {'total':>10}")
    sf = sb = 0.0
    for name in fwd:
        f_ms = fwd[name] / steps * 1e3
        b_ms = bwd[name] / steps * 1e3
        sf += f_ms
        sb += b_ms
        print(f"{name:<10} {f_ms:10.3f} {b_ms:10.3f} {f_ms + b_ms:10.3f}")
    step_ms = t_total / steps * 1e3
    print(f"{'sum':<10} {sf:10.3f} {sb:10.3f} {sf + sb:10.3f}")
    print(f"{'step':<10} {'':>10} {'':>10} {step_ms:10.3f}  (incl. loss, optimizer, hook overhead)")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=["lenet5", "alexnet"], default="lenet5")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--steps", type=int, default=20, help="timed steps per repeat")
    ap.add_argument("--warmup", type=int, default=5, help="warm-up steps (untimed)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--input-size", type=int, default=0, help="0: 28 (lenet5) / 227 (alexnet)")
    ap.add_argument("--num-classes", type=int, default=0, help="0: 10 (lenet5) / 1000 (alexnet)")
    ap.add_argument("--fc-impl", choices=["linear", "conv"], default="linear",
                    help="fully connected layers as nn.Linear (BLAS GEMM; the reference "
                         "BLAS with Debian's torch) or as 1x1 convolutions (oneDNN)")
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-layer", action="store_true",
                    help="also print per-layer forward/backward times")
    ap.add_argument("--per-layer-steps", type=int, default=0,
                    help="steps for the per-layer table (0: same as --steps)")
    ap.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N")
    ap.add_argument("--precision", choices=["fp32", "tf32", "bf16"], default="fp32",
                    help="on a GPU: true fp32, TF32 tensor cores, or bf16 autocast")
    args = ap.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda":
        tf32 = args.precision == "tf32"
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        torch.backends.cudnn.benchmark = True

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    global FC
    FC = LinearViaConv if args.fc_impl == "conv" else nn.Linear

    model, in_ch, size, classes, fwd_flops = build(args)
    model.to(device).train()
    opt = torch.optim.SGD(param_groups(model, 5e-4), lr=args.lr, momentum=0.9)
    x = torch.randn(args.batch_size, in_ch, size, size, device=device)
    y = torch.randint(0, classes, (args.batch_size,), device=device)
    bf16 = device.type == "cuda" and args.precision == "bf16"

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=bf16):
            loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    print(f"model={args.model} params={count_params(model):,} input={in_ch}x{size}x{size} "
          f"classes={classes} batch={args.batch_size} threads={torch.get_num_threads()} "
          f"fc_impl={args.fc_impl}")
    blas = "MKL" if torch.backends.mkl.is_available() else (
        "generic" if "BLAS_INFO=generic" in torch.__config__.show() else "other")
    print(f"torch={torch.__version__} blas={blas} mkldnn={torch.backends.mkldnn.is_available()} "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '')}")
    print(f"warmup={args.warmup} steps={args.steps} repeats={args.repeats}")

    if device.type == "cuda":  # what the precision flag set, as PyTorch reports it
        print(f"matmul.allow_tf32={torch.backends.cuda.matmul.allow_tf32} "
              f"cudnn.allow_tf32={torch.backends.cudnn.allow_tf32} cudnn.benchmark={torch.backends.cudnn.benchmark} "
              f"autocast_bf16={bf16} gpu={torch.cuda.get_device_name(device)}")
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    for _ in range(args.warmup):
        step()

    rates, step_ms = [], []
    print(f"{'repeat':>6} {'ms/step':>10} {'img/s':>12}")
    for r in range(args.repeats):
        sync()  # a round starts with nothing of the last one still queued
        t0 = time.perf_counter()
        for _ in range(args.steps):
            loss = step()
        loss.item()
        dt = time.perf_counter() - t0
        rate = args.batch_size * args.steps / dt
        rates.append(rate)
        step_ms.append(dt / args.steps * 1e3)
        print(f"{r:>6} {step_ms[-1]:10.2f} {rate:12.1f}")

    med = statistics.median(rates)
    train_flops = 3.0 * fwd_flops
    gflops = med * train_flops / 1e9
    print(f"{'median':>6} {statistics.median(step_ms):10.2f} {med:12.1f}   "
          f"(min {min(rates):.1f}, max {max(rates):.1f}); "
          f"{gflops:.2f} GFLOP/s at {train_flops / 1e6:.2f} MFLOP/image (3x forward)")

    if args.per_layer:
        per_layer_profile(model, opt, x, y, args.per_layer_steps or args.steps)

    print(f"summary model={args.model} device={args.device} precision={args.precision} batch={args.batch_size} "
          f"threads={torch.get_num_threads()} img_per_s={med:.1f} gflops={gflops:.3f} fc_impl={args.fc_impl}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
