using System.Diagnostics;
using Ember;
using Ember.Data;
using Ember.NN;
using Ember.Optim;
using Ember.Vision.Datasets;
using FashionMnist;

// Trains the seed's FashionMNIST models (see README): ./build.sh demo runs the MLP with Adam.
var options = Options.Parse(args);
if (options is null)
    return 2;
Torch.ManualSeed((long)options.Seed);
Torch.SetNumThreads(options.Threads);
var device = Device.Parse(options.Device);

using var train = new FashionMNIST(options.Data, train: true);
using var test = new FashionMNIST(options.Data, train: false);
Console.WriteLine($"Fashion-MNIST from {options.Data}: {train.Count} training and {test.Count} test images");

using var model = Models.Create(options.Model);
model.To(device);
using var lossFn = new CrossEntropyLoss();
using Optimizer optimizer = options.Optimizer switch
{
    "sgd" => new SGD(model.Parameters(), lr: options.LearningRate, momentum: options.Momentum),
    "adam" => new Adam(model.Parameters(), lr: options.LearningRate),
    _ => throw new ArgumentException($"unknown optimizer '{options.Optimizer}' (expected sgd or adam)"),
};
Console.WriteLine(model);
Console.WriteLine($"optimizer {options.Optimizer}, lr {options.LearningRate}, batch {options.BatchSize}, {options.Epochs} epochs, device {device}, {options.Threads} threads");

var generator = new DataGenerator(options.Seed);
using var trainLoader = DataLoader.Create(train, batchSize: options.BatchSize, shuffle: true, numWorkers: options.Workers, generator: generator);
using var testLoader = DataLoader.Create(test, batchSize: 1000, numWorkers: options.Workers);

double accuracy = 0;
for (int epoch = 1; epoch <= options.Epochs; epoch++)
{
    var watch = Stopwatch.StartNew();
    TrainEpoch(epoch);
    double seconds = watch.Elapsed.TotalSeconds;
    (double testLoss, accuracy) = Evaluate();
    long rss = Environment.WorkingSet >> 20;
    Console.WriteLine($"epoch {epoch}: test loss {testLoss:F4}, test accuracy {accuracy:P2}, {seconds:F2} s ({train.Count / seconds:F0} samples/s), rss {rss} MiB");
}

if (options.Save is { } path)
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    Torch.Save(model.StateDict(), path, new Dictionary<string, string> { ["model"] = options.Model });
    Console.WriteLine($"saved the {options.Model} model to {path}");
}
Console.WriteLine($"final test accuracy: {accuracy * 100:F2}%");
return 0;

void TrainEpoch(int epoch)
{
    model.Train();
    var progress = new Progress($"epoch {epoch}/{options.Epochs}", trainLoader.Count);
    int batchIndex = 0;
    foreach (var (images, labels) in trainLoader)
    {
        using var scope = Torch.NewScope();
        var x = images.To(device);
        var y = labels.To(device);
        var loss = lossFn.Call(model.Call(x), y);
        optimizer.ZeroGrad();
        loss.Backward();
        optimizer.Step();
        batchIndex++;
        // Reading the loss synchronises; do it only as often as the progress display needs it.
        if (progress.Due(batchIndex))
            progress.Report(batchIndex, loss.Item<float>(), (long)batchIndex * options.BatchSize);
    }
    progress.Finish();
}

(double Loss, double Accuracy) Evaluate()
{
    model.Eval();
    using var noGrad = Torch.NoGrad();
    double lossSum = 0;
    long correct = 0;
    foreach (var (images, labels) in testLoader)
    {
        using var scope = Torch.NewScope();
        var y = labels.To(device);
        var logits = model.Call(images.To(device));
        lossSum += Functional.CrossEntropy(logits, y, reduction: "sum").Item<float>();
        correct += logits.ArgMax(1).Eq(y).Sum().Item<long>();
    }
    return (lossSum / test.Count, (double)correct / test.Count);
}
