using FmriToImage.Onnx;

namespace FmriToImage.Bundle;

/// <summary>
/// Checks a bundle's graphs against the contracts the pipelines rely on and against each other, collecting every
/// problem (docs/model-bundle.md lists the rules). Only dimensions a graph fixes are compared; dynamic ones pass.
/// </summary>
internal sealed class BundleContractChecker
{
    // float16 graphs are accepted everywhere: the session converts at the graph's edge (GraphSession, and the UNet's
    // and prior's bound buffers), so the library's own state stays float32.
    private static readonly TensorElementType[] FloatTypes = [TensorElementType.Float, TensorElementType.Float16];
    private static readonly TensorElementType[] IdTypes = [TensorElementType.Int64, TensorElementType.Int32];
    private static readonly TensorElementType[] MaskTypes = [TensorElementType.Int64, TensorElementType.Int32, TensorElementType.Float];
    private static readonly TensorElementType[] TimestepTypes = [TensorElementType.Float, TensorElementType.Float16, TensorElementType.Int64, TensorElementType.Int32];

    /// <summary>The UNet input (and conditioning-token encoder output) of the context-to-time-embedding term.</summary>
    public const string TimeEmbeddingTerm = "time_embedding_term";

    private readonly List<string> _problems = [];

    public IReadOnlyList<string> Problems => _problems;

    /// <summary>Checks one component's own contract (names, types, ranks, the manifest's voxel counts).</summary>
    public void CheckComponent(BundleComponent component, GraphSession session, DecoderManifest? manifest)
    {
        switch (component.Kind)
        {
            case BundleComponentKind.TextEncoder:
                Expect(component, session, "input_ids", input: true, IdTypes, 2);
                Expect(component, session, "last_hidden_state", input: false, FloatTypes, 3);
                DynamicBatch(component, session, "input_ids", allowOne: false);
                break;
            case BundleComponentKind.ImageEncoder:
                Expect(component, session, "pixel_values", input: true, FloatTypes, 4);
                ExpectEither(component, session, ("image_embeds", 2), ("last_hidden_state", 3));
                DynamicBatch(component, session, "pixel_values", allowOne: false);
                break;
            case BundleComponentKind.Unet:
                Expect(component, session, "sample", input: true, FloatTypes, 4);
                Expect(component, session, "timestep", input: true, TimestepTypes, 0, 1);
                Expect(component, session, "encoder_hidden_states", input: true, FloatTypes, 3);
                Expect(component, session, "out_sample", input: false, FloatTypes, 4);
                if (Find(session.Inputs, TimeEmbeddingTerm) is not null)
                {
                    Expect(component, session, TimeEmbeddingTerm, input: true, FloatTypes, 2);
                }

                foreach (var name in new[] { "sample", "timestep", "encoder_hidden_states" })
                {
                    DynamicBatch(component, session, name, allowOne: false, "classifier-free guidance runs the unconditional and conditional halves as one batch");
                }

                break;
            case BundleComponentKind.VaeEncoder:
                Expect(component, session, "sample", input: true, FloatTypes, 4);
                ExpectEither(component, session, ("latent_parameters", 4), ("latent_sample", 4));
                break;
            case BundleComponentKind.VaeDecoder:
                Expect(component, session, "latent_sample", input: true, FloatTypes, 4);
                Expect(component, session, "sample", input: false, FloatTypes, 4);
                DynamicBatch(component, session, "latent_sample", allowOne: false);
                if (component.ConfigNumber("scaling_factor") is null)
                {
                    _problems.Add($"{component.RelativePath}: its config.json has no numeric 'scaling_factor' (the latent scale diffusers records; it is never assumed).");
                }

                break;
            case BundleComponentKind.CaptionerVision:
                Expect(component, session, "pixel_values", input: true, FloatTypes, 4);
                Expect(component, session, "image_embeds", input: false, FloatTypes, 3);
                DynamicBatch(component, session, "pixel_values", allowOne: false);
                break;
            case BundleComponentKind.CaptionerDecoder:
                Expect(component, session, "input_ids", input: true, IdTypes, 2);
                Expect(component, session, "image_embeds", input: true, FloatTypes, 3);
                Expect(component, session, "logits", input: false, FloatTypes, 3);
                DynamicBatch(component, session, "input_ids", allowOne: true);
                if (session.Inputs.Any(i => i.Name == "attention_mask"))
                {
                    Expect(component, session, "attention_mask", input: true, MaskTypes, 2);
                }

                break;
            case BundleComponentKind.Prior:
                CheckPrior(component, session);
                break;
            case BundleComponentKind.CaptionerTokenConverter:
                Expect(component, session, "image_tokens", input: true, FloatTypes, 3);
                Expect(component, session, "image_embeds", input: false, FloatTypes, 3);
                DynamicBatch(component, session, "image_tokens", allowOne: false);
                break;
            case BundleComponentKind.VoxelEncoder:
                CheckVoxelEncoder(component, session, manifest);
                break;
            case BundleComponentKind.SubjectAdapter:
                CheckSubjectAdapter(component, session, manifest);
                break;
        }
    }

