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
    public static IDiffusionScheduler FromJson(string json)
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
            "DDIMScheduler" => new DdimScheduler(DdimSchedulerConfig.FromJson(json)),
            "EulerDiscreteScheduler" => new EulerDiscreteScheduler(EulerDiscreteSchedulerConfig.FromJson(json)),
            "EDMEulerScheduler" => new EdmEulerScheduler(EdmEulerSchedulerConfig.FromJson(json)),
            "PNDMScheduler" => new PndmScheduler(PndmSchedulerConfig.FromJson(json)),
            "SgmEulerEDMScheduler" => new SgmEulerEdmScheduler(SgmEulerEdmSchedulerConfig.FromJson(json)),
            null => throw new SchedulerConfigException(
                $"scheduler config: no \"_class_name\"; expected one of {string.Join(", ", SupportedClassNames)}."),
            _ => throw new SchedulerConfigException(
                $"scheduler config: _class_name \"{className}\" is not supported; supported: {string.Join(", ", SupportedClassNames)}."),
        };
    }
}
