"""Throughput and size of the MV-SSTMA models (paper defaults).

Measures training-step throughput (samples/s, forward + backward + AdamW step)
of

* ``pretrain``: :meth:`MVSSTMA.forward_pretrain` (masked reconstruction,
  mask ratio 0.3, encoder on the visible channels, 6-block decoder);
* ``finetune-eeg``: the encoder-only EEG classifier
  (:meth:`MVSSTMA.from_pretrained`), cross-entropy;
* ``finetune-fusion``: :class:`MMVSSTMAClassifier` (EEG + 31 eye features,
  attention fusion), cross-entropy + 0.1 x DCCA;
* ``inference-eeg``: the EEG classifier's forward pass without gradients;

and prints the parameter counts. Paper defaults: C=62, F=5, T=10, D=16, L=6,
6 heads of width 16, 6 decoder blocks, batch 64; ``--size demo`` times the
accuracy benchmark's CPU model instead (``benchmarks/accuracy.py``: one
encoder and one decoder block, one head).

On CPU the number of torch threads is fixed (``--threads``, default 2); on
CUDA the steps run under autocast (``--amp bf16`` or ``fp16``, the latter
with a gradient scaler). Timings are the median over ``--steps`` steps after
``--warmup`` steps; on a machine shared with other processes CPU numbers are
noisy, so the best step is printed as well, and the process CPU time: the
ratio CPU seconds / wall seconds shows how much of the requested cores the
process got, and samples per CPU-second is the load-independent efficiency.

Examples
--------
    python benchmarks/model.py                       # CPU, 2 threads
    python benchmarks/model.py --device cuda --amp bf16 --batch-size 64 1024
    python benchmarks/model.py --device cuda --compile reduce-overhead --batch-size 64 512
    python benchmarks/model.py --attention kernel sdpa loop   # compare attention paths
    python benchmarks/model.py --omp-wait-policy passive   # busy shared CPU
    python benchmarks/model.py --size demo --threads 1 --workloads pretrain inference-eeg
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import types
import warnings

from _machine import sgemm_gflops


def _loop_block_forward(self, x):
    """A straightforward per-branch / per-time-step HybridBlock (reference baseline).

    Same parameters and function as ``HybridBlock.forward``: a Conv1d per
    branch, batch norm per branch, one multi-head attention call per branch
    and time step with separate query/key/value/output projections.
    """
    import torch
    from torch.nn import functional as F

    B, C, T, D = x.shape
    H, hd = self.n_heads, self.head_dim
    seq = x.permute(0, 1, 3, 2).reshape(B * C, D, T)
    bn = self.norm_branches
    total = torch.zeros_like(x)
    for b, (w, k, d) in enumerate(zip(self.conv_weights, self.kernel_sizes, self.dilations)):
        z = F.conv1d(F.pad(seq, ((k - 1) * d, 0)), w, dilation=d)  # (B * C, D, T)
        sl = slice(b * D, (b + 1) * D)
        z = F.batch_norm(
            z,
            bn.running_mean[sl],
            bn.running_var[sl],
            bn.weight[sl],
            bn.bias[sl],
            self.training,
            bn.momentum,
            bn.eps,
        )
        z = z.view(B, C, D, T)
        outs = []
        for t in range(T):
            zt = z[..., t]  # (B, C, D)
            q = (zt @ self.q_weight[b] + self.q_bias[b]).view(B, C, H, hd).transpose(1, 2)
            kk = (zt @ self.k_weight[b]).view(B, C, H, hd).transpose(1, 2)
            v = (zt @ self.v_weight[b] + self.v_bias[b]).view(B, C, H, hd).transpose(1, 2)
            o = F.scaled_dot_product_attention(q, kk, v)
            outs.append(o.transpose(1, 2).reshape(B, C, H * hd) @ self.out_weight[b])
        total = total + torch.stack(outs, dim=2)
    h = self.norm_attn(x + self.drop_attn(total + self.out_bias))
    return self.norm_ffn(h + self.drop_ffn(self.ffn(h)))


def _arch(size: str) -> dict:
    """MVSSTMA constructor arguments of a model size: the paper's, or the accuracy benchmark's."""
    if size == "paper":
        return {}
    from accuracy import ARCH

    return dict(ARCH)


def _models(backend: str, device, size: str = "paper"):
    from mne_mmvsstma.models import MVSSTMA, HybridBlock, MMVSSTMAClassifier

    arch = _arch(size)
    pre = MVSSTMA(**arch).to(device)
    eye_pre = MVSSTMA(n_chans=31, n_bands=1, **arch).to(device)
    eeg_clf = MVSSTMA.from_pretrained(pre, n_outputs=4)
    fusion = MMVSSTMAClassifier(4, eeg_encoder=pre, eye_encoder=eye_pre, fusion="attention")
    fusion = fusion.to(device)
    if backend == "loop":
        for model in (pre, eeg_clf, fusion):
            for module in model.modules():
                if isinstance(module, HybridBlock):
                    module.forward = types.MethodType(_loop_block_forward, module)
    return pre, eeg_clf, fusion


def _n_params(model) -> int:
    return sum(p.numel() for p in model.parameters())


def _sync(device):
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _time_steps(step, device, warmup: int, steps: int):
    """Wall-clock and process CPU seconds of each of ``steps`` steps."""
    for _ in range(warmup):
        step()
    _sync(device)
    walls, cpus = [], []
    for _ in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        _sync(device)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return walls, cpus


def _flop_counter():
    """:class:`~torch.utils.flop_counter.FlopCounterMode` that also counts in-place GEMMs.

    The chunked CPU attention kernel accumulates with ``baddbmm_`` / ``addmm_``,
    which torch's counter does not know; they get the usual ``2 m k n``.
    """
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    def baddbmm_(self_shape, a_shape, b_shape, *args, out_shape=None, **kwargs):
        return 2 * a_shape[0] * a_shape[1] * a_shape[2] * b_shape[2]

    def addmm_(self_shape, a_shape, b_shape, *args, out_shape=None, **kwargs):
        return 2 * a_shape[0] * a_shape[1] * b_shape[1]

    aten = torch.ops.aten
    return FlopCounterMode(
        display=False, custom_mapping={aten.baddbmm_: baddbmm_, aten.addmm_: addmm_}
    )


def _gflop_per_sample(step, batch_size):
    """Matrix-product GFLOP of one step, per sample (elementwise work not counted)."""
    counter = _flop_counter()
    with counter:
        step()
    return counter.get_total_flops() / batch_size / 1e9


def _workloads(pre, eeg_clf, fusion, batch_size, device, amp, compile_mode="none"):
    import torch
    from torch.nn import functional as F

    gen = torch.Generator(device="cpu").manual_seed(0)
    x = torch.randn(batch_size, 62, 10, 5, generator=gen).to(device)
    x_eye = torch.randn(batch_size, 31, 10, 1, generator=gen).to(device)
    y = torch.randint(0, 4, (batch_size,), generator=gen).to(device)
    use_amp = device.type == "cuda" and amp != "none"
    amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(amp, torch.float32)
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp and amp == "fp16")

    def autocast():
        return torch.autocast(device_type=device.type, dtype=amp_dtype, enabled=use_amp)

    def maybe_compile(fn):
        if compile_mode == "none":
            return fn
        return torch.compile(fn, mode=None if compile_mode == "default" else compile_mode)

    def train_step(model, loss_fn, lr):
        opt = torch.optim.AdamW(model.parameters(), lr=lr)
        loss_fn = maybe_compile(loss_fn)

        def step():
            model.train()
            with autocast():
                loss = loss_fn()
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()

        return step

    infer = maybe_compile(eeg_clf)

    def inference_step():
        eeg_clf.eval()
        with torch.inference_mode(), autocast():
            infer(x)

    return {
        "pretrain": train_step(pre, lambda: pre.forward_pretrain(x)["loss"], 1.5e-4),
        "finetune-eeg": train_step(eeg_clf, lambda: F.cross_entropy(eeg_clf(x).float(), y), 1e-3),
        "finetune-fusion": train_step(fusion, lambda: fusion.loss(x, x_eye, y)[0], 1e-3),
        "inference-eeg": inference_step,
    }


def _estimator_overhead(device, batch_size, n_windows, epochs, model_kwargs):
    """Pretraining throughput of the Pretrainer estimator vs a bare loop, same model and data.

    Both train the same MV-SSTMA on the same ``n_windows`` windows (device
    tensors, batches of index slices, AdamW, gradient clipping at 5); the
    estimator adds skorch's callbacks, history and the data loader. Returns
    ``(estimator samples/s, bare samples/s)``, medians over the epochs after
    the first.
    """
    import numpy as np
    import torch

    from mne_mmvsstma.models import MVSSTMA
    from mne_mmvsstma.training import Pretrainer

    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_windows, 62, 10, 5)).astype(np.float32)
    est = Pretrainer(max_epochs=epochs, batch_size=batch_size, device=str(device), scale=False,
                     random_state=0, **model_kwargs).fit(X)
    est_rate = n_windows / statistics.median(est.history[1:, "dur"])

    torch.manual_seed(0)
    model = MVSSTMA(n_outputs=None, n_chans=62, n_times=10, n_bands=5, **model_kwargs)
    model.to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1.5e-4, weight_decay=0.01)
    Xt = torch.from_numpy(X).to(device)
    durs = []
    for _ in range(epochs):
        _sync(device)
        t0 = time.perf_counter()
        order = torch.randperm(n_windows, device=device)
        losses = []
        for start in range(0, n_windows, batch_size):
            xb = Xt[order[start:start + batch_size]]
            with torch.autocast(device.type, dtype=torch.bfloat16,
                                enabled=device.type == "cuda"):
                loss = model.forward_pretrain(xb)["loss"]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            losses.append(loss.detach())
        torch.stack(losses).cpu()
        _sync(device)
        durs.append(time.perf_counter() - t0)
    return est_rate, n_windows / statistics.median(durs[1:])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    parser.add_argument("--threads", type=int, default=2, help="torch threads on CPU")
    parser.add_argument(
        "--omp-wait-policy",
        choices=["default", "passive", "active"],
        default="default",
        help="set OMP_WAIT_POLICY before torch starts (passive helps on busy shared CPUs)",
    )
    parser.add_argument(
        "--size",
        default="paper",
        choices=["paper", "demo"],
        help="'paper': the paper's sizes; 'demo': the CPU size of benchmarks/accuracy.py "
        "(1 + 1 hybrid blocks, one head)",
    )
    parser.add_argument("--batch-size", type=int, nargs="+", default=[64])
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument(
        "--amp",
        default="bf16",
        choices=["bf16", "fp16", "none"],
        help="autocast dtype on CUDA (ignored on CPU)",
    )
    parser.add_argument(
        "--compile",
        default="none",
        choices=["none", "default", "reduce-overhead", "max-autotune"],
        help="torch.compile the loss / forward functions with this mode",
    )
    parser.add_argument(
        "--attention",
        nargs="+",
        default=["kernel"],
        choices=["kernel", "sdpa", "loop"],
        help="'kernel': the block's chunked CPU kernel on (CUDA always uses SDPA); 'sdpa': "
        "the same fused form on scaled_dot_product_attention (set_cpu_attention_kernel(False)); "
        "'loop': a per-branch / per-time-step reference implementation of the block",
    )
    parser.add_argument(
        "--workloads",
        nargs="+",
        default=["pretrain", "finetune-eeg", "finetune-fusion", "inference-eeg"],
        choices=["pretrain", "finetune-eeg", "finetune-fusion", "inference-eeg"],
    )
    parser.add_argument(
        "--estimator-windows",
        type=int,
        default=512,
        help="windows of the estimator-vs-bare-loop comparison (0 skips it)",
    )
    parser.add_argument("--estimator-epochs", type=int, default=3)
    args = parser.parse_args(argv)
    if args.omp_wait_policy != "default":
        if "torch" in sys.modules:
            raise RuntimeError("--omp-wait-policy must be applied before torch is imported")
        os.environ["OMP_WAIT_POLICY"] = args.omp_wait_policy.upper()
    warnings.filterwarnings("ignore", category=FutureWarning)  # braindecode import noise
    import torch

    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("CUDA is not available on this machine; skipping the GPU benchmark")
        return 0
    torch.manual_seed(0)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        where = f"{torch.cuda.get_device_name(device)}, autocast {args.amp}"
        if args.compile != "none":
            where += f", torch.compile mode={args.compile}"
    else:
        torch.set_num_threads(args.threads)
        policy = os.environ.get("OMP_WAIT_POLICY", "unset")
        where = f"CPU, {torch.get_num_threads()} threads, float32, OMP_WAIT_POLICY={policy}"
    print(f"# MV-SSTMA ({args.size} size) throughput on {where}, torch {torch.__version__}")
    if device.type == "cpu" and hasattr(os, "getloadavg"):
        print(f"load average before: {os.getloadavg()[0]:.2f} (machine shared?)")

    peak = None
    if device.type == "cpu":
        peak = sgemm_gflops()
        print(
            f"float32 GEMM reference (2048x2048 matmul, {torch.get_num_threads()} threads): "
            f"{peak:.0f} GFLOP/s"
        )

    rows = []
    from mne_mmvsstma.models import set_cpu_attention_kernel

    for backend in args.attention:
        set_cpu_attention_kernel(backend == "kernel")
        pre, eeg_clf, fusion = _models(backend, device, args.size)
        if backend == args.attention[0]:
            head = eeg_clf.final_layer.weight.numel() + eeg_clf.final_layer.bias.numel()
            print(
                f"parameters: pretraining model {_n_params(pre):,} "
                f"(encoder {_n_params(eeg_clf) - head:,}, decoder and mask token "
                f"{_n_params(pre) - _n_params(eeg_clf) + head:,}), "
                f"EEG classifier {_n_params(eeg_clf):,}, "
                f"EEG+eye fusion classifier {_n_params(fusion):,}"
            )
        for bs in args.batch_size:
            work = _workloads(pre, eeg_clf, fusion, bs, device, args.amp, args.compile)
            for name in args.workloads:
                if device.type == "cuda":
                    torch.cuda.reset_peak_memory_stats(device)
                walls, cpus = _time_steps(work[name], device, args.warmup, args.steps)
                peak_mem = ""
                if device.type == "cuda":
                    mib = torch.cuda.max_memory_allocated(device) / 2**20
                    peak_mem = f", peak GPU memory {mib:.0f} MiB"
                med, best = statistics.median(walls), min(walls)
                cpu = statistics.median(cpus)
                # FLOPs are counted for the chunked CPU kernel only: torch's counter
                # does not see inside the CPU scaled_dot_product_attention kernel
                counted = device.type == "cpu" and backend == "kernel"
                gflop = _gflop_per_sample(work[name], bs) if counted else None
                rows.append(
                    (name, backend, bs, bs / med, bs / best, 1e3 * med, cpu / med, bs / cpu, gflop)
                )
                flops = ""
                if gflop is not None:
                    flops = (
                        f", {gflop:.3f} GFLOP/sample in matrix products = "
                        f"{gflop * bs / best:.0f} GFLOP/s at the best step "
                        f"(bound at the GEMM reference: {peak / gflop:.0f} samples/s)"
                    )
                print(
                    f"  {name:16s} {backend:7s} batch={bs:5d}: {bs / med:10.1f} samples/s "
                    f"(best {bs / best:.1f}), {1e3 * med:.1f} ms/step, "
                    f"CPU/wall {cpu / med:.2f}, {bs / cpu:.1f} samples per CPU-second{flops}"
                    f"{peak_mem}",
                    flush=True,
                )
    print()
    print(
        "| workload | attention | batch | samples/s (median) | samples/s (best) | ms/step "
        "| CPU s / wall s | samples per CPU-second | GFLOP/sample | GFLOP/s (best) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, backend, bs, med, best, ms, ratio, per_cpu, gflop in rows:
        flops = "- | -" if gflop is None else f"{gflop:.3f} | {gflop * best:.0f}"
        print(
            f"| {name} | {backend} | {bs} | {med:.1f} | {best:.1f} | {ms:.1f} | {ratio:.2f} "
            f"| {per_cpu:.1f} | {flops} |"
        )
    if args.estimator_windows:
        print()
        print("| batch | Pretrainer.fit samples/s | bare loop samples/s | engine overhead |")
        print("|---|---|---|---|")
        for bs in args.batch_size:
            est, bare = _estimator_overhead(device, bs, args.estimator_windows,
                                            max(2, args.estimator_epochs), _arch(args.size))
            print(f"| {bs} | {est:.1f} | {bare:.1f} | {100 * (bare / est - 1):+.1f} % |",
                  flush=True)
    if device.type == "cpu" and hasattr(os, "getloadavg"):
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
