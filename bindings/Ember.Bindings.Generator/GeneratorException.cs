using System;

namespace Ember.Bindings.Generator;

/// <summary>A header construct the generator does not understand, or a failed parse.</summary>
public sealed class GeneratorException : Exception
{
    /// <summary>Creates the exception with a message that already names file:line.</summary>
    public GeneratorException(string message)
        : base(message)
    {
    }
}
