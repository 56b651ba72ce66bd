using Ember;
using Ember.Vision.Datasets;
using FashionMnist;

// Loads a model saved by examples/FashionMnist and classifies test images with it.
//   FashionMnistPredict MODEL.safetensors [--data DIR] [--count N]
if (args.Length < 1 || args[0].StartsWith('-'))
{
    Console.Error.WriteLine("usage: FashionMnistPredict MODEL.safetensors [--data DIR] [--count N]");
    return 2;
}
string modelPath = args[0];
string data = FashionMNIST.DebianFolder;
int count = 10;
for (int i = 1; i + 1 < args.Length; i += 2)
{
    if (args[i] == "--data") data = args[i + 1];
    else if (args[i] == "--count") count = int.Parse(args[i + 1]);
}

var weights = Ember.Serialization.SafeTensors.Load(modelPath, out var metadata);
string kind = metadata.TryGetValue("model", out var m) ? m : "mlp";
using var model = Models.Create(kind);
model.LoadStateDict(weights);
foreach (var t in weights.Values)
    t.Dispose();
model.Eval();

using var test = new FashionMNIST(data, train: false);
using var noGrad = Torch.NoGrad();
int correct = 0;
for (int i = 0; i < Math.Min(count, test.Count); i++)
{
    using var scope = Torch.NewScope();
    var (image, label) = test[i];
    var probs = Functional.Softmax(model.Call(image.Unsqueeze(0)), 1);
    long predicted = probs.ArgMax(1).Item<long>();
    float confidence = probs.Select(1, predicted).Item<float>();
    correct += predicted == label ? 1 : 0;
    Console.WriteLine($"image {i,5}: predicted {test.Classes[(int)predicted],-12} ({confidence:P1})  actual {test.Classes[(int)label],-12} {(predicted == label ? "ok" : "WRONG")}");
}
Console.WriteLine($"{correct}/{Math.Min(count, test.Count)} correct");
return 0;
