using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Ember.Data;
using Ember.NN;
using Ember.Optim;
using Ember.Serialization;

namespace Ember.Training;

/// <summary>
/// Saves and restores everything a training run needs to continue exactly where it stopped: the model's
/// state dict, the optimizer's state, the learning-rate scheduler's position, the epoch, and the random
/// generators (the engine's global generator, the <see cref="Generator"/>s and the
/// <see cref="DataGenerator"/>s you name). A run that loads a checkpoint and trains on produces the
/// same parameters, bit for bit, as the run that saved it and went on.
/// <code>
/// var checkpoint = new Checkpoint(model, optimizer, scheduler) { DataGenerators = { ["loader"] = loaderGenerator } };
/// checkpoint.Save("run.safetensors", epoch);          // after an epoch
/// int start = checkpoint.Load("run.safetensors").Epoch + 1;   // in the resumed process
/// </code>
/// </summary>
/// <remarks>
/// <para>The file is one safetensors file (see <see cref="SafeTensors"/>), readable from Python:
/// <c>model.{name}</c> holds the model's state dict, <c>optimizer.state.{index}.{name}</c> the optimizer's
/// per-parameter state as PyTorch keys it, and the <c>__metadata__</c> entry <c>ember.checkpoint</c> a JSON
/// document with the format version, the epoch, the optimizer's type and <c>param_groups</c>, the
/// scheduler's type, <c>last_epoch</c>, <c>base_lrs</c> and <c>last_lr</c>, the generators' states and your
/// extra strings.</para>
/// <para>Generators: their states (<see cref="Torch.GetRngState"/>, <see cref="Generator.GetState()"/>,
/// <see cref="DataGenerator"/>'s) are stored exactly and saving leaves them untouched, so a run that
/// saves draws the same numbers as one that does not.</para>
/// <para>Schedulers: <see cref="Load"/> needs a scheduler that has not stepped further than the saved
/// one (normally a fresh one); it advances it to the saved <c>last_epoch</c> by stepping (the schedules
/// are deterministic recurrences), checks that it reaches the saved learning rates bit for bit, then the
/// optimizer's saved state sets the rates again.</para>
/// <para><see cref="Load"/> checks the file against the bound objects (format, optimizer and scheduler
/// types, parameter-group sizes, generator names, model keys and shapes) before it changes anything.</para>
/// </remarks>
public sealed class Checkpoint
{
    /// <summary>The metadata key under which the checkpoint's JSON document is stored.</summary>
    public const string MetadataKey = "ember.checkpoint";

    /// <summary>The format version this class writes and reads.</summary>
    public const int FormatVersion = 1;

    private const string ModelPrefix = "model.";
    private const string OptimizerPrefix = "optimizer.state.";

    /// <summary>Binds the objects whose state the checkpoint saves and restores.</summary>
    /// <param name="model">The model (its <see cref="Module.StateDict"/>).</param>
    /// <param name="optimizer">The optimizer, or null.</param>
    /// <param name="scheduler">The scheduler, or null; it must schedule <paramref name="optimizer"/>.</param>
    /// <exception cref="ArgumentException">The scheduler is given without its optimizer, or schedules another one.</exception>
    public Checkpoint(Module model, Optimizer? optimizer = null, LRScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (scheduler is not null && !ReferenceEquals(scheduler.Optimizer, optimizer))
            throw new ArgumentException("Checkpoint: the scheduler must schedule the optimizer given with it", nameof(scheduler));
        Model = model;
        Optimizer = optimizer;
        Scheduler = scheduler;
    }

    /// <summary>The model.</summary>
    public Module Model { get; }

    /// <summary>The optimizer, or null.</summary>
    public Optimizer? Optimizer { get; }

    /// <summary>The learning-rate scheduler, or null.</summary>
    public LRScheduler? Scheduler { get; }

    /// <summary>Whether the engine's global generator (<c>torch.get_rng_state</c>) is saved and restored; true by default.</summary>
    public bool IncludeGlobalGenerator { get; set; } = true;

    /// <summary>Native generators to save and restore, by name (the names must match between save and load).</summary>
    public IDictionary<string, Generator> Generators { get; } = new SortedDictionary<string, Generator>(StringComparer.Ordinal);

