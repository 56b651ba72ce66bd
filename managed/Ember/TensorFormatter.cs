using System.Globalization;
using System.Numerics;
using System.Text;

namespace Ember;

/// <summary>
/// Prints a tensor as PyTorch 1.13's <c>str(tensor)</c> does (torch/_tensor_str.py): one number format
/// shared by all shown elements (fixed with 4 decimals, integral floats as <c>1.</c>, or scientific
/// when the magnitudes span too much), right-aligned columns, lines of at most 80 characters, and
/// only 3 edge items per dim once a tensor has more than 1000 elements.
/// </summary>
internal static unsafe class TensorFormatter
{
    private const int Threshold = 1000;
    private const int EdgeItems = 3;
    private const int LineWidth = 80;
    private const int Precision = 4;
    private const string Prefix = "tensor(";

    public static string Format(Tensor tensor, List<string> extraSuffixes)
    {
        var suffixes = new List<string>();
        Device device = tensor.Device;
        if (device != Device.CPU)
            suffixes.Add($"device='{device}'");
        DType dtype = tensor.DType;
        long[] shape = tensor.Shape.ToArray();
        string body;
        if (tensor.NumEl == 0)
        {
            if (shape.Length != 1)
                suffixes.Add("size=(" + string.Join(", ", shape) + ")");
            if (dtype != Torch.DefaultDType)
                suffixes.Add("dtype=" + dtype.ToTorchString());
            body = "[]";
        }
        else
        {
            if (dtype is not (Torch.DefaultDType or DType.Int64 or DType.Bool))
                suffixes.Add("dtype=" + dtype.ToTorchString());
            Tensor host = device == Device.CPU ? tensor : tensor.To(Device.CPU);
            try
            {
                body = new Printer(host, shape).Print(Prefix.Length);
                GC.KeepAlive(host);
            }
            finally
            {
                if (host != tensor)
                    host.Dispose();
            }
        }
        suffixes.AddRange(extraSuffixes);
        return AddSuffixes(Prefix + body, suffixes, Prefix.Length);
    }

    private static string AddSuffixes(string text, List<string> suffixes, int indent)
    {
        var sb = new StringBuilder(text);
        // Same arithmetic as PyTorch's _add_suffixes, including its +1 when there is no newline.
        int lastLineLength = text.Length - text.LastIndexOf('\n') + 1;
        foreach (string suffix in suffixes)
        {
            if (lastLineLength + suffix.Length + 2 > LineWidth)
            {
                sb.Append(",\n").Append(' ', indent).Append(suffix);
                lastLineLength = indent + suffix.Length;
            }
            else
            {
                sb.Append(", ").Append(suffix);
                lastLineLength += suffix.Length + 2;
            }
        }
        return sb.Append(')').ToString();
    }

    private sealed class Printer
    {
        private readonly long[] _shape;
        private readonly long[] _strides;
        private readonly byte* _data;
        private readonly DType _dtype;
        private readonly bool _summarize;
        private readonly bool _floating;
        private bool _intMode = true;
        private bool _sciMode;
        private int _width = 1;

        public Printer(Tensor host, long[] shape)
        {
            _shape = shape;
            _strides = host.Strides;
            _data = (byte*)host.DataPointer;
            _dtype = host.DType;
            _floating = _dtype.IsFloatingPoint();
            _summarize = host.NumEl > Threshold;
        }

        public string Print(int indent)
        {
            var shown = new List<long>();
            CollectShown(0, 0, shown);
            if (_floating)
                ChooseFloatFormat(shown);
            else
                foreach (long offset in shown)
                    _width = Math.Max(_width, FormatPlain(offset).Length);
            return Dims(0, 0, indent);
        }

        /// <summary>Offsets of the elements that will be printed (PyTorch's get_summarized_data).</summary>
        private void CollectShown(int dim, long offset, List<long> shown)
        {
            if (dim == _shape.Length)
            {
                shown.Add(offset);
                return;
            }
            foreach (long i in Shown(dim))
                CollectShown(dim + 1, offset + i * _strides[dim], shown);
        }

        private IEnumerable<long> Shown(int dim)
        {
            long size = _shape[dim];
            if (_summarize && size > 2 * EdgeItems)
            {
                for (long i = 0; i < EdgeItems; i++)
                    yield return i;
                for (long i = size - EdgeItems; i < size; i++)
                    yield return i;
            }
            else
            {
                for (long i = 0; i < size; i++)
                    yield return i;
            }
        }

        private void ChooseFloatFormat(List<long> shown)
        {
            var values = new List<double>();
            foreach (long offset in shown)
            {
                double v = ReadDouble(offset);
                if (double.IsFinite(v) && v != 0)
                    values.Add(v);
            }
            if (values.Count == 0)
                return;
            double min = values.Min(Math.Abs), max = values.Max(Math.Abs);
            _intMode = values.All(v => v == Math.Ceiling(v));
            _sciMode = max / min > 1000.0 || max > 1.0e8 || (!_intMode && min < 1.0e-4);
            foreach (double v in values)
            {
                int length = _sciMode ? Scientific(v).Length
                    : _intMode ? Fixed(v, 0).Length + 1
                    : Fixed(v, Precision).Length;
                _width = Math.Max(_width, length);
            }
        }

        private string Dims(int dim, long offset, int indent)
        {
            int remaining = _shape.Length - dim;
            if (remaining == 0)
                return FormatElement(offset);
            if (remaining == 1)
                return Vector(dim, offset, indent);
            long size = _shape[dim];
            var slices = new List<string>();
            bool cut = _summarize && size > 2 * EdgeItems;
            foreach (long i in Shown(dim))
            {
                if (cut && i == size - EdgeItems)
                    slices.Add("...");
                slices.Add(Dims(dim + 1, offset + i * _strides[dim], indent + 1));
            }
            string separator = "," + new string('\n', remaining - 1) + new string(' ', indent + 1);
            return "[" + string.Join(separator, slices) + "]";
        }

