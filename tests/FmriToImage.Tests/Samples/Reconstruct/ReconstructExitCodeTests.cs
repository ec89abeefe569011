using System.Diagnostics;
using FmriToImage.Bundle;
using FmriToImage.Tests.Bundle;

namespace FmriToImage.Tests.Samples.Reconstruct;

/// <summary>
/// The main job's documented exit codes (README.md, ExitCodes.cs) for a hostile file of each kind, each run as the
/// user runs it: the built fmri2img-reconstruct in a process of its own, from the repository root (the demo bundle and
/// data by default). Hostile files: tests/fixtures/make_hostile_fixtures.py.
/// </summary>
public sealed class ReconstructExitCodeTests : IDisposable
{
    private const int Usage = 2;
    private const int Invalid = 4;

    private readonly string _output = Directory.CreateTempSubdirectory("fmri2img-exit-").FullName;

    public void Dispose() => Directory.Delete(_output, recursive: true);

    public static TheoryData<string> HostileBundles() =>
    [
        "null_files_entry", "null_voxel_encoder", "nul_in_path", "roi_set_missing", "roi_set_folder",
        "nsdgeneral_missing", "unet_unlisted", "model_index_invalid_utf8", "model_index_invalid_utf8_rehashed",
        "huge_timesteps", "unlisted_file", "changed_byte", "tokenizer_invalid_utf8", "preprocessor_invalid_utf8",
    ];

    [Theory]
    [MemberData(nameof(HostileBundles))]
    public void A_hostile_bundle_exits_4_naming_the_file(string kind)
    {
        using var temp = new TempBundle();
        var named = Hostile(temp, kind);
        var (code, log) = Run("--bundle", temp.Root, "--limit", "1", "--out", Path.Combine(_output, "out"));
        Assert.True(code == Invalid, $"exit {code}, expected {Invalid}:\n{log}");
        Assert.Contains(named, Unwrapped(log));
    }

    [Theory]
    [InlineData("truncated.npy", "byte offset 128")]
    [InlineData("garbage.nii", "sizeof_hdr")]
    public void A_hostile_data_file_exits_4_naming_it(string file, string expected)
    {
        var (code, log) = Run("--data", TestFiles.Fixture("hostile", "data", file), "--limit", "1", "--out", Path.Combine(_output, "out"));
        Assert.True(code == Invalid, $"exit {code}, expected {Invalid}:\n{log}");
        Assert.Contains(expected, Unwrapped(log));
    }

    [Theory]
    [InlineData(Usage, "--limit", "0")]
    [InlineData(Usage, "--data", "README.md")]
    [InlineData(3, "--bundle", "no-such-bundle")]
    [InlineData(3, "--data", "no-such-data.npy")]
    [InlineData(5, "--data", "tests/fixtures/data/trials/matrix.npy")]
    [InlineData(5, "--subject", "2")]
    public void The_other_documented_exit_codes_hold(int expected, string option, string value)
    {
        var (code, log) = Run(option, value, "--out", Path.Combine(_output, "out"));
        Assert.True(code == expected, $"{option} {value}: exit {code}, expected {expected}:\n{log}");
    }

    [Fact]
    public void An_out_that_is_not_a_writable_folder_exits_2_naming_out_before_anything_is_written()
    {
        var file = Path.Combine(_output, "a-file");
        File.WriteAllText(file, "keep");
        var workingFolder = Directory.CreateDirectory(Path.Combine(_output, "cwd")).FullName;
        foreach (var bad in new[] { "", file, "/dev/null" })
        {
            if (bad == "/dev/null" && OperatingSystem.IsWindows())
            {
                continue;
            }

            var (code, log) = RunIn(workingFolder, "--bundle", TestFiles.RepoPath("models", "demo"), "--out", bad);
            Assert.True(code == Usage, $"--out '{bad}': exit {code}, expected {Usage}:\n{log}");
            Assert.Contains("--out", log);
        }

        Assert.Equal("keep", File.ReadAllText(file));
        Assert.Empty(Directory.GetFileSystemEntries(workingFolder)); // --out "" once wrote trials/ here
    }