    /// <summary>Checks that components agree: latent channels and size, token width, vocabulary size.</summary>
    public void CheckAcross(ModelBundle bundle)
    {
        var latentChannels = FixedDim(bundle.VaeDecoder, "latent_sample", true, 1) ?? (long?)bundle.VaeDecoder?.ConfigNumber("latent_channels");
        var latentSource = bundle.VaeDecoder is null ? null : $"{bundle.VaeDecoder.RelativePath} (latent channels {latentChannels})";
        if (latentChannels is { } channels)
        {
            AgreeDim(bundle.Unet, "sample", true, 1, channels, latentSource!);
            AgreeDim(bundle.Unet, "out_sample", false, 1, channels, latentSource!);
            if (bundle.VaeEncoder is { } encoder)
            {
                AgreeDim(encoder, "latent_parameters", false, 1, 2 * channels, latentSource + ", ×2 for mean ‖ logvar");
                AgreeDim(encoder, "latent_sample", false, 1, channels, latentSource!);
            }

            foreach (var voxelEncoder in bundle.VoxelEncoders.Where(v => v.Entry.Role == VoxelEncoderRole.VaeLatent))
            {
                AgreeDim(voxelEncoder.Component, "latent", false, 1, channels, latentSource!);
            }
        }

        // Latent height/width: voxel encoders must predict what the UNet and the VAE decoder take.
        foreach (var axis in new[] { 2, 3 })
        {
            var reference = FixedDim(bundle.VaeDecoder, "latent_sample", true, axis);
            var referenceName = bundle.VaeDecoder?.RelativePath + " input 'latent_sample'";
            if (reference is null)
            {
                reference = FixedDim(bundle.Unet, "sample", true, axis);
                referenceName = bundle.Unet?.RelativePath + " input 'sample'";
            }

            if (reference is { } size)
            {
                foreach (var voxelEncoder in bundle.VoxelEncoders.Where(v => v.Entry.Role == VoxelEncoderRole.VaeLatent))
                {
                    AgreeDim(voxelEncoder.Component, "latent", false, axis, size, referenceName!);
                }
            }
        }

        // Token width: everything the UNet cross-attends to.
        var width = FixedDim(bundle.Unet, "encoder_hidden_states", true, 2);
        if (width is { } tokenWidth)
        {
            var source = $"{bundle.Unet!.RelativePath} input 'encoder_hidden_states' (width {tokenWidth})";
            AgreeDim(bundle.TextEncoder, "last_hidden_state", false, 2, tokenWidth, source);
            foreach (var voxelEncoder in bundle.VoxelEncoders.Where(v => v.Entry.Role == VoxelEncoderRole.ImageTokens))
            {
                AgreeDim(voxelEncoder.Component, "image_tokens", false, 2, tokenWidth, source);
            }

            if (bundle.VoxelEncoders.Any(v => v.Entry.Role == VoxelEncoderRole.ImageTokens))
            {
                AgreeDim(bundle.ImageEncoder, "last_hidden_state", false, 2, tokenWidth, source);
            }

            foreach (var voxelEncoder in bundle.VoxelEncoders.Where(v => v.Entry.Role == VoxelEncoderRole.ConditioningTokens))
            {
                AgreeDim(voxelEncoder.Component, "conditioning_tokens", false, 2, tokenWidth, source);
            }
        }

        CheckTimeEmbeddingTerm(bundle);

        CheckPriorAcross(bundle, width);

        // The captioner's vocabulary: logits width = lines of vocab.txt.
        if (bundle.CaptionerDecoder is { } decoder && FixedDim(decoder, "logits", false, 2) is { } logitsWidth)
        {
            const string vocab = "captioner/vocab.txt";
            if (bundle.HasFile(vocab))
            {
                var lines = bundle.ReadText(vocab).Split('\n').Count(l => l.TrimEnd('\r').Length > 0);
                if (lines != logitsWidth)
                {
                    _problems.Add($"{decoder.RelativePath}: output 'logits' has {logitsWidth} classes but captioner/vocab.txt has {lines} tokens.");
                }
            }
        }
    }

