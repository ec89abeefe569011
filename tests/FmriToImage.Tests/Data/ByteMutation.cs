namespace FmriToImage.Tests.Data;

/// <summary>
/// Mutates bytes of valid files and runs a reader over each mutant: the reader may succeed or throw the expected
/// typed exception, nothing else (no IndexOutOfRange, no OutOfMemory, no hang beyond the test timeout).
/// </summary>
internal static class ByteMutation
{
    /// <summary>Returns a copy of <paramref name="original"/> with 1..4 bytes changed (or the file cut short) by <paramref name="seed"/>.</summary>
    public static byte[] Mutate(byte[] original, int seed, int headerBias)
    {
        var random = new Random(seed);
        if (random.Next(10) == 0)
        {
            return original.AsSpan(0, random.Next(original.Length)).ToArray();
        }

        var copy = (byte[])original.Clone();
        int edits = random.Next(1, 5);
        for (int i = 0; i < edits; i++)
        {
            // Bias edits towards the structural part of the file, where parsers branch.
            int limit = random.Next(2) == 0 ? Math.Min(headerBias, copy.Length) : copy.Length;
            int at = random.Next(limit);
            copy[at] = random.Next(3) switch
            {
                0 => (byte)random.Next(256),
                1 => (byte)(copy[at] ^ (1 << random.Next(8))),
                _ => (byte)(random.Next(2) == 0 ? 0xFF : 0x00),
            };
        }

        return copy;
    }

    /// <summary>Runs <paramref name="read"/> on <paramref name="mutants"/> mutants of each file; returns how many were rejected.</summary>
    public static int Run<TException>(IReadOnlyList<string> files, int mutants, int headerBias, Action<string> read, string scratchExtension)
        where TException : Exception
    {
        int rejected = 0;
        string scratch = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"fmri-mutant-{Environment.ProcessId}-{Guid.NewGuid():N}{scratchExtension}");
        try
        {
            for (int f = 0; f < files.Count; f++)
            {
                byte[] original = File.ReadAllBytes(files[f]);
                for (int m = 0; m < mutants; m++)
                {
                    int seed = (f * 100_003) + m;
                    File.WriteAllBytes(scratch, Mutate(original, seed, headerBias));
                    try
                    {
                        read(scratch);
                    }
                    catch (TException)
                    {
                        rejected++;
                    }
                    catch (Exception e)
                    {
                        throw new Xunit.Sdk.XunitException($"mutant seed {seed} of {files[f]} raised {e.GetType().Name}: {e}");
                    }
                }
            }
        }
        finally
        {
            File.Delete(scratch);
        }

        return rejected;
    }
}
