using FmriToImage.Onnx;
using FmriToImage.Text;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Models;

/// <summary>
/// A CLIP text encoder export with its tokenizer: texts → token states (the UNet's conditioning) and, when the graph
/// has it, the pooled text embedding. The token id element type (int32 or int64) is read from the graph.
/// </summary>
/// <remarks>Thread-safe (the tokenizer is, and each call has its own values); the session belongs to the bundle.</remarks>
internal sealed class ClipTextEncoder
{
    private readonly GraphSession _session;
    private readonly TensorElementType _idType;
    private readonly string? _embeddingOutput;

    /// <summary>Wraps a text encoder session and its tokenizer.</summary>
    /// <param name="session">The session (not owned): input <c>input_ids</c>, output <c>last_hidden_state</c>.</param>
    /// <param name="tokenizer">The tokenizer whose context length sets the sequence length.</param>
    /// <exception cref="TensorContractException">The graph lacks <c>input_ids</c> (int32/int64) or <c>last_hidden_state</c>.</exception>
    internal ClipTextEncoder(GraphSession session, ClipTokenizer tokenizer)
    {
        _session = session ?? throw new ArgumentNullException(nameof(session));
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        var ids = session.Inputs.FirstOrDefault(i => i.Name == "input_ids")
            ?? throw new TensorContractException($"{session.ModelName}: no input 'input_ids'; it has {string.Join(", ", session.Inputs)}.", "input_ids");
        _idType = ids.ElementType is TensorElementType.Int64 or TensorElementType.Int32
            ? ids.ElementType
            : throw new TensorContractException($"{session.ModelName}: input 'input_ids' is {ElementTypes.Name(ids.ElementType)}; int64 or int32 expected.", "input_ids");
        var hidden = session.Outputs.FirstOrDefault(o => o.Name == "last_hidden_state")
            ?? throw new TensorContractException($"{session.ModelName}: no output 'last_hidden_state'; it has {string.Join(", ", session.Outputs)}.", "last_hidden_state");
        TokenWidth = hidden.Rank == 3 && hidden.Dimensions[2] > 0 ? (int)hidden.Dimensions[2] : null;
        _embeddingOutput = session.Outputs.Select(o => o.Name).FirstOrDefault(n => n is "text_embeds" or "pooler_output");
    }

    /// <summary>The tokenizer.</summary>
    public ClipTokenizer Tokenizer { get; }

    /// <summary>The sequence length every text is padded or truncated to.</summary>
    public int SequenceLength => Tokenizer.ContextLength;

    /// <summary>The token width D when the graph fixes it.</summary>
    public int? TokenWidth { get; }

    /// <summary>Tokenizes and encodes <paramref name="texts"/> (the empty string gives the unconditional embedding).</summary>
    /// <param name="texts">One text per batch element.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>Token states [batch, L, D] and, when available, the pooled embedding.</returns>
    public TextEncoding Encode(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0)
        {
            throw new ArgumentException("At least one text is needed.", nameof(texts));
        }

        var length = SequenceLength;
        using var ids = _idType == TensorElementType.Int64 ? Ids<long>(texts, length) : Ids<int>(texts, length);
        string[] wanted = _embeddingOutput is null ? ["last_hidden_state"] : ["last_hidden_state", _embeddingOutput];
        using var outputs = _session.Run([new("input_ids", ids)], wanted, cancellationToken: cancellationToken);
        return new TextEncoding(
            ShapedValues.From(outputs[0], _session.ModelName, "last_hidden_state"),
            _embeddingOutput is null ? null : ShapedValues.From(outputs[1], _session.ModelName, _embeddingOutput));
    }

    private OrtValue Ids<T>(IReadOnlyList<string> texts, int length)
        where T : unmanaged
    {
        var value = AlignedTensor.Zeroed<T>([texts.Count, length]);
        try
        {
            FillIds(texts, length, value.GetTensorMutableDataAsSpan<T>());
            return value;
        }
        catch
        {
            value.Dispose();
            throw;
        }
    }

    private void FillIds<T>(IReadOnlyList<string> texts, int length, Span<T> buffer)
        where T : unmanaged
    {
        for (var b = 0; b < texts.Count; b++)
        {
            var row = buffer.Slice(b * length, length);
            if (typeof(T) == typeof(long))
            {
                Tokenizer.EncodeInto(texts[b], System.Runtime.InteropServices.MemoryMarshal.Cast<T, long>(row));
            }
            else
            {
                Tokenizer.EncodeInto(texts[b], System.Runtime.InteropServices.MemoryMarshal.Cast<T, int>(row));
            }
        }
    }
}