    /// <summary>
    /// The prior's own contract: sample and encoder_hidden_states [batch, T, D] float32 in, out_sample [batch, T, D]
    /// out, a timestep of any supported type and rank, one T and D across the three, a batch axis that is dynamic or
    /// 1, and its scheduler config beside it.
    /// </summary>
    private void CheckPrior(BundleComponent component, GraphSession session)
    {
        Expect(component, session, "sample", input: true, FloatTypes, 3);
        Expect(component, session, "timestep", input: true, TimestepTypes, 0, 1);
        Expect(component, session, "encoder_hidden_states", input: true, FloatTypes, 3);
        Expect(component, session, "out_sample", input: false, FloatTypes, 3);
        foreach (var name in new[] { "sample", "timestep", "encoder_hidden_states" })
        {
            DynamicBatch(component, session, name, allowOne: true);
        }

        // One T and one D across sample, encoder_hidden_states and out_sample (this session: it may be opening lazily).
        foreach (var (axis, what) in new[] { (1, "token count T"), (2, "token width D") })
        {
            var dims = new[] { ("sample", true), ("encoder_hidden_states", true), ("out_sample", false) }
                .Select(n => (n.Item1, n.Item2, Node: Find(n.Item2 ? session.Inputs : session.Outputs, n.Item1)))
                .Where(n => n.Node is not null && n.Node.Rank > axis && n.Node.Dimensions[axis] >= 0)
                .ToArray();
            foreach (var other in dims.Skip(1).Where(d => d.Node!.Dimensions[axis] != dims[0].Node!.Dimensions[axis]))
            {
                _problems.Add($"{component.RelativePath}: {(other.Item2 ? "input" : "output")} '{other.Item1}' {other.Node!.ShapeText} has {other.Node.Dimensions[axis]} at axis {axis} but its {(dims[0].Item2 ? "input" : "output")} '{dims[0].Item1}' ({what} {dims[0].Node!.Dimensions[axis]}) needs {dims[0].Node!.Dimensions[axis]}.");
            }
        }

        // The scheduler config's values are read where schedulers are built (BrainDecoder.Load); here: that it exists.
        if (!File.Exists(Path.Combine(Path.GetDirectoryName(component.FullPath)!, "scheduler_config.json")))
        {
            _problems.Add($"{ModelBundle.PriorSchedulerConfigPath}: missing; {component.RelativePath} needs its own diffusers scheduler config (num_train_timesteps, beta_schedule, prediction_type).");
        }
    }