        private string Vector(int dim, long offset, int indent)
        {
            int perLine = Math.Max(1, (LineWidth - indent) / (_width + 2));
            long size = _shape[dim];
            bool cut = _summarize && size > 2 * EdgeItems;
            var items = new List<string>();
            foreach (long i in Shown(dim))
            {
                if (cut && i == size - EdgeItems)
                    items.Add(" ...");
                items.Add(FormatElement(offset + i * _strides[dim]));
            }
            var lines = new List<string>();
            for (int i = 0; i < items.Count; i += perLine)
                lines.Add(string.Join(", ", items.Skip(i).Take(perLine)));
            return "[" + string.Join(",\n" + new string(' ', indent + 1), lines) + "]";
        }

        private string FormatElement(long offset)
        {
            string text;
            if (!_floating)
                text = FormatPlain(offset);
            else
            {
                double v = ReadDouble(offset);
                if (_sciMode)
                    text = double.IsFinite(v) ? Scientific(v) : NonFinite(v);
                else if (_intMode)
                    text = double.IsFinite(v) ? Fixed(v, 0) + "." : NonFinite(v);
                else
                    text = double.IsFinite(v) ? Fixed(v, Precision) : NonFinite(v);
            }
            return text.Length < _width ? new string(' ', _width - text.Length) + text : text;
        }

        private string FormatPlain(long offset)
        {
            byte* p = _data + offset * _dtype.ElementSize();
            return _dtype switch
            {
                DType.Bool => *p != 0 ? "True" : "False",
                DType.UInt8 => (*p).ToString(CultureInfo.InvariantCulture),
                DType.Int8 => (*(sbyte*)p).ToString(CultureInfo.InvariantCulture),
                DType.Int16 => (*(short*)p).ToString(CultureInfo.InvariantCulture),
                DType.Int32 => (*(int*)p).ToString(CultureInfo.InvariantCulture),
                DType.Int64 => (*(long*)p).ToString(CultureInfo.InvariantCulture),
                _ => throw new NotSupportedException($"printing dtype {_dtype.ToTorchString()}"),
            };
        }

        private double ReadDouble(long offset)
        {
            byte* p = _data + offset * _dtype.ElementSize();
            return _dtype switch
            {
                DType.Float32 => *(float*)p,
                DType.Float64 => *(double*)p,
                DType.Float16 => (double)*(Half*)p,
                DType.BFloat16 => *(BFloat16*)p,
                _ => throw new NotSupportedException($"printing dtype {_dtype.ToTorchString()}"),
            };
        }
    }

    private static string NonFinite(double v) => double.IsNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";

    /// <summary>Python's <c>'{:.Nf}'.format(v)</c>: exact value, rounded half to even.</summary>
    internal static string Fixed(double v, int decimals)
    {
        BigInteger digits = RoundScaled(Math.Abs(v), decimals);
        string s = digits.ToString(CultureInfo.InvariantCulture);
        if (decimals > 0)
        {
            s = s.PadLeft(decimals + 1, '0');
            s = s[..^decimals] + "." + s[^decimals..];
        }
        return double.IsNegative(v) ? "-" + s : s;
    }

    /// <summary>Python's <c>'{:.4e}'.format(v)</c>: mantissa rounded half to even, exponent of at least two digits.</summary>
    internal static string Scientific(double v, int decimals = Precision)
    {
        double a = Math.Abs(v);
        int exponent = 0;
        BigInteger digits = BigInteger.Zero;
        if (a != 0)
        {
            BigInteger low = BigInteger.Pow(10, decimals), high = low * 10;
            exponent = (int)Math.Floor(Math.Log10(a));
            digits = RoundScaled(a, decimals - exponent);
            if (digits >= high)
                digits = RoundScaled(a, decimals - ++exponent);
            else if (digits < low)
                digits = RoundScaled(a, decimals - --exponent);
            if (digits >= high) // 9.99995 rounding up to 10.0000 after the correction
            {
                exponent++;
                digits = RoundScaled(a, decimals - exponent);
            }
        }
        string d = digits.ToString(CultureInfo.InvariantCulture).PadLeft(decimals + 1, '0');
        string mantissa = decimals > 0 ? d[..1] + "." + d[1..] : d;
        string exp = Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
        return (double.IsNegative(v) ? "-" : "") + mantissa + "e" + (exponent < 0 ? "-" : "+") + exp;
    }

    /// <summary>round_half_even(a * 10^scale) computed exactly from the binary value of <paramref name="a"/> (finite, non-negative).</summary>
    private static BigInteger RoundScaled(double a, int scale)
    {
        long bits = BitConverter.DoubleToInt64Bits(a);
        int biased = (int)((bits >> 52) & 0x7FF);
        long fraction = bits & 0xFFFFFFFFFFFFFL;
        BigInteger mantissa = biased == 0 ? fraction : fraction | (1L << 52);
        int exponent2 = (biased == 0 ? 1 : biased) - 1075;
        BigInteger numerator = mantissa, denominator = BigInteger.One;
        if (exponent2 > 0) numerator <<= exponent2; else denominator <<= -exponent2;
        if (scale > 0) numerator *= BigInteger.Pow(10, scale); else denominator *= BigInteger.Pow(10, -scale);
        BigInteger quotient = BigInteger.DivRem(numerator, denominator, out BigInteger remainder);
        int half = (remainder * 2).CompareTo(denominator);
        if (half > 0 || (half == 0 && !quotient.IsEven))
            quotient += 1;
        return quotient;
    }
}
