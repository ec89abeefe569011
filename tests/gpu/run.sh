#!/usr/bin/env bash
# The CUDA check of FmriToImage on a bare Linux GPU machine: no .NET SDK needed (the app is self-contained), CUDA 13
# and cuDNN 9 from the system or from PyTorch's pip wheels (nvidia-*-cu13 packages), python3 for the comparison.
# Made by tests/gpu/pack.sh; put every part it wrote and this script in one folder, then:
#
#   bash run.sh [--trials N] [--cpu-only]
#
# 1. checks SHA256SUMS, reassembles and unpacks the parts (xz, or Python's lzma where xz is missing);
# 2. finds CUDA 13 / cuDNN 9 libraries (system, or site-packages/nvidia/*/lib of the installed PyTorch) and checks the
#    CUDA provider's dependencies with ldd — a missing one is named and the script exits 6;
# 3. runs the demo reconstruction (samples/Reconstruct, caption -> img2img, first N test trials) with --device cpu
#    and --device cuda (CUDA required: no CPU fallback), timing each;
# 4. compares the two: every per-trial image (max and mean |difference| in grey levels, share of values differing by
#    more than 2) and every score of metrics.json; writes compare.json and exits 1 when they disagree beyond the
#    tolerances below (CUDA kernels sum in other orders than the CPU ones: small differences are expected).
# --cpu-only runs steps 1, 3 and 4 for the CPU half alone (what can be checked on a machine without a GPU).
set -euo pipefail
cd "$(dirname "$0")"
trials=16
cpu_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --trials) trials=$2; shift 2 ;;
    --cpu-only) cpu_only=1; shift ;;
    *) echo "run: unknown argument '$1' (--trials N, --cpu-only)" >&2; exit 2 ;;
  esac
done
# Tolerances for CUDA against CPU: images in grey levels (0-255), scores absolute.
max_mean_grey=2.0
max_score_diff=0.05

sha256sum -c --quiet SHA256SUMS
unxz_stream() {  # decompresses stdin to stdout
  if command -v xz >/dev/null 2>&1; then xz -dc; else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.stdin.buffer), sys.stdout.buffer)'; fi
}
rm -rf work && mkdir work
cat payload.tar.xz.part* | unxz_stream | tar -C work -xf -
app=work/app/fmri2img-reconstruct
chmod +x "$app"

if [ "$cpu_only" -eq 0 ]; then
  cat provider.xz.part* | unxz_stream > work/app/libonnxruntime_providers_cuda.so
  # CUDA 13 and cuDNN 9: the system's, else the ones pip installed with PyTorch (site-packages/nvidia/<lib>/lib).
  extra=$(python3 - <<'PY' 2>/dev/null || true
import glob, os, site
roots = site.getsitepackages() + [site.getusersitepackages()]
dirs = sorted({os.path.dirname(p) for r in roots for p in glob.glob(os.path.join(r, "nvidia", "**", "lib*.so*"), recursive=True)})
print(":".join(dirs))
PY
)
  export LD_LIBRARY_PATH="${extra}${extra:+:}${LD_LIBRARY_PATH:-}"
  missing=$(ldd work/app/libonnxruntime_providers_cuda.so | awk '/not found/ {print $1}' | tr '\n' ' ')
  if [ -n "$missing" ]; then
    echo "run: the CUDA provider cannot load: missing ${missing}— install CUDA 13 (libcudart.so.13, libcublas.so.13, libcublasLt.so.13, libcurand.so.10), the NVIDIA driver (libcuda.so.1) and cuDNN 9, or PyTorch's CUDA 13 wheels" >&2
    exit 6
  fi
  command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/run: GPU /'
fi

run_device() {  # run_device <cpu|cuda> <label>: one timed reconstruction of the first $trials trials into work/out-<label>
  local device=$1 label=$2 start end code=0
  start=$(date +%s.%N)
  (cd work && ./app/fmri2img-reconstruct --device "$device" --limit "$trials" --out "out-$label" >"run-$label.log" 2>&1) || code=$?
  if [ "$code" -ne 0 ]; then
    tail -n 20 "work/run-$label.log" >&2
    echo "run: --device $device failed with exit code $code" >&2
    exit "$code"
  fi
  end=$(date +%s.%N)
  python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$start" "$end" > "work/seconds-$label"
  echo "run: --device $device ($label): $(cat "work/seconds-$label") s for $trials trials (load, reconstruction, evaluation)"
  python3 -c "import json, sys; print('run:   execution providers:', json.load(open(sys.argv[1]))['run']['providers'])" "work/out-$label/metrics.json"
}

