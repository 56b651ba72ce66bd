using Ember.NN;
using Ember.Optim;
using Ember.Training;

namespace Ember.Data.Tests;

/// <summary>Save after N epochs, train M more; a second run loads and trains M: the parameters must agree bit for bit.</summary>
public class CheckpointTests
{
    private sealed class Run : IDisposable
    {
        public readonly Sequential Model;
        public readonly Optimizer Optimizer;
        public readonly LRScheduler Scheduler;
        public readonly Generator Noise = new(11);          // a named native generator: input noise
        public readonly DataGenerator Shuffle = new(5);     // the loader's shuffling
        private readonly TensorDataset _data;
        private readonly DataLoader<Tensor[], Tensor[]> _loader;

        public Run(string optimizer)
        {
            // Dropout draws from the global generator, the noise from a named one, the loader from a DataGenerator.
            Model = new Sequential(new Linear(4, 16), new ReLU(), new Dropout(0.3), new Linear(16, 3));
            Optimizer = optimizer == "adam"
                ? new Adam(Model.Parameters(), lr: 0.01)
                : new SGD(Model.Parameters(), lr: 0.1, momentum: 0.9, nesterov: true);
            Scheduler = optimizer == "adam" ? new CosineAnnealingLR(Optimizer, tMax: 5) : new StepLR(Optimizer, stepSize: 2, gamma: 0.5);
            using var data = new Generator(3);
            Tensor x = Torch.Randn([40, 4], generator: data).DetachFromScope();
            Tensor y = Torch.Randn([40, 3], generator: data).DetachFromScope();
            _data = new TensorDataset(x, y);
            _loader = DataLoader.Create(_data, batchSize: 8, shuffle: true, generator: Shuffle);
        }

        public Checkpoint Checkpoint() => new(Model, Optimizer, Scheduler)
        {
            Generators = { ["noise"] = Noise },
            DataGenerators = { ["shuffle"] = Shuffle },
        };

        public void Train(int epochs)
        {
            using var loss = new MSELoss();
            Model.Train();
            for (int e = 0; e < epochs; e++)
            {
                foreach (Tensor[] batch in _loader)
                {
                    using var scope = Torch.NewScope();
                    Tensor input = batch[0] + 0.01 * Torch.Randn(batch[0].Shape.ToArray(), generator: Noise);
                    Tensor l = loss.Call(Model.Call(input), batch[1]);
                    Optimizer.ZeroGrad();
                    l.Backward();
                    Optimizer.Step();
                }
                Scheduler.Step();
            }
        }

        public uint[][] ParameterBits() =>
            [.. Model.Parameters().Select(p => p.ToArray<float>().Select(BitConverter.SingleToUInt32Bits).ToArray())];

        public void Dispose()
        {
            _loader.Dispose();
            _data.Dispose();
            Optimizer.Dispose();
            Model.Dispose();
            Noise.Dispose();
        }
    }

    [TestCase("sgd")]
    [TestCase("adam")]
    public void ResumesBitForBit(string optimizer)
    {
        string path = Path.Combine(Fixtures.TempDir(), "run.safetensors");
        Torch.ManualSeed(1234);
        uint[][] continued;
        using (var first = new Run(optimizer))
        {
            first.Train(3);
            first.Checkpoint().Save(path, epoch: 3, new Dictionary<string, string> { ["note"] = "after 3" });
            first.Train(4);
            continued = first.ParameterBits();
        }

        Torch.ManualSeed(999);   // a different start: everything must come from the file
        using var second = new Run(optimizer);
        Assert.That(second.ParameterBits(), Is.Not.EqualTo(continued));
        CheckpointInfo info = second.Checkpoint().Load(path);
        Assert.That(info.Epoch, Is.EqualTo(3));
        Assert.That(info.Extra["note"], Is.EqualTo("after 3"));
        Assert.That(second.Scheduler.LastEpoch, Is.EqualTo(3));
        second.Train(4);
        Assert.That(second.ParameterBits(), Is.EqualTo(continued));
    }

