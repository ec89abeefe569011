#!/usr/bin/env bash
# Submits a subject to Slurm: an array of N shards (reconstruct-array.sbatch) and the merge (merge.sbatch) that runs
# once every shard succeeded (--dependency=afterok). Run from the repository root, after
# `dotnet build samples/Reconstruct -c Release` (or set FMRI2IMG_RECONSTRUCT to a published job); docs/scale-out.md.
#
#   deploy/slurm/submit.sh --shards N [--gpu] [--logs DIR] [sbatch option ...] -- [job option ...]
#
#   --shards N   array tasks 0..N-1, one shard each
#   --gpu        --gres=gpu:1 per array task and --device cuda for the job (one process per GPU); the merge stays on CPU
#   --logs DIR   per-task logs DIR/fmri2img-<array>_<task>.out, DIR/fmri2img-merge-<job>.out (default: logs)
#   sbatch options (--partition=…, --time=…, --cpus-per-task=…, --mem=…) go to both jobs; SBATCH_* variables work too.
#   Job options (--out, --bundle, --data, --limit, --pipeline, …) go to both jobs; give --out a folder every node sees.
#
# Prints "array=<id> merge=<id> logs=<dir>" last.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage() { sed -n '2,/^set /{/^#/p}' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }

shards= gpu=0 logs=logs sbatch_args=()
while [ $# -gt 0 ]; do
  case $1 in
    --shards) shards=${2:-}; shift 2 ;;
    --shards=*) shards=${1#*=}; shift ;;
    --gpu) gpu=1; shift ;;
    --logs) logs=${2:-}; shift 2 ;;
    --logs=*) logs=${1#*=}; shift ;;
    --) shift; break ;;
    -h|--help) usage 0 ;;
    *) sbatch_args+=("$1"); shift ;;
  esac
done
[[ $shards =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: --shards must be a whole number ≥ 1, not '$shards'" >&2; usage; }
[ -n "$logs" ] || usage

job=${FMRI2IMG_RECONSTRUCT:-$PWD/samples/Reconstruct/bin/Release/net10.0/fmri2img-reconstruct.dll}
[ -e "$job" ] || { echo "submit.sh: the job '$job' is not built: run 'dotnet build samples/Reconstruct -c Release' in the repository root, or set FMRI2IMG_RECONSTRUCT" >&2; exit 3; }
job=$(cd "$(dirname "$job")" && pwd)/$(basename "$job")
mkdir -p "$logs"
logs=$(cd "$logs" && pwd)

array_args=() job_device=()
if [ "$gpu" -eq 1 ]; then
  array_args+=(--gres=gpu:1)
  job_device+=(--device cuda)
fi

array=$(sbatch --parsable --export="ALL,FMRI2IMG_RECONSTRUCT=$job" --array="0-$((shards - 1))" --output="$logs/%x-%A_%a.out" \
  "${array_args[@]}" "${sbatch_args[@]}" "$here/reconstruct-array.sbatch" "$@" "${job_device[@]}")
array=${array%%;*}
merge=$(sbatch --parsable --export="ALL,FMRI2IMG_RECONSTRUCT=$job" --dependency="afterok:$array" --kill-on-invalid-dep=yes \
  --output="$logs/%x-%j.out" "${sbatch_args[@]}" "$here/merge.sbatch" "$@")
merge=${merge%%;*}
echo "submit.sh: $shards shards in array job $array, then merge job $merge once all succeeded; logs in $logs" >&2
echo "array=$array merge=$merge logs=$logs"
