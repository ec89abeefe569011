namespace FmriToImage.Onnx;

/// <summary>
/// Connects a <see cref="CancellationToken"/> to one native run: the token's cancellation sets the terminate flag of
/// the run options, and a run that failed because of it surfaces as <see cref="OperationCanceledException"/> with the
/// flag cleared again, so the run options are reusable.
/// </summary>
internal ref struct RunCancellation
{
    private readonly OrtRunOptions? runOptions;
    private readonly bool ownsRunOptions;
    private readonly CancellationToken token;
    private CancellationTokenRegistration registration;
    private OrtHandle.Lease lease;

    public RunCancellation(OrtRunOptions? runOptions, CancellationToken token)
    {
        this.token = token;
        if (runOptions is null && token.CanBeCanceled)
        {
            runOptions = new OrtRunOptions();
            ownsRunOptions = true;
        }

        this.runOptions = runOptions;
        if (runOptions is not null)
        {
            lease = runOptions.Acquire();
            RunOptionsPointer = lease.Pointer;
        }

        if (runOptions is not null && token.CanBeCanceled)
        {
            registration = token.UnsafeRegister(static state => ((OrtRunOptions)state!).Terminate(), runOptions);
        }
    }

    /// <summary>The <c>OrtRunOptions*</c> to pass to the run, or 0 for none.</summary>
    public nint RunOptionsPointer { get; }

    /// <summary>Turns the run's status into the outcome: nothing, <see cref="OperationCanceledException"/> or <see cref="OrtException"/>.</summary>
    public void Complete(nint status, string modelName)
    {
        // Wait for a callback in progress, so the flag is not set after it is cleared below.
        registration.Dispose();
        if (token.IsCancellationRequested)
        {
            runOptions?.ResetTerminate();
            if (status != 0)
            {
                OrtApi.ReadAndRelease(status);
                throw new OperationCanceledException($"The run of '{modelName}' was cancelled.", token);
            }
        }

        if (status != 0)
        {
            throw OrtApi.ToException(status, $"running '{modelName}'");
        }
    }

    public void Dispose()
    {
        registration.Dispose();
        lease.Dispose();
        if (ownsRunOptions)
        {
            runOptions!.Dispose();
        }
    }
}
