using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Onnx;

/// <summary>
/// Connects a <see cref="CancellationToken"/> to one run: the token's cancellation sets
/// <see cref="RunOptions.Terminate"/>, and a run that failed because of it surfaces as
/// <see cref="OperationCanceledException"/> with the flag cleared again, so the run options are reusable.
/// </summary>
internal readonly struct RunCancellation : IDisposable
{
    private readonly RunOptions runOptions;
    private readonly CancellationToken token;
    private readonly CancellationTokenRegistration registration;

    public RunCancellation(RunOptions runOptions, CancellationToken token)
    {
        this.runOptions = runOptions;
        this.token = token;
        if (token.CanBeCanceled)
        {
            registration = token.UnsafeRegister(static state => ((RunOptions)state!).Terminate = true, runOptions);
        }
    }

    /// <summary>The run returned normally: clears a terminate flag a late cancellation may have set.</summary>
    public void Complete(string modelName)
    {
        // Waits for a callback in progress, so the flag is not set after it is cleared below.
        registration.Dispose();
        if (token.IsCancellationRequested)
        {
            runOptions.Terminate = false;
        }
    }

    /// <summary>The run failed: <see cref="OperationCanceledException"/> when the token caused it, else returns for the caller to translate.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public void Fail(Exception failure, string modelName)
    {
        registration.Dispose();
        if (token.IsCancellationRequested)
        {
            runOptions.Terminate = false;
            throw new OperationCanceledException($"The run of '{modelName}' was cancelled.", failure, token);
        }
    }

    public void Dispose() => registration.Dispose();
}
