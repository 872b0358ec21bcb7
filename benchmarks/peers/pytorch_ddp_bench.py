#!/usr/bin/env python3
"""PyTorch DistributedDataParallel peer of convoy's multi-rank training.

Spawns N processes (gloo backend, one thread each by default), wraps the same
LeNet-5 or AlexNet (pytorch_train_bench.py) in DDP with its default 25 MiB
buckets, trains on synthetic data at a fixed per-rank batch (SGD, momentum 0.9,
weight decay 5e-4) and reports the global training rate: ranks x batch x steps
/ rank 0's wall time over the timed steps (median of the repeats).

  python pytorch_ddp_bench.py --model alexnet --batch-size 32 --ranks 2 --threads 1 --steps 6

Last line: "summary model=... ranks=... batch=... threads=... img_per_s=..."
Use the newest torch from PyPI in a throwaway venv; never a build dependency.
"""
import argparse
import os
import statistics
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pytorch_train_bench as models  # noqa: E402


def worker(rank, args, results):
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", str(args.port))
    torch.set_num_threads(args.threads)
    dist.init_process_group("gloo", rank=rank, world_size=args.ranks)
    torch.manual_seed(1)
    if args.model == "lenet5":
        model, shape, classes = models.lenet5(), (1, 28, 28), 10
    else:
        model, shape, classes = models.alexnet(), (3, 227, 227), 1000
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    g = torch.Generator().manual_seed(7 + rank)
    x = torch.randn((args.batch_size,) + shape, generator=g)
    y = torch.randint(0, classes, (args.batch_size,), generator=g)

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(ddp(x), y).backward()
        opt.step()

    rates = []
    for _ in range(args.repeats):
        for _ in range(args.warmup):
            step()
        dist.barrier()
        start = time.perf_counter()
        for _ in range(args.steps):
            step()
        dist.barrier()
        rates.append(args.ranks * args.batch_size * args.steps / (time.perf_counter() - start))
    if rank == 0:
        results.put(statistics.median(rates))
    dist.destroy_process_group()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=["lenet5", "alexnet"], default="lenet5")
    p.add_argument("--batch-size", type=int, default=64, help="per rank")
    p.add_argument("--ranks", type=int, default=2)
    p.add_argument("--threads", type=int, default=1, help="per rank")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--port", type=int, default=29533)
    args = p.parse_args()
    ctx = mp.get_context("spawn")
    results = ctx.SimpleQueue()
    mp.spawn(worker, args=(args, results), nprocs=args.ranks, join=True)
    rate = results.get()
    print(f"torch {torch.__version__}, DDP gloo, {args.ranks} ranks x {args.threads} thread(s), "
          f"{args.model} batch {args.batch_size} per rank: {rate:.1f} img/s")
    print(f"summary model={args.model} ranks={args.ranks} batch={args.batch_size} threads={args.threads} "
          f"img_per_s={rate:.2f}")


if __name__ == "__main__":
    main()
