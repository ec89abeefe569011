namespace FmriToImage.Onnx;

/// <summary>
/// Inputs and outputs bound to a session once and reused across runs (<see cref="OrtSession.Run(OrtIoBinding, OrtRunOptions?, CancellationToken)"/>):
/// the hot-path form of a run, and the way to keep outputs on a device (<see cref="BindOutputToDevice"/>).
/// </summary>
/// <remarks>
/// Bound values are checked against the model's declaration when bound, and kept alive (their memory stays pinned) by
/// the binding until they are unbound, rebound or the binding is released, even if the caller disposes them first; the
/// binding likewise keeps its session alive. The caller still owns and disposes them. A copy that ONNX Runtime needs
/// (e.g. host to device) happens at bind time: after changing a bound input's memory, bind it again if it lives on
/// another device. Not thread-safe: one binding serves one run at a time. Owns a native <c>OrtIoBinding</c>.
/// </remarks>
public sealed unsafe class OrtIoBinding : IDisposable
{
    private readonly OrtHandle handle;
    private readonly string ownerName;
    private readonly Dictionary<string, OrtValue> boundInputs = new(StringComparer.Ordinal);
    private readonly List<string> boundOutputNames = [];
    private readonly Dictionary<string, OrtValue> boundOutputs = new(StringComparer.Ordinal);

    internal OrtIoBinding(OrtSession session, nint pointer)
    {
        Session = session;
        ownerName = $"OrtIoBinding of '{session.ModelName}'";
        handle = new OrtHandle(pointer, OrtApi.ReleaseIoBinding);

        // The native binding reads the session's state: the session must outlive it.
        handle.Hold(session.Handle, session.OwnerName);
    }

    /// <summary>The session this binding belongs to.</summary>
    public OrtSession Session { get; }

    /// <summary>Binds <paramref name="value"/> to input <paramref name="name"/>.</summary>
    /// <param name="name">A model input name.</param>
    /// <param name="value">A value matching the input's declaration.</param>
    /// <exception cref="TensorContractException">Unknown name, or the value does not fit the declaration.</exception>
    public void BindInput(string name, OrtValue value)
    {
        var slot = Session.Validate(name, value, isInput: true);
        using var binding = Acquire();
        using var bound = value.Acquire();
        OrtApi.Check(OrtApi.BindInput(binding.Pointer, (byte*)Session.InputNamePointer(slot), bound.Pointer), $"binding input '{name}' of '{Session.ModelName}'");
        Keep(boundInputs, name, value);
    }

    /// <summary>Binds a preallocated <paramref name="value"/> to output <paramref name="name"/>; runs write into it.</summary>
    /// <param name="name">A model output name.</param>
    /// <param name="value">A value matching the output's declaration.</param>
    /// <exception cref="TensorContractException">Unknown name, or the value does not fit the declaration.</exception>
    public void BindOutput(string name, OrtValue value)
    {
        var slot = Session.Validate(name, value, isInput: false);
        using var binding = Acquire();
        using var bound = value.Acquire();
        OrtApi.Check(OrtApi.BindOutput(binding.Pointer, (byte*)Session.OutputNamePointer(slot), bound.Pointer), $"binding output '{name}' of '{Session.ModelName}'");
        Keep(boundOutputs, name, value);
        RememberOutput(name);
    }

    /// <summary>Binds output <paramref name="name"/> to memory ONNX Runtime allocates on a device at each run.</summary>
    /// <param name="name">A model output name.</param>
    /// <param name="memoryInfo">Where the output should live, e.g. <see cref="OrtMemoryInfo.Cpu"/> or <see cref="OrtMemoryInfo.CreateCuda"/>.</param>
    /// <exception cref="TensorContractException">Unknown output name.</exception>
    public void BindOutputToDevice(string name, OrtMemoryInfo memoryInfo)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(memoryInfo);
        var slot = Session.OutputSlot(name);

