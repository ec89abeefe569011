using System.Buffers.Binary;

namespace FmriToImage.Tests.Data.Fuzz;

/// <summary>One mutant: a name that says how to rebuild it (seed file, kind, case number) and its bytes.</summary>
internal sealed record FuzzCase(string Name, byte[] Bytes);

/// <summary>
/// Deterministic mutants of a seed file: truncation at every offset (every <c>step</c>-th for larger seeds), byte
/// flips, boundary integers written over header fields, and — for formats with file addresses (HDF5) — address
/// splices that point a structure at another structure or at itself (cycles, shared nodes, overlapping blocks).
/// The same seed number always gives the same cases.
/// </summary>
internal static class Mutator
{
    private static readonly ulong[] Boundaries =
    [
        0, 1, 2, 7, 8, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
        0x1_0000_0000, 1UL << 31, (1UL << 31) + 1, 1UL << 40, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, ulong.MaxValue, ulong.MaxValue - 1,
    ];

    /// <summary>The cases for one seed.</summary>
    /// <param name="name">The seed's file name (for case names).</param>
    /// <param name="seed">The seed's bytes.</param>
    /// <param name="profile">How many cases of each kind, and where headers are.</param>
    /// <param name="randomSeed">Seeds the random mutations.</param>
    public static IEnumerable<FuzzCase> Cases(string name, byte[] seed, FuzzProfile profile, int randomSeed)
    {
        int step = Math.Max(1, seed.Length / Math.Max(1, profile.MaxTruncations));
        for (int cut = 0; cut < seed.Length; cut += step)
        {
            yield return new FuzzCase($"{name} truncate@{cut}", seed[..cut]);
        }

        var random = new Random(randomSeed);
        for (int i = 0; i < profile.Flips; i++)
        {
            yield return new FuzzCase($"{name} flip#{i}", profile.Repair(Flip(seed, random, profile.HeaderBytes)));
        }

        for (int i = 0; i < profile.BoundaryIntegers; i++)
        {
            yield return new FuzzCase($"{name} boundary#{i}", profile.Repair(Boundary(seed, random, profile.HeaderBytes, profile.BigEndianToo)));
        }

        if (profile.AddressSplices > 0)
        {
            long[] addresses = AddressFields(seed);
            for (int i = 0; i < profile.AddressSplices && addresses.Length > 1; i++)
            {
                yield return new FuzzCase($"{name} splice#{i}", Splice(seed, addresses, random));
            }
        }
    }

    /// <summary>1..4 bytes changed (random value, one bit, 0x00 or 0xFF), half of them in the header.</summary>
    private static byte[] Flip(byte[] seed, Random random, int headerBytes)
    {
        var copy = (byte[])seed.Clone();
        if (copy.Length == 0)
        {
            return copy;
        }

        for (int edits = random.Next(1, 5); edits > 0; edits--)
        {
            int at = random.Next(random.Next(2) == 0 ? Math.Min(headerBytes, copy.Length) : copy.Length);
            copy[at] = random.Next(3) switch
            {
                0 => (byte)random.Next(256),
                1 => (byte)(copy[at] ^ (1 << random.Next(8))),
                _ => (byte)(random.Next(2) == 0 ? 0xFF : 0x00),
            };
        }

        return copy;
    }

    /// <summary>A boundary value written as a 1/2/4/8-byte integer at an aligned header offset (little-endian, or either order).</summary>
    private static byte[] Boundary(byte[] seed, Random random, int headerBytes, bool bigEndianToo)
    {
        var copy = (byte[])seed.Clone();
        int width = 1 << random.Next(4);
        int limit = Math.Min(headerBytes, copy.Length) - width;
        if (limit <= 0)
        {
            return copy;
        }

        int at = random.Next(limit / width + 1) * width;
        at = Math.Min(at, copy.Length - width);
        ulong value = random.Next(8) == 0 ? (ulong)seed.Length + (ulong)random.Next(-2, 3) : Boundaries[random.Next(Boundaries.Length)];
        Span<byte> field = copy.AsSpan(at, width);
        Span<byte> le = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(le, value);
        le[..width].CopyTo(field);
        if (bigEndianToo && random.Next(2) == 0)
        {
            field.Reverse();
        }

        return copy;
    }

    /// <summary>Offsets of 8-byte little-endian fields whose value is an offset inside the file (candidate addresses).</summary>
    private static long[] AddressFields(byte[] seed)
    {
        var found = new List<long>();
        for (int at = 0; at + 8 <= seed.Length; at++)
        {
            ulong v = BinaryPrimitives.ReadUInt64LittleEndian(seed.AsSpan(at));
            if (v >= 8 && v < (ulong)seed.Length)
            {
                found.Add(at);
            }
        }

        return [.. found];
    }

    /// <summary>One address field gets another field's value, its own offset or its value ± a few bytes.</summary>
    private static byte[] Splice(byte[] seed, long[] addresses, Random random)
    {
        var copy = (byte[])seed.Clone();
        int at = (int)addresses[random.Next(addresses.Length)];
        ulong value = random.Next(3) switch
        {
            0 => BinaryPrimitives.ReadUInt64LittleEndian(seed.AsSpan((int)addresses[random.Next(addresses.Length)])),
            1 => (ulong)at, // a structure that points at its own field: a cycle
            _ => BinaryPrimitives.ReadUInt64LittleEndian(seed.AsSpan(at)) + (ulong)random.Next(-16, 17),
        };
        BinaryPrimitives.WriteUInt64LittleEndian(copy.AsSpan(at), value);
        return copy;
    }
}

/// <summary>How a reader's seeds are mutated.</summary>
/// <param name="MaxTruncations">At most this many truncations per seed (every offset when the seed is no longer).</param>
/// <param name="Flips">Byte-flip cases per seed.</param>
/// <param name="BoundaryIntegers">Boundary-integer cases per seed.</param>
/// <param name="AddressSplices">Address-splice cases per seed (0: the format has no file addresses).</param>
/// <param name="HeaderBytes">Where the structure a parser branches on lies (edits are biased to it).</param>
/// <param name="BigEndianToo">Whether boundary integers are also written big-endian.</param>
/// <param name="RepairWith">Applied to each flipped/boundary mutant (e.g. recompute PNG CRCs so the mutation reaches the parser), or null.</param>
internal sealed record FuzzProfile(int MaxTruncations, int Flips, int BoundaryIntegers, int AddressSplices, int HeaderBytes, bool BigEndianToo,
    Func<byte[], byte[]>? RepairWith = null)
{
    public byte[] Repair(byte[] bytes) => RepairWith is null ? bytes : RepairWith(bytes);

    /// <summary>The same profile with the random case counts multiplied by <paramref name="scale"/> (the long local run).</summary>
    public FuzzProfile Scaled(int scale) => this with { Flips = Flips * scale, BoundaryIntegers = BoundaryIntegers * scale, AddressSplices = AddressSplices * scale };
}