run_device cpu cpu
if [ "$cpu_only" -eq 1 ]; then
  run_device cpu cpu2   # a second CPU run: must be bit-identical to the first
else
  run_device cuda cuda
fi

# Compare the second run against the CPU run (CUDA, or in --cpu-only a second CPU run, which must be bit-identical).
other=cuda
[ "$cpu_only" -eq 1 ] && other=cpu2
python3 - "$other" "$max_mean_grey" "$max_score_diff" <<'PY'
import json, os, struct, sys, zlib

other, max_mean_grey, max_score_diff = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])

def png_pixels(path):
    """The 8-bit samples of a non-interlaced PNG (what the app writes), unfiltered, as bytes."""
    data = open(path, "rb").read()
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
            assert depth == 8, f"{path}: bit depth {depth}"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride, bpp = zlib.decompress(idat), width * channels, channels
    out, prev = bytearray(), bytearray(stride)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out += line
        prev = line
    return (width, height, channels), bytes(out)

cpu_dir, other_dir = "work/out-cpu/trials", f"work/out-{other}/trials"
images = sorted(f for f in os.listdir(cpu_dir) if f.endswith(".png"))
worst, rows = 0.0, []
for name in images:
    (shape_a, a), (shape_b, b) = png_pixels(os.path.join(cpu_dir, name)), png_pixels(os.path.join(other_dir, name))
    assert shape_a == shape_b, f"{name}: {shape_a} vs {shape_b}"
    diffs = [abs(x - y) for x, y in zip(a, b)]
    mean = sum(diffs) / len(diffs)
    rows.append({"image": name, "max": max(diffs), "mean": round(mean, 4), "share_over_2": round(sum(d > 2 for d in diffs) / len(diffs), 5)})
    worst = max(worst, mean)
def numbers(node, path=""):
    """Every numeric leaf of metrics.json by its key path, outside "run" (paths, providers) and timings."""
    if isinstance(node, dict):
        for key, value in node.items():
            if path == "" and key == "run" or "second" in key:
                continue
            yield from numbers(value, f"{path}.{key}" if path else key)
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield path, float(node)


metrics = {}
cpu_m = dict(numbers(json.load(open("work/out-cpu/metrics.json"))))
other_m = dict(numbers(json.load(open(f"work/out-{other}/metrics.json"))))
for key, value in cpu_m.items():
    if key in other_m:
        metrics[key] = {"cpu": value, other: other_m[key], "diff": abs(value - other_m[key])}
    else:
        metrics[key] = {"cpu": value, other: float("nan"), "diff": float("inf")}  # a missing number fails the check
seconds = {d: float(open(f"work/seconds-{d}").read()) for d in ("cpu", other)}
report = {"trials": len(images), "seconds": seconds, "images": rows, "scores": metrics,
          "providers": {d: json.load(open(f"work/out-{d}/metrics.json"))["run"]["providers"] for d in ("cpu", other)}}
json.dump(report, open("compare.json", "w"), indent=2)
print(f"run: {len(images)} images: worst mean |diff| {worst:.3f} grey levels, worst max {max(r['max'] for r in rows)}")
for key, m in metrics.items():
    print(f"run: {key:48s} cpu {m['cpu']:.4f}  {other} {m[other]:.4f}  |diff| {m['diff']:.4f}")
print(f"run: seconds: cpu {seconds['cpu']:.2f}, {other} {seconds[other]:.2f} (ratio {seconds[other] / seconds['cpu']:.3f})")
limit_grey, limit_score = (0.0, 0.0) if other == "cpu2" else (max_mean_grey, max_score_diff)
bad = [r["image"] for r in rows if r["mean"] > limit_grey] + [k for k, m in metrics.items() if m["diff"] > limit_score]
if bad:
    print(f"run: FAILED: beyond tolerance (images mean <= {limit_grey}, scores <= {limit_score}): {bad[:10]}")
    sys.exit(1)
print("run: passed (compare.json)")
PY
