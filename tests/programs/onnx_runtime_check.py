"""Checks an export_onnx model against convoy with ONNX's own software:
onnx.checker at full check (shape inference included), then ONNX Runtime on
the inputs export_onnx --reference wrote, against convoy's outputs there:
max|a - b| / max|b| per image under --tolerance (1e-4), the same top-1 on every
image but near-ties (convoy's top-2 margin under 1e-4 x max|output|, counted).

  python onnx_runtime_check.py MODEL.onnx REFERENCE_DIR
  python onnx_runtime_check.py MODEL.onnx --top5 INPUT.f32 C H W CLASS...   the photo's top 5 equals CLASS...
"""
import argparse
import sys

import numpy as np
import onnx
import onnxruntime


def session(path):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    meta = {p.key: p.value for p in model.metadata_props}
    print(f"onnx_runtime_check: {path} passes onnx.checker (full check); opset "
          f"{model.opset_import[0].version}, IR {model.ir_version}, metadata {sorted(meta)}")
    return onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"]), meta


def compare(args):
    run, _ = session(args.model)
    with open(f"{args.reference}/shapes.txt") as f:
        in_shape, out_shape = [[int(v) for v in line.split()] for line in f.read().splitlines()[:2]]
    pixels = np.fromfile(f"{args.reference}/pixels.f32", dtype=np.float32).reshape(in_shape)
    ours = np.fromfile(f"{args.reference}/outputs.f32", dtype=np.float32).reshape(out_shape)
    name = run.get_inputs()[0].name
    theirs = run.run(None, {name: pixels})[0]
    worst, mismatched, ties = 0.0, 0, 0
    for b, a in zip(ours, theirs):
        rel = float(np.max(np.abs(a - b)) / np.max(np.abs(b)))
        worst = max(worst, rel)
        top2 = np.sort(b)[-2:]
        if top2[1] - top2[0] < 1e-4 * np.max(np.abs(b)):
            ties += 1
        elif int(np.argmax(a)) != int(np.argmax(b)):
            mismatched += 1
    print(f"onnx_runtime_check: {len(ours)} images x {ours.shape[1]} outputs: largest max|a-b|/max|b| "
          f"{worst:.3g} (allowed {args.tolerance:g}); top-1 differs on {mismatched}; near-ties {ties}")
    return worst < args.tolerance and mismatched == 0


def top5(args):
    run, meta = session(args.model)
    c, h, w = args.top5[1:4]
    normalised = np.fromfile(args.top5[0], dtype=np.float32).reshape(1, int(c), int(h), int(w))
    mean = np.array([float(v) for v in meta["channel_mean"].split(",")], dtype=np.float32).reshape(1, -1, 1, 1)
    std = np.array([float(v) for v in meta["channel_std"].split(",")], dtype=np.float32).reshape(1, -1, 1, 1)
    pixels = normalised * std + mean  # classify's input, back in [0, 1]: the model normalises it again
    out = run.run(None, {run.get_inputs()[0].name: pixels})[0][0]
    theirs = [int(i) for i in np.argsort(-out)[:5]]
    ours = [int(v) for v in args.top5[4:]]
    # A place where the two differ is a near-tie when ONNX Runtime's outputs for both classes are that close.
    ties = [k for k in range(5) if theirs[k] != ours[k] and abs(out[theirs[k]] - out[ours[k]]) < 1e-4 * np.max(np.abs(out))]
    print(f"onnx_runtime_check: top-5 ONNX Runtime {theirs}, classify {ours} (near-ties at {ties})")
    return all(theirs[k] == ours[k] or k in ties for k in range(5))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("reference", nargs="?")
    ap.add_argument("--top5", nargs="+")
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args()
    ok = top5(args) if args.top5 else compare(args)
    print("onnx_runtime_check:", "passed" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
