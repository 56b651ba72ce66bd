using Ember.Bindings.Generator;
using NUnit.Framework;

namespace Ember.Bindings.Tests;

/// <summary>Every construct the generator cannot translate faithfully must stop it with file:line.</summary>
[TestFixture]
public sealed class FailureTests
{
    private HeaderFixture _fx = null!;

    [SetUp]
    public void SetUp() => _fx = new HeaderFixture();

    [TearDown]
    public void TearDown() => _fx.Dispose();

    private GeneratorException Fails(string header)
    {
        return Assert.Throws<GeneratorException>(() => _fx.Generate(header))!;
    }

    [Test]
    public void Union()
    {
        var e = Fails("#include <stdint.h>\n\ntypedef union demo_u { int32_t i; float f; } demo_u;\n");
        Assert.That(e.Message, Does.StartWith("include/demo/api.h:3:"));
        Assert.That(e.Message, Does.Contain("union"));
    }

    [Test]
    public void UnionInsideAStruct()
    {
        var e = Fails("#include <stdint.h>\ntypedef struct demo_s {\n  union { int32_t i; float f; } u;\n} demo_s;\n");
        Assert.That(e.Message, Does.StartWith("include/demo/api.h:3:"));
    }

    [Test]
    public void UnknownAnnotationOnAFunction()
    {
        var e = Fails("#include <stdint.h>\n\n__attribute__((annotate(\"demo_fast\"))) int32_t demo_get(int64_t* out);\n");
        Assert.That(e.Message, Does.StartWith("include/demo/api.h:3:"));
        Assert.That(e.Message, Does.Contain("unknown annotation 'demo_fast'"));
    }

    [Test]
    public void VariadicFunction()
    {
        var e = Fails("#include <stdint.h>\nint32_t demo_printf(const char* fmt, ...);\n");
        Assert.That(e.Message, Does.StartWith("include/demo/api.h:2:"));
        Assert.That(e.Message, Does.Contain("variadic function 'demo_printf'"));
    }

    [Test]
    public void UnknownTypeFromASystemHeader()
    {
        var e = Fails("#include <stdio.h>\n\nint demo_write(FILE* f);\n");
        Assert.That(e.Message, Does.StartWith("include/demo/api.h:3:"));
        Assert.That(e.Message, Does.Contain("'FILE'"));
    }

    [Test]
    public void UndeclaredTypeIsALibclangError()
    {
        var e = Fails("int demo_f(demo_missing x);\n");
        Assert.That(e.Message, Does.Contain("api.h:1:"));
        Assert.That(e.Message, Does.Contain("demo_missing"));
    }

    [Test]
    public void PointerToAnIncompleteStructWithoutAHandleTypedef()
    {
        var e = Fails("int demo_f(struct demo_hidden* x);\n");
        Assert.That(e.Message, Does.StartWith("include/demo/api.h:1:"));
        Assert.That(e.Message, Does.Contain("demo_hidden"));
    }

    [Test]
    public void Bool()
    {
        var e = Fails("#include <stdbool.h>\nint demo_f(bool flag);\n");
        Assert.That(e.Message, Does.StartWith("include/demo/api.h:2:"));
        Assert.That(e.Message, Does.Contain("bool"));
    }

    [Test]
    public void PlatformDependentLong()
    {
        var e = Fails("long demo_f(void);\n");
        Assert.That(e.Message, Does.Contain("long has a platform-dependent width"));
    }

    [Test]
    public void BitField()
    {
        var e = Fails("typedef struct demo_bits {\n  unsigned a : 3;\n  unsigned b : 5;\n} demo_bits;\n");
        Assert.That(e.Message, Does.StartWith("include/demo/api.h:2:"));
        Assert.That(e.Message, Does.Contain("bit-field"));
    }

    [Test]
    public void VariadicFunctionPointer()
    {
        var e = Fails("typedef void (*demo_log)(const char* fmt, ...);\nint demo_on(demo_log cb);\n");
        Assert.That(e.Message, Does.StartWith("include/demo/api.h:1:"));
        Assert.That(e.Message, Does.Contain("variadic function pointer"));
    }

    [Test]
    public void ArrayOfStructsInAStruct()
    {
        var e = Fails("typedef struct demo_p { int x; } demo_p;\ntypedef struct demo_q { demo_p items[2]; } demo_q;\n");
        Assert.That(e.Message, Does.StartWith("include/demo/api.h:2:"));
    }

    [Test]
    public void FunctionLikeMacro()
    {
        var e = Fails("#define DEMO_MAX(a, b) ((a) > (b) ? (a) : (b))\n");
        Assert.That(e.Message, Does.StartWith("include/demo/api.h:1:"));
        Assert.That(e.Message, Does.Contain("DEMO_MAX"));
    }

    [Test]
    public void NonIntegerMacro()
    {
        var e = Fails("\n#define DEMO_NAME \"demo\"\n");
        Assert.That(e.Message, Does.StartWith("include/demo/api.h:2:"));
        Assert.That(e.Message, Does.Contain("DEMO_NAME"));
    }

    [Test]
    public void FunctionWithoutPrototype()
    {
        var e = Fails("int demo_old();\n");
        Assert.That(e.Message, Does.Contain("demo_old(void)"));
    }

    [Test]
    public void InlineFunction()
    {
        var e = Fails("static inline int demo_twice(int x) { return 2 * x; }\n");
        Assert.That(e.Message, Does.StartWith("include/demo/api.h:1:"));
    }

    [Test]
    public void GlobalVariable()
    {
        var e = Fails("extern int demo_counter;\n");
        Assert.That(e.Message, Does.StartWith("include/demo/api.h:1:"));
        Assert.That(e.Message, Does.Contain("demo_counter"));
    }

    [Test]
    public void SyntaxErrorIsReportedWithItsLocation()
    {
        var e = Fails("int demo_f(int x)\nint demo_g(void);\n");
        Assert.That(e.Message, Does.Contain("api.h:1:"));
    }
}