    /// <summary>
    /// The prior against the rest: its tokens are the high-level voxel encoder's image_tokens (same T and D) and the
    /// UNet's conditioning (same D).
    /// </summary>
    private void CheckPriorAcross(ModelBundle bundle, long? unetWidth)
    {
        if (bundle.Prior is not { } prior)
        {
            return;
        }

        var width = unetWidth ?? (long?)bundle.Unet?.ConfigNumber("cross_attention_dim");
        if (width is { } tokenWidth)
        {
            var source = unetWidth is null
                ? $"{bundle.Unet!.RelativePath} (config.json cross_attention_dim {tokenWidth})"
                : $"{bundle.Unet!.RelativePath} input 'encoder_hidden_states' (width {tokenWidth})";
            AgreeDim(prior, "sample", true, 2, tokenWidth, source);
            AgreeDim(prior, "encoder_hidden_states", true, 2, tokenWidth, source);
            AgreeDim(prior, "out_sample", false, 2, tokenWidth, source);
        }

        foreach (var encoder in bundle.VoxelEncoders.Where(v => v.Entry.Role == VoxelEncoderRole.ImageTokens))
        {
            foreach (var (axis, what) in new[] { (1, "tokens"), (2, "width") })
            {
                if (FixedDim(encoder.Component, "image_tokens", false, axis) is { } size)
                {
                    var source = $"{encoder.Component.RelativePath} output 'image_tokens' (the brain tokens, {what} {size})";
                    AgreeDim(prior, "sample", true, axis, size, source);
                    AgreeDim(prior, "encoder_hidden_states", true, axis, size, source);
                    AgreeDim(prior, "out_sample", false, axis, size, source);
                }
            }
        }
    }

    /// <summary>
    /// The context-to-time-embedding term (Vis-Dec): a <c>conditioning_tokens</c> encoder's output
    /// <c>time_embedding_term</c> [batch, E] is fed to the UNet input of that name, so each needs the other — a term the
    /// UNet cannot take would be dropped, an input no encoder feeds could not run — and a width both fix must agree.
    /// </summary>
    private void CheckTimeEmbeddingTerm(ModelBundle bundle)
    {
        var unetInput = bundle.Unet is null ? null : Find(bundle.Unet.Session.Inputs, TimeEmbeddingTerm);
        var feeding = bundle.VoxelEncoders
            .Where(v => v.Entry.Role == VoxelEncoderRole.ConditioningTokens && Find(v.Component.Session.Outputs, TimeEmbeddingTerm) is not null)
            .ToArray();
        if (bundle.Unet is not null && unetInput is null)
        {
            foreach (var encoder in feeding)
            {
                _problems.Add($"{encoder.Component.RelativePath}: output '{TimeEmbeddingTerm}' (the context-to-time-embedding term) has no UNet input to feed: {bundle.Unet.RelativePath} has no input '{TimeEmbeddingTerm}'; its inputs: {string.Join(", ", bundle.Unet.Session.Inputs)}.");
            }

            return;
        }

        if (unetInput is null)
        {
            return;
        }

        if (feeding.Length == 0)
        {
            _problems.Add($"{bundle.Unet!.RelativePath}: input '{TimeEmbeddingTerm}' {unetInput.ShapeText} is fed by no voxel encoder; a voxel encoder with role 'conditioning_tokens' must have an output '{TimeEmbeddingTerm}' [batch, E].");
            return;
        }

        // The Conditioned pipeline runs the first conditioning_tokens encoder: each of them must feed the input, or the
        // load would pass on another's output and the run fail at its first UNet step.
        foreach (var encoder in bundle.VoxelEncoders.Where(v => v.Entry.Role == VoxelEncoderRole.ConditioningTokens).Except(feeding))
        {
            _problems.Add($"{encoder.Component.RelativePath}: a 'conditioning_tokens' encoder without an output '{TimeEmbeddingTerm}', but {bundle.Unet!.RelativePath} takes input '{TimeEmbeddingTerm}' {unetInput.ShapeText}; every conditioning_tokens encoder must feed it.");
        }

        if (unetInput.Rank == 2 && unetInput.Dimensions[1] >= 0)
        {
            foreach (var encoder in feeding)
            {
                AgreeDim(encoder.Component, TimeEmbeddingTerm, false, 1, unetInput.Dimensions[1], $"{bundle.Unet!.RelativePath} input '{TimeEmbeddingTerm}' (width {unetInput.Dimensions[1]})");
            }
        }
    }

