// The consumer test's program: a fresh console app that uses Ember only through its NuGet packages.
using Ember;
using Ember.NN;
using Ember.Optim;

// The first tensor op loads the native library; the script measures the time from launch to this line.
using (Tensor first = Torch.Ones(2) + 1)
    Console.WriteLine($"first op at {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()} ms, value {first.ToArray<float>()[0]}");
Console.WriteLine($"native library: {EmberNative.LoadedPath}");

// A few SGD steps on a tiny MLP fitting y = x0 - 2 x1 + 0.5.
Torch.ManualSeed(0);
using var model = new Sequential(new Linear(2, 16), new ReLU(), new Linear(16, 1));
using var optimizer = new SGD(model.Parameters(), lr: 0.05, momentum: 0.9);
using var lossFn = new MSELoss();
using Tensor x = Torch.Randn([256, 2]);
using Tensor y = (x.Select(1, 0) - 2 * x.Select(1, 1) + 0.5).Unsqueeze(1);
float firstLoss = 0, lastLoss = 0;
for (int step = 0; step < 60; step++)
{
    using var scope = Torch.NewScope();
    Tensor loss = lossFn.Call(model.Call(x), y);
    optimizer.ZeroGrad();
    loss.Backward();
    optimizer.Step();
    lastLoss = loss.Item<float>();
    if (step == 0)
        firstLoss = lastLoss;
}
Console.WriteLine($"loss {firstLoss:F4} -> {lastLoss:F4}");
if (!(lastLoss < firstLoss * 0.2f))
{
    Console.WriteLine("FAIL: the loss did not go down");
    return 1;
}
Console.WriteLine("consumer ok");
return 0;
