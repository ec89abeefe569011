using System.Buffers.Binary;
using System.Text;

namespace FmriToImage.Data.Pickle;

/// <summary>
/// Reads a Python pickle that holds a <c>dict</c> of <c>int</c> → <c>str</c> — alone, or wrapped the way
/// <c>numpy.save</c> writes a dict (a 0-d object array: <c>numpy.core.multiarray._reconstruct</c>, <c>numpy.ndarray</c>,
/// <c>numpy.dtype</c>) — without executing anything.
/// </summary>
/// <remarks>
/// The reader is a small stack machine that knows only the opcodes of pickle protocols 2–5 that such a value needs
/// (integers, strings, bytes, tuples, lists, dicts, memo, marks, booleans, None, frames) and the numpy names above
/// (plus <c>numpy.core.multiarray.scalar</c> for numpy integer keys, and numpy 2's <c>numpy._core</c> spelling), which
/// it interprets symbolically — numpy's envelope needs protocol 3 or later, which <c>numpy.save</c> writes, because
/// protocol 2 encodes its bytes argument through <c>_codecs.encode</c>, which is refused: <c>REDUCE</c> and <c>BUILD</c> are accepted only on them, with the exact
/// argument shapes numpy writes. Every other opcode or global (<c>os.system</c>, <c>builtins.eval</c>, protocol-0 text
/// opcodes, <c>INST</c>, <c>OBJ</c>, <c>NEWOBJ</c>, persistent ids, extension registry) ends in a
/// <see cref="PickleFormatException"/> naming it and its offset. Each opcode consumes at least one byte and every
/// length is checked against the bytes left, so the work is linear in the input and cannot hang.
/// </remarks>
internal static class RestrictedUnpickler
{
    /// <summary>The most bytes of pickle the reader accepts (an ROI mapping is a few hundred bytes; each byte can box at most one value, so the reader's memory stays within a few tens of MB).</summary>
    public const int MaxPickleBytes = 1 << 20;

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private static readonly HashSet<(string Module, string Name)> AllowedGlobals =
    [
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    ];

    /// <summary>Reads the dict of int → str held by <paramref name="pickle"/>.</summary>
    /// <param name="pickle">The pickle bytes.</param>
    /// <param name="file">The file name for messages.</param>
    /// <param name="baseOffset">The offset of <paramref name="pickle"/> in the file, for messages.</param>
    /// <exception cref="PickleFormatException">The pickle is malformed or holds anything else.</exception>
    public static IReadOnlyDictionary<int, string> ReadIntToStringDict(ReadOnlySpan<byte> pickle, string file, long baseOffset)
    {
        if (pickle.Length > MaxPickleBytes)
        {
            throw new PickleFormatException(file, baseOffset, $"the pickle is {pickle.Length} bytes; the restricted reader accepts at most {MaxPickleBytes}");
        }

        object? value = new Machine(pickle, file, baseOffset).Run();
        if (value is NdArray array)
        {
            if (array.Items is not { Count: 1 } items || array.Shape.Length != 0)
            {
                throw new PickleFormatException(file, baseOffset, $"expected a 0-d object array holding one dict, found an array of shape ({string.Join(", ", array.Shape)})");
            }

            value = items[0];
        }

        if (value is not Dictionary<object, object?> dict)
        {
            throw new PickleFormatException(file, baseOffset, $"expected a dict of int → str, found {Describe(value)}");
        }

        var result = new Dictionary<int, string>(dict.Count);
        foreach (var (key, item) in dict)
        {
            if (key is not long id || id is < int.MinValue or > int.MaxValue)
            {
                throw new PickleFormatException(file, baseOffset, $"expected int keys (32-bit), found the key {Describe(key)}");
            }

            if (item is not string name)
            {
                throw new PickleFormatException(file, baseOffset, $"expected str values, found {Describe(item)} for key {id}");
            }

            result[(int)id] = name;
        }

        return result;
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        long l => $"int {l}",
        string s => $"str '{Clip(s)}'",
        bool b => b ? "True" : "False",
        byte[] => "bytes",
        object?[] t => $"a tuple of {t.Length}",
        List<object?> l => $"a list of {l.Count}",
        Dictionary<object, object?> d => $"a dict of {d.Count}",
        NdArray => "a numpy array",
        Dtype d => $"numpy.dtype('{d.Code}')",
        _ => value.GetType().Name,
    };