    /// <summary>Data generators (shuffling, sampling, random transforms) to save and restore, by name.</summary>
    public IDictionary<string, DataGenerator> DataGenerators { get; } = new SortedDictionary<string, DataGenerator>(StringComparer.Ordinal);

    /// <summary>Writes the checkpoint to <paramref name="path"/> (created or replaced once complete).</summary>
    /// <param name="path">The safetensors file.</param>
    /// <param name="epoch">The epoch just finished (or any counter the caller resumes from).</param>
    /// <param name="extra">Free-form strings stored with the checkpoint and returned by <see cref="Load"/>, or null.</param>
    public void Save(string path, int epoch, IReadOnlyDictionary<string, string>? extra = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var scope = Torch.NewScope();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach ((string name, Tensor value) in Model.StateDict())
            tensors.Add(ModelPrefix + name, value);
        OptimizerStateDict? optimizerState = Optimizer?.StateDict();
        if (optimizerState is not null)
        {
            foreach ((int index, Dictionary<string, Tensor> state) in optimizerState.State)
            {
                foreach ((string name, Tensor value) in state)
                    tensors.Add(OptimizerPrefix + index.ToString(CultureInfo.InvariantCulture) + "." + name, value);
            }
        }

        byte[]? globalState = IncludeGlobalGenerator ? StateBytes(Torch.GetRngState()) : null;
        var states = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach ((string name, Generator generator) in Generators)
            states.Add(name, StateBytes(generator.GetState()));

        string document = WriteDocument(epoch, optimizerState, globalState, states, extra);
        SafeTensors.Save(tensors, path, new Dictionary<string, string> { [MetadataKey] = document });
    }

    /// <summary>
    /// Restores the bound objects from a checkpoint written by <see cref="Save"/> and returns its epoch and
    /// extra strings.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, or does not fit the bound objects (the message says how).</exception>
    public CheckpointInfo Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Dictionary<string, Tensor> tensors = SafeTensors.Load(path, out Dictionary<string, string> metadata);
        try
        {
            SavedState saved = ReadDocument(path, metadata);
            Validate(path, saved, tensors);

            var model = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach ((string name, Tensor value) in tensors)
            {
                if (name.StartsWith(ModelPrefix, StringComparison.Ordinal))
                    model.Add(name[ModelPrefix.Length..], value);
            }
            try
            {
                Model.LoadStateDict(model, strict: true);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"Checkpoint: {path}: the model state does not fit {Model.GetType().Name}: {e.Message}", e);
            }

            if (Scheduler is not null)
                ReplayScheduler(path, saved.Scheduler!);
            if (Optimizer is not null)
                LoadOptimizer(path, saved.Optimizer!, tensors);

