using System.Collections;

namespace Ember.NN;

/// <summary>
/// Runs modules one after another, each on the previous one's output (<c>nn.Sequential</c>). The modules
/// are named <c>0</c>, <c>1</c>, ... unless given names, so keys read <c>0.weight</c> as in PyTorch.
/// </summary>
public sealed class Sequential : Module<Tensor, Tensor>, IReadOnlyList<Module<Tensor, Tensor>>
{
    [NotRegistered]
    private readonly List<Module<Tensor, Tensor>> _items = [];

    /// <summary>An empty sequence; add modules with <see cref="Append"/>.</summary>
    public Sequential()
    {
    }

    /// <summary>A sequence named 0, 1, ...</summary>
    public Sequential(params IEnumerable<Module<Tensor, Tensor>> modules)
    {
        foreach (Module<Tensor, Tensor> m in modules)
            Append(m);
    }

    /// <summary>A sequence with names (<c>nn.Sequential(OrderedDict(...))</c>).</summary>
    public Sequential(params IEnumerable<(string Name, Module<Tensor, Tensor> Module)> modules)
    {
        foreach ((string name, Module<Tensor, Tensor> m) in modules)
        {
            ArgumentNullException.ThrowIfNull(m);
            RegisterModule(name, m);
            _items.Add(m);
        }
    }

    /// <summary>Adds a module at the end, named by its position (<c>append</c>); returns this sequence.</summary>
    public Sequential Append(Module<Tensor, Tensor> module)
    {
        ArgumentNullException.ThrowIfNull(module);
        RegisterModule(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        _items.Add(module);
        return this;
    }

    /// <summary>The module at <paramref name="index"/> (negative counts from the end).</summary>
    public Module<Tensor, Tensor> this[int index] => _items[index < 0 ? index + _items.Count : index];

    /// <summary>Number of modules.</summary>
    public int Count => _items.Count;

    /// <summary>Runs every module in order (intermediate results belong to the current scope).</summary>
    public override Tensor Forward(Tensor input)
    {
        Tensor x = input;
        foreach (Module<Tensor, Tensor> m in _items)
            x = m.Call(x);
        return x;
    }

    /// <inheritdoc/>
    public IEnumerator<Module<Tensor, Tensor>> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>A list of submodules that are registered as <c>0</c>, <c>1</c>, ... (<c>nn.ModuleList</c>).</summary>
public sealed class ModuleList : Module, IReadOnlyList<Module>
{
    [NotRegistered]
    private readonly List<Module> _items = [];

    /// <summary>A list holding <paramref name="modules"/>.</summary>
    public ModuleList(params IEnumerable<Module> modules)
    {
        foreach (Module m in modules)
            Append(m);
    }

    /// <summary>Adds a module at the end (<c>append</c>); returns this list.</summary>
    public ModuleList Append(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        RegisterModule(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        _items.Add(module);
        return this;
    }

    /// <summary>The module at <paramref name="index"/> (negative counts from the end).</summary>
    public Module this[int index] => _items[index < 0 ? index + _items.Count : index];

    /// <summary>Number of modules.</summary>
    public int Count => _items.Count;

    /// <summary>Makes the list hold exactly <paramref name="items"/> (for collection fields seen through a list).</summary>
    internal void SyncWith(IEnumerable<Module> items)
    {
        int i = 0;
        bool same = true;
        foreach (Module m in items)
        {
            if (i >= _items.Count || !ReferenceEquals(_items[i], m))
            {
                same = false;
                break;
            }
            i++;
        }
        if (same && i == _items.Count)
            return;
        ClearRegistered();
        _items.Clear();
        foreach (Module m in items)
        {
            if (m is not null)
                Append(m);
        }
    }

    /// <inheritdoc/>
    public IEnumerator<Module> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Submodules by name, in insertion order (<c>nn.ModuleDict</c>).</summary>
public sealed class ModuleDict : Module, IReadOnlyDictionary<string, Module>
{
    [NotRegistered]
    private readonly OrderedDictionary<string, Module> _items = [];

    /// <summary>A dictionary holding <paramref name="modules"/>.</summary>
    public ModuleDict(params IEnumerable<(string Name, Module Module)> modules)
    {
        foreach ((string name, Module m) in modules)
            Add(name, m);
    }

    /// <summary>Adds a module under <paramref name="name"/>.</summary>
    public void Add(string name, Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        RegisterModule(name, module);
        _items.Add(name, module);
    }

    /// <inheritdoc/>
    public Module this[string key] => _items[key];

    /// <inheritdoc/>
    public IEnumerable<string> Keys => _items.Keys;

    /// <inheritdoc/>
    public IEnumerable<Module> Values => _items.Values;

    /// <inheritdoc/>
    public int Count => _items.Count;

    /// <inheritdoc/>
    public bool ContainsKey(string key) => _items.ContainsKey(key);

    /// <inheritdoc/>
    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Module value) => _items.TryGetValue(key, out value);

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, Module>> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Parameters registered as <c>0</c>, <c>1</c>, ... (<c>nn.ParameterList</c>).</summary>
public sealed class ParameterList : Module, IReadOnlyList<Parameter>
{
    private int _count;

    /// <summary>A list holding <paramref name="parameters"/>.</summary>
    public ParameterList(params IEnumerable<Parameter> parameters)
    {
        foreach (Parameter p in parameters)
            Append(p);
    }

    /// <summary>Adds a parameter at the end (<c>append</c>); returns this list.</summary>
    public ParameterList Append(Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        RegisterParameter(_count.ToString(System.Globalization.CultureInfo.InvariantCulture), parameter);
        _count++;
        return this;
    }

    /// <summary>The parameter at <paramref name="index"/> (negative counts from the end).</summary>
    public Parameter this[int index] => Parameters(recurse: false).ElementAt(index < 0 ? index + _count : index);

    /// <summary>Number of parameters.</summary>
    public int Count => _count;

    /// <inheritdoc/>
    public IEnumerator<Parameter> GetEnumerator() => Parameters(recurse: false).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
