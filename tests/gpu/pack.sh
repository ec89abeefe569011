#!/usr/bin/env bash
# Packs everything tests/gpu/run.sh needs on a bare Linux GPU machine (no .NET SDK, CUDA 13 + PyTorch there) into
# parts of at most 60 MiB each (a transfer there takes at most 64 MiB per file):
#   - samples/Reconstruct published self-contained (not trimmed: see below) for linux-x64 with the CUDA package
#     (-p:OnnxRuntimeFlavor=Gpu): the .NET runtime, the app and ONNX Runtime 1.32's CUDA libonnxruntime.so;
#   - the CUDA provider, libonnxruntime_providers_cuda.so (289 MB), on its own, xz-compressed (run.sh unpacks it with xz or Python's lzma);
#   - the demo bundle (models/demo) and the demo data (samples/data/nsd-mini);
#   - run.sh itself and SHA256SUMS over every part.
# Run from anywhere in the repository, with the .NET 10 SDK and xz:   bash tests/gpu/pack.sh [out-dir]
# Then copy every file of out-dir to the GPU machine, into one folder, and run:   bash run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(realpath -m "${1:-artifacts/gpu-pack}")
part_size=60M
command -v xz >/dev/null || { echo "pack: xz is needed (apt-get install xz-utils)" >&2; exit 2; }
# Keep the compressed provider of an earlier run when the provider is the same (compressing 277 MB takes minutes).
mkdir -p "$out"
find "$out" -mindepth 1 -maxdepth 1 ! -name 'provider.xz.part*' ! -name 'provider.sha256' -exec rm -rf {} +
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

echo "pack: dotnet publish samples/Reconstruct (linux-x64, self-contained, CUDA package)"
# Not trimmed: the bundle and report JSON is read by reflection, and a trimmed publish (measured: TrimMode=partial with
# the reflection serializer kept) still lost System.Private.Uri, which the app loads at run time. Untrimmed, the app
# compresses to one part anyway.
dotnet publish samples/Reconstruct -c Release -r linux-x64 --self-contained -p:OnnxRuntimeFlavor=Gpu \
  -o "$stage/app" -v quiet -nologo
# Only linux-x64 native files may be there (build/OnnxRuntime.Native.targets drops the Windows ones).
if find "$stage/app" -name '*.dll' -path '*onnxruntime*' | grep -q .; then
  echo "pack: a Windows onnxruntime*.dll is in the linux-x64 publish" >&2; exit 1
fi
provider=libonnxruntime_providers_cuda.so
[ -f "$stage/app/$provider" ] || { echo "pack: $provider is not in the publish (was the GPU package restored?)" >&2; exit 1; }
mv "$stage/app/$provider" "$stage/$provider"
du -sh "$stage/app" "$stage/$provider" | sed 's/^/pack: /'

provider_sha=$(sha256sum "$stage/$provider" | cut -d ' ' -f 1)
if [ -f "$out/provider.sha256" ] && [ "$(cat "$out/provider.sha256")" = "$provider_sha" ] && [ -f "$out/provider.xz.part00" ]; then
  echo "pack: $provider unchanged: its parts in $out are kept"
else
  echo "pack: $provider -> xz -> parts of $part_size"
  rm -f "$out"/provider.xz.part*
  xz -T0 -6 -c "$stage/$provider" > "$stage/$provider.xz"
  split -b "$part_size" -d -a 2 "$stage/$provider.xz" "$out/provider.xz.part"
  echo "$provider_sha" > "$out/provider.sha256"
fi

echo "pack: app + models/demo + samples/data/nsd-mini -> tar.xz -> parts of $part_size"
mkdir -p "$stage/payload/models" "$stage/payload/samples/data"
mv "$stage/app" "$stage/payload/app"
cp -r models/demo "$stage/payload/models/demo"
cp -r samples/data/nsd-mini "$stage/payload/samples/data/nsd-mini"
tar -C "$stage/payload" -cf - . | xz -T0 -6 > "$stage/payload.tar.xz"
split -b "$part_size" -d -a 2 "$stage/payload.tar.xz" "$out/payload.tar.xz.part"

cp tests/gpu/run.sh "$out/run.sh"
(cd "$out" && sha256sum provider.xz.part* payload.tar.xz.part* > SHA256SUMS)
ls -l "$out" | awk 'NR > 1 {printf "pack: %-28s %6.1f MiB\n", $9, $5 / 1048576}'
largest=$(find "$out" -type f -printf '%s\n' | sort -n | tail -n 1)
[ "$largest" -le $((64 * 1024 * 1024)) ] || { echo "pack: a part is larger than 64 MiB" >&2; exit 1; }
echo "pack: done: $out"