    [Fact]
    public void An_invalid_evaluation_bundle_or_mean_image_exits_4_before_any_trial_runs()
    {
        var notABundle = Directory.CreateDirectory(Path.Combine(_output, "not-an-evaluation-bundle")).FullName;
        foreach (var (option, value, named) in new[] { ("--mean-image", "README.md", "README.md"), ("--evaluation-bundle", notABundle, "evaluation.json") })
        {
            var outFolder = Path.Combine(_output, "early" + option);
            var (code, log) = Run("--limit", "1", option, value, "--out", outFolder);

            Assert.True(code == Invalid, $"{option} {value}: exit {code}, expected {Invalid}:\n{log}");
            Assert.Contains(named, Unwrapped(log));
            var trials = Path.Combine(outFolder, "trials");
            Assert.Empty(Directory.Exists(trials) ? Directory.GetFileSystemEntries(trials) : []);
        }
    }

    [Theory]
    [InlineData("--out", "--out", "")]
    [InlineData("--shard", "--merge", "--shard", "0/2")]
    [InlineData("--roi-set", "--roi-set", "Set1")]
    [InlineData("--nonfinite", "--nonfinite", "zero")]
    [InlineData("--nonfinite", "--nonfinite", "nan")]
    [InlineData("--pipeline", "--pipeline", "diffusion")]
    [InlineData("--device", "--device", "gpu")]
    public void Usage_errors_go_to_stderr_naming_the_option(string named, params string[] args)
    {
        var (code, stdout, stderr) = ReconstructProcess.Run(TestFiles.RepositoryRoot, [.. args, .. args.Contains("--out") ? Array.Empty<string>() : ["--out", Path.Combine(_output, "out")]]);

        Assert.True(code == Usage, $"{string.Join(' ', args)}: exit {code}:\n{stdout}{stderr}");
        Assert.Contains(named, stderr);
        Assert.DoesNotContain(named, stdout);
    }

    [Fact]
    public void Readme_help_and_exit_codes_cs_name_the_same_options_for_each_code()
    {
        // Each exit code's row in README.md's table, its --help lines and its XML comment in ExitCodes.cs.
        var readme = File.ReadAllLines(TestFiles.RepoPath("README.md"))
            .Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^\| (\d+) \| (.*) \|$")).Where(m => m.Success)
            .ToDictionary(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), m => m.Groups[2].Value);
        var help = new Dictionary<int, string>();
        var code = -1;
        foreach (var line in FmriToImage.Samples.Reconstruct.ExitCodes.Description.Split('\n').Skip(1))
        {
            var start = System.Text.RegularExpressions.Regex.Match(line, @"^\s*(\d+)\s");
            code = start.Success ? int.Parse(start.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : code;
            help[code] = help.GetValueOrDefault(code, "") + line;
        }

        var source = File.ReadAllText(TestFiles.RepoPath("samples", "Reconstruct", "ExitCodes.cs"));
        var xml = System.Text.RegularExpressions.Regex.Matches(source, @"((?:\s*///.*\n)+)\s*public const int \w+ = (\d+);")
            .ToDictionary(m => int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), m => m.Groups[1].Value);

        Assert.Equal(readme.Keys.Order(), help.Keys.Order());
        Assert.Equal(readme.Keys.Order(), xml.Keys.Order());
        foreach (var (exit, row) in readme)
        {
            Assert.True(Options(row).SetEquals(Options(help[exit])), $"exit {exit}: README names {string.Join(" ", Options(row).Order())}, --help {string.Join(" ", Options(help[exit]).Order())}");
            Assert.True(Options(row).SetEquals(Options(xml[exit])), $"exit {exit}: README names {string.Join(" ", Options(row).Order())}, ExitCodes.cs {string.Join(" ", Options(xml[exit]).Order())}");
        }

