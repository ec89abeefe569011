using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Onnx;

/// <summary>
/// Connects a <see cref="CancellationToken"/> to one run: the token's cancellation sets
/// <see cref="RunOptions.Terminate"/>, and a run that failed because of it surfaces as
/// <see cref="OperationCanceledException"/> with the flag cleared again, so the run options are reusable.
/// </summary>
internal readonly struct RunCancellation : IDisposable
{
    private readonly RunOptions _runOptions;
    private readonly CancellationToken _token;
    private readonly CancellationTokenRegistration _registration;

    public RunCancellation(RunOptions runOptions, CancellationToken token)
    {
        _runOptions = runOptions;
        _token = token;
        if (token.CanBeCanceled)
        {
            _registration = token.UnsafeRegister(static state => ((RunOptions)state!).Terminate = true, runOptions);
        }
    }

    /// <summary>The run returned normally: clears a terminate flag a late cancellation may have set.</summary>
    public void Complete(string modelName)
    {
        // Waits for a callback in progress, so the flag is not set after it is cleared below.
        _registration.Dispose();
        if (_token.IsCancellationRequested)
        {
            _runOptions.Terminate = false;
        }
    }

    /// <summary>The run failed: <see cref="OperationCanceledException"/> when the token caused it, else returns for the caller to translate.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public void Fail(Exception failure, string modelName)
    {
        _registration.Dispose();
        if (_token.IsCancellationRequested)
        {
            _runOptions.Terminate = false;
            throw new OperationCanceledException($"The run of '{modelName}' was cancelled.", failure, _token);
        }
    }

    public void Dispose() => _registration.Dispose();
}
