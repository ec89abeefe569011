using System.Globalization;

namespace FmriToImage.Data.Npy;

/// <summary>
/// Parses the Python dict literal of a <c>.npy</c> header, e.g.
/// <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (3, 4), }</c>. Only the three keys NumPy writes are accepted.
/// </summary>
internal ref struct NpyHeaderParser
{
    private readonly ReadOnlySpan<char> _text;
    private readonly string _file;
    private readonly long _baseOffset;
    private int _pos;

    private NpyHeaderParser(ReadOnlySpan<char> text, string file, long baseOffset)
    {
        _text = text;
        _file = file;
        _baseOffset = baseOffset;
        _pos = 0;
    }

    /// <summary>Parses <paramref name="text"/>; offsets in errors are relative to <paramref name="baseOffset"/>.</summary>
    public static (string Descr, bool FortranOrder, long[] Shape) Parse(ReadOnlySpan<char> text, string file, long baseOffset)
    {
        var p = new NpyHeaderParser(text, file, baseOffset);
        return p.ParseDict();
    }

    private (string, bool, long[]) ParseDict()
    {
        string? descr = null;
        bool? fortran = null;
        long[]? shape = null;
        SkipSpace();
        Expect('{');
        while (true)
        {
            SkipSpace();
            if (Peek() == '}')
            {
                _pos++;
                break;
            }

            string key = ParseString();
            SkipSpace();
            Expect(':');
            SkipSpace();
            switch (key)
            {
                case "descr" when descr is null: descr = ParseString(); break;
                case "fortran_order" when fortran is null: fortran = ParseBool(); break;
                case "shape" when shape is null: shape = ParseShape(); break;
                default: throw Error($"unexpected or repeated header key '{key}' (expected descr, fortran_order, shape)");
            }

            SkipSpace();
            if (Peek() == ',')
            {
                _pos++;
            }
            else if (Peek() != '}')
            {
                throw Error($"expected ',' or '}}' but found '{Peek()}'");
            }
        }

        if (descr is null || fortran is null || shape is null)
        {
            throw Error("header lacks one of the keys descr, fortran_order, shape");
        }

        return (descr, fortran.Value, shape);
    }

    private char Peek() => _pos < _text.Length ? _text[_pos] : '\0';

    private void SkipSpace()
    {
        while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos]))
        {
            _pos++;
        }
    }

    private void Expect(char c)
    {
        if (Peek() != c)
        {
            throw Error($"expected '{c}' but found '{Peek()}'");
        }

        _pos++;
    }

    private string ParseString()
    {
        char quote = Peek();
        if (quote != '\'' && quote != '"')
        {
            throw Error($"expected a quoted string but found '{quote}'");
        }

        int start = ++_pos;
        while (_pos < _text.Length && _text[_pos] != quote)
        {
            _pos++;
        }

        if (_pos >= _text.Length)
        {
            throw Error("unterminated string");
        }

        return new string(_text[start.._pos++]);
    }

    private bool ParseBool()
    {
        if (_text[_pos..].StartsWith("True"))
        {
            _pos += 4;
            return true;
        }

        if (_text[_pos..].StartsWith("False"))
        {
            _pos += 5;
            return false;
        }

        throw Error("fortran_order must be True or False");
    }

    private long[] ParseShape()
    {
        Expect('(');
        var dims = new List<long>();
        while (true)
        {
            SkipSpace();
            if (Peek() == ')')
            {
                _pos++;
                return [.. dims];
            }

            int start = _pos;
            while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos]))
            {
                _pos++;
            }

            if (start == _pos || !long.TryParse(_text[start.._pos], NumberStyles.None, CultureInfo.InvariantCulture, out long d))
            {
                throw Error($"shape entries must be non-negative integers, found '{Peek()}'");
            }

            if (dims.Count >= 32)
            {
                throw Error("shape has more than 32 dimensions");
            }

            dims.Add(d);
            SkipSpace();
            if (Peek() == ',')
            {
                _pos++;
            }
            else if (Peek() != ')')
            {
                throw Error($"expected ',' or ')' in shape but found '{Peek()}'");
            }
        }
    }

    private NpyFormatException Error(string message) => new(_file, _baseOffset + _pos, "header dictionary: " + message);
}