    [Test]
    public void SavingLeavesTheRandomStreamsAlone()
    {
        // A run that saves half way ends exactly where one that never saves does.
        string path = Path.Combine(Fixtures.TempDir(), "run.safetensors");
        uint[][] Train(bool save)
        {
            Torch.ManualSeed(77);
            using var run = new Run("sgd");
            run.Train(2);
            if (save)
                run.Checkpoint().Save(path, epoch: 2);
            run.Train(2);
            return run.ParameterBits();
        }
        Assert.That(Train(save: true), Is.EqualTo(Train(save: false)));
    }

    [Test]
    public void WithoutTheRngStateTheResumedRunDiverges()
    {
        // The same experiment, but the resumed run does not restore the global generator: dropout masks
        // differ, so the parameters must differ (the bitwise test above is not vacuous).
        string path = Path.Combine(Fixtures.TempDir(), "run.safetensors");
        Torch.ManualSeed(1234);
        uint[][] continued;
        using (var first = new Run("sgd"))
        {
            first.Train(2);
            first.Checkpoint().Save(path, epoch: 2);
            first.Train(2);
            continued = first.ParameterBits();
        }
        using var second = new Run("sgd");
        var checkpoint = second.Checkpoint();
        checkpoint.IncludeGlobalGenerator = false;
        checkpoint.Load(path);
        second.Train(2);
        Assert.That(second.ParameterBits(), Is.Not.EqualTo(continued));
    }

    [Test]
    public void FileHoldsPyTorchStyleKeysAndReadableMetadata()
    {
        string path = Path.Combine(Fixtures.TempDir(), "run.safetensors");
        using var run = new Run("adam");
        run.Train(1);
        run.Checkpoint().Save(path, epoch: 1);
        var header = Ember.Serialization.SafeTensors.ReadHeader(path);
        string[] names = [.. header.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal)];
        Assert.That(names, Does.Contain("model.0.weight").And.Contain("model.3.bias"));
        Assert.That(names, Does.Contain("optimizer.state.0.exp_avg").And.Contain("optimizer.state.3.exp_avg_sq").And.Contain("optimizer.state.3.step"));
        Assert.That(Checkpoint.ReadInfo(path).Epoch, Is.EqualTo(1));
        using var doc = System.Text.Json.JsonDocument.Parse(header.Metadata[Checkpoint.MetadataKey]);
        var groups = doc.RootElement.GetProperty("optimizer").GetProperty("param_groups");
        Assert.That(groups[0].GetProperty("params").GetArrayLength(), Is.EqualTo(4));
        Assert.That(doc.RootElement.GetProperty("scheduler").GetProperty("last_epoch").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public void MismatchesAreClearErrorsBeforeAnythingChanges()
    {
        string path = Path.Combine(Fixtures.TempDir(), "run.safetensors");
        using var run = new Run("sgd");
        run.Train(1);
        run.Checkpoint().Save(path, epoch: 1);

        using var adam = new Run("adam");
        uint[][] before = adam.ParameterBits();
        var e = Assert.Throws<InvalidDataException>(() => adam.Checkpoint().Load(path));
        Assert.That(e!.Message, Does.Contain("SGD").And.Contain("Adam"));
        Assert.That(adam.ParameterBits(), Is.EqualTo(before));

        using var other = new Run("sgd");
        var checkpoint = other.Checkpoint();
        checkpoint.DataGenerators.Add("missing", new DataGenerator(1));
        e = Assert.Throws<InvalidDataException>(() => checkpoint.Load(path));
        Assert.That(e!.Message, Does.Contain("'missing'").And.Contain("shuffle"));

        string plain = Path.Combine(Fixtures.TempDir(), "plain.safetensors");
        Torch.Save(run.Model.StateDict(), plain);
        e = Assert.Throws<InvalidDataException>(() => other.Checkpoint().Load(plain));
        Assert.That(e!.Message, Does.Contain(Checkpoint.MetadataKey));
    }
}
