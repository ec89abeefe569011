using BenchmarkDotNet.Running;

// Run one area with e.g.: dotnet run -c Release --project tests/FmriToImage.Benchmarks -- --filter '*Ddim*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
