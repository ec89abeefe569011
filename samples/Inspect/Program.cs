// fmri2img-inspect: what a lab runs first on an ONNX export — inputs, outputs, metadata, and where it would run.
//
//   dotnet run --project samples/Inspect -- path/to/model.onnx [--device cpu|cuda|auto]
//
// Exit codes: 0 success, 2 usage error, 3 model file missing, 4 ONNX Runtime could not load the model or the library.
using FmriToImage;
using FmriToImage.Onnx;

var arguments = args.ToList();
var policy = ExecutionProviderPolicy.Cpu;
var deviceAt = arguments.IndexOf("--device");
if (deviceAt >= 0)
{
    if (deviceAt + 1 >= arguments.Count)
    {
        return Usage("--device needs a value: cpu, cuda or auto.");
    }

    policy = arguments[deviceAt + 1] switch
    {
        "cpu" => ExecutionProviderPolicy.Cpu,
        "cuda" => ExecutionProviderPolicy.RequireCuda,
        "auto" => ExecutionProviderPolicy.PreferCuda,
        var other => (ExecutionProviderPolicy)(-1),
    };
    if ((int)policy < 0)
    {
        return Usage($"--device must be cpu, cuda or auto, not '{arguments[deviceAt + 1]}'.");
    }

    arguments.RemoveRange(deviceAt, 2);
}

if (arguments.Count != 1 || arguments[0] is "-h" or "--help")
{
    return Usage(null);
}

try
{
    Console.WriteLine($"ONNX Runtime {OnnxRuntime.Version}  ({OnnxRuntime.LibraryPath})");
    Console.WriteLine($"Providers compiled in: {string.Join(", ", OnnxRuntime.AvailableProviders)}");
    Console.WriteLine();

    using var session = OrtSession.Open(arguments[0], new OrtSessionOptions { ExecutionProvider = policy });
    var metadata = session.Metadata;
    Console.WriteLine($"Model      {Path.GetFullPath(arguments[0])}");
    Console.WriteLine($"Producer   {metadata.ProducerName}");
    Console.WriteLine($"Graph      {metadata.GraphName}");
    Console.WriteLine($"Domain     {(metadata.Domain.Length > 0 ? metadata.Domain : "-")}");
    Console.WriteLine($"Version    {metadata.Version}");
    Console.WriteLine($"About      {(metadata.Description.Length > 0 ? metadata.Description : "-")}");
    foreach (var (key, value) in metadata.CustomMetadata.OrderBy(p => p.Key, StringComparer.Ordinal))
    {
        Console.WriteLine($"Meta       {key} = {value}");
    }

    Console.WriteLine();
    PrintNodes("Inputs", session.Inputs);
    PrintNodes("Outputs", session.Outputs);
    Console.WriteLine();
    Console.WriteLine($"Runs on    {string.Join(", ", session.NodeCountByExecutionProvider.Select(p => $"{p.Key} ({p.Value} nodes)"))}");
    if (session.ExecutionProviderFallbackReason is { } reason)
    {
        Console.WriteLine($"Note       {reason}");
    }

    return 0;
}
catch (ModelFileNotFoundException e)
{
    Console.Error.WriteLine(e.Message);
    return 3;
}
catch (FmriToImageException e)
{
    Console.Error.WriteLine(e.Message);
    return 4;
}

static void PrintNodes(string title, IReadOnlyList<OrtNodeInfo> nodes)
{
    Console.WriteLine(title);
    var width = nodes.Count == 0 ? 0 : nodes.Max(n => n.Name.Length);
    foreach (var node in nodes)
    {
        var type = node.Kind == OrtValueKind.Tensor ? OrtTensorElementTypes.Name(node.ElementType) : node.Kind.ToString();
        Console.WriteLine($"  {node.Name.PadRight(width)}  {type,-8} {node.ShapeText}");
    }
}

static int Usage(string? problem)
{
    if (problem is not null)
    {
        Console.Error.WriteLine(problem);
    }

    Console.Error.WriteLine("usage: fmri2img-inspect <model.onnx> [--device cpu|cuda|auto]");
    return problem is null ? 0 : 2;
}
