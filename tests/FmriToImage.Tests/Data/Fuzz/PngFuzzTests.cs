using System.Buffers.Binary;
using FmriToImage.Imaging.Png;
using Xunit.Abstractions;

namespace FmriToImage.Tests.Data.Fuzz;

/// <summary>
/// The PNG decoder over mutants of the committed PNG fixtures (tests/fixtures/imaging/png), chunk CRCs recomputed after
/// flips so the mutation reaches the decoder.
/// Every case must end in success or a typed <see cref="FmriToImageException"/> within
/// <see cref="FuzzHarness.CaseTimeout"/>; <see cref="FuzzHarness.ScaleVariable"/> multiplies the random cases.
/// </summary>
// Runs alone: each case has a wall-clock bound (FuzzHarness.CaseTimeout), which parallel tests would eat into.
[Collection(nameof(FmriToImage.Tests.Onnx.ProcessEnvironmentCollection))]
public class PngFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void Png_reader()
    {
        var profile = new FuzzProfile(MaxTruncations: 60, Flips: 15, BoundaryIntegers: 15, AddressSplices: 0, HeaderBytes: 64, BigEndianToo: true, RepairWith: RepairCrcs);
        var seeds = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "fixtures", "imaging", "png"), "*.png").Order(StringComparer.Ordinal).Where((_, i) => i % 2 == 0); // every other fixture: each colour type and depth stays
        FuzzHarness.Check(output, FuzzHarness.Run("PNG", FuzzHarness.Corpus(seeds, _ => profile), ".png", path => _ = PngDecoder.Decode(path)));
    }

    /// <summary>Recomputes every chunk CRC a PNG mutant still has, so flipped bytes reach the decoder instead of its CRC check.</summary>
    private static byte[] RepairCrcs(byte[] png)
    {
        for (int at = 8; at + 12 <= png.Length;)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at));
            if (length > png.Length - at - 12)
            {
                break;
            }

            BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(at + 8 + (int)length), PngCrc32.Compute(png.AsSpan(at + 4, 4 + (int)length)));
            at += 12 + (int)length;
        }

        return png;
    }
}