        using var binding = Acquire();
        using var memory = memoryInfo.Acquire();
        OrtApi.Check(OrtApi.BindOutputToDevice(binding.Pointer, (byte*)Session.OutputNamePointer(slot), memory.Pointer), $"binding output '{name}' of '{Session.ModelName}' to {memoryInfo}");
        Release(boundOutputs, name);
        RememberOutput(name);
    }

    /// <summary>The values of the bound outputs after a run, in binding order. The caller disposes the list.</summary>
    /// <returns>New owning references to the output values (preallocated outputs come back as second references to the same memory).</returns>
    public OrtValueList GetOutputValues()
    {
        using var binding = Acquire();
        nint* values;
        nuint count;
        OrtApi.Check(OrtApi.GetBoundOutputValues(binding.Pointer, OrtApi.DefaultAllocator, &values, &count), $"reading the bound outputs of '{Session.ModelName}'");
        var result = new OrtValue[(int)count];
        try
        {
            for (var i = 0; i < result.Length; i++)
            {
                result[i] = OrtValue.FromOwnedPointer(values[i]);
                if (i < boundOutputNames.Count && boundOutputs.TryGetValue(boundOutputNames[i], out var preallocated))
                {
                    // A preallocated output comes back as a second value over the caller's memory: keep it pinned.
                    result[i].Handle.Hold(preallocated.Handle, $"OrtValue bound to output '{boundOutputNames[i]}'");
                }
            }
        }
        finally
        {
            if (values != null)
            {
                OrtApi.AllocatorFree(OrtApi.DefaultAllocator, values);
            }
        }

        var names = boundOutputNames.Count == result.Length ? boundOutputNames.ToArray() : Enumerable.Range(0, result.Length).Select(i => $"output{i}").ToArray();
        return new OrtValueList(names, result);
    }

    /// <summary>Unbinds every input.</summary>
    public void ClearBoundInputs()
    {
        using var binding = Acquire();
        OrtApi.ClearBoundInputs(binding.Pointer);
        ReleaseAll(boundInputs);
    }

    /// <summary>Unbinds every output.</summary>
    public void ClearBoundOutputs()
    {
        using var binding = Acquire();
        OrtApi.ClearBoundOutputs(binding.Pointer);
        ReleaseAll(boundOutputs);
        boundOutputNames.Clear();
    }

    /// <summary>Waits until bound inputs are on their devices (relevant for device inputs).</summary>
    public void SynchronizeInputs()
    {
        using var binding = Acquire();
        OrtApi.Check(OrtApi.SynchronizeBoundInputs(binding.Pointer), $"synchronising the bound inputs of '{Session.ModelName}'");
    }

    /// <summary>Waits until bound outputs are written (relevant for device outputs).</summary>
    public void SynchronizeOutputs()
    {
        using var binding = Acquire();
        OrtApi.Check(OrtApi.SynchronizeBoundOutputs(binding.Pointer), $"synchronising the bound outputs of '{Session.ModelName}'");
    }

    /// <summary>Releases the native binding, then its holds on the session and the bound values (which stay the caller's). Idempotent.</summary>
    public void Dispose()
    {
        handle.Dispose();
        boundInputs.Clear();
        boundOutputs.Clear();
    }

    internal OrtHandle.Lease Acquire() => handle.Acquire(ownerName);

    private void Keep(Dictionary<string, OrtValue> bound, string name, OrtValue value)
    {
        handle.Hold(value.Handle, $"OrtValue bound to '{name}' of '{Session.ModelName}'");
        Release(bound, name);
        bound[name] = value;
    }

    private void Release(Dictionary<string, OrtValue> bound, string name)
    {
        if (bound.Remove(name, out var previous))
        {
            handle.Unhold(previous.Handle);
        }
    }

    private void ReleaseAll(Dictionary<string, OrtValue> bound)
    {
        foreach (var value in bound.Values)
        {
            handle.Unhold(value.Handle);
        }

        bound.Clear();
    }

    private void RememberOutput(string name)
    {
        if (!boundOutputNames.Contains(name))
        {
            boundOutputNames.Add(name);
        }
    }
}
