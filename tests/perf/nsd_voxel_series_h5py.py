#!/usr/bin/python3
"""HDF5 voxel-series reads with h5py, the reference for Hdf5VoxelSeriesBenchmark (docs/performance.md).

  /usr/bin/python3 tests/perf/nsd_voxel_series_h5py.py make  [path]   # writes the NSD-shaped benchmark file
  /usr/bin/python3 tests/perf/nsd_voxel_series_h5py.py time  [path]   # times h5py reading the same voxels

The file mimics an NSD session: /betas int16, shape (750, Z, Y, X), chunks (750, 1, 1, 1), uncompressed, default
(earliest) format, on a reduced grid (Z, Y, X) = (40, 52, 40) so it stays ~125 MB. The voxels read are every voxel
whose flat index i satisfies i % 5 == 0 (16,640 voxels, about an NSD nsdgeneral mask), each as one
betas[:, z, y, x] read, converted to float32 — the same work the C# benchmark does.
"""
import os
import sys
import time

import h5py
import numpy as np

PATH = sys.argv[2] if len(sys.argv) > 2 else "/tmp/fmri-bench/nsd_betas_bench.h5"
T, Z, Y, X = 750, 40, 52, 40


def voxels():
    idx = np.arange(Z * Y * X)[::5]
    return [(int(i // (Y * X)), int(i // X % Y), int(i % X)) for i in idx]


if sys.argv[1] == "make":
    os.makedirs(os.path.dirname(PATH), exist_ok=True)
    rng = np.random.default_rng(0)
    with h5py.File(PATH, "w") as f:
        d = f.create_dataset("betas", shape=(T, Z, Y, X), dtype="<i2", chunks=(T, 1, 1, 1))
        for z in range(Z):
            d[:, z] = rng.integers(-3000, 3000, size=(T, Y, X), dtype=np.int16)
    print("wrote", PATH, os.path.getsize(PATH), "bytes")
else:
    vs = voxels()
    with h5py.File(PATH, "r") as f:
        d = f["betas"]
        best = float("inf")
        for rep in range(5):
            t0 = time.perf_counter()
            for (z, y, x) in vs:
                s = d[:, z, y, x].astype(np.float32)
            best = min(best, time.perf_counter() - t0)
    print(f"h5py {h5py.__version__} / HDF5 {h5py.version.hdf5_version}: {len(vs)} voxel series, best of 5: {best * 1000:.1f} ms "
          f"({best / len(vs) * 1e6:.1f} us per voxel)")
