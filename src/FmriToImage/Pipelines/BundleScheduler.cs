using FmriToImage.Diffusion;

namespace FmriToImage.Pipelines;

/// <summary>
/// The UNet's scheduler as the bundle's <c>scheduler/scheduler_config.json</c> names it in <c>_class_name</c> (DDIM,
/// Euler, EDM, sgm Euler-EDM or PNDM; <see cref="DiffusionSchedulers"/>): read and checked once at load, then built
/// fresh for every denoising loop, since a scheduler holds per-run state and serves one loop at a time.
/// </summary>
internal sealed class BundleScheduler
{
    private readonly Func<IDiffusionScheduler> _create;

    /// <summary>Reads the config once and builds its scheduler once, so a bad file fails here, at load.</summary>
    /// <param name="json">The file's text.</param>
    /// <exception cref="SchedulerConfigException">No or an unknown <c>_class_name</c>, or a key of the wrong type.</exception>
    /// <exception cref="NotSupportedException">A value the scheduler does not implement.</exception>
    /// <exception cref="ArgumentException">A value out of range.</exception>
    public BundleScheduler(string json)
    {
        _create = DiffusionSchedulers.FactoryFromJson(json);
        var scheduler = _create();
        ClassName = scheduler.ClassName;
        MaxInferenceSteps = scheduler.MaxInferenceSteps;
        SupportsEta = scheduler.SupportsEta;
    }

    /// <summary>The <c>_class_name</c> the config names.</summary>
    public string ClassName { get; }

    /// <summary>The largest step count the scheduler accepts (num_train_timesteps).</summary>
    public int MaxInferenceSteps { get; }

    /// <summary>Whether the scheduler takes η &gt; 0 (DDIM only).</summary>
    public bool SupportsEta { get; }

    /// <summary>A new scheduler for one loop, from the config parsed at load (no JSON is read again).</summary>
    public IDiffusionScheduler Create() => _create();
}
