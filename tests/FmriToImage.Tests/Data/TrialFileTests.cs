using System.Text.Json;
using FmriToImage.Data;
using FmriToImage.Data.Hdf5;
using FmriToImage.Data.Npy;

namespace FmriToImage.Tests.Data;

/// <summary>
/// Single files of trials (<see cref="TrialFile"/>): .npy and 2-D HDF5 matrices taken as is, NIfTI and NSD-layout HDF5
/// volumes masked and z-scored, against the float64 NumPy references of tests/fixtures/data/make_trial_file_fixtures.py;
/// each wrong shape fails with a typed exception naming the file.
/// </summary>
public class TrialFileTests
{
    private static readonly JsonElement Manifest = JsonDocument.Parse(File.ReadAllText(DataFixtures.Path("trials", "manifest.json"))).RootElement;

    private static int VoxelCount => Manifest.GetProperty("voxel_count").GetInt32();

    private static VoxelMask Mask() => VoxelMask.FromNifti(DataFixtures.Path("atlas", "nsdgeneral.nii.gz"));

    private static string Trials(string name) => DataFixtures.Path("trials", name);

    private static Task<TrialFileContents> Read(string name, int? limit = null) => TrialFile.ReadAsync(Trials(name), VoxelCount, Mask(), limit: limit);

    private static float[] Npy(string name) => NpyFile.ReadAsSingle(Trials(name)).ToArray();

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    [Fact]
    public void The_fixture_mask_is_the_one_the_references_used()
    {
        Assert.Equal(VoxelCount, Mask().Count);
    }

    [Theory]
    [InlineData("matrix.npy")]
    [InlineData("matrix.h5")]
    [InlineData("matrix_fortran_f8.npy")]
    [InlineData("matrix_big_endian_f8.npy")]
    public async Task A_matrix_is_taken_as_is(string name)
    {
        var read = await Read(name);
        Assert.Equal(TrialFileLayout.Matrix, read.Layout);
        Assert.Equal(Manifest.GetProperty("matrix_trials").GetInt32(), read.TrialsInFile);
        Assert.Equal(read.TrialsInFile, read.Voxels.TrialCount);
        Assert.Equal(Npy("matrix.npy"), read.Voxels.Values.ToArray());
    }

    [Theory]
    [InlineData("matrix.npy")]
    [InlineData("matrix.h5")]
    [InlineData("matrix_fortran_f8.npy")] // make_trial_file_layout_fixtures.py: column-major, read whole
    [InlineData("matrix_big_endian_f8.npy")] // row-major: only the first rows are read
    public async Task A_limit_keeps_the_first_trials_of_a_matrix(string name)
    {
        var read = await Read(name, limit: 3);
        Assert.Equal(7, read.TrialsInFile);
        Assert.Equal(3, read.Voxels.TrialCount);
        Assert.Equal(Npy("matrix.npy").AsSpan(0, 3 * VoxelCount).ToArray(), read.Voxels.Values.ToArray());
    }

    [Fact]
    public async Task A_one_dimensional_npy_is_one_trial_converted_to_float()
    {
        var read = await Read("matrix_one_trial.npy");
        Assert.Equal(1, read.Voxels.TrialCount);
        Assert.Equal(Npy("matrix_one_trial.npy"), read.Voxels.Row(0).ToArray());
    }

    [Fact]
    public async Task Nifti_volumes_are_masked_and_z_scored_over_the_files_trials()
    {
        var read = await Read(Path.Combine("..", "atlas", "betas_session01.nii.gz"));
        Assert.Equal(TrialFileLayout.Volumes, read.Layout);
        Assert.Equal(Manifest.GetProperty("nifti_trials").GetInt32(), read.Voxels.TrialCount);
        AssertClose(Npy("nifti_volumes_zscored.npy"), read.Voxels.Values, 2e-5f);
    }

    [Fact]
    public async Task Nsd_layout_hdf5_volumes_are_masked_and_z_scored_and_a_limit_applies_after_z_scoring()
    {
        var all = await Read(Path.Combine("..", "hdf5", "nsd_betas.h5"));
        Assert.Equal(TrialFileLayout.Volumes, all.Layout);
        Assert.Equal(Manifest.GetProperty("hdf5_trials").GetInt32(), all.Voxels.TrialCount);
        var expected = Npy("hdf5_volumes_zscored.npy");
        AssertClose(expected, all.Voxels.Values, 2e-5f);

        var first = await Read(Path.Combine("..", "hdf5", "nsd_betas.h5"), limit: 5);
        Assert.Equal(750, first.TrialsInFile);
        AssertClose(expected.AsSpan(0, 5 * VoxelCount), first.Voxels.Values, 2e-5f);
    }

