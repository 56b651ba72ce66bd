using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Ember.NN;

/// <summary>
/// Base class of every layer and model (<c>torch.nn.Module</c>). Derive from <see cref="Module{TIn, TOut}"/>
/// (or <see cref="Module{T1, T2, TOut}"/> for two inputs) and write <c>Forward</c>; call the module with
/// <c>Call</c>, which runs the hooks around <c>Forward</c>.
/// </summary>
/// <remarks>
/// <para><b>Registration is automatic.</b> Every instance field (of the class and its bases, private or
/// public, including the backing fields of auto-properties) whose value is a <see cref="Parameter"/>, a
/// <see cref="Tensor"/> (a buffer), a <see cref="Module"/>, or an array or list of modules (registered as
/// a <see cref="ModuleList"/>) is part of the module, in declaration order, base class first. Fields are
/// read each time the module is enumerated, so assigning a field later (<c>model.Head = new Linear(...)</c>)
/// replaces the member, and a null field is skipped. The key of a field is its name (a property's name for
/// a backing field) in snake_case without leading underscores: <c>_fc1</c> and <c>Fc1</c> give <c>fc1</c>,
/// <c>RunningMean</c> gives <c>running_mean</c>, so state dicts carry PyTorch's key names. Mark a field
/// <see cref="NotRegisteredAttribute"/> to leave it out (a tensor in a field is a buffer that the module owns from
/// its first enumeration on: create it outside any scope, or call <c>DetachFromScope()</c> on it), or <see cref="BufferAttribute"/> with
/// <c>Persistent = false</c> to keep a buffer out of the state dict. <see cref="RegisterParameter"/>,
/// <see cref="RegisterBuffer"/> and <see cref="RegisterModule"/> add members under names of your choice
/// (after the fields); an object registered by name is not listed a second time through a field.
/// The fields are found through <see cref="DynamicallyAccessedMembersAttribute"/> on this class, which the
/// trimmer and Native AOT honour for every derived class.</para>
/// <para><b>Threads.</b> Running <c>Forward</c> of one module from several threads at once is safe when the
/// module is in eval mode and nobody changes it meanwhile; training, <see cref="To(DType)"/>,
/// <see cref="LoadStateDict"/> and registration must not overlap with other use of the same module.</para>
/// </remarks>
[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.NonPublicFields)]
public abstract partial class Module : IDisposable
{
    private readonly List<Registered> _registered = [];
    private Dictionary<string, ModuleList>? _listViews;
    private bool _disposed;

    /// <summary>True in training mode (the default), false in eval mode (<c>Module.training</c>).</summary>
    public bool Training { get; private set; } = true;

    // ---- registration by name ----

    /// <summary>Adds a parameter under <paramref name="name"/> (<c>register_parameter</c>); null registers an absent parameter.</summary>
    /// <exception cref="ArgumentException">The name is empty, contains '.', or is taken.</exception>
    public void RegisterParameter(string name, Parameter? parameter) => Register(MemberKind.Parameter, name, parameter, true);

    /// <summary>
    /// Adds a buffer (<c>register_buffer</c>): state that is not trained, such as running statistics. A
    /// persistent buffer is part of <see cref="StateDict"/>. The module takes ownership of the tensor (no
    /// scope disposes it; disposing the module does).
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty, contains '.', or is taken.</exception>
    public void RegisterBuffer(string name, Tensor? buffer, bool persistent = true)
    {
        buffer?.DetachFromScope();
        Register(MemberKind.Buffer, name, buffer, persistent);
    }

    /// <summary>Adds a submodule under <paramref name="name"/> (<c>register_module</c> / <c>add_module</c>).</summary>
    /// <exception cref="ArgumentException">The name is empty, contains '.', or is taken.</exception>
    public void RegisterModule(string name, Module? module) => Register(MemberKind.Module, name, module, true);

