namespace FmriToImage.Diffusion;

/// <summary>
/// Builds the scheduler a <c>scheduler_config.json</c> names in its <c>_class_name</c>: <c>DDIMScheduler</c>,
/// <c>EulerDiscreteScheduler</c>, <c>EDMEulerScheduler</c>, <c>PNDMScheduler</c> (diffusers' classes) or
/// <c>SgmEulerEDMScheduler</c> (Stability's sgm Euler-EDM sampler, this library's name).
/// </summary>
public static class DiffusionSchedulers
{
    /// <summary>The <c>_class_name</c> values <see cref="FromJson"/> accepts.</summary>
    public static IReadOnlyList<string> SupportedClassNames { get; } =
        ["DDIMScheduler", "EulerDiscreteScheduler", "EDMEulerScheduler", "PNDMScheduler", "SgmEulerEDMScheduler"];

    /// <summary>Reads a scheduler config and builds the scheduler its <c>_class_name</c> names.</summary>
    /// <param name="json">The JSON text of the file.</param>
    /// <returns>The scheduler, before <see cref="IDiffusionScheduler.SetTimesteps"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is null.</exception>
    /// <exception cref="MalformedFileException">
    /// Not a JSON object, no <c>_class_name</c> string, a class name this library does not implement (the message
    /// names it and the supported ones), or a known key with the wrong JSON type (<see cref="MalformedFileException.File"/>
    /// is <c>scheduler_config.json</c>).
    /// </exception>
    /// <exception cref="NotSupportedException">A key names a value the chosen scheduler does not implement.</exception>
    /// <exception cref="ArgumentException">A value is out of range for the scheduler (its constructor's checks).</exception>
    public static IDiffusionScheduler FromJson(string json) => FactoryFromJson(json)();

    /// <summary>
    /// Reads a scheduler config once and returns what builds its scheduler: a fresh one per call (a scheduler holds one
    /// loop's state) without parsing the JSON again. Config errors are thrown here; a value out of range for the
    /// scheduler's constructor is thrown by the first call of the factory.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is null.</exception>
    /// <exception cref="MalformedFileException">As for <see cref="FromJson"/>.</exception>
    /// <exception cref="NotSupportedException">As for <see cref="FromJson"/>.</exception>
    internal static Func<IDiffusionScheduler> FactoryFromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        string? className = null;
        SchedulerJson.ForEachProperty(json, (key, v) =>
        {
            if (key == "_class_name")
            {
                className = SchedulerJson.ReadString(key, v);
            }
        });

        return className switch
        {
            "DDIMScheduler" => Of(DdimSchedulerConfig.FromJson(json), static c => new DdimScheduler(c)),
            "EulerDiscreteScheduler" => Of(EulerDiscreteSchedulerConfig.FromJson(json), static c => new EulerDiscreteScheduler(c)),
            "EDMEulerScheduler" => Of(EdmEulerSchedulerConfig.FromJson(json), static c => new EdmEulerScheduler(c)),
            "PNDMScheduler" => Of(PndmSchedulerConfig.FromJson(json), static c => new PndmScheduler(c)),
            "SgmEulerEDMScheduler" => Of(SgmEulerEdmSchedulerConfig.FromJson(json), static c => new SgmEulerEdmScheduler(c)),
            null => throw new SchedulerConfigException(
                $"scheduler config: no \"_class_name\"; expected one of {string.Join(", ", SupportedClassNames)}."),
            _ => throw new SchedulerConfigException(
                $"scheduler config: _class_name \"{className}\" is not supported; supported: {string.Join(", ", SupportedClassNames)}."),
        };
    }

    /// <summary>A factory over one parsed, immutable config.</summary>
    private static Func<IDiffusionScheduler> Of<TConfig>(TConfig config, Func<TConfig, IDiffusionScheduler> create) => () => create(config);
}
