using NUnit.Framework.Api;
using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;

// Runs the tests of Ember.Tests in the categories given (default: cuda) with NUnit's own engine and
// prints one line per test. Exit code 0 only when at least one test ran and none failed, so a GPU
// run where every test skipped is not mistaken for a pass.
string[] categories = args.Length > 0 ? args : ["cuda"];
var runner = new NUnitTestAssemblyRunner(new DefaultTestAssemblyBuilder());
runner.Load(typeof(Ember.Tests.CudaTests).Assembly, new Dictionary<string, object>());
string filterXml = "<filter><or>" + string.Concat(categories.Select(c => $"<cat>{c}</cat>")) + "</or></filter>";
// NUnit redirects Console while a test runs, so the listener writes to the real standard output.
var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
var listener = new LineListener(stdout);
ITestResult result = runner.Run(listener, TestFilter.FromXml(filterXml));
stdout.WriteLine($"{result.PassCount} passed, {result.FailCount} failed, {result.SkipCount + result.InconclusiveCount} skipped");
return result.FailCount == 0 && result.PassCount > 0 ? 0 : 1;

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
