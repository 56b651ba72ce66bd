using NUnit.Framework.Api;
using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;

// Runs the tests of Ember.Tests, Ember.NN.Tests and Ember.Data.Tests in the categories given
// (default: cuda) with NUnit's own engine and prints one line per test. Exit code 0 only when at
// least one test ran and none failed, so a GPU run where every test skipped is not mistaken for a pass.
string[] categories = args.Length > 0 ? args : ["cuda"];
string filterXml = "<filter><or>" + string.Concat(categories.Select(c => $"<cat>{c}</cat>")) + "</or></filter>";
// NUnit redirects Console while a test runs, so the listener writes to the real standard output.
var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
var listener = new LineListener(stdout);
int passed = 0, failed = 0, skipped = 0;
foreach (var assembly in new[]
         {
             typeof(Ember.Tests.CudaTests).Assembly, typeof(Ember.NN.Tests.CudaGraphTrainingTests).Assembly,
             typeof(Ember.Data.Tests.PinMemoryCudaTests).Assembly,
         })
{
    var runner = new NUnitTestAssemblyRunner(new DefaultTestAssemblyBuilder());
    runner.Load(assembly, new Dictionary<string, object>());
    ITestResult result = runner.Run(listener, TestFilter.FromXml(filterXml));
    passed += result.PassCount;
    failed += result.FailCount;
    skipped += result.SkipCount + result.InconclusiveCount;
}
stdout.WriteLine($"{passed} passed, {failed} failed, {skipped} skipped");
return failed == 0 && passed > 0 ? 0 : 1;

internal sealed class LineListener(TextWriter output) : ITestListener
{
    public void TestStarted(ITest test) { }

    public void TestFinished(ITestResult result)
    {
        if (result.Test.IsSuite)
            return;
        output.WriteLine($"{result.ResultState.Status,-12} {result.FullName}");
        if (result.ResultState.Status != TestStatus.Passed && !string.IsNullOrEmpty(result.Message))
            output.WriteLine("    " + result.Message.Replace("\n", "\n    "));
        if (result.ResultState.Status == TestStatus.Failed && !string.IsNullOrEmpty(result.StackTrace))
            output.WriteLine("    " + result.StackTrace.Replace("\n", "\n    "));
    }

    public void TestOutput(TestOutput text) => output.Write(text.Text);

    public void SendMessage(TestMessage message) { }
}
