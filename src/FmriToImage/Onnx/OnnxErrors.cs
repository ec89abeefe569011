using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Onnx;

/// <summary>Turns ONNX Runtime's exceptions into the library's <see cref="OrtException"/>, with what was being done.</summary>
internal static class OnnxErrors
{
    private const string CodePrefix = "[ErrorCode:";

    /// <summary>The library's exception for <paramref name="e"/>, raised while doing <paramref name="operation"/>.</summary>
    public static OrtException Translate(OnnxRuntimeException e, string operation)
    {
        var (code, message) = Split(e.Message);
        return new OrtException(code, message, operation, e);
    }

    /// <summary>ONNX Runtime's message split into its error code name and its text ("[ErrorCode:Fail] text").</summary>
    public static (string Code, string Message) Split(string message)
    {
        if (message.StartsWith(CodePrefix, StringComparison.Ordinal) && message.IndexOf(']', StringComparison.Ordinal) is var end and > 0)
        {
            return (message[CodePrefix.Length..end], message[(end + 1)..].TrimStart());
        }

        return ("Fail", message);
    }

    /// <summary>Runs <paramref name="call"/>, translating ONNX Runtime's failure (and a missing native library).</summary>
    public static T Call<T>(Func<T> call, string operation)
    {
        try
        {
            return OnnxEnvironment.Loading(call);
        }
        catch (OnnxRuntimeException e)
        {
            throw Translate(e, operation);
        }
    }

    /// <summary>Runs <paramref name="call"/>, translating ONNX Runtime's failure (and a missing native library).</summary>
    public static void Call(Action call, string operation) => Call(
        () =>
        {
            call();
            return 0;
        },
        operation);
}
