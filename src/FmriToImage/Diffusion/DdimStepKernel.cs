using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FmriToImage.Diffusion;

/// <summary>
/// The element-wise arithmetic of one DDIM step and of <c>add_noise</c>, vectorised with <see cref="Vector{T}"/>.
/// Every DDIM quantity is a linear combination of the sample x and the model output m, so one pass suffices:
/// <code>
/// x0  = clamp(AX·x + AM·m, Lo, Hi) · Scale
/// out = P0·x0 + PX·x + PM·m [+ Sigma·z]
/// </code>
/// The coefficients are computed once per step in double and rounded to float. Vector lanes and the scalar tail
/// do the same float multiplications and additions in the same order (the JIT does not fuse them), so the result
/// does not depend on the vector width of the machine.
/// </summary>
/// <remarks>
/// Each destination element is written only after the inputs at the same index were read, so the destination may be
/// exactly the same memory as any input (diffusers' in-place use); partial overlap is rejected by the callers.
/// </remarks>
internal readonly struct DdimStepKernel
{
    public float AX { get; init; }
    public float AM { get; init; }
    public float Lo { get; init; }
    public float Hi { get; init; }
    public float Scale { get; init; }
    public float P0 { get; init; }
    public float PX { get; init; }
    public float PM { get; init; }
    public float Sigma { get; init; }

    /// <summary>destination = P0·clamp(AX·x + AM·m)·Scale + PX·x + PM·m (+ Sigma·z when z is not empty).</summary>
    public void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> m, ReadOnlySpan<float> z, Span<float> destination)
    {
        int n = destination.Length;
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float rm = ref MemoryMarshal.GetReference(m);
        ref float rz = ref MemoryMarshal.GetReference(z);
        ref float rd = ref MemoryMarshal.GetReference(destination);
        bool noise = !z.IsEmpty;
        int i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var ax = new Vector<float>(AX);
            var am = new Vector<float>(AM);
            var lo = new Vector<float>(Lo);
            var hi = new Vector<float>(Hi);
            var scale = new Vector<float>(Scale);
            var p0 = new Vector<float>(P0);
            var px = new Vector<float>(PX);
            var pm = new Vector<float>(PM);
            var sigma = new Vector<float>(Sigma);
            int last = n - Vector<float>.Count;
            for (; i <= last; i += Vector<float>.Count)
            {
                Vector<float> vx = Vector.LoadUnsafe(ref rx, (nuint)i);
                Vector<float> vm = Vector.LoadUnsafe(ref rm, (nuint)i);
                Vector<float> x0 = Vector.Min(Vector.Max((ax * vx) + (am * vm), lo), hi) * scale;
                Vector<float> r = (p0 * x0) + (px * vx) + (pm * vm);
                if (noise)
                {
                    r += sigma * Vector.LoadUnsafe(ref rz, (nuint)i);
                }

                r.StoreUnsafe(ref rd, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            float vx = Unsafe.Add(ref rx, i);
            float vm = Unsafe.Add(ref rm, i);
            float x0 = Math.Min(Math.Max((AX * vx) + (AM * vm), Lo), Hi) * Scale;
            float r = (P0 * x0) + (PX * vx) + (PM * vm);
            if (noise)
            {
                r += Sigma * Unsafe.Add(ref rz, i);
            }

            Unsafe.Add(ref rd, i) = r;
        }
    }

    /// <summary>destination = |AX·x + AM·m| (the unclipped predicted x₀, for the thresholding quantile).</summary>
    public void AbsolutePredictedOriginal(ReadOnlySpan<float> x, ReadOnlySpan<float> m, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = Math.Abs((AX * x[i]) + (AM * m[i]));
        }
    }

    /// <summary>destination = a·x + b·y, element-wise; destination may be exactly x or y.</summary>
    public static void ScaledSum(float a, ReadOnlySpan<float> x, float b, ReadOnlySpan<float> y, Span<float> destination)
    {
        int n = destination.Length;
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float ry = ref MemoryMarshal.GetReference(y);
        ref float rd = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var va = new Vector<float>(a);
            var vb = new Vector<float>(b);
            int last = n - Vector<float>.Count;
            for (; i <= last; i += Vector<float>.Count)
            {
                ((va * Vector.LoadUnsafe(ref rx, (nuint)i)) + (vb * Vector.LoadUnsafe(ref ry, (nuint)i))).StoreUnsafe(ref rd, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref rd, i) = (a * Unsafe.Add(ref rx, i)) + (b * Unsafe.Add(ref ry, i));
        }
    }
}
