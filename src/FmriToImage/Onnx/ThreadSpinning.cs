namespace FmriToImage.Onnx;

/// <summary>
/// Whether a session's intra-op worker threads busy-wait for more work between the parallel sections of a run, and
/// whether they keep doing so after the run returns (ONNX Runtime's <c>session.intra_op.allow_spinning</c> and
/// <c>session.force_spinning_stop</c>).
/// </summary>
internal enum ThreadSpinning
{
    /// <summary>
    /// The library's default: workers spin between the operators of a run (waking a sleeping worker for each of a
    /// network's many small parallel sections costs more than the section) and stop spinning the moment the run
    /// returns, so they do not take the cores the next session of a pipeline needs; an idle worker spins at most
    /// <see cref="SessionSettings.SpinMicroseconds"/> before it blocks.
    /// </summary>
    WhileRunning,

    /// <summary>Workers never spin; each parallel section wakes sleeping workers. Lowest CPU use, slowest on small graphs.</summary>
    Off,

    /// <summary>
    /// ONNX Runtime's own default: workers keep spinning for a while after a run too. Fastest for one session run
    /// back to back; slow when several sessions alternate, because the idle session's workers compete for the cores.
    /// </summary>
    Always,
}
