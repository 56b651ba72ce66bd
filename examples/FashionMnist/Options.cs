namespace FashionMnist;

/// <summary>Command-line options of the training program.</summary>
internal sealed class Options
{
    public string Model { get; private set; } = "mlp";
    public string Optimizer { get; private set; } = "adam";
    public double LearningRate { get; private set; } = 1e-3;
    public double Momentum { get; private set; }
    public int Epochs { get; private set; } = 5;
    public int BatchSize { get; private set; } = 64;
    public string Device { get; private set; } = "cpu";
    public string Data { get; private set; } = Ember.Vision.Datasets.FashionMNIST.DebianFolder;
    public string? Save { get; private set; }
    public ulong Seed { get; private set; } = 1;
    public int Workers { get; private set; } = 1;
    public int Threads { get; private set; } = Environment.ProcessorCount;

    private const string Usage = """
        usage: FashionMnist [options]
          --model mlp|cnn          the seed's MLP or CNN (default mlp)
          --optimizer sgd|adam     (default adam)
          --lr X                   learning rate (default 1e-3)
          --momentum X             SGD momentum (default 0)
          --epochs N               (default 5)
          --batch-size N           (default 64)
          --device cpu|cuda[:N]    (default cpu)
          --data DIR               folder with the Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist)
          --save FILE              where to save the trained model (safetensors)
          --seed N                 random seed (default 1)
          --workers N              background data-loading threads (default 1)
          --threads N              engine threads (default: all cores)
        """;

    /// <summary>Parses args; prints the usage and returns null when they are wrong.</summary>
    public static Options? Parse(string[] args)
    {
        var o = new Options();
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--model": o.Model = Next(); break;
                    case "--optimizer": o.Optimizer = Next(); break;
                    case "--lr": o.LearningRate = double.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                    case "--momentum": o.Momentum = double.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                    case "--epochs": o.Epochs = int.Parse(Next()); break;
                    case "--batch-size": o.BatchSize = int.Parse(Next()); break;
                    case "--device": o.Device = Next(); break;
                    case "--data": o.Data = Next(); break;
                    case "--save": o.Save = Next(); break;
                    case "--seed": o.Seed = ulong.Parse(Next()); break;
                    case "--workers": o.Workers = int.Parse(Next()); break;
                    case "--threads": o.Threads = int.Parse(Next()); break;
                    case "-h" or "--help": Console.WriteLine(Usage); return null;
                    default: throw new ArgumentException($"unknown option {args[i]}");
                }
            }
            return o;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return null;
        }
    }
}