    [Theory]
    [InlineData("matrix_rank3.npy", "(2, 3, 73)")]
    [InlineData("volume_single.nii.gz", "(4, 5, 6)")]
    [InlineData("volumes_wrong_grid.nii.gz", "grid (5, 5, 6)")]
    public async Task A_wrong_shape_names_the_file_and_the_shape(string name, string shape)
    {
        var e = await Assert.ThrowsAsync<DataShapeException>(() => Read(name));
        Assert.Equal(Trials(name), e.FilePath);
        Assert.Contains(shape, e.Actual, StringComparison.Ordinal);
        Assert.Contains(name, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_transposed_matrix_is_a_voxel_count_mismatch_that_says_so()
    {
        var e = await Assert.ThrowsAsync<VoxelCountMismatchException>(() => Read("matrix_transposed.npy"));
        Assert.Equal(VoxelCount, e.Expected);
        Assert.Equal(7, e.Actual);
        Assert.Contains("matrix_transposed.npy", e.Message, StringComparison.Ordinal);
        Assert.Contains("Transpose", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_matrix_of_another_width_is_a_voxel_count_mismatch()
    {
        var e = await Assert.ThrowsAsync<VoxelCountMismatchException>(() => TrialFile.ReadAsync(Trials("matrix.h5"), VoxelCount + 1, null));
        Assert.Equal(VoxelCount + 1, e.Expected);
        Assert.Equal(VoxelCount, e.Actual);
    }

    [Fact]
    public async Task Volumes_need_a_mask_of_the_decoders_voxel_count()
    {
        var volumes = DataFixtures.Path("atlas", "betas_session01.nii.gz");
        var noMask = await Assert.ThrowsAsync<DataShapeException>(() => TrialFile.ReadAsync(volumes, VoxelCount, null));
        Assert.Contains("mask", noMask.Message, StringComparison.Ordinal);
        var wrongCount = await Assert.ThrowsAsync<VoxelCountMismatchException>(() => TrialFile.ReadAsync(volumes, VoxelCount + 2, Mask()));
        Assert.Equal(VoxelCount, wrongCount.Actual);
    }

    [Fact]
    public async Task A_non_finite_value_names_its_trial_and_voxel()
    {
        var e = await Assert.ThrowsAsync<NonFiniteValueException>(() => Read("matrix_nan.npy"));
        Assert.Equal(Manifest.GetProperty("nan").GetProperty("trial").GetInt32(), e.Trial);
        Assert.Equal(Manifest.GetProperty("nan").GetProperty("voxel").GetInt32(), e.Voxel);
    }

    [Fact]
    public async Task Replace_with_zero_sets_the_non_finite_values_to_0_and_keeps_every_trial()
    {
        var expected = Npy("matrix_nan.npy").Select(v => float.IsFinite(v) ? v : 0f).ToArray();

        var read = await TrialFile.ReadAsync(Trials("matrix_nan.npy"), VoxelCount, null, nonFinite: NonFiniteHandling.ReplaceWithZero);

        Assert.Equal(expected, read.Voxels.Values.ToArray());
        Assert.Equal([0, 1, 2, 3], read.Trials);
        Assert.Empty(read.SkippedTrials);
    }

    [Theory]
    [InlineData(null, new[] { 0, 1, 3 }, new[] { 2 })]
    [InlineData(3, new[] { 0, 1 }, new[] { 2 })]
    [InlineData(2, new[] { 0, 1 }, new int[0])]
    public async Task Skip_trial_leaves_out_the_rows_with_a_non_finite_value_among_the_first_limit(int? limit, int[] kept, int[] skipped)
    {
        var file = Npy("matrix_nan.npy"); // NaN at trial 2 (manifest "nan")

        var read = await TrialFile.ReadAsync(Trials("matrix_nan.npy"), VoxelCount, null, limit: limit, nonFinite: NonFiniteHandling.SkipTrial);

        Assert.Equal(kept, read.Trials);
        Assert.Equal(skipped, read.SkippedTrials);
        Assert.Equal(4, read.TrialsInFile);
        Assert.Equal(kept.SelectMany(t => file.Skip(t * VoxelCount).Take(VoxelCount)).ToArray(), read.Voxels.Values.ToArray());
    }

    [Fact]
    public void Skip_trial_z_scores_volumes_over_the_other_trials_only()
    {
        // 5 trials × 2 voxels, trial 1 unrecorded (NaN); expected: each voxel z-scored (ddof 0) over trials 0, 2, 3, 4.
        float[] values = [1, 10, float.NaN, float.NaN, 4, 40, 8, 80, 16, 160];
        var finite = new[] { new[] { 1.0, 4, 8, 16 }, new[] { 10.0, 40, 80, 160 } };
        var expected = new float[8];
        for (int v = 0; v < 2; v++)
        {
            double mean = finite[v].Average(), std = Math.Sqrt(finite[v].Sum(x => (x - mean) * (x - mean)) / 4);
            for (int t = 0; t < 4; t++)
            {
                expected[t * 2 + v] = (float)((finite[v][t] - mean) / std);
            }
        }

        var read = TrialFile.ZScored(new VoxelMatrix(values, 5, 2), null, NonFiniteHandling.SkipTrial, "volumes.nii");
        var limited = TrialFile.ZScored(new VoxelMatrix((float[])values.Clone(), 5, 2), 3, NonFiniteHandling.SkipTrial, "volumes.nii");

        AssertClose(expected, read.Voxels.Values, 1e-6f);
        Assert.Equal([0, 2, 3, 4], read.Trials);
        Assert.Equal([1], read.SkippedTrials);
        AssertClose(expected.AsSpan(0, 4), limited.Voxels.Values, 1e-6f); // the first 3 file trials, less trial 1
        Assert.Equal([0, 2], limited.Trials);
        var none = Assert.Throws<DataShapeException>(() => TrialFile.ZScored(new VoxelMatrix([float.NaN, 1, 2, float.PositiveInfinity], 2, 2), null, NonFiniteHandling.SkipTrial, "volumes.nii"));
        Assert.Contains("volumes.nii", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Skip_trial_cannot_apply_in_place()
    {
        var matrix = new VoxelMatrix([1, float.NaN], 1, 2);

        Assert.Throws<ArgumentException>(() => matrix.EnsureFinite(NonFiniteHandling.SkipTrial));
        Assert.Throws<ArgumentException>(() => Standardizer.Fit(matrix, nonFinite: NonFiniteHandling.SkipTrial));
        Assert.True(float.IsNaN(matrix.Values[1])); // untouched, never silently zeroed
    }

    [Fact]
    public async Task An_hdf5_file_without_betas_names_what_it_has()
    {
        var e = await Assert.ThrowsAsync<Hdf5ObjectNotFoundException>(() => Read("no_betas.h5"));
        Assert.Equal("/betas", e.ObjectPath);
    }

    [Fact]
    public async Task Unknown_kinds_missing_files_and_bad_limits_are_argument_errors()
    {
        Assert.False(TrialFile.IsSupported("trials.csv"));
        Assert.True(TrialFile.IsSupported("BETAS.NII.GZ"));
        await Assert.ThrowsAsync<ArgumentException>(() => TrialFile.ReadAsync(Trials("manifest.json"), VoxelCount, null));
        await Assert.ThrowsAsync<FileNotFoundException>(() => TrialFile.ReadAsync(Trials("absent.npy"), VoxelCount, null));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Read("matrix.npy", limit: 0));
    }

    [Fact]
    public async Task The_demo_datas_hdf5_and_nifti_session_files_give_the_same_trials_in_the_demo_bundles_voxels()
    {
        // samples/data/nsd-mini holds subject 1's session 1 both as NSD's HDF5 and as NIfTI (the same int16 betas).
        var betas = TestFiles.RepoPath("samples", "data", "nsd-mini", "nsddata_betas", "ppdata", "subj01", "func1pt8mm", "betas_fithrf_GLMdenoise_RR");
        var mask = VoxelMask.FromNifti(TestFiles.RepoPath("models", "demo", "masks", "nsdgeneral.nii.gz"));
        var fromHdf5 = await TrialFile.ReadAsync(Path.Combine(betas, "betas_session01.hdf5"), mask.Count, mask, limit: 20);
        var fromNifti = await TrialFile.ReadAsync(Path.Combine(betas, "betas_session01.nii.gz"), mask.Count, mask, limit: 20);
        Assert.Equal(750, fromHdf5.TrialsInFile);
        Assert.Equal(20, fromHdf5.Voxels.TrialCount);
        AssertClose(fromHdf5.Voxels.Values, fromNifti.Voxels.Values, 1e-5f);
    }
}
