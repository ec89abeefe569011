using System.Globalization;
using System.Text.Json;
using FmriToImage.Data.Nifti;

namespace FmriToImage.Tests.Samples.Reconstruct;

/// <summary>
/// fmri2img-reconstruct --explain on the demo (3 trials). The committed files in tests/fixtures/data/importance_cli/
/// were written by this job (same command, 2026-12-04); tests/fixtures/data/check_cli_importance.py reads them with
/// nibabel, recomputes the map from the CSV and the atlas volumes in float64, and commits what it saw in
/// importance_cli/nibabel.json. These tests require the job to write the same maps again (within 1e-5: ONNX Runtime's
/// CPU kernels may round differently on another CPU) and nibabel's reading to agree with ours.
/// </summary>
public sealed class ExplainJobTests
{
    private static readonly string Fixtures = TestFiles.RepoPath("tests", "fixtures", "data", "importance_cli");

    [Fact]
    public void Explain_writes_the_maps_the_tables_and_the_report_section_and_they_match_the_committed_files()
    {
        string output = Directory.CreateTempSubdirectory("explain-job-").FullName;
        var (code, stdout, stderr) = ReconstructProcess.Run(TestFiles.RepositoryRoot, "--limit", "3", "--steps", "2", "--explain", "--out", output);
        Assert.True(code == 0, $"exit {code}: {stderr}\n{stdout}");
        Assert.Contains("perturbations/s", stdout);

        foreach (string name in new[] { "importance.nii.gz", "importance_trials.nii.gz" })
        {
            using var written = NiftiReader.Open(Path.Combine(output, name));
            using var committed = NiftiReader.Open(Path.Combine(Fixtures, name));
            Assert.Equal(committed.Header.Dimensions, written.Header.Dimensions);
            Assert.Equal(committed.Header.Affine, written.Header.Affine);
            for (long v = 0; v < committed.Header.VolumeCount; v++)
            {
                var want = new float[committed.Header.VoxelsPerVolume];
                var got = new float[written.Header.VoxelsPerVolume];
                committed.ReadVolume(v, want);
                written.ReadVolume(v, got);
                Assert.All(want.Zip(got), p => Assert.Equal(p.First, p.Second, 1e-5f));
            }
        }

        string[] rois = File.ReadAllLines(Path.Combine(output, "importance_rois.csv"));
        string[] committedRois = File.ReadAllLines(Path.Combine(Fixtures, "importance_rois.csv"));
        Assert.Equal("rank,roi,atlas,voxels,mean_importance", rois[0]);
        Assert.Equal(committedRois.Length, rois.Length);
        string[] trials = File.ReadAllLines(Path.Combine(output, "importance_trials.csv"));
        Assert.Equal(4, trials.Length); // header + 3 trials
        Assert.Equal(rois.Length - 1, trials[0].Split(',').Length - 1);

        string report = File.ReadAllText(Path.Combine(output, "report.html"));
        Assert.Contains("<section id=\"importance\">", report);
        Assert.Contains("<img id=\"importance-slices\"", report);
        string top = rois[1].Split(',')[1];
        Assert.Contains($"<tr><td>1</td><td>{top}</td>", report);
    }

    [Fact]
    public void Nibabel_read_the_committed_job_output_as_our_reader_does()
    {
        using JsonDocument seen = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "nibabel.json")));
        JsonElement root = seen.RootElement;
        Assert.True(root.GetProperty("checks_passed").GetBoolean());
        foreach (string name in new[] { "importance.nii.gz", "importance_trials.nii.gz" })
        {
            JsonElement e = root.GetProperty(name);
            using var reader = NiftiReader.Open(Path.Combine(Fixtures, name));
            Assert.Equal(reader.Header.Dimensions.Select(d => (int)d), e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()));
            Assert.Equal("float32", e.GetProperty("dtype").GetString());
            double[] affine = e.GetProperty("affine").EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(v => v.GetDouble()).ToArray();
            Assert.All(reader.Header.Affine.Zip(affine), p => Assert.Equal(p.Second, p.First, 5));
            double sum = 0;
            var volume = new float[reader.Header.VoxelsPerVolume];
            for (long v = 0; v < reader.Header.VolumeCount; v++)
            {
                reader.ReadVolume(v, volume);
                sum += volume.Sum(x => (double)x);
            }

            Assert.Equal(e.GetProperty("sum_float64").GetDouble(), sum, 6);
        }

        // nibabel's voxels of each ROI hold the CSV's mean importance (overlaps: the largest).
        Assert.True(root.GetProperty("roi_voxels_match_csv").GetBoolean());
        Assert.True(root.GetProperty("mean_equals_mean_of_trials").GetBoolean());
        Assert.True(root.GetProperty("affine_equals_bundle_mask").GetBoolean());
        Assert.Equal(3, root.GetProperty("importance_trials.nii.gz").GetProperty("shape")[3].GetInt32());
        Assert.True(double.Parse(File.ReadAllLines(Path.Combine(Fixtures, "importance_rois.csv"))[1].Split(',')[4], CultureInfo.InvariantCulture) > 0);
    }

    [Fact]
    public void Explain_without_an_nsd_data_root_is_a_usage_error()
    {
        string session = TestFiles.RepoPath("samples", "data", "nsd-mini", "nsddata_betas", "ppdata", "subj01", "func1pt8mm", "betas_fithrf_GLMdenoise_RR", "betas_session01.hdf5");
        string output = Directory.CreateTempSubdirectory("explain-job-").FullName;
        var (code, _, stderr) = ReconstructProcess.Run(TestFiles.RepositoryRoot, "--data", session, "--explain", "--out", output);
        Assert.Equal(2, code);
        Assert.Contains("--explain needs an NSD-layout data root", stderr);
    }
}