            if (IncludeGlobalGenerator)
            {
                using Tensor state = StateTensor(saved.GlobalState!);
                Torch.SetRngState(state);
            }
            foreach ((string name, Generator generator) in Generators)
            {
                using Tensor state = StateTensor(saved.GeneratorStates[name]);
                generator.SetState(state);
            }
            foreach ((string name, DataGenerator generator) in DataGenerators)
                generator.SetState(saved.DataStates[name]);
            return new CheckpointInfo(saved.Epoch, saved.Extra);
        }
        finally
        {
            foreach (Tensor t in tensors.Values)
                t.Dispose();
        }
    }

    /// <summary>Reads the epoch and extra strings of a checkpoint without loading any state.</summary>
    /// <exception cref="InvalidDataException">The file is not a checkpoint.</exception>
    public static CheckpointInfo ReadInfo(string path)
    {
        SafeTensorsHeader header = SafeTensors.ReadHeader(path);
        SavedState saved = ReadDocument(path, header.Metadata);
        return new CheckpointInfo(saved.Epoch, saved.Extra);
    }

    // ---- native generators ----

    private const int GeneratorStateBytes = 16;

    private static byte[] StateBytes(Tensor state)
    {
        using (state)
            return state.ToArray<byte>();
    }

    private static Tensor StateTensor(byte[] bytes) => Torch.Tensor<byte>(bytes, [bytes.Length]);

    // ---- the JSON document ----

    private string WriteDocument(int epoch, OptimizerStateDict? optimizer, byte[]? globalState,
        SortedDictionary<string, byte[]> states, IReadOnlyDictionary<string, string>? extra)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteNumber("format", FormatVersion);
            json.WriteNumber("epoch", epoch);
            if (optimizer is not null)
            {
                json.WriteStartObject("optimizer");
                json.WriteString("type", Optimizer!.GetType().Name);
                json.WriteStartArray("param_groups");
                foreach (Dictionary<string, object> group in optimizer.ParamGroups)
                    WriteGroup(json, group);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            if (Scheduler is not null)
            {
                json.WriteStartObject("scheduler");
                json.WriteString("type", Scheduler.GetType().Name);
                json.WriteNumber("last_epoch", Scheduler.LastEpoch);
                WriteDoubles(json, "base_lrs", Scheduler.BaseLrs);
                WriteDoubles(json, "last_lr", Scheduler.LastLr);
                json.WriteEndObject();
            }
            json.WriteStartObject("rng");
            if (globalState is not null)
                json.WriteBase64String("global", globalState);
            json.WriteStartObject("generators");
            foreach ((string name, byte[] state) in states)
                json.WriteBase64String(name, state);
            json.WriteEndObject();
            json.WriteStartObject("data_generators");
            foreach ((string name, DataGenerator generator) in DataGenerators)
                json.WriteBase64String(name, generator.GetState());
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteStartObject("extra");
            if (extra is not null)
            {
                foreach ((string key, string value) in extra.OrderBy(p => p.Key, StringComparer.Ordinal))
                    json.WriteString(key, value ?? throw new ArgumentException($"Checkpoint.Save: extra value of '{key}' is null", nameof(extra)));
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteGroup(Utf8JsonWriter json, Dictionary<string, object> group)
    {
        json.WriteStartObject();
        foreach ((string key, object value) in group.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            switch (value)
            {
                case bool b:
                    json.WriteBoolean(key, b);
                    break;
                case double or float or int or long:
                    json.WriteNumber(key, Convert.ToDouble(value, CultureInfo.InvariantCulture));
                    break;
                case IEnumerable<int> ints:
                    json.WriteStartArray(key);
                    foreach (int i in ints)
                        json.WriteNumberValue(i);
                    json.WriteEndArray();
                    break;
                case IEnumerable<double> doubles:
                    WriteDoubles(json, key, doubles);
                    break;
                default:
                    throw new NotSupportedException($"Checkpoint.Save: optimizer option '{key}' has type {value?.GetType().Name ?? "null"}, which a checkpoint cannot store");
            }
        }
        json.WriteEndObject();
    }

    private static void WriteDoubles(Utf8JsonWriter json, string key, IEnumerable<double> values)
    {
        json.WriteStartArray(key);
        foreach (double v in values)
            json.WriteNumberValue(v);
        json.WriteEndArray();
    }

    private sealed record SavedOptimizer(string Type, List<Dictionary<string, object>> Groups);

    private sealed record SavedScheduler(string Type, int LastEpoch, double[] BaseLrs, double[] LastLr);

    private sealed record SavedState(
        int Epoch, SavedOptimizer? Optimizer, SavedScheduler? Scheduler, byte[]? GlobalState,
        Dictionary<string, byte[]> GeneratorStates, Dictionary<string, byte[]> DataStates, Dictionary<string, string> Extra);

    private static SavedState ReadDocument(string path, IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(MetadataKey, out string? text))
            throw Invalid(path, $"it has no '{MetadataKey}' metadata; it is a plain safetensors file, not a checkpoint written by Checkpoint.Save");
        try
        {
            using JsonDocument document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 8 });
            JsonElement root = document.RootElement;
            int format = root.GetProperty("format").GetInt32();
            if (format != FormatVersion)
                throw Invalid(path, $"it has checkpoint format {format}; this Ember reads format {FormatVersion}");
            int epoch = root.GetProperty("epoch").GetInt32();

            SavedOptimizer? optimizer = null;
            if (root.TryGetProperty("optimizer", out JsonElement o))
            {
                var groups = new List<Dictionary<string, object>>();
                foreach (JsonElement g in o.GetProperty("param_groups").EnumerateArray())
                    groups.Add(ReadGroup(g));
                optimizer = new SavedOptimizer(o.GetProperty("type").GetString()!, groups);
            }
            SavedScheduler? scheduler = null;
            if (root.TryGetProperty("scheduler", out JsonElement s))
            {
                scheduler = new SavedScheduler(s.GetProperty("type").GetString()!, s.GetProperty("last_epoch").GetInt32(),
                    [.. s.GetProperty("base_lrs").EnumerateArray().Select(e => e.GetDouble())],
                    [.. s.GetProperty("last_lr").EnumerateArray().Select(e => e.GetDouble())]);
            }
            JsonElement rng = root.GetProperty("rng");
            byte[]? global = rng.TryGetProperty("global", out JsonElement gs) ? GeneratorState(path, "global", gs) : null;
            var generatorStates = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (JsonProperty p in rng.GetProperty("generators").EnumerateObject())
                generatorStates.Add(p.Name, GeneratorState(path, p.Name, p.Value));
            var states = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (JsonProperty p in rng.GetProperty("data_generators").EnumerateObject())
                states.Add(p.Name, p.Value.GetBytesFromBase64());
            var extra = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty p in root.GetProperty("extra").EnumerateObject())
                extra.Add(p.Name, p.Value.GetString()!);
            return new SavedState(epoch, optimizer, scheduler, global, generatorStates, states, extra);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            throw new InvalidDataException($"Checkpoint: {path}: the '{MetadataKey}' metadata is malformed: {e.Message}", e);
        }
    }

    private static Dictionary<string, object> ReadGroup(JsonElement group)
    {
        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (JsonProperty p in group.EnumerateObject())
        {
            result[p.Name] = p.Value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Number => p.Value.GetDouble(),
                JsonValueKind.Array when p.Name == "params" => p.Value.EnumerateArray().Select(e => e.GetInt32()).ToList(),
                JsonValueKind.Array => p.Value.EnumerateArray().Select(e => e.GetDouble()).ToArray(),
                _ => throw new FormatException($"optimizer option '{p.Name}' is a JSON {p.Value.ValueKind}"),
            };
        }
        return result;
    }

    // ---- validation and restoring ----

    private void Validate(string path, SavedState saved, Dictionary<string, Tensor> tensors)
    {
        if (Optimizer is not null)
        {
            if (saved.Optimizer is null)
                throw Invalid(path, $"it holds no optimizer state, but a {Optimizer.GetType().Name} is bound");
            if (saved.Optimizer.Type != Optimizer.GetType().Name)
                throw Invalid(path, $"it holds the state of a {saved.Optimizer.Type} optimizer, but a {Optimizer.GetType().Name} is bound");
            int[] sizes = GroupSizes(Optimizer);
            int[] savedSizes = [.. saved.Optimizer.Groups.Select(g => g.TryGetValue("params", out object? ids) && ids is IEnumerable<int> list ? list.Count() : -1)];
            if (!sizes.SequenceEqual(savedSizes))
                throw Invalid(path, $"its optimizer has parameter groups of sizes [{string.Join(", ", savedSizes)}], but the bound {Optimizer.GetType().Name} has [{string.Join(", ", sizes)}]");
        }
        if (Scheduler is not null)
        {
            if (saved.Scheduler is null)
                throw Invalid(path, $"it holds no scheduler state, but a {Scheduler.GetType().Name} is bound");
            if (saved.Scheduler.Type != Scheduler.GetType().Name)
                throw Invalid(path, $"it holds the state of a {saved.Scheduler.Type} scheduler, but a {Scheduler.GetType().Name} is bound");
            if (Scheduler.LastEpoch > saved.Scheduler.LastEpoch)
                throw Invalid(path, $"the bound {Scheduler.GetType().Name} is at epoch {Scheduler.LastEpoch}, past the saved epoch {saved.Scheduler.LastEpoch}; load into a fresh scheduler");
            if (!Scheduler.BaseLrs.SequenceEqual(saved.Scheduler.BaseLrs))
                throw Invalid(path, $"the saved scheduler started from learning rates [{Join(saved.Scheduler.BaseLrs)}] but the bound one from [{Join(Scheduler.BaseLrs)}]");
        }
        if (IncludeGlobalGenerator && saved.GlobalState is null)
            throw Invalid(path, "it holds no state of the global generator; set IncludeGlobalGenerator = false to load it");
        foreach (string name in Generators.Keys)
        {
            if (!saved.GeneratorStates.ContainsKey(name))
                throw Invalid(path, $"it holds no generator named '{name}' (it has: {Names(saved.GeneratorStates.Keys)})");
        }
        foreach (string name in DataGenerators.Keys)
        {
            if (!saved.DataStates.ContainsKey(name))
                throw Invalid(path, $"it holds no data generator named '{name}' (it has: {Names(saved.DataStates.Keys)})");
        }
        string? stray = tensors.Keys.FirstOrDefault(k => !k.StartsWith(ModelPrefix, StringComparison.Ordinal) && !k.StartsWith(OptimizerPrefix, StringComparison.Ordinal));
        if (stray is not null)
            throw Invalid(path, $"tensor '{stray}' belongs neither to the model ('{ModelPrefix}...') nor to the optimizer ('{OptimizerPrefix}...')");
    }

    private static int[] GroupSizes(Optimizer optimizer)
    {
        using var scope = Torch.NewScope();   // the state dict's step tensors are temporaries
        return [.. optimizer.StateDict().ParamGroups.Select(g => ((IEnumerable<int>)g["params"]).Count())];
    }

    private void ReplayScheduler(string path, SavedScheduler saved)
    {
        while (Scheduler!.LastEpoch < saved.LastEpoch)
            Scheduler.Step();
        if (!Scheduler.LastLr.SequenceEqual(saved.LastLr))
            throw Invalid(path, $"the {saved.Type} stepped to epoch {saved.LastEpoch} reaches learning rates [{Join(Scheduler.LastLr)}], not the saved [{Join(saved.LastLr)}]; was it built with the same settings?");
    }

    private void LoadOptimizer(string path, SavedOptimizer saved, Dictionary<string, Tensor> tensors)
    {
        var dict = new OptimizerStateDict();
        dict.ParamGroups.AddRange(saved.Groups);
        foreach ((string name, Tensor value) in tensors)
        {
            if (!name.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
                continue;
            string rest = name[OptimizerPrefix.Length..];
            int dot = rest.IndexOf('.', StringComparison.Ordinal);
            if (dot <= 0 || !int.TryParse(rest.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                throw Invalid(path, $"optimizer tensor '{name}' is not named '{OptimizerPrefix}{{index}}.{{state}}'");
            if (!dict.State.TryGetValue(index, out Dictionary<string, Tensor>? state))
                dict.State[index] = state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            state.Add(rest[(dot + 1)..], value);
        }
        try
        {
            Optimizer!.LoadStateDict(dict);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Checkpoint: {path}: the optimizer state does not fit the bound {Optimizer!.GetType().Name}: {e.Message}", e);
        }
    }

    private static string Join(IEnumerable<double> values) => string.Join(", ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));

    private static string Names(IEnumerable<string> names) => names.Any() ? string.Join(", ", names) : "none";

    private static byte[] GeneratorState(string path, string name, JsonElement value)
    {
        byte[] state = value.GetBytesFromBase64();
        if (state.Length != GeneratorStateBytes)
            throw Invalid(path, $"the state of generator '{name}' has {state.Length} bytes, not {GeneratorStateBytes}");
        return state;
    }

    private static InvalidDataException Invalid(string path, string message) => new($"Checkpoint: {path}: {message}.");
}

/// <summary>What <see cref="Checkpoint.Load"/> returns besides the restored state.</summary>
/// <param name="Epoch">The epoch given to <see cref="Checkpoint.Save"/>.</param>
/// <param name="Extra">The extra strings given to <see cref="Checkpoint.Save"/>.</param>
public sealed record CheckpointInfo(int Epoch, IReadOnlyDictionary<string, string> Extra);
