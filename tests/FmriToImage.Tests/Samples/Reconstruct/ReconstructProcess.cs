using System.Diagnostics;

namespace FmriToImage.Tests.Samples.Reconstruct;

/// <summary>The built fmri2img-reconstruct run as the user runs it: a process of its own, stdout and stderr kept apart.</summary>
internal static class ReconstructProcess
{
    /// <summary>Runs the job from <paramref name="workingFolder"/> to its end (3 minutes at most).</summary>
    public static (int Code, string Out, string Error) Run(string workingFolder, params string[] args)
    {
        using var job = Start(workingFolder, args);
        var output = job.StandardOutput.ReadToEndAsync();
        var errors = job.StandardError.ReadToEndAsync();
        if (!job.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            job.Kill(entireProcessTree: true);
            throw new TimeoutException($"fmri2img-reconstruct {string.Join(' ', args)} ran over 3 minutes");
        }

        return (job.ExitCode, output.Result, errors.Result);
    }

    /// <summary>Starts the job from <paramref name="workingFolder"/>, its output redirected.</summary>
    public static Process Start(string workingFolder, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "fmri2img-reconstruct.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }
}
