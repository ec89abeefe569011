// The decoder's steady state on a bundle, through reflection so one binary measures two builds of the library whose
// public types differ (docs/performance.md, "The house"): copy gcprobe.dll and gcprobe.runtimeconfig.json (not its
// deps.json) into a built program's folder beside its FmriToImage.dll, then
//     dotnet gcprobe.dll <bundle> <trials> <warm-up trials>
// runs ReconstructAllAsync with the bundle's defaults over the warm-up trials, then over <trials> seeded random
// z-scored trials, and prints the per-trial wall time and the gen-0/1/2 collections per 100 trials of the second call.
using System.Diagnostics;
using System.Reflection;

var bundle = args[0];
var trials = int.Parse(args[1]);
var warm = int.Parse(args[2]);
var dir = AppContext.BaseDirectory;
var lib = Assembly.LoadFrom(Path.Combine(dir, "FmriToImage.dll"));
var decoderType = lib.GetType("FmriToImage.BrainDecoder")!;
var matrixType = lib.GetType("FmriToImage.Data.VoxelMatrix")!;
var decoder = (IDisposable)decoderType.GetMethod("Load")!.Invoke(null, [bundle, null])!;
var voxels = (int)decoderType.GetProperty("VoxelCount")!.GetValue(decoder)!;
var random = new Random(1);
float[] Rows(int n)
{
    var data = new float[n * voxels];
    for (var i = 0; i < data.Length; i++)
    {
        data[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
    }

    return data;
}

async Task Run(int n)
{
    var matrix = Activator.CreateInstance(matrixType, [Rows(n), n, voxels, null])!;
    var all = decoderType.GetMethod("ReconstructAllAsync")!;
    var enumerable = all.Invoke(decoder, [matrix, null, null, CancellationToken.None])!;
    var itemType = all.ReturnType.GetGenericArguments()[0];
    var enumerableType = typeof(IAsyncEnumerable<>).MakeGenericType(itemType);
    var enumeratorType = typeof(IAsyncEnumerator<>).MakeGenericType(itemType);
    var enumerator = enumerableType.GetMethod("GetAsyncEnumerator")!.Invoke(enumerable, [CancellationToken.None])!;
    var moveNext = enumeratorType.GetMethod("MoveNextAsync")!;
    while (await (ValueTask<bool>)moveNext.Invoke(enumerator, null)!)
    {
    }

    await ((IAsyncDisposable)enumerator).DisposeAsync();
}

await Run(warm);
var g0 = GC.CollectionCount(0);
var g1 = GC.CollectionCount(1);
var g2 = GC.CollectionCount(2);
var clock = Stopwatch.StartNew();
await Run(trials);
clock.Stop();
double Per100(int before, int gen) => 100.0 * (GC.CollectionCount(gen) - before) / trials;
Console.WriteLine($"per_trial_ms={clock.Elapsed.TotalMilliseconds / trials:F1} gen0_per100={Per100(g0, 0):F1} gen1_per100={Per100(g1, 1):F1} gen2_per100={Per100(g2, 2):F1} trials={trials} alloc_mb_total={GC.GetTotalAllocatedBytes() / 1e6:F0}");
decoder.Dispose();