    /// <summary>The batch axis of <paramref name="name"/> must be dynamic (or, where a wrapper can run element by element, fixed at 1).</summary>
    private void DynamicBatch(BundleComponent component, GraphSession session, string name, bool allowOne, string? why = null)
    {
        if (Find(session.Inputs, name) is not { Rank: > 0 } node || node.Dimensions[0] < 0 || (allowOne && node.Dimensions[0] == 1))
        {
            return;
        }

        why ??= allowOne
            ? "export it with a dynamic batch axis, or with batch 1 to run one element at a time"
            : "the pipelines run several images, texts or trials through it as one batch";
        _problems.Add($"{component.RelativePath}: input '{name}' {node.ShapeText} fixes the batch axis at {node.Dimensions[0]}; it must be dynamic ({why}).");
    }

    private void CheckVoxelEncoder(BundleComponent component, GraphSession session, DecoderManifest? manifest)
    {
        var entry = manifest?.VoxelEncoders.FirstOrDefault(e => e.Name == component.Name);
        if (session.Inputs.Count != 1)
        {
            _problems.Add($"{component.RelativePath}: a voxel encoder takes exactly one input (the voxels) but has {session.Inputs.Count}: {string.Join(", ", session.Inputs)}.");
            return;
        }

        var voxels = session.Inputs[0];
        DynamicBatch(component, session, voxels.Name, allowOne: true);
        if (!ElementAndRank(component, voxels, "input", FloatTypes, 2) || entry is null || manifest is null)
        {
            return;
        }

        var expected = entry.VoxelCount ?? manifest.EncoderInputWidth;
        if (entry.Input == VoxelEncoderInput.SharedSpace && voxels.Name != "shared")
        {
            _problems.Add($"{component.RelativePath}: a shared-space voxel encoder's input is named 'shared'; this graph's is '{voxels.Name}'.");
        }

        var inputWhat = entry.Input switch
        {
            VoxelEncoderInput.RoiSubset => $"the {expected} voxels of ROI set '{entry.RoiSet}'",
            VoxelEncoderInput.SharedSpace => $"the shared space of width {expected} (shared_space.width)",
            _ => $"the subject's {expected} voxels",
        };
        if (voxels.Dimensions[1] >= 0 && voxels.Dimensions[1] != expected)
        {
            _problems.Add($"{component.RelativePath}: input '{voxels.Name}' takes {voxels.Dimensions[1]} voxels ({voxels.ShapeText}) but fmri_decoder.json says it reads {inputWhat}.");
        }

        switch (entry.Role)
        {
            case VoxelEncoderRole.VaeLatent:
                Expect(component, session, "latent", input: false, FloatTypes, 4);
                break;
            case VoxelEncoderRole.ImageTokens:
                Expect(component, session, "image_tokens", input: false, FloatTypes, 3);
                Optional(component, session.Outputs, "image_embedding", FloatTypes, 2);
                break;
            case VoxelEncoderRole.ConditioningTokens:
                Expect(component, session, "conditioning_tokens", input: false, FloatTypes, 3);
                Optional(component, session.Outputs, "image_embedding", FloatTypes, 2);
                Optional(component, session.Outputs, TimeEmbeddingTerm, FloatTypes, 2);
                break;
        }
    }

    /// <summary>A subject's ONNX adapter: one float input [batch, voxel_count], one float output [batch, H = shared_space.width].</summary>
    private void CheckSubjectAdapter(BundleComponent component, GraphSession session, DecoderManifest? manifest)
    {
        var subject = manifest?.Subjects.GetValueOrDefault(component.Name);
        if (session.Inputs.Count != 1 || session.Outputs.Count != 1)
        {
            _problems.Add($"{component.RelativePath}: subject {component.Name}'s adapter takes one input (the voxels) and gives one output (the shared space); it has inputs {string.Join(", ", session.Inputs)} and outputs {string.Join(", ", session.Outputs)}.");
            return;
        }

        DynamicBatch(component, session, session.Inputs[0].Name, allowOne: true);
        var input = session.Inputs[0];
        var output = session.Outputs[0];
        if (!ElementAndRank(component, input, "input", FloatTypes, 2) | !ElementAndRank(component, output, "output", FloatTypes, 2) || subject is null || manifest?.SharedSpace is null)
        {
            return;
        }

        if (input.Dimensions[1] >= 0 && input.Dimensions[1] != subject.VoxelCount)
        {
            _problems.Add($"{component.RelativePath}: input '{input.Name}' takes {input.Dimensions[1]} voxels ({input.ShapeText}) but fmri_decoder.json says subjects.{component.Name}.voxel_count is {subject.VoxelCount}.");
        }

        if (output.Dimensions[1] >= 0 && output.Dimensions[1] != manifest.SharedSpace.Width)
        {
            _problems.Add($"{component.RelativePath}: output '{output.Name}' gives {output.Dimensions[1]} values ({output.ShapeText}) but shared_space.width is {manifest.SharedSpace.Width}.");
        }
    }