    /// <summary>Untrusted text as it may appear in a message: at most 80 characters.</summary>
    private static string Clip(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 80), "…");

    /// <summary>A global from the allow-list, not yet called.</summary>
    private sealed record Global(string Module, string Name);

    /// <summary>A numpy dtype: 'O8' (object, for arrays) or an integer code (for numpy integer scalars used as keys).</summary>
    private sealed class Dtype(string code)
    {
        public string Code { get; } = code;

        /// <summary>'&lt;', '&gt;', '|' or '=' from the BUILD state.</summary>
        public string ByteOrder { get; set; } = "=";

        public bool IsObject => Code == "O8";

        public int IntegerSize => Code is ['i' or 'u', '1' or '2' or '4' or '8'] ? Code[1] - '0' : 0;
    }

    /// <summary>A numpy array reconstructed symbolically: its shape and (after BUILD) its object items.</summary>
    private sealed class NdArray
    {
        public long[] Shape { get; set; } = [];

        public List<object?>? Items { get; set; }
    }

    /// <summary>The mark pushed by MARK.</summary>
    private sealed class Mark
    {
        public static readonly Mark Instance = new();
    }

    private ref struct Machine
    {
        private readonly ReadOnlySpan<byte> _data;
        private readonly string _file;
        private readonly long _base;
        private readonly List<object?> _stack = [];
        private readonly Dictionary<long, object?> _memo = [];
        private int _at;
        private int _opcodeAt;

        public Machine(ReadOnlySpan<byte> data, string file, long baseOffset)
        {
            _data = data;
            _file = file;
            _base = baseOffset;
        }

        public object? Run()
        {
            while (true)
            {
                _opcodeAt = _at;
                byte op = Take(1)[0];
                switch (op)
                {
                    case 0x80: // PROTO
                        int protocol = Take(1)[0];
                        if (protocol is < 2 or > 5)
                        {
                            throw Fail($"pickle protocol {protocol} (the restricted reader reads protocols 2 to 5)");
                        }

                        break;
                    case 0x95: // FRAME: a length hint only
                        Take(8);
                        break;
                    case (byte)'.': // STOP
                        if (_stack.Count != 1 || _stack[0] is Mark)
                        {
                            throw Fail($"STOP with {_stack.Count} values on the stack (expected 1)");
                        }

                        return _stack[0];
                    case (byte)'c': // GLOBAL module\nname\n
                        PushGlobal(ReadLine(), ReadLine());
                        break;
                    case 0x93: // STACK_GLOBAL
                    {
                        object? name = Pop(), module = Pop();
                        if (module is not string m || name is not string n)
                        {
                            throw Fail("STACK_GLOBAL needs two strings");
                        }

                        PushGlobal(m, n);
                        break;
                    }

                    case (byte)'q': // BINPUT
                        Memoize(Take(1)[0]);
                        break;
                    case (byte)'r': // LONG_BINPUT
                        Memoize(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)));
                        break;
                    case 0x94: // MEMOIZE
                        Memoize(_memo.Count);
                        break;
                    case (byte)'h': // BINGET
                        Recall(Take(1)[0]);
                        break;
                    case (byte)'j': // LONG_BINGET
                        Recall(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)));
                        break;
                    case (byte)'K': // BININT1
                        Push((long)Take(1)[0]);
                        break;
                    case (byte)'M': // BININT2
                        Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2)));
                        break;
                    case (byte)'J': // BININT
                        Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4)));
                        break;
                    case 0x8a: // LONG1
                        Push(ReadLong(Take(Take(1)[0])));
                        break;
                    case (byte)'X': // BINUNICODE
                        Push(ReadText(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))));
                        break;
                    case 0x8c: // SHORT_BINUNICODE
                        Push(ReadText(Take(1)[0]));
                        break;
                    case 0x8d: // BINUNICODE8
                        Push(ReadText(BinaryPrimitives.ReadUInt64LittleEndian(Take(8))));
                        break;
                    case (byte)'C': // SHORT_BINBYTES
                        Push(Take(Take(1)[0]).ToArray());
                        break;
                    case (byte)'B': // BINBYTES
                        Push(Take(Length(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))).ToArray());
                        break;
                    case 0x8e: // BINBYTES8
                        Push(Take(Length(BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))).ToArray());
                        break;
                    case (byte)'N': // NONE
                        Push(null);
                        break;
                    case 0x88: // NEWTRUE
                        Push(true);
                        break;
                    case 0x89: // NEWFALSE
                        Push(false);
                        break;
                    case (byte)'(': // MARK
                        Push(Mark.Instance);
                        break;
                    case (byte)')': // EMPTY_TUPLE
                        Push(Array.Empty<object?>());
                        break;
                    case 0x85: // TUPLE1
                        Push(PopMany(1));
                        break;
                    case 0x86: // TUPLE2
                        Push(PopMany(2));
                        break;
                    case 0x87: // TUPLE3
                        Push(PopMany(3));
                        break;
                    case (byte)'t': // TUPLE
                        Push(PopToMark());
                        break;
                    case (byte)']': // EMPTY_LIST
                        Push(new List<object?>());
                        break;
                    case (byte)'a': // APPEND
                    {
                        object? item = Pop();
                        TopList().Add(item);
                        break;
                    }

                    case (byte)'e': // APPENDS
                    {
                        object?[] items = PopToMark();
                        TopList().AddRange(items);
                        break;
                    }

                    case (byte)'}': // EMPTY_DICT
                        Push(new Dictionary<object, object?>());
                        break;
                    case (byte)'s': // SETITEM
                    {
                        object? value = Pop(), key = Pop();
                        SetItem(TopDict(), key, value);
                        break;
                    }

                    case (byte)'u': // SETITEMS
                    {
                        object?[] pairs = PopToMark();
                        if (pairs.Length % 2 != 0)
                        {
                            throw Fail("SETITEMS with an odd number of values");
                        }

                        var dict = TopDict();
                        for (int i = 0; i < pairs.Length; i += 2)
                        {
                            SetItem(dict, pairs[i], pairs[i + 1]);
                        }

                        break;
                    }

                    case (byte)'R': // REDUCE
                    {
                        object? args = Pop(), callable = Pop();
                        Push(Reduce(callable, args));
                        break;
                    }

                    case (byte)'b': // BUILD
                    {
                        object? state = Pop();
                        Build(Peek(), state);
                        break;
                    }

                    default:
                        throw Fail($"opcode 0x{op:x2} is not allowed (the restricted reader reads only a dict of int → str, optionally in numpy's object-array envelope)");
                }
            }
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count < 0 || count > _data.Length - _at)
            {
                throw new PickleFormatException(_file, _base + _opcodeAt, $"truncated pickle: {count} bytes needed at offset {_base + _at}, {_data.Length - _at} left");
            }

            var span = _data.Slice(_at, count);
            _at += count;
            return span;
        }

        private int Length(ulong declared) =>
            declared > (ulong)(_data.Length - _at)
                ? throw new PickleFormatException(_file, _base + _opcodeAt, $"a length of {declared} bytes exceeds the {_data.Length - _at} bytes left")
                : (int)declared;

        private string ReadText(ulong declared)
        {
            try
            {
                return StrictUtf8.GetString(Take(Length(declared)));
            }
            catch (DecoderFallbackException)
            {
                throw Fail("a string that is not valid UTF-8");
            }
        }

        private string ReadLine()
        {
            int end = _data[_at..].IndexOf((byte)'\n');
            if (end < 0)
            {
                throw Fail("GLOBAL without a line end");
            }

            string text = Encoding.ASCII.GetString(Take(end));
            Take(1);
            return text;
        }

        private long ReadLong(ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length > 8)
            {
                throw Fail($"an integer of {bytes.Length} bytes (at most 8 are read)");
            }

            long value = 0;
            for (int i = bytes.Length - 1; i >= 0; i--)
            {
                value = (value << 8) | bytes[i];
            }

            // Two's complement, sign-extended from the top byte.
            int unused = 64 - (8 * bytes.Length);
            return bytes.Length == 0 ? 0 : (value << unused) >> unused;
        }

        private void PushGlobal(string module, string name)
        {
            if (!AllowedGlobals.Contains((module, name)))
            {
                throw Fail($"the global {Clip(module)}.{Clip(name)} is not allowed (only numpy's object-array envelope is read; nothing is ever called)");
            }

            Push(new Global(module, name));
        }

        private object Reduce(object? callable, object? args)
        {
            if (callable is not Global global || args is not object?[] tuple)
            {
                throw Fail($"REDUCE of {Describe(callable)} is not allowed");
            }

            if (global.Name == "_reconstruct")
            {
                // _reconstruct(numpy.ndarray, (0,), b'b'): an empty array to be filled by BUILD.
                if (tuple is [Global { Name: "ndarray" }, object?[] { Length: 1 }, byte[]])
                {
                    return new NdArray();
                }
            }
            else if (global.Name == "dtype")
            {
                // dtype('O8', False, True): numpy's object dtype; dtype('i8', False, True) and other integer codes for
                // the numpy integer scalars a dict's keys may be.
                if (tuple is [string code, bool, bool] && (code == "O8" || new Dtype(code).IntegerSize > 0))
                {
                    return new Dtype(code);
                }
            }
            else if (global.Name == "scalar")
            {
                // scalar(dtype('i8'), b'...'): a numpy integer, read from its bytes in the dtype's byte order.
                if (tuple is [Dtype { IntegerSize: > 0 } dtype, byte[] bytes] && bytes.Length == dtype.IntegerSize)
                {
                    return ReadNumpyInteger(dtype, bytes);
                }
            }

            throw Fail($"REDUCE of {global.Module}.{global.Name} with arguments other than numpy's object-array envelope");
        }

        private void Build(object? target, object? state)
        {
            switch (target)
            {
                case Dtype dtype when state is object?[] { Length: >= 2 } s && s[1] is "<" or ">" or "|" or "=":
                    dtype.ByteOrder = (string)s[1]!;
                    return;
                case NdArray array when state is object?[] { Length: 5 } s && s[1] is object?[] shape && s[2] is Dtype { IsObject: true } && s[3] is bool && s[4] is List<object?> items:
                    var lengths = new long[shape.Length];
                    long count = 1;
                    for (int i = 0; i < shape.Length; i++)
                    {
                        lengths[i] = shape[i] is long l and >= 0 ? l : throw Fail("an array shape that is not a tuple of non-negative ints");
                        count = lengths[i] == 0 || count <= int.MaxValue / lengths[i] ? count * lengths[i] : throw Fail("an array shape too large");
                    }

                    if (count != items.Count)
                    {
                        throw Fail($"an object array of shape ({string.Join(", ", lengths)}) with {items.Count} items");
                    }

                    array.Shape = lengths;
                    array.Items = items;
                    return;
                default:
                    throw Fail($"BUILD of {Describe(target)} with {Describe(state)} is not allowed (only numpy's object-array envelope)");
            }
        }

        private long ReadNumpyInteger(Dtype dtype, byte[] bytes)
        {
            bool bigEndian = dtype.ByteOrder == ">" || (dtype.ByteOrder == "=" && !BitConverter.IsLittleEndian);
            ulong raw = 0;
            for (int i = 0; i < bytes.Length; i++)
            {
                raw = (raw << 8) | bytes[bigEndian ? i : bytes.Length - 1 - i];
            }

            if (dtype.Code[0] == 'u')
            {
                return raw <= long.MaxValue ? (long)raw : throw Fail($"a numpy {dtype.Code} scalar of {raw}, beyond a 64-bit signed int");
            }

            int unused = 64 - (8 * bytes.Length);
            return ((long)raw << unused) >> unused;
        }

        private void SetItem(Dictionary<object, object?> dict, object? key, object? value)
        {
            if (key is not (long or string))
            {
                throw Fail($"a dict key of type {Describe(key)} (only int and str keys are read)");
            }

            dict[key] = value;
        }

        private void Memoize(long index)
        {
            if (_stack.Count == 0)
            {
                throw Fail("memoizing with an empty stack");
            }

            _memo[index] = Peek();
        }

        private void Recall(long index)
        {
            if (!_memo.TryGetValue(index, out object? value))
            {
                throw Fail($"memo entry {index} was never stored");
            }

            Push(value);
        }

        private void Push(object? value) => _stack.Add(value);

        private object? Peek() => _stack.Count == 0 ? throw Fail("the stack is empty")
            : _stack[^1] is Mark ? throw Fail("no value above the MARK") : _stack[^1];

        private object? Pop()
        {
            object? value = Peek();
            _stack.RemoveAt(_stack.Count - 1);
            return value;
        }

        private object?[] PopMany(int count)
        {
            var values = new object?[count];
            for (int i = count - 1; i >= 0; i--)
            {
                values[i] = Pop();
            }

            return values;
        }

        private object?[] PopToMark()
        {
            int mark = _stack.FindLastIndex(v => v is Mark);
            if (mark < 0)
            {
                throw Fail("no MARK on the stack");
            }

            object?[] values = _stack.GetRange(mark + 1, _stack.Count - mark - 1).ToArray();
            _stack.RemoveRange(mark, _stack.Count - mark);
            return values;
        }

        private List<object?> TopList() => Peek() as List<object?> ?? throw Fail($"APPEND to {Describe(Peek())}");

        private Dictionary<object, object?> TopDict() => Peek() as Dictionary<object, object?> ?? throw Fail($"SETITEM on {Describe(Peek())}");

        private PickleFormatException Fail(string message) => new(_file, _base + _opcodeAt, message);
    }
}