        static HashSet<string> Options(string text) =>
            System.Text.RegularExpressions.Regex.Matches(text, @"--[a-z][a-z-]*").Select(m => m.Value).ToHashSet();
    }

    [Fact]
    public void A_killed_run_resumes_to_byte_identical_metrics_even_over_a_damaged_record()
    {
        var whole = Path.Combine(_output, "whole");
        Assert.Equal(0, Run("--limit", "8", "--out", whole).Code);

        // kill -9 once the first trial's record is written, then --resume.
        var killed = Path.Combine(_output, "killed");
        var trials = Path.Combine(killed, "trials");
        using (var job = Start("--limit", "8", "--out", killed))
        {
            job.OutputDataReceived += (_, _) => { };
            job.ErrorDataReceived += (_, _) => { };
            job.BeginOutputReadLine();
            job.BeginErrorReadLine();
            var clock = Stopwatch.StartNew();
            while (!job.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2) && (!Directory.Exists(trials) || Directory.GetFiles(trials, "*.json").Length == 0))
            {
                Thread.Sleep(20);
            }

            Assert.False(job.HasExited, "the job finished before it could be killed mid-run");
            job.Kill(entireProcessTree: true);
            job.WaitForExit();
        }

        // The damage a kill during a non-atomic write left: a record cut short.
        var first = Directory.GetFiles(trials, "*.json").Order(StringComparer.Ordinal).First();
        File.Copy(TestFiles.Fixture("hostile", "trials", "record_truncated.json"), first, overwrite: true);

        var (code, log) = Run("--limit", "8", "--resume", "--out", killed);
        Assert.True(code == 0, $"--resume: exit {code}:\n{log}");
        // Identical but for the wall times (stage_timings: the same stages and trial counts, other milliseconds), as
        // .ci/slurm-check compares a merge with "keys that are times left out".
        var (expected, actual) = (WithoutTimes(Path.Combine(whole, "metrics.json")), WithoutTimes(Path.Combine(killed, "metrics.json")));
        Assert.Equal(expected.Json, actual.Json);
        Assert.NotEmpty(expected.Stages);
        Assert.Equal(expected.Stages, actual.Stages);
    }

    /// <summary>metrics.json without "stage_timings", and its stages as "name × trials".</summary>
    private static (string Json, string[] Stages) WithoutTimes(string path)
    {
        var document = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var stages = document["stage_timings"]!.AsArray().Select(s => $"{s!["stage"]} × {s["trials"]}").ToArray();
        document.Remove("stage_timings");
        return (document.ToJsonString(), stages);
    }

    /// <summary>Makes <paramref name="temp"/> hostile in one way; returns what the job's message must name.</summary>
    private static string Hostile(TempBundle temp, string kind)
    {
        switch (kind)
        {
            case "model_index_invalid_utf8":
                temp.Overlay(ModelBundle.ModelIndexFileName, "model_index_invalid_utf8.json");
                return "model_index.json";
            case "model_index_invalid_utf8_rehashed":
                temp.Overlay(ModelBundle.ModelIndexFileName, "model_index_invalid_utf8.json");
                temp.Rehash(ModelBundle.ModelIndexFileName);
                return "model_index.json: not UTF-8";
            case "huge_timesteps":
                temp.Overlay(ModelBundle.SchedulerConfigPath, "scheduler_config_huge_timesteps.json");
                temp.Rehash(ModelBundle.SchedulerConfigPath);
                return "scheduler/scheduler_config.json";
            case "tokenizer_invalid_utf8":
                temp.Overlay("tokenizer/vocab.json", "vocab_invalid_utf8.json");
                temp.Rehash("tokenizer/vocab.json");
                return "tokenizer/vocab.json";
            case "preprocessor_invalid_utf8":
                temp.Overlay("image_encoder/preprocessor_config.json", "preprocessor_config_invalid_utf8.json");
                temp.Rehash("image_encoder/preprocessor_config.json");
                return "image_encoder/preprocessor_config.json";
            case "unlisted_file":
                File.WriteAllBytes(temp.PathOf("unet/model.onnx.data"), new byte[64]);
                return "unet/model.onnx.data";
            case "changed_byte":
                var graph = temp.PathOf("vae_decoder/model.onnx");
                var bytes = File.ReadAllBytes(graph);
                bytes[bytes.Length / 2] ^= 0x01;
                File.WriteAllBytes(graph, bytes);
                return "vae_decoder/model.onnx";
            case "unet_unlisted":
                temp.Overlay(ModelBundle.DecoderManifestFileName, "fmri_decoder_unet_unlisted.json");
                temp.Overlay("unet/model.onnx", "unet_weights_x3.onnx");
                return "unet/model.onnx";
            default:
                temp.Overlay(ModelBundle.DecoderManifestFileName, $"fmri_decoder_{kind}.json");
                return kind switch
                {
                    "roi_set_missing" => "masks/no_such_set.npy",
                    "nsdgeneral_missing" => "masks/nsdgeneral.nii.gz",
                    _ => "fmri_decoder.json",
                };
        }
    }

    /// <summary>The console wraps long messages at its width; the words are compared without the breaks.</summary>
    private static string Unwrapped(string log) => log.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal);

    private static (int Code, string Log) Run(params string[] args) => RunIn(TestFiles.RepositoryRoot, args);

    private static (int Code, string Log) RunIn(string workingFolder, params string[] args)
    {
        var (code, output, errors) = ReconstructProcess.Run(workingFolder, args);
        return (code, output + errors);
    }

    private static Process Start(params string[] args) => ReconstructProcess.Start(TestFiles.RepositoryRoot, args);
}