    private void Register(MemberKind kind, string name, object? value, bool persistent)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('.'))
            throw new ArgumentException($"{GetType().Name}: a member name cannot contain '.', got \"{name}\"", nameof(name));
        foreach (Registered r in _registered)
        {
            if (r.Name == name)
                throw new ArgumentException($"{GetType().Name}: the name \"{name}\" is already registered (as a {r.Kind.ToString().ToLowerInvariant()})", nameof(name));
        }
        foreach (FieldSlot slot in FieldsOf(GetType()))
        {
            if (slot.Name == name)
                throw new ArgumentException($"{GetType().Name}: the name \"{name}\" is taken by the field {slot.Field.Name}", nameof(name));
        }
        _registered.Add(new Registered(kind, name, value, persistent));
    }

    /// <summary>Replaces the value of a member registered by name; used by containers and <see cref="To(DType)"/>.</summary>
    private protected void SetRegistered(string name, object? value)
    {
        for (int i = 0; i < _registered.Count; i++)
        {
            if (_registered[i].Name == name)
            {
                _registered[i] = _registered[i] with { Value = value };
                return;
            }
        }
        throw new KeyNotFoundException($"{GetType().Name}: no member named \"{name}\"");
    }

    /// <summary>Removes every member registered by name (containers rebuild their names with it).</summary>
    private protected void ClearRegistered() => _registered.Clear();

    // ---- enumeration ----

    /// <summary>The direct parameters (recursive: also those of every submodule) (<c>parameters()</c>).</summary>
    public IEnumerable<Parameter> Parameters(bool recurse = true)
    {
        foreach ((_, Parameter p) in NamedParameters(recurse: recurse))
            yield return p;
    }

    /// <summary>Parameters with their dotted names, such as <c>layers.0.weight</c>; each listed once (<c>named_parameters()</c>).</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters(string prefix = "", bool recurse = true)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach ((string modulePrefix, Module m) in recurse ? NamedModules(prefix) : [(prefix, this)])
        {
            foreach (Member member in m.Members())
            {
                if (member.Kind == MemberKind.Parameter && member.Value is Parameter p && seen.Add(p))
                    yield return (Join(modulePrefix, member.Name), p);
            }
        }
    }

    /// <summary>The buffers of this module and (recursive) its submodules (<c>buffers()</c>).</summary>
    public IEnumerable<Tensor> Buffers(bool recurse = true)
    {
        foreach ((_, Tensor b) in NamedBuffers(recurse: recurse))
            yield return b;
    }

    /// <summary>Buffers with their dotted names, such as <c>bn.running_mean</c> (<c>named_buffers()</c>).</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "", bool recurse = true)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach ((string modulePrefix, Module m) in recurse ? NamedModules(prefix) : [(prefix, this)])
        {
            foreach (Member member in m.Members())
            {
                if (member.Kind == MemberKind.Buffer && member.Value is Tensor b && seen.Add(b))
                    yield return (Join(modulePrefix, member.Name), b);
            }
        }
    }

    /// <summary>The direct submodules (<c>children()</c>).</summary>
    public IEnumerable<Module> Children()
    {
        foreach ((_, Module m) in NamedChildren())
            yield return m;
    }

    /// <summary>The direct submodules with their names (<c>named_children()</c>).</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren()
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        foreach (Member member in Members())
        {
            if (member.Kind == MemberKind.Module && member.Value is Module m && seen.Add(m))
                yield return (member.Name, m);
        }
    }

    /// <summary>This module and every submodule, depth first, each once (<c>modules()</c>).</summary>
    public IEnumerable<Module> Modules()
    {
        foreach ((_, Module m) in NamedModules())
            yield return m;
    }

    /// <summary>This module (named <paramref name="prefix"/>) and every submodule with its dotted name, depth first (<c>named_modules()</c>).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(string, Module)>();
        stack.Push((prefix, this));
        while (stack.Count > 0)
        {
            (string name, Module m) = stack.Pop();
            if (!seen.Add(m))
                continue;
            yield return (name, m);
            var children = m.NamedChildren().ToList();
            for (int i = children.Count - 1; i >= 0; i--)
                stack.Push((Join(name, children[i].Name), children[i].Module));
        }
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    // ---- modes, gradients, conversions ----

    /// <summary>Sets training mode on this module and every submodule (<c>train(mode)</c>); returns this module.</summary>
    public Module Train(bool mode = true)
    {
        foreach (Module m in Modules())
            m.Training = mode;
        return this;
    }

    /// <summary>Sets eval mode (<c>eval()</c>): dropout stops dropping, batch norm uses running statistics. Returns this module.</summary>
    public Module Eval() => Train(false);

    /// <summary>Clears the gradients of every parameter (<c>zero_grad(set_to_none)</c>): to null by default (disposing the old gradient tensors), else to zeros.</summary>
    public void ZeroGrad(bool setToNone = true)
    {
        GradUtil.ClearAll(Parameters(), setToNone);
    }

    /// <summary>Sets whether autograd records operations on the parameters (<c>requires_grad_(requires_grad)</c>); returns this module.</summary>
    public Module RequiresGrad_(bool requiresGrad = true)
    {
        foreach (Parameter p in Parameters())
            p.RequiresGrad = requiresGrad;
        return this;
    }

    /// <summary>Calls <paramref name="fn"/> on every submodule, then on this module (<c>apply(fn)</c>); returns this module.</summary>
    public Module Apply(Action<Module> fn)
    {
        ArgumentNullException.ThrowIfNull(fn);
        foreach (Module child in Children())
            child.Apply(fn);
        fn(this);
        return this;
    }

    /// <summary>
    /// Converts the floating parameters and buffers to <paramref name="dtype"/> (<c>to(dtype)</c>); returns
    /// this module. Converted members are new <see cref="Parameter"/> objects: create optimizers after
    /// moving the model, as in PyTorch.
    /// </summary>
    public Module To(DType dtype)
    {
        if (!dtype.IsFloatingPoint())
            throw new ArgumentException($"Module.To: nn modules accept only floating dtypes, but got {dtype.ToTorchString()}", nameof(dtype));
        return ApplyToTensors(t => t.IsFloatingPoint && t.DType != dtype ? t.To(dtype) : null);
    }

    /// <summary>Moves parameters and buffers to <paramref name="device"/> (<c>to(device)</c>); returns this module.</summary>
    public Module To(Device device) => ApplyToTensors(t => t.Device != device ? t.To(device) : null);

    /// <summary>Converts floating parameters and buffers to float16 (<c>half()</c>).</summary>
    public Module Half() => To(DType.Float16);

    /// <summary>Converts floating parameters and buffers to float32 (<c>float()</c>).</summary>
    public Module Float() => To(DType.Float32);

    /// <summary>Converts floating parameters and buffers to float64 (<c>double()</c>).</summary>
    public Module Double() => To(DType.Float64);

    /// <summary>
    /// Replaces each parameter and buffer for which <paramref name="convert"/> returns a new tensor (null
    /// keeps it), in every module; the old tensors are disposed.
    /// </summary>
    private Module ApplyToTensors(Func<Tensor, Tensor?> convert)
    {
        using var noGrad = Torch.NoGrad();
        foreach (Module m in Modules())
        {
            foreach (Member member in m.Members().ToList())
            {
                if (member.Value is not Tensor old || member.Kind == MemberKind.Module)
                    continue;
                Tensor? converted = convert(old);
                if (converted is null)
                    continue;
                Tensor replacement = old is Parameter p ? new Parameter(converted, p.RequiresGrad) : converted.DetachFromScope();
                if (old is Parameter)
                    converted.Dispose();
                m.SetMember(member, replacement);
                old.Dispose();
            }
        }
        return this;
    }

    // ---- state dict ----

    /// <summary>
    /// The parameters and persistent buffers of this module and its submodules by dotted name
    /// (<c>state_dict()</c>), in registration order. The values are detached tensors sharing the members'
    /// storage: they belong to the current scope (or to the caller), and disposing them does not affect
    /// the module.
    /// </summary>
    public OrderedDictionary<string, Tensor> StateDict(string prefix = "")
    {
        var dict = new OrderedDictionary<string, Tensor>();
        foreach ((string modulePrefix, Module m) in NamedModules(prefix))
        {
            foreach (Member member in m.Members())
            {
                if (member.Value is Tensor t && (member.Kind == MemberKind.Parameter || (member.Kind == MemberKind.Buffer && member.Persistent)))
                    dict.TryAdd(Join(modulePrefix, member.Name), t.Detach());
            }
        }
        return dict;
    }

    /// <summary>
    /// Copies values from <paramref name="stateDict"/> into the parameters and persistent buffers of the same
    /// names (<c>load_state_dict(state_dict, strict)</c>), casting to each member's dtype. With
    /// <paramref name="strict"/>, missing or unexpected keys are an error; without it they are reported in
    /// the result. Shapes must always match.
    /// </summary>
    /// <exception cref="ArgumentException">Strict mode found missing or unexpected keys, or a shape differs.</exception>
    public (IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys) LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var targets = new List<(string Key, Tensor Target)>();
        foreach ((string modulePrefix, Module m) in NamedModules())
        {
            foreach (Member member in m.Members())
            {
                if (member.Value is Tensor t && (member.Kind == MemberKind.Parameter || (member.Kind == MemberKind.Buffer && member.Persistent)))
                    targets.Add((Join(modulePrefix, member.Name), t));
            }
        }
        var known = new HashSet<string>(targets.Select(t => t.Key));
        var missing = targets.Where(t => !stateDict.ContainsKey(t.Key)).Select(t => t.Key).ToList();
        var unexpected = stateDict.Keys.Where(k => !known.Contains(k)).ToList();
        var errors = new List<string>();
        if (strict && missing.Count > 0)
            errors.Add("Missing key(s) in state_dict: " + string.Join(", ", missing.Select(k => $"\"{k}\"")) + ".");
        if (strict && unexpected.Count > 0)
            errors.Add("Unexpected key(s) in state_dict: " + string.Join(", ", unexpected.Select(k => $"\"{k}\"")) + ".");
        foreach ((string key, Tensor target) in targets)
        {
            if (stateDict.TryGetValue(key, out Tensor? source) && !source.Shape.Equals(target.Shape))
                errors.Add($"size mismatch for {key}: copying a param with shape {source.Shape} from checkpoint, the shape in current model is {target.Shape}.");
        }
        if (errors.Count > 0)
            throw new ArgumentException($"Error(s) in loading state_dict for {GetType().Name}:\n\t" + string.Join("\n\t", errors), nameof(stateDict));
        using (Torch.NoGrad())
        {
            foreach ((string key, Tensor target) in targets)
            {
                if (stateDict.TryGetValue(key, out Tensor? source))
                    target.Copy_(source);
            }
        }
        return (missing, unexpected);
    }

    // ---- printing ----

    /// <summary>The text inside the parentheses of this module's line, such as <c>in_features=4, out_features=2, bias=True</c> (<c>extra_repr()</c>).</summary>
    public virtual string ExtraRepr() => "";

    /// <summary>The module tree as PyTorch prints it.</summary>
    public override string ToString()
    {
        var lines = new List<string>();
        string extra = ExtraRepr();
        if (extra.Length > 0)
            lines.AddRange(extra.Split('\n'));
        foreach ((string name, Module child) in NamedChildren())
            lines.Add($"({name}): " + Indent(child.ToString()));
        var sb = new StringBuilder(TypeName).Append('(');
        if (lines.Count == 1 && NamedChildren().Any() == false)
            return sb.Append(lines[0]).Append(')').ToString();
        if (lines.Count > 0)
        {
            sb.Append('\n');
            foreach (string line in lines)
                sb.Append("  ").Append(line).Append('\n');
        }
        return sb.Append(')').ToString();
    }

    /// <summary>The class name that <see cref="ToString"/> prints (generic arity suffixes removed).</summary>
    protected virtual string TypeName
    {
        get
        {
            string name = GetType().Name;
            int tick = name.IndexOf('`');
            return tick < 0 ? name : name[..tick];
        }
    }

    private static string Indent(string text) => text.Replace("\n", "\n  ");

    internal static string PyBool(bool value) => value ? "True" : "False";

    // ---- disposal ----

    /// <summary>Disposes the parameters and buffers of this module and of every submodule.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes the members; override to release more, calling the base.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed || !disposing)
            return;
        foreach (Module m in Modules().ToList())
        {
            if (m._disposed)
                continue;
            m._disposed = true;
            foreach (Member member in m.Members().ToList())
            {
                if (member.Value is Tensor t)
                    t.Dispose();
            }
        }
    }
}
