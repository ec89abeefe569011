// fmri2img-inspect: what a lab runs first on an ONNX export — inputs, outputs, metadata, and where it would run.
//
//   dotnet run --project samples/Inspect -- path/to/model.onnx [--device cpu|cuda|auto]
//
// It uses ONNX Runtime's own C# API (Microsoft.ML.OnnxRuntime), as an application beside FmriToImage does.
// Exit codes: 0 success, 2 usage error, 3 model file missing, 4 ONNX Runtime could not load the model,
// 6 the CUDA execution provider cannot load (--device cuda).
using Microsoft.ML.OnnxRuntime;

var arguments = args.ToList();
var device = "cpu";
var deviceAt = arguments.IndexOf("--device");
if (deviceAt >= 0)
{
    if (deviceAt + 1 >= arguments.Count || arguments[deviceAt + 1] is not ("cpu" or "cuda" or "auto"))
    {
        return Usage($"--device must be cpu, cuda or auto{(deviceAt + 1 < arguments.Count ? $", not '{arguments[deviceAt + 1]}'" : "")}.");
    }

    device = arguments[deviceAt + 1];
    arguments.RemoveRange(deviceAt, 2);
}

if (arguments.Count != 1 || arguments[0] is "-h" or "--help")
{
    return Usage(null);
}

var modelPath = arguments[0];
if (!File.Exists(modelPath))
{
    Console.Error.WriteLine($"Model file '{modelPath}' does not exist (full path: '{Path.GetFullPath(modelPath)}').");
    return 3;
}

var environment = OrtEnv.Instance();
Console.WriteLine($"ONNX Runtime {environment.GetVersionString()}");
Console.WriteLine($"Providers compiled in: {string.Join(", ", environment.GetAvailableProviders())}");
Console.WriteLine();

using var options = new SessionOptions();
var runsOn = "CPUExecutionProvider";
if (device != "cpu")
{
    try
    {
        options.AppendExecutionProvider_CUDA(0);
        runsOn = "CUDAExecutionProvider, then CPUExecutionProvider for nodes CUDA cannot run";
    }
    catch (OnnxRuntimeException e)
    {
        var why = $"the CUDA execution provider cannot load: {e.Message}. It needs the Microsoft.ML.OnnxRuntime.Gpu.Linux package (build with -p:OnnxRuntimeFlavor=Gpu), CUDA 13 (libcudart.so.13, libcublasLt.so.13) and cuDNN 9 on the library path.";
        if (device == "cuda")
        {
            Console.Error.WriteLine($"--device cuda: {why}");
            return 6;
        }

        runsOn = $"CPUExecutionProvider (--device auto: {why})";
    }
}

InferenceSession session;
try
{
    session = new InferenceSession(modelPath, options);
}
catch (OnnxRuntimeException e)
{
    Console.Error.WriteLine($"ONNX Runtime could not load '{modelPath}': {e.Message}");
    return 4;
}

using (session)
{
    var metadata = session.ModelMetadata;
    Console.WriteLine($"Model      {Path.GetFullPath(modelPath)}");
    Console.WriteLine($"Producer   {metadata.ProducerName}");
    Console.WriteLine($"Graph      {metadata.GraphName}");
    Console.WriteLine($"Domain     {(metadata.Domain.Length > 0 ? metadata.Domain : "-")}");
    Console.WriteLine($"Version    {metadata.Version}");
    Console.WriteLine($"About      {(metadata.Description.Length > 0 ? metadata.Description : "-")}");
    foreach (var (key, value) in metadata.CustomMetadataMap.OrderBy(p => p.Key, StringComparer.Ordinal))
    {
        Console.WriteLine($"Meta       {key} = {value}");
    }

    Console.WriteLine();
    PrintNodes("Inputs", session.InputNames, session.InputMetadata);
    PrintNodes("Outputs", session.OutputNames, session.OutputMetadata);
    Console.WriteLine();
    Console.WriteLine($"Runs on    {runsOn}");
}

return 0;

static void PrintNodes(string title, IReadOnlyList<string> names, IReadOnlyDictionary<string, NodeMetadata> nodes)
{
    Console.WriteLine(title);
    var width = names.Count == 0 ? 0 : names.Max(n => n.Length);
    foreach (var name in names)
    {
        var node = nodes[name];
        var type = node.IsTensor ? ElementName(node.ElementDataType) : node.OnnxValueType.ToString();
        var shape = node.IsTensor
            ? "[" + string.Join(", ", node.Dimensions.Select((d, i) => d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : node.SymbolicDimensions[i] is { Length: > 0 } s ? s : "?")) + "]"
            : "";
        Console.WriteLine($"  {name.PadRight(width)}  {type,-8} {shape}");
    }
}

static string ElementName(Microsoft.ML.OnnxRuntime.Tensors.TensorElementType type) => type switch
{
    Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float => "float32",
    Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float16 => "float16",
    Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Double => "float64",
    _ => type.ToString().ToLowerInvariant(),
};

static int Usage(string? problem)
{
    if (problem is not null)
    {
        Console.Error.WriteLine(problem);
    }

    Console.Error.WriteLine("usage: fmri2img-inspect <model.onnx> [--device cpu|cuda|auto]");
    return problem is null ? 0 : 2;
}
