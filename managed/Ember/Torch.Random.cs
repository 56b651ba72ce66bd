using Ember.Interop;

namespace Ember;

// Random sampling (torch.randint, randperm, bernoulli, multinomial, normal). Every function takes an
// optional Generator (null: the default one, seeded by ManualSeed); the values depend only on the
// generator's seed and state, never on the number of threads.
public static unsafe partial class Torch
{
    /// <summary>Integers drawn uniformly from [low, high); int64 unless a dtype is given (<c>torch.randint</c>).</summary>
    public static Ember.Tensor Randint(long low, long high, ReadOnlySpan<long> size, DType? dtype = null, Device? device = null, Generator? generator = null)
    {
        ember_tensor r;
        fixed (long* s = size)
        {
            ember_status status = NativeMethods.ember_randint(low, high, s, size.Length, (int)(dtype ?? DType.Int64), (device ?? Device.CPU).ToNative(), Generator.HandleOf(generator), &r);
            GC.KeepAlive(generator);
            return Ember.Tensor.Wrap(status, r);
        }
    }

    /// <summary>Integers drawn uniformly from [0, high) (<c>torch.randint(high, size)</c>).</summary>
    public static Ember.Tensor Randint(long high, ReadOnlySpan<long> size, DType? dtype = null, Device? device = null, Generator? generator = null) =>
        Randint(0, high, size, dtype, device, generator);

    /// <summary>A random permutation of 0 .. n-1; int64 unless a dtype is given (<c>torch.randperm</c>).</summary>
    public static Ember.Tensor Randperm(long n, DType? dtype = null, Device? device = null, Generator? generator = null)
    {
        ember_tensor r;
        ember_status status = NativeMethods.ember_randperm(n, (int)(dtype ?? DType.Int64), (device ?? Device.CPU).ToNative(), Generator.HandleOf(generator), &r);
        GC.KeepAlive(generator);
        return Ember.Tensor.Wrap(status, r);
    }

    /// <summary>1 with probability <c>p[i]</c>, else 0, in p's floating dtype (<c>torch.bernoulli</c>).</summary>
    public static Ember.Tensor Bernoulli(Ember.Tensor p, Generator? generator = null)
    {
        ember_tensor r;
        ember_status status = NativeMethods.ember_bernoulli(p.Handle, Generator.HandleOf(generator), &r);
        GC.KeepAlive(generator);
        return Ember.Tensor.Wrap(status, r, p);
    }

    /// <summary>
    /// <paramref name="numSamples"/> category indices (int64) per row of <paramref name="input"/> (1-d or 2-d non-negative
    /// weights, not necessarily normalized), with or without replacement (<c>torch.multinomial</c>).
    /// </summary>
    public static Ember.Tensor Multinomial(Ember.Tensor input, long numSamples, bool replacement = false, Generator? generator = null)
    {
        ember_tensor r;
        ember_status status = NativeMethods.ember_multinomial(input.Handle, numSamples, replacement ? 1 : 0, Generator.HandleOf(generator), &r);
        GC.KeepAlive(generator);
        return Ember.Tensor.Wrap(status, r, input);
    }

    /// <summary>Normal samples with elementwise <paramref name="mean"/> and <paramref name="std"/> (broadcast) (<c>torch.normal</c>).</summary>
    public static Ember.Tensor Normal(Ember.Tensor mean, Ember.Tensor std, Generator? generator = null)
    {
        ember_tensor r;
        ember_status status = NativeMethods.ember_normal(mean.Handle, std.Handle, Generator.HandleOf(generator), &r);
        GC.KeepAlive(generator);
        return Ember.Tensor.Wrap(status, r, mean, std);
    }

    /// <summary>Normal samples of the given shape with one mean and standard deviation (<c>torch.normal(mean, std, size)</c>).</summary>
    public static Ember.Tensor Normal(double mean, double std, ReadOnlySpan<long> size, DType? dtype = null, Device? device = null, Generator? generator = null)
    {
        Ember.Tensor t = Empty(size, dtype, device);
        try
        {
            return t.Normal_(mean, std, generator);
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }
}

public unsafe partial class Tensor
{
    /// <summary>Fills with samples uniform in [from, to); returns this tensor (<c>Tensor.uniform_</c>).</summary>
    public Tensor Uniform_(double from = 0, double to = 1, Generator? generator = null) =>
        RandomFill("Uniform_", () => NativeMethods.ember_uniform_(Handle, from, to, Generator.HandleOf(generator)), generator);

    /// <summary>Fills with normal samples; returns this tensor (<c>Tensor.normal_</c>).</summary>
    public Tensor Normal_(double mean = 0, double std = 1, Generator? generator = null) =>
        RandomFill("Normal_", () => NativeMethods.ember_normal_(Handle, mean, std, Generator.HandleOf(generator)), generator);

    /// <summary>Fills with exponential samples of rate <paramref name="lambd"/>; returns this tensor (<c>Tensor.exponential_</c>).</summary>
    public Tensor Exponential_(double lambd = 1, Generator? generator = null) =>
        RandomFill("Exponential_", () => NativeMethods.ember_exponential_(Handle, lambd, Generator.HandleOf(generator)), generator);

    /// <summary>Fills with 1 with probability <paramref name="p"/>, else 0 (any dtype); returns this tensor (<c>Tensor.bernoulli_</c>).</summary>
    public Tensor Bernoulli_(double p = 0.5, Generator? generator = null) =>
        RandomFill("Bernoulli_", () => NativeMethods.ember_bernoulli_(Handle, p, Generator.HandleOf(generator)), generator);

    // The new values do not depend on the old ones: under autograd the history gets a node with a zero gradient.
    private Tensor RandomFill(string op, Func<ember_status> fill, Generator? generator)
    {
        void Run()
        {
            ember_status status = fill();
            GC.KeepAlive(generator);
            Check(status, this);
        }
        if (!InplaceNeedsAutograd(this, null))
        {
            Run();
            return this;
        }
        return Derivatives.FillInplace(this, op, Run);
    }
}
