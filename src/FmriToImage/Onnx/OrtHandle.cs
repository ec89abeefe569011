using System.Buffers;
using System.Runtime.InteropServices;

namespace FmriToImage.Onnx;

/// <summary>
/// The one owner of one native ONNX Runtime object: releases it exactly once with the matching <c>Release*</c>
/// function, on <see cref="SafeHandle.Dispose()"/> or, if the owner was never disposed, on finalisation. Native calls
/// take a <see cref="Lease"/> so that a concurrent dispose cannot release the object while a call is using it.
/// </summary>
internal sealed unsafe class OrtHandle : SafeHandle
{
    private readonly delegate* unmanaged<nint, void> release;
    private readonly Lock holdGate = new();
    private MemoryHandle pin;
    private List<SafeHandle>? held;
    private volatile bool disposeRequested;

    /// <summary>Takes ownership of <paramref name="pointer"/>.</summary>
    /// <param name="pointer">The native object; 0 makes an invalid handle.</param>
    /// <param name="release">The function that releases it.</param>
    /// <param name="pin">Managed memory the object points into; unpinned after the object is released.</param>
    public OrtHandle(nint pointer, delegate* unmanaged<nint, void> release, MemoryHandle pin = default)
        : base(0, ownsHandle: true)
    {
        this.release = release;
        this.pin = pin;
        SetHandle(pointer);
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle == 0;

    /// <summary>Keeps the object alive for the duration of a native call.</summary>
    /// <param name="what">Names the owner in the <see cref="ObjectDisposedException"/> if it is already disposed.</param>
    /// <returns>A lease to dispose when the call returns.</returns>
    public Lease Acquire(string what) => new(this, AddRef(what));

    /// <summary>
    /// Keeps the object alive for a native call that spans several handles (pair with <see cref="SafeHandle.DangerousRelease"/>
    /// in a finally block); use <see cref="Acquire"/> where one handle suffices.
    /// </summary>
    /// <param name="what">Names the owner in the <see cref="ObjectDisposedException"/> if it is already disposed.</param>
    /// <returns>The native pointer.</returns>
    public nint AddRef(string what)
    {
        if (disposeRequested)
        {
            throw new ObjectDisposedException(what);
        }

        var success = false;
        try
        {
            DangerousAddRef(ref success);
        }
        catch (ObjectDisposedException)
        {
            throw new ObjectDisposedException(what);
        }

        return handle;
    }

    /// <summary>
    /// Keeps <paramref name="other"/> from being released until this handle is released or <see cref="Unhold"/> is
    /// called: for native objects that point into others (a binding into its session and its bound values).
    /// </summary>
    /// <param name="other">The handle to keep alive.</param>
    /// <param name="what">Names <paramref name="other"/> in the <see cref="ObjectDisposedException"/> if it is already disposed.</param>
    public void Hold(SafeHandle other, string what)
    {
        if (other is OrtHandle { disposeRequested: true })
        {
            throw new ObjectDisposedException(what);
        }

        var success = false;
        try
        {
            other.DangerousAddRef(ref success);
        }
        catch (ObjectDisposedException)
        {
            throw new ObjectDisposedException(what);
        }

        lock (holdGate)
        {
            (held ??= []).Add(other);
        }
    }

    /// <summary>Ends one <see cref="Hold"/> of <paramref name="other"/>; does nothing if it is not held.</summary>
    /// <param name="other">The handle held.</param>
    public void Unhold(SafeHandle other)
    {
        lock (holdGate)
        {
            if (held is null || !held.Remove(other))
            {
                return;
            }
        }

        other.DangerousRelease();
    }

    /// <summary>
    /// Whether the owner asked for disposal. The native object may live on while another handle holds it (see
    /// <see cref="Hold"/>), but the owner's own calls are refused from then on.
    /// </summary>
    public bool IsDisposeRequested => disposeRequested || IsClosed;

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        disposeRequested = true;
        base.Dispose(disposing);
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        release(handle);
        pin.Dispose();
        pin = default;
        List<SafeHandle>? toRelease;
        lock (holdGate)
        {
            toRelease = held;
            held = null;
        }

        if (toRelease is not null)
        {
            foreach (var other in toRelease)
            {
                other.DangerousRelease();
            }
        }

        return true;
    }

    /// <summary>A reference that keeps a handle from being released while a native call uses it.</summary>
    public readonly ref struct Lease
    {
        private readonly OrtHandle owner;

        internal Lease(OrtHandle owner, nint pointer)
        {
            this.owner = owner;
            Pointer = pointer;
        }

        /// <summary>The native pointer, valid until the lease is disposed.</summary>
        public nint Pointer { get; }

        /// <summary>Ends the lease.</summary>
        public void Dispose() => owner?.DangerousRelease();
    }
}
