#!/usr/bin/python3
"""Contiguous-row HDF5 reads with h5py, the reference for the `hdf5-rows` benchmark harness (docs/performance.md).

  /usr/bin/python3 tests/perf/contiguous_rows_h5py.py make [path]          # writes the MindEye2-shaped file (566 MB)
  /usr/bin/python3 tests/perf/contiguous_rows_h5py.py time [path] [reps]   # h5py's times, one JSON line

The file has MindEye2's betas_all_subjNN_fp32_renorm.hdf5 layout: /betas float32 (9000, 15724), contiguous,
uncompressed (default file format). Two reads of 300 rows as float32, each into a preallocated array (read_direct) and into a new array:
  block     rows 0..299 in one selection (read_direct; d[0:300])
  scattered 300 rows spread over the file (every 30th, as MindEye2's test rows are spread), one read per row
            (read_direct per row; d[r] per row into a new matrix, or one fancy-indexed d[rows], whichever is faster)
Each time is the best over `reps` repetitions.
"""
import json
import os
import sys
import time

import h5py
import numpy as np

T, V = 9000, 15724
PATH = sys.argv[2] if len(sys.argv) > 2 else "artifacts/perf/betas_all_subj01_fp32_renorm.hdf5"
ROWS = list(range(0, T, 30))  # 300 rows


def best(fn, reps):
    b = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        b = min(b, time.perf_counter() - t0)
    return b * 1000


if sys.argv[1] == "make":
    os.makedirs(os.path.dirname(os.path.abspath(PATH)), exist_ok=True)
    rng = np.random.default_rng(2)
    with h5py.File(PATH, "w") as f:
        d = f.create_dataset("betas", shape=(T, V), dtype="<f4")
        for r in range(0, T, 500):
            d[r:r + 500] = rng.standard_normal((min(500, T - r), V), dtype=np.float32)
    print("wrote", PATH, os.path.getsize(PATH), "bytes")
else:
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    with h5py.File(PATH, "r") as f:
        d = f["betas"]
        assert d.chunks is None and d.dtype == np.float32 and d.shape == (T, V)
        out = np.empty((300, V), dtype=np.float32)

        def per_row_new():
            m = np.empty((300, V), dtype=np.float32)
            for i, r in enumerate(ROWS):
                m[i] = d[r]

        def per_row_into():
            for i, r in enumerate(ROWS):
                d.read_direct(out, np.s_[r], np.s_[i])

        times = {
            "block_into_ms": best(lambda: d.read_direct(out, np.s_[0:300], np.s_[0:300]), reps),
            "block_new_ms": best(lambda: d[0:300], reps),
            "scattered_into_ms": best(per_row_into, reps),
            "scattered_new_ms": min(best(per_row_new, reps), best(lambda: d[ROWS], reps)),
        }
    print(json.dumps({"h5py": h5py.__version__, "hdf5": h5py.version.hdf5_version, **{k: round(v, 3) for k, v in times.items()}}))
