using System.Collections;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text;

namespace Ember.NN;

/// <summary>Leaves a field out of automatic registration: the module neither lists, saves nor disposes what it holds.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class NotRegisteredAttribute : Attribute;

/// <summary>Marks a tensor field as a buffer; with <see cref="Persistent"/> false it stays out of the state dict.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class BufferAttribute : Attribute
{
    /// <summary>Whether the buffer is part of <see cref="Module.StateDict"/> (<c>register_buffer(..., persistent)</c>).</summary>
    public bool Persistent { get; set; } = true;
}

// How a module finds its members: fields first (declaration order, base class first), then the names
// registered by calls.
public abstract partial class Module
{
    private enum MemberKind { Parameter, Buffer, Module }

    private sealed record Registered(MemberKind Kind, string Name, object? Value, bool Persistent);

    /// <summary>One member as enumerated: where it came from (a field slot, or a registered name) and its value.</summary>
    private readonly record struct Member(MemberKind Kind, string Name, object? Value, bool Persistent, FieldSlot? Slot);

    private sealed record FieldSlot(FieldInfo Field, string Name, bool? Persistent, bool IsModuleCollection);

    private static readonly ConcurrentDictionary<Type, FieldSlot[]> s_fields = new();

    /// <summary>The members of this module alone (not of submodules), each object once, in order.</summary>
    private IEnumerable<Member> Members()
    {
        HashSet<object>? named = null;
        foreach (Registered r in _registered)
        {
            if (r.Value is not null)
                (named ??= new HashSet<object>(ReferenceEqualityComparer.Instance)).Add(r.Value);
        }
        foreach (FieldSlot slot in FieldsOf(GetType()))
        {
            object? value = slot.Field.GetValue(this);
            if (value is null || (named is not null && named.Contains(value)))
                continue;
            switch (value)
            {
                case Parameter p:
                    yield return new Member(MemberKind.Parameter, slot.Name, p, true, slot);
                    break;
                case Tensor t:
                    t.DetachFromScope(); // a buffer held in a field belongs to the module, like a parameter
                    yield return new Member(MemberKind.Buffer, slot.Name, t, slot.Persistent ?? true, slot);
                    break;
                case Module m:
                    yield return new Member(MemberKind.Module, slot.Name, m, true, slot);
                    break;
                case IEnumerable<Module> list when slot.IsModuleCollection:
                    yield return new Member(MemberKind.Module, slot.Name, ListView(slot.Name, list), true, slot);
                    break;
            }
        }
        foreach (Registered r in _registered)
        {
            if (r.Value is not null)
                yield return new Member(r.Kind, r.Name, r.Value, r.Persistent, null);
        }
    }

    /// <summary>A module list that shows the current items of a collection field (kept per field so that it stays the same object).</summary>
    private ModuleList ListView(string name, IEnumerable<Module> items)
    {
        _listViews ??= [];
        if (!_listViews.TryGetValue(name, out ModuleList? view))
            _listViews[name] = view = new ModuleList();
        view.SyncWith(items);
        return view;
    }

    /// <summary>Stores a converted tensor where <paramref name="member"/> came from.</summary>
    private void SetMember(Member member, Tensor value)
    {
        if (member.Slot is { } slot)
            slot.Field.SetValue(this, value);
        else
            SetRegistered(member.Name, value);
    }

    // A field's place in declaration order where metadata tokens exist.
    private static int MetadataOrder(FieldInfo field)
    {
        try
        {
            return field.MetadataToken;
        }
        catch (InvalidOperationException)
        {
            return 0;  // Native AOT keeps no metadata tokens
        }
    }

    /// <summary>The member fields of a module type, cached per type.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Module carries DynamicallyAccessedMembers(PublicFields | NonPublicFields), which the trimmer applies to every derived class, so the fields of each class between the runtime type and Module are kept.")]
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Same as above: every base class of a module type below Module is itself a module type.")]
    private static FieldSlot[] FieldsOf(Type type) => s_fields.GetOrAdd(type, static t =>
    {
        var chain = new List<Type>();
        for (Type? c = t; c is not null && c != typeof(Module); c = c.BaseType)
            chain.Add(c);
        chain.Reverse();
        var slots = new List<FieldSlot>();
        foreach (Type c in chain)
        {
            // Declaration order is metadata order; a stable sort keeps GetFields' own order where no token
            // exists (Native AOT), which is declaration order there.
            FieldInfo[] fields = [.. c.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                .OrderBy(MetadataOrder)];
            foreach (FieldInfo f in fields)
            {
                Type ft = f.FieldType;
                bool tensorOrModule = typeof(Tensor).IsAssignableFrom(ft) || typeof(Module).IsAssignableFrom(ft);
                bool collection = !tensorOrModule && ft != typeof(string) && typeof(IEnumerable<Module>).IsAssignableFrom(ft);
                if (!tensorOrModule && !collection)
                    continue;
                if (f.IsDefined(typeof(NotRegisteredAttribute)) || PropertyOf(c, f)?.IsDefined(typeof(NotRegisteredAttribute)) == true)
                    continue;
                BufferAttribute? buffer = f.GetCustomAttribute<BufferAttribute>() ?? PropertyOf(c, f)?.GetCustomAttribute<BufferAttribute>();
                slots.Add(new FieldSlot(f, KeyName(f.Name), buffer?.Persistent, collection));
            }
        }
        return slots.ToArray();
    });

    // Attributes written on an auto-property sit on the property, not on its backing field.
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Only used for attributes; a property removed by the trimmer has no attributes to honour.")]
    private static PropertyInfo? PropertyOf(Type type, FieldInfo field)
    {
        string? property = BackingFieldProperty(field.Name);
        return property is null ? null : type.GetProperty(property, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly);
    }

    private static string? BackingFieldProperty(string fieldName)
    {
        const string suffix = ">k__BackingField";
        return fieldName.StartsWith('<') && fieldName.EndsWith(suffix, StringComparison.Ordinal)
            ? fieldName[1..^suffix.Length]
            : null;
    }

    /// <summary>
    /// The state-dict key of a field: the property name for a backing field, leading underscores dropped,
    /// then snake_case (<c>_fc1</c> → <c>fc1</c>, <c>RunningMean</c> → <c>running_mean</c>, <c>HTTPProxy</c> → <c>http_proxy</c>).
    /// </summary>
    internal static string KeyName(string fieldName)
    {
        string name = (BackingFieldProperty(fieldName) ?? fieldName).TrimStart('_');
        var sb = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                bool afterLowerOrDigit = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]));
                bool endsAcronym = i > 0 && char.IsUpper(name[i - 1]) && i + 1 < name.Length && char.IsLower(name[i + 1]);
                if ((afterLowerOrDigit || endsAcronym) && sb.Length > 0 && sb[^1] != '_')
                    sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }
}
