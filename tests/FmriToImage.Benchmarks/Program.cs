using BenchmarkDotNet.Running;
using FmriToImage.Benchmarks.Harness;

// BenchmarkDotNet, one area with e.g.: dotnet run -c Release --project tests/FmriToImage.Benchmarks -- --filter '*Ddim*'
// Measured harnesses on the demo bundle (docs/performance.md says which command gives which number):
//   dotnet run -c Release --project tests/FmriToImage.Benchmarks -- side-by-side --trials 20 --out artifacts/perf/side-by-side
//   dotnet run -c Release --project tests/FmriToImage.Benchmarks -- ort-tuning --experiment sessions|load|batch|networks
//   dotnet run -c Release --project tests/FmriToImage.Benchmarks -- memory --trials 300 [--passes 5]
//   dotnet run -c Release --project tests/FmriToImage.Benchmarks -- ridge [--dimension 1024|4096] (SubjectAdapter.Fit at MindEye2 size)
//   dotnet run -c Release --project tests/FmriToImage.Benchmarks -- scale --bundle artifacts/scale/caption (a full-size bundle: models/scale/build.py; tests/perf/scale_side_by_side.py)
if (args.Length > 0 && Harnesses.Find(args[0]) is { } harness)
{
    return harness(new HarnessArguments(args[1..]));
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
