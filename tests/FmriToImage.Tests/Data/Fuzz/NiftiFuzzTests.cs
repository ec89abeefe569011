using FmriToImage.Data.Nifti;
using Xunit.Abstractions;

namespace FmriToImage.Tests.Data.Fuzz;

/// <summary>
/// The NIfTI reader over mutants of every committed .nii and .nii.gz fixture and the hostile one.
/// Every case must end in success or a typed <see cref="FmriToImageException"/> within
/// <see cref="FuzzHarness.CaseTimeout"/>; <see cref="FuzzHarness.ScaleVariable"/> multiplies the random cases.
/// </summary>
// Runs alone: each case has a wall-clock bound (FuzzHarness.CaseTimeout), which parallel tests would eat into.
[Collection(nameof(FmriToImage.Tests.Onnx.ProcessEnvironmentCollection))]
public class NiftiFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void Nifti_reader()
    {
        var profile = new FuzzProfile(MaxTruncations: 150, Flips: 30, BoundaryIntegers: 60, AddressSplices: 0, HeaderBytes: 352, BigEndianToo: true);
        var seeds = Directory.GetFiles(DataFixtures.Path("nifti")).Where(f => f.EndsWith(".nii", StringComparison.Ordinal) || f.EndsWith(".nii.gz", StringComparison.Ordinal))
            .Append(Path.Combine(FuzzHarness.HostileFolder, "nii_declares_huge.nii")).Order(StringComparer.Ordinal);
        foreach (string extension in new[] { ".nii", ".nii.gz" })
        {
            FuzzHarness.Check(output, FuzzHarness.Run($"NIfTI{(extension == ".nii" ? "" : " (.gz)")}", FuzzHarness.Corpus(seeds.Where(s => s.EndsWith(extension, StringComparison.Ordinal)), _ => profile), extension, path =>
            {
                using var reader = NiftiReader.Open(path);
                if (reader.Header.VoxelsPerVolume * reader.Header.VolumeCount < 1 << 22)
                {
                    _ = reader.ReadAll();
                }
                else
                {
                    reader.ReadVolume(0, new float[reader.Header.VoxelsPerVolume]);
                }
            }));
        }
    }
}