    private void Expect(BundleComponent component, GraphSession session, string name, bool input, TensorElementType[] types, params int[] ranks)
    {
        var nodes = input ? session.Inputs : session.Outputs;
        var node = Find(nodes, name);
        if (node is null)
        {
            _problems.Add($"{component.RelativePath}: no {(input ? "input" : "output")} named '{name}'; its {(input ? "inputs" : "outputs")}: {(nodes.Count == 0 ? "none" : string.Join(", ", nodes))}.");
            return;
        }

        ElementAndRank(component, node, input ? "input" : "output", types, ranks);
    }

    /// <summary>At least one of two float outputs must exist; each that exists must have its rank.</summary>
    private void ExpectEither(BundleComponent component, GraphSession session, (string Name, int Rank) first, (string Name, int Rank) second)
    {
        if (Find(session.Outputs, first.Name) is null && Find(session.Outputs, second.Name) is null)
        {
            _problems.Add($"{component.RelativePath}: has neither output '{first.Name}' nor '{second.Name}' (needs at least one); its outputs: {string.Join(", ", session.Outputs)}.");
        }

        Optional(component, session.Outputs, first.Name, FloatTypes, first.Rank);
        Optional(component, session.Outputs, second.Name, FloatTypes, second.Rank);
    }

    private void Optional(BundleComponent component, IReadOnlyList<GraphNode> nodes, string name, TensorElementType[] types, params int[] ranks)
    {
        if (Find(nodes, name) is { } node)
        {
            ElementAndRank(component, node, "output", types, ranks);
        }
    }

    private bool ElementAndRank(BundleComponent component, GraphNode node, string role, TensorElementType[] types, params int[] ranks)
    {
        var ok = true;
        if (!types.Contains(node.ElementType))
        {
            _problems.Add($"{component.RelativePath}: {role} '{node.Name}' is {ElementTypes.Name(node.ElementType)} but must be {string.Join(" or ", types.Select(ElementTypes.Name))}.");
            ok = false;
        }

        if (!ranks.Contains(node.Rank))
        {
            _problems.Add($"{component.RelativePath}: {role} '{node.Name}' has rank {node.Rank} {node.ShapeText} but must have rank {string.Join(" or ", ranks)}.");
            ok = false;
        }

        return ok;
    }

    private void AgreeDim(BundleComponent? component, string name, bool input, int axis, long expected, string source)
    {
        if (FixedDim(component, name, input, axis) is { } actual && actual != expected)
        {
            var node = Find(input ? component!.Session.Inputs : component!.Session.Outputs, name)!;
            _problems.Add($"{component.RelativePath}: {(input ? "input" : "output")} '{name}' {node.ShapeText} has {actual} at axis {axis} but {source} needs {expected}.");
        }
    }

    private static long? FixedDim(BundleComponent? component, string name, bool input, int axis)
    {
        if (component is null)
        {
            return null;
        }

        var node = Find(input ? component.Session.Inputs : component.Session.Outputs, name);
        return node is not null && node.Rank > axis && node.Dimensions[axis] >= 0 ? node.Dimensions[axis] : null;
    }

    private static GraphNode? Find(IReadOnlyList<GraphNode> nodes, string name) => nodes.FirstOrDefault(n => n.Name == name);
}
